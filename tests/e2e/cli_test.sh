#!/usr/bin/env bash
# End to end through the real `provbadge` binary: enqueue every example revision, run the
# worker until the queue is drained, read the badges back; verify-model exit codes; bad config.
# Usage: cli_test.sh PROVBADGE_BINARY SOURCE_DIR
set -uo pipefail
PB=$1
SRC=$2
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
export PROVBADGE_QUEUE_PATH=$T/queue.db PROVBADGE_STORE_PATH=$T/badges.db
CONFIG=$SRC/examples/demo.json
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

repos=(acme/tiny-llama acme/tiny-llama-tampered acme/tiny-llama-unsigned
  acme/tiny-llama-impostor mallory/tiny-llama-copy)
for r in "${repos[@]}"; do "$PB" enqueue --config "$CONFIG" --repo "$r" >/dev/null || fail=$((fail + 1)); done
"$PB" worker --config "$CONFIG" --until-idle 2>"$T/worker.log"
check "worker exits 0" test $? -eq 0

out=$("$PB" badge --config "$CONFIG" "${repos[@]}")
check "badge exit 0" test $? -eq 0
echo "$out"
check "verified line" grep -qE '^acme/tiny-llama@[0-9a-f]{7}  verified  ' <<<"$out"
check "tampered failed naming the file" grep -qE '^acme/tiny-llama-tampered@[0-9a-f]{7}  failed  .*model\.safetensors' <<<"$out"
check "unsigned unverified" grep -qE '^acme/tiny-llama-unsigned@[0-9a-f]{7}  unverified' <<<"$out"
check "impostor failed" grep -qE '^acme/tiny-llama-impostor@[0-9a-f]{7}  failed' <<<"$out"
check "uncovered repo unverified" grep -qE '^mallory/tiny-llama-copy@[0-9a-f]{7}  unverified' <<<"$out"

"$PB" badge --config "$CONFIG" acme/never-uploaded >/dev/null
check "missing badge exit 1" test $? -eq 1

# verify-model: exit 0 only when verified.
good=$(echo "$SRC"/examples/hub/acme/tiny-llama/*/)
bad=$(echo "$SRC"/examples/hub/acme/tiny-llama-tampered/*/)
"$PB" verify-model key "$good" --signature "$good/model.sig" --public-key "$SRC/examples/keys/acme.pub.pem" >/dev/null
check "verify-model good exit 0" test $? -eq 0
"$PB" verify-model key "$bad" --signature "$bad/model.sig" --public-key "$SRC/examples/keys/acme.pub.pem" >"$T/bad.txt"
check "verify-model tampered exit 1" test $? -eq 1
check "verify-model names the file" grep -q "model.safetensors" "$T/bad.txt"
"$PB" verify-model key "$good" --signature "$good/model.sig" --public-key "$SRC/examples/keys/mallory.pub.pem" --json >"$T/wrong.json"
check "verify-model wrong key exit 1" test $? -eq 1
check "verify-model --json" grep -q '"verdict":"failed"' "$T/wrong.json"

# A bad config names the key and exits 2.
echo '{"queue": {"kind": "carrier-pigeon"}}' >"$T/bad.json"
"$PB" worker --config "$T/bad.json" 2>"$T/err.txt"
check "bad config exit 2" test $? -eq 2
check "bad config names the key" grep -q "queue.kind" "$T/err.txt"
PROVBADGE_HTTP_THREADS=zero "$PB" enqueue --config "$CONFIG" --repo acme/tiny-llama 2>"$T/err2.txt"
check "bad env override exit 2" test $? -eq 2
check "bad env override named" grep -q "PROVBADGE_HTTP_THREADS" "$T/err2.txt"

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
