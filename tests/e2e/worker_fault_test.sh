#!/usr/bin/env bash
# Fault tests through the real `provbadge worker` on the embedded (SQLite) queue and store:
#  1. SIGKILL in the middle of a batch, then a restart: every event ends with exactly its
#     correct badge, nothing is dead-lettered, nothing is lost.
#  2. The serving worker: /healthz, /readyz, the hub webhook (secret checked, event queued and
#     verified), then SIGTERM: it drains and exits 0, and /readyz is gone.
# Usage: worker_fault_test.sh PROVBADGE_BINARY SOURCE_DIR
set -uo pipefail
PB=$1
SRC=$2
T=$(mktemp -d)
WORKER_PID=
cleanup() {
  if [ -n "$WORKER_PID" ]; then kill -9 "$WORKER_PID" 2>/dev/null; fi
  rm -rf "$T"
}
trap cleanup EXIT
export PROVBADGE_QUEUE_PATH=$T/queue.db PROVBADGE_STORE_PATH=$T/badges.db
export PROVBADGE_HTTP_LISTEN=127.0.0.1:0 PROVBADGE_WORKER_THREADS=1
export PROVBADGE_QUEUE_RETRY_BASE_MS=50
CONFIG=$SRC/examples/demo.json
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

repos=(acme/tiny-llama acme/tiny-llama-tampered acme/tiny-llama-unsigned
  acme/tiny-llama-impostor mallory/tiny-llama-copy)
expect_badges() {
  local out
  out=$("$PB" badge --config "$CONFIG" "${repos[@]}")
  echo "$out"
  check "$1: verified" grep -qE '^acme/tiny-llama@[0-9a-f]{7}  verified  ' <<<"$out"
  check "$1: tampered failed" grep -qE '^acme/tiny-llama-tampered@[0-9a-f]{7}  failed  .*model\.safetensors' <<<"$out"
  check "$1: unsigned" grep -qE '^acme/tiny-llama-unsigned@[0-9a-f]{7}  unverified' <<<"$out"
  check "$1: impostor" grep -qE '^acme/tiny-llama-impostor@[0-9a-f]{7}  failed' <<<"$out"
  check "$1: uncovered" grep -qE '^mallory/tiny-llama-copy@[0-9a-f]{7}  unverified' <<<"$out"
}

# --- 1. SIGKILL mid-batch, restart ---------------------------------------------------------
# A batch large enough that the kill lands while events are still queued (one event takes ~1 ms).
for round in $(seq 1 60); do
  for r in "${repos[@]}"; do "$PB" enqueue --config "$CONFIG" --repo "$r" >/dev/null || fail=$((fail + 1)); done
done
"$PB" worker --config "$CONFIG" >"$T/w1.out" 2>"$T/w1.log" &
WORKER_PID=$!
wait_for 30 grep -q "badge" "$T/w1.log"
check "first worker processed some events" grep -q "badge" "$T/w1.log"
kill -9 "$WORKER_PID"
wait "$WORKER_PID" 2>/dev/null
WORKER_PID=
done_before=$(grep -c "badge" "$T/w1.log")
echo "killed after $done_before of 300 events"
"$PB" worker --config "$CONFIG" --until-idle 2>"$T/w2.log"
check "restarted worker drains the queue" test $? -eq 0
done_after=$(grep -c "badge" "$T/w2.log")
# (An event acked just before the kill may miss its log line, so counts are only shown.)
echo "restarted worker processed $done_after events"
check "the restarted worker had work left" test "$done_after" -gt 0
expect_badges "after SIGKILL"
dead=$("$PB" dead-letters --config "$CONFIG")
check "nothing dead-lettered" test -z "$(grep -v '^no dead letters' <<<"$dead" | grep -v '^$')"

# --- 2. serving worker: readyz, webhook, SIGTERM ---------------------------------------------
export PROVBADGE_HTTP_WEBHOOK_SECRET=hook-s3cret
"$PB" worker --config "$CONFIG" >"$T/w3.out" 2>"$T/w3.log" &
WORKER_PID=$!
wait_for 30 grep -q "serving http on port" "$T/w3.out"
PORT=$(sed -n 's/.*serving http on port \([0-9]*\).*/\1/p' "$T/w3.out")
check "worker reports its port" test -n "$PORT"
URL=http://127.0.0.1:$PORT
check "healthz 200" test "$(curl -s -o /dev/null -w '%{http_code}' "$URL/healthz")" = 200
check "readyz 200" test "$(curl -s -o /dev/null -w '%{http_code}' "$URL/readyz")" = 200
commit=$(sed -n 's/.*"main": *"\([0-9a-f]*\)".*/\1/p' "$SRC/examples/hub/acme/tiny-llama-unsigned/refs.json")
payload='{"event":{"action":"update","scope":"repo.content"},"repo":{"type":"model","name":"acme/tiny-llama-unsigned","id":"r-unsigned","headSha":"'$commit'"},"updatedRefs":[{"ref":"refs/heads/dev","oldSha":null,"newSha":"'$commit'"}],"webhook":{"id":"w-e2e","version":3}}'
code=$(curl -s -o "$T/hook.json" -w '%{http_code}' -X POST -H 'X-Webhook-Secret: wrong' --data "$payload" "$URL/v1/hooks/hub")
check "webhook wrong secret 401" test "$code" = 401
code=$(curl -s -o "$T/hook.json" -w '%{http_code}' -X POST -H 'X-Webhook-Secret: hook-s3cret' \
  -H 'Content-Type: application/json' --data "$payload" "$URL/v1/hooks/hub")
check "webhook accepted 202" test "$code" = 202
big=$(head -c 20000 /dev/zero | tr '\0' ' ')
code=$(curl -s -o /dev/null -w '%{http_code}' -X POST -H 'X-Webhook-Secret: hook-s3cret' --data "{\"pad\":\"$big\"}" "$URL/v1/hooks/hub")
check "webhook takes bodies over 16 KiB (then 400 for the payload)" test "$code" = 400
code=$(curl -s -o /dev/null -w '%{http_code}' -X POST --data "{\"pad\":\"$big\"}" "$URL/v1/badges/acme/x")
check "other routes still limit bodies to 16 KiB" test "$code" = 413
wait_for 30 sh -c "grep -q 'acme/tiny-llama-unsigned@.*badge' '$T/w3.log'"
check "webhook event verified" grep -q "acme/tiny-llama-unsigned@${commit:0:7}: badge unverified" "$T/w3.log"
check "webhook ref readable" sh -c "curl -sf '$URL/v1/badges/acme/tiny-llama-unsigned?revision=$commit' | grep -q unverified"
check "metrics count the webhook" sh -c "curl -s '$URL/metrics' | grep -q 'provbadge_webhook_deliveries_total{result=\"accepted\"} 1'"
kill -TERM "$WORKER_PID"
status=0
wait_for 20 sh -c "! kill -0 $WORKER_PID 2>/dev/null" || status=1
check "SIGTERM stops the worker in time" test $status -eq 0
wait "$WORKER_PID"
check "SIGTERM exit 0" test $? -eq 0
WORKER_PID=
check "worker logged its stop" grep -q "worker stopped" "$T/w3.log"

echo "worker_fault_test: $pass passed, $fail failed"
test "$fail" -eq 0
