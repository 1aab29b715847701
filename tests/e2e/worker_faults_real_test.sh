#!/usr/bin/env bash
# Fault tests through the real `provbadge worker` on RabbitMQ + Redis (the production backends),
# over a copy of the example hub grown to a batch of 35 revisions. Every scenario asserts that
# every event ends with exactly its correct badge and that nothing is lost:
#  1. SIGKILL of the worker in the middle of a batch, then a restart;
#  2. the broker stopped and restarted while events are in flight (a private broker, so the
#     shared fixture broker is never disturbed; its data directory survives the restart);
#  3. Redis stopped and restarted while events are in flight (a private Redis with an append-only
#     file): the failed writes are retried, not acked, and the badges appear once Redis is back;
#  4. a poison event (a revision the hub does not have) is retried up to queue.max_attempts and
#     dead-lettered with its reason while the other events flow;
#  5. an event with an older seq delivered after a newer one never moves the ref back.
# To make "in the middle of a batch" deterministic, the worker is frozen (SIGSTOP) right after
# its first badge, the fault is injected, and it is thawed (SIGCONT) into the fault.
# Each scenario uses its own queue (a per-run prefix) and its own Redis database, so it cannot
# collide with the contract tests or with the other scenarios.
# Usage: worker_faults_real_test.sh PROVBADGE_BINARY SOURCE_DIR REDIS_PORT AMQP_PORT
set -uo pipefail
PB=$1
SRC=$2
REDIS_PORT=$3
AMQP_PORT=$4
HERE=$(cd "$(dirname "$0")" && pwd)
IT=$HERE/../integration
T=$(mktemp -d)
RUN=pbfaults.$$.$RANDOM
PIDS=()          # background workers
PRIVATE_REDIS=   # pid file of the private redis (scenario 3)
PRIVATE_RMQ=     # dir of the private broker (scenario 2)
PRIVATE_EPMD=
cleanup() {
  for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null; done
  if [ -n "$PRIVATE_REDIS" ] && [ -f "$PRIVATE_REDIS" ]; then kill -9 "$(cat "$PRIVATE_REDIS")" 2>/dev/null; fi
  if [ -n "$PRIVATE_RMQ" ]; then sh "$IT/rabbitmq_down.sh" "$PRIVATE_RMQ" "$PRIVATE_EPMD" >/dev/null 2>&1; fi
  rm -rf "$T"
}
trap cleanup EXIT
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
# A port nobody listens on and none of the arguments, from 20000 up to the kernel's ephemeral
# range (outgoing connections take their local ports from there, and a listener on one of those
# fails with EADDRINUSE: a private broker once did), a range the fixtures do not use.
free_port() {
  local p lo
  lo=$(awk '{print $1}' /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || echo 32768)
  ((lo > 21000)) || lo=32768
  for _ in $(seq 200); do
    p=$((20000 + RANDOM % (lo - 20000)))
    [[ " $* " == *" $p "* ]] && continue
    port_open "$p" || {
      echo "$p"
      return
    }
  done
  return 1
}

# --- the hub: the five example repositories, plus copies of each under new names -------------
# The batch must be large enough that a fault lands while events are still queued: one event
# takes about a millisecond, and the worker prefetches.
cp -r "$SRC/examples/hub" "$T/hub"
cp -r "$SRC/examples/keys" "$T/keys"
cp "$SRC/examples/policy.json" "$T/policy.json"
declare -A EXPECT=(  # repo -> its badge line after "org/name@<7hex>" (an ERE)
  [acme/tiny-llama]='  verified  '
  [acme/tiny-llama-tampered]='  failed  .*model\.safetensors'
  [acme/tiny-llama-unsigned]='  unverified'
  [acme/tiny-llama-impostor]='  failed  '
  [mallory/tiny-llama-copy]='  unverified')
BASE=("${!EXPECT[@]}")
for b in "${BASE[@]}"; do
  for i in $(seq 1 40); do
    cp -al "$T/hub/$b" "$T/hub/$b-c$i"
    EXPECT[$b-c$i]=${EXPECT[$b]}
  done
done
REPOS=("${!EXPECT[@]}")
echo "batch: ${#REPOS[@]} repositories"

