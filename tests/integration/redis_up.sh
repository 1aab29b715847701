#!/bin/sh
# Starts a throw-away redis-server for the integration tests (notes/stack.md §4.1): loopback
# only, no persistence, everything under DIR. Usage: redis_up.sh DIR PORT
# Leaves the server running (pid in DIR/redis.pid) and exits 0 once it answers PING.
set -eu
DIR=$1
PORT=$2
if [ -f "$DIR/redis.pid" ]; then sh "$(dirname "$0")/redis_down.sh" "$DIR"; fi
mkdir -p "$DIR"
redis-server --daemonize yes --pidfile "$DIR/redis.pid" --port "$PORT" --bind 127.0.0.1 \
  --dir "$DIR" --save '' --appendonly no --logfile "$DIR/redis.log" --protected-mode yes
i=0
until redis-cli -h 127.0.0.1 -p "$PORT" ping 2>/dev/null | grep -q PONG; do
  i=$((i + 1))
  if [ "$i" -gt 200 ]; then
    echo "redis_up: redis-server on port $PORT did not answer within 10 s" >&2
    cat "$DIR/redis.log" >&2 || true
    exit 1
  fi
  sleep 0.05
done
echo "redis_up: redis-server ready on 127.0.0.1:$PORT (pid $(cat "$DIR/redis.pid"))"
