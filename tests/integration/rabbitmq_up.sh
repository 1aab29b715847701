#!/usr/bin/env bash
# Starts a throw-away RabbitMQ node for the integration tests (notes/stack.md §3.6): the real
# server script run as a plain process, every location under DIR, loopback-only listeners, a
# private epmd, plus a TLS listener whose certificate is signed by a private CA made here.
# Usage: rabbitmq_up.sh DIR AMQP_PORT TLS_PORT DIST_PORT EPMD_PORT
# Leaves the node running (wrapper pid in DIR/server.pid), writes DIR/ctl (rabbitmqctl with
# the right environment) and DIR/tls/ca.pem, and exits 0 once both listeners accept.
set -eu
DIR=$1
AMQP_PORT=$2
TLS_PORT=$3
DIST_PORT=$4
EPMD_PORT=$5
HERE=$(cd "$(dirname "$0")" && pwd)
if [ -f "$DIR/server.pid" ]; then bash "$HERE/rabbitmq_down.sh" "$DIR" "$EPMD_PORT"; fi
rm -rf "$DIR"
mkdir -p "$DIR/mnesia" "$DIR/log" "$DIR/home" "$DIR/tls"
DIR=$(cd "$DIR" && pwd)
NODE="provbadgetest$AMQP_PORT@localhost"

# Private CA and a server certificate for DNS:localhost (rabbitmq-c 0.11 matches DNS names only).
T="$DIR/tls"
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=provbadge test CA" \
  -keyout "$T/ca.key" -out "$T/ca.pem" 2>/dev/null
openssl req -newkey rsa:2048 -nodes -subj "/CN=localhost" \
  -keyout "$T/server.key" -out "$T/server.csr" 2>/dev/null
printf 'subjectAltName=DNS:localhost\nextendedKeyUsage=serverAuth\n' > "$T/ext.cnf"
openssl x509 -req -in "$T/server.csr" -CA "$T/ca.pem" -CAkey "$T/ca.key" -CAcreateserial \
  -days 2 -extfile "$T/ext.cnf" -out "$T/server.pem" 2>/dev/null
# A second, unrelated CA for the negative test.
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=other CA" \
  -keyout "$T/other-ca.key" -out "$T/other-ca.pem" 2>/dev/null

printf '[].\n' > "$DIR/enabled_plugins"
cat > "$DIR/rabbitmq.conf" <<CONF
listeners.tcp.1 = 127.0.0.1:$AMQP_PORT
listeners.ssl.1 = 127.0.0.1:$TLS_PORT
ssl_options.cacertfile = $T/ca.pem
ssl_options.certfile = $T/server.pem
ssl_options.keyfile = $T/server.key
ssl_options.verify = verify_none
ssl_options.fail_if_no_peer_cert = false
loopback_users = none
CONF

# At-least-once dead-lettering (the work and delay queues) hands a dead letter its target
# refused, or had no route for, to the target again every this many ms (default 180 s): short,
# so the tests see that retry, yet long enough that a slow confirm does not duplicate a letter.
cat > "$DIR/advanced.config" <<ADV
[{rabbit, [{dead_letter_worker_publisher_confirm_timeout, 2000}]}].
ADV

cat > "$DIR/env.sh" <<ENV
export HOME="$DIR/home"
export RABBITMQ_NODENAME="$NODE"
export RABBITMQ_NODE_IP_ADDRESS=127.0.0.1
export RABBITMQ_NODE_PORT=$AMQP_PORT
export RABBITMQ_DIST_PORT=$DIST_PORT
export RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1}"
export ERL_EPMD_PORT=$EPMD_PORT
export ERL_EPMD_ADDRESS=127.0.0.1
export RABBITMQ_MNESIA_BASE="$DIR/mnesia"
export RABBITMQ_LOG_BASE="$DIR/log"
export RABBITMQ_CONFIG_FILE="$DIR/rabbitmq.conf"
export RABBITMQ_ADVANCED_CONFIG_FILE="$DIR/advanced.config"
export RABBITMQ_ENABLED_PLUGINS_FILE="$DIR/enabled_plugins"
export RABBITMQ_CONF_ENV_FILE="$DIR/rabbitmq-env.conf"
export RABBITMQ_PID_FILE="$DIR/rabbit.pid"
ENV
cat > "$DIR/ctl" <<CTL
#!/bin/sh
. "$DIR/env.sh"
exec /usr/lib/rabbitmq/bin/rabbitmqctl -n "$NODE" "\$@"
CTL
chmod +x "$DIR/ctl"

(
  . "$DIR/env.sh"
  exec /usr/lib/rabbitmq/bin/rabbitmq-server > "$DIR/log/stdout.log" 2>&1 < /dev/null
) &
echo $! > "$DIR/server.pid"

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
i=0
until port_open "$AMQP_PORT" && port_open "$TLS_PORT"; do
  i=$((i + 1))
  if [ "$i" -gt 600 ] || ! kill -0 "$(cat "$DIR/server.pid")" 2>/dev/null; then
    echo "rabbitmq_up: node did not open ports $AMQP_PORT/$TLS_PORT within 60 s" >&2
    tail -n 40 "$DIR/log/stdout.log" >&2 || true
    exit 1
  fi
  sleep 0.1
done
echo "rabbitmq_up: $NODE ready on 127.0.0.1:$AMQP_PORT (TLS $TLS_PORT)"