cat >"$T/pb.json" <<JSON
{
  "queue": {"kind": "rabbitmq", "url": "amqp://guest:guest@127.0.0.1:$AMQP_PORT/%2f",
            "max_attempts": 50, "retry_base_ms": 1},
  "store": {"kind": "redis", "url": "redis://127.0.0.1:$REDIS_PORT/0"},
  "hub": {"kind": "mirror", "path": "hub"},
  "http": {"listen": "127.0.0.1:0"},
  "worker": {"threads": 2, "shutdown_grace_ms": 5000},
  "policy": "policy.json"
}
JSON
CONFIG=$T/pb.json
export PROVBADGE_LOG_LEVEL=info
use() {  # use SCENARIO REDIS_URL [AMQP_URL]: the queue and the store of one scenario
  export PROVBADGE_QUEUE_NAME=$RUN.$1 PROVBADGE_STORE_URL=$2
  if [ -n "${3:-}" ]; then export PROVBADGE_QUEUE_URL=$3; else unset PROVBADGE_QUEUE_URL; fi
}
enqueue_all() {
  local r
  for r in "${REPOS[@]}"; do
    "$PB" enqueue --config "$CONFIG" --repo "$r" >/dev/null || {
      fail=$((fail + 1))
      echo "FAILED: enqueue $r"
    }
  done
}
expect_all() {  # expect_all LABEL: every repository's main badge is exactly its expected one
  local out r bad=0
  out=$("$PB" badge --config "$CONFIG" --wait 40 "${REPOS[@]}" 2>&1)
  for r in "${REPOS[@]}"; do
    if ! grep -qE "^$r@[0-9a-f]{7}${EXPECT[$r]}" <<<"$out"; then
      bad=$((bad + 1))
      echo "  $1: wrong or missing badge for $r: $(grep -E "^$r[@ ]" <<<"$out" || echo '(none)')"
    fi
  done
  check "$1: all ${#REPOS[@]} badges correct" test "$bad" -eq 0
}
no_dead_letters() {
  local dead
  dead=$("$PB" dead-letters --config "$CONFIG" 2>&1)
  check "$1: nothing dead-lettered" test -z "$(grep -v '^no dead letters' <<<"$dead" | grep -v '^$')"
}
start_worker() {  # start_worker LOG: a serving worker in the background; its pid in WORKER
  "$PB" worker --config "$CONFIG" >"$1.out" 2>"$1" &
  WORKER=$!
  PIDS+=("$WORKER")
}
stop_worker() {  # stop_worker LABEL: SIGTERM, which must end it with 0 in time
  local status=0
  check "$1: worker still running" kill -0 "$WORKER"
  kill -TERM "$WORKER" 2>/dev/null
  wait_for 20 sh -c "! kill -0 $WORKER 2>/dev/null" || status=1
  check "$1: worker stops on SIGTERM" test $status -eq 0
  wait "$WORKER"
  check "$1: worker exit 0" test $? -eq 0
}

# --- 1. SIGKILL mid-batch, restart -----------------------------------------------------------
echo "== 1. SIGKILL mid-batch"
use s1 "redis://127.0.0.1:$REDIS_PORT/11"
redis-cli -p "$REDIS_PORT" -n 11 FLUSHDB >/dev/null
enqueue_all
PROVBADGE_WORKER_THREADS=1 start_worker "$T/w1.log"
wait_for 30 grep -qs ": badge " "$T/w1.log"
kill -STOP "$WORKER"  # freeze it mid-batch: the kill lands with deliveries in flight
check "1: first worker processed some events" grep -q ": badge " "$T/w1.log"
kill -9 "$WORKER"
wait "$WORKER" 2>/dev/null
echo "killed after $(grep -c ': badge ' "$T/w1.log") events"
timeout 60 "$PB" worker --config "$CONFIG" --until-idle 2>"$T/w2.log"
check "1: restarted worker drains the queue" test $? -eq 0
echo "restarted worker processed $(grep -c ': badge ' "$T/w2.log") events"
check "1: the restarted worker had work left" grep -q ": badge " "$T/w2.log"
expect_all 1
no_dead_letters 1

