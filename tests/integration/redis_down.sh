#!/bin/sh
# Stops the redis-server started by redis_up.sh (by its pid) and removes DIR.
# Usage: redis_down.sh DIR
set -eu
DIR=$1
if [ -f "$DIR/redis.pid" ]; then
  PID=$(cat "$DIR/redis.pid")
  kill -TERM "$PID" 2>/dev/null || true
  i=0
  while kill -0 "$PID" 2>/dev/null && [ "$i" -lt 100 ]; do i=$((i + 1)); sleep 0.05; done
  kill -KILL "$PID" 2>/dev/null || true
fi
rm -rf "$DIR"
