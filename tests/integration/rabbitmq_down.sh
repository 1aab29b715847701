#!/bin/sh
# Stops the node started by rabbitmq_up.sh (by the wrapper's pid), kills its private epmd and
# removes DIR. Usage: rabbitmq_down.sh DIR EPMD_PORT
set -eu
DIR=$1
EPMD_PORT=$2
if [ -f "$DIR/server.pid" ]; then
  PID=$(cat "$DIR/server.pid")
  kill -TERM "$PID" 2>/dev/null || true
  i=0
  while kill -0 "$PID" 2>/dev/null && [ "$i" -lt 300 ]; do i=$((i + 1)); sleep 0.1; done
  if kill -0 "$PID" 2>/dev/null; then
    kill -KILL "$PID" 2>/dev/null || true
    if [ -f "$DIR/rabbit.pid" ]; then kill -KILL "$(cat "$DIR/rabbit.pid")" 2>/dev/null || true; fi
  fi
fi
ERL_EPMD_PORT=$EPMD_PORT ERL_EPMD_ADDRESS=127.0.0.1 epmd -kill >/dev/null 2>&1 || true
rm -rf "$DIR"