# --- 2. broker stopped and restarted with events in flight (private broker) ------------------
echo "== 2. broker restart"
P_AMQP=$(free_port)
P_TLS=$(free_port "$P_AMQP")
P_DIST=$(free_port "$P_AMQP" "$P_TLS")
PRIVATE_EPMD=$(free_port "$P_AMQP" "$P_TLS" "$P_DIST")
PRIVATE_RMQ=$T/rmq
if bash "$IT/rabbitmq_up.sh" "$PRIVATE_RMQ" "$P_AMQP" "$P_TLS" "$P_DIST" "$PRIVATE_EPMD" >"$T/rmq-up.log" 2>&1; then
  use s2 "redis://127.0.0.1:$REDIS_PORT/12" "amqp://guest:guest@127.0.0.1:$P_AMQP/%2f"
  redis-cli -p "$REDIS_PORT" -n 12 FLUSHDB >/dev/null
  enqueue_all
  PROVBADGE_WORKER_THREADS=1 start_worker "$T/w3.log"
  wait_for 30 grep -qs ": badge " "$T/w3.log"
  kill -STOP "$WORKER"  # frozen mid-batch while the broker goes away
  # Stop the node (keeping its data directory), then start it again on the same files.
  RMQ_PID=$(cat "$PRIVATE_RMQ/server.pid")
  kill -TERM "$RMQ_PID"
  wait_for 30 sh -c "! kill -0 $RMQ_PID 2>/dev/null"
  check "2: broker stopped" sh -c "! kill -0 $RMQ_PID 2>/dev/null"
  before=$(grep -c ': badge ' "$T/w3.log")
  echo "broker stopped after $before events"
  kill -CONT "$WORKER"  # the worker lives through the outage
  sleep 2
  (
    . "$PRIVATE_RMQ/env.sh"
    exec /usr/lib/rabbitmq/bin/rabbitmq-server >"$PRIVATE_RMQ/log/stdout2.log" 2>&1 </dev/null
  ) &
  echo $! >"$PRIVATE_RMQ/server.pid"
  wait_for 60 port_open "$P_AMQP"
  check "2: broker restarted" port_open "$P_AMQP"
  expect_all 2
  check "2: events were still in flight when the broker stopped" test "$before" -lt "${#REPOS[@]}"
  stop_worker 2
  no_dead_letters 2
else
  check "2: private broker starts" false
  cat "$T/rmq-up.log"
fi

# --- 3. Redis stopped and restarted with events in flight (private Redis) --------------------
echo "== 3. Redis restart"
R_PORT=$(free_port)
mkdir -p "$T/redis"
PRIVATE_REDIS=$T/redis/redis.pid
redis_start() {
  redis-server --daemonize yes --pidfile "$PRIVATE_REDIS" --port "$R_PORT" --bind 127.0.0.1 \
    --dir "$T/redis" --save '' --appendonly yes --appendfsync always \
    --logfile "$T/redis/redis.log" >/dev/null
  wait_for 10 sh -c "redis-cli -p $R_PORT ping 2>/dev/null | grep -q PONG"
}
redis_start
use s3 "redis://127.0.0.1:$R_PORT/0"
enqueue_all
PROVBADGE_WORKER_THREADS=1 start_worker "$T/w4.log"
wait_for 30 grep -qs ": badge " "$T/w4.log"
kill -STOP "$WORKER"  # frozen mid-batch while redis goes away
REDIS_PID=$(cat "$PRIVATE_REDIS")
kill -TERM "$REDIS_PID"
wait_for 10 sh -c "! kill -0 $REDIS_PID 2>/dev/null"
before=$(grep -c ': badge ' "$T/w4.log")
kill -CONT "$WORKER"
echo "redis stopped after $before events"
wait_for 15 grep -q "badge store" "$T/w4.log"
check "3: failed writes are retried" grep -q "retried (badge store" "$T/w4.log"
sleep 2
check "3: no badge is acked while redis is down" test "$(grep -c ': badge ' "$T/w4.log")" -le $((before + 2))
redis_start
check "3: redis restarted" redis-cli -p "$R_PORT" ping
expect_all 3
check "3: events were still in flight when redis stopped" test "$before" -lt "${#REPOS[@]}"
stop_worker 3
no_dead_letters 3
kill -TERM "$(cat "$PRIVATE_REDIS")" 2>/dev/null

# --- 4. poison event dead-lettered with its reason while the others flow ---------------------
echo "== 4. poison event"
use s4 "redis://127.0.0.1:$REDIS_PORT/13"
redis-cli -p "$REDIS_PORT" -n 13 FLUSHDB >/dev/null
POISON=deadbeefdeadbeefdeadbeefdeadbeefdeadbeef
export PROVBADGE_QUEUE_MAX_ATTEMPTS=3
"$PB" enqueue --config "$CONFIG" --repo acme/tiny-llama --revision $POISON >"$T/poison.out"
check "4: poison enqueued" grep -q "^enqueued acme/tiny-llama@deadbee" "$T/poison.out"
enqueue_all
timeout 60 "$PB" worker --config "$CONFIG" --until-idle 2>"$T/w5.log"
check "4: worker drains the queue" test $? -eq 0
expect_all 4
dead=$("$PB" dead-letters --config "$CONFIG" 2>&1)
echo "$dead"
check "4: exactly one dead letter" test "$(grep -c 'attempts=' <<<"$dead")" -eq 1
check "4: it is the poison event" grep -q "attempts=3 .*acme/tiny-llama@$POISON" <<<"$dead"
check "4: reason names the delivery limit" grep -q "delivery_limit: 3 attempts" <<<"$dead"
check "4: reason names the missing revision" grep -q "last error: .*$POISON: no such revision" <<<"$dead"
check "4: poison retried 3 times" test "$(grep -c 'acme/tiny-llama@deadbee: retried' "$T/w5.log")" -eq 3
out=$("$PB" badge --config "$CONFIG" --revision $POISON acme/tiny-llama 2>&1)
check "4: no badge for the poison revision" test -z "$(grep -E '  (verified|unverified|failed)  ' <<<"$out")"
unset PROVBADGE_QUEUE_MAX_ATTEMPTS

# --- 5. an older event after a newer one never moves the ref back ----------------------------
echo "== 5. ordering"
use s5 "redis://127.0.0.1:$REDIS_PORT/14"
redis-cli -p "$REDIS_PORT" -n 14 FLUSHDB >/dev/null
OLD=$(sed -n 's/.*"main": *"\([0-9a-f]*\)".*/\1/p' "$T/hub/acme/tiny-llama/refs.json")      # verified
NEW=$(sed -n 's/.*"main": *"\([0-9a-f]*\)".*/\1/p' "$T/hub/acme/tiny-llama-unsigned/refs.json")  # unverified
mkdir -p "$T/hub/acme/orderly"
cp -r "$T/hub/acme/tiny-llama/$OLD" "$T/hub/acme/tiny-llama-unsigned/$NEW" "$T/hub/acme/orderly/"
printf '{"main": "%s"}\n' "$NEW" >"$T/hub/acme/orderly/refs.json"
"$PB" enqueue --config "$CONFIG" --repo acme/orderly --revision "$NEW" --ref main >/dev/null
timeout 60 "$PB" worker --config "$CONFIG" --until-idle 2>"$T/w6.log"
seq_new=$(redis-cli -p "$REDIS_PORT" -n 14 HGET "provbadge:ref:{acme/orderly}:main" seq)
check "5: main points at the newer commit" test "$(redis-cli -p "$REDIS_PORT" -n 14 HGET "provbadge:ref:{acme/orderly}:main" commit)" = "$NEW"
"$PB" enqueue --config "$CONFIG" --repo acme/orderly --revision "$OLD" --ref main --seq 1000 >/dev/null
"$PB" enqueue --config "$CONFIG" --repo acme/orderly --revision "$NEW" --ref main --seq 1001 >/dev/null
timeout 60 "$PB" worker --config "$CONFIG" --until-idle 2>"$T/w7.log"
check "5: the older events were processed" test "$(grep -c 'acme/orderly@.*: badge ' "$T/w7.log")" -eq 2
out=$("$PB" badge --config "$CONFIG" acme/orderly 2>&1)
echo "$out"
check "5: main badge stays on the newer commit" grep -qE "^acme/orderly@${NEW:0:7}  unverified" <<<"$out"
check "5: ref seq unchanged" test "$(redis-cli -p "$REDIS_PORT" -n 14 HGET "provbadge:ref:{acme/orderly}:main" seq)" = "$seq_new"
check "5: newer commit's badge keeps its seq" test "$(redis-cli -p "$REDIS_PORT" -n 14 HGET "provbadge:badge:{acme/orderly}:$NEW" seq)" = "$seq_new"
out=$("$PB" badge --config "$CONFIG" --revision "$OLD" acme/orderly 2>&1)
check "5: the older commit has its own badge" grep -qE "^acme/orderly@${OLD:0:7}  verified" <<<"$out"
no_dead_letters 5

echo "worker_faults_real_test: $pass passed, $fail failed"
test "$fail" -eq 0
