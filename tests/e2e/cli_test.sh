#!/usr/bin/env bash
# End to end through the real `provbadge` binary: enqueue every example revision, run the
# worker until the queue is drained, read the badges back; verify-model exit codes; the
# publisher tools (sign, attest, verify-verdict) and the example lineage chain; bad config.
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
  acme/tiny-llama-impostor mallory/tiny-llama-copy
  acme/tiny-llama-base acme/tiny-llama-chat quantlab/tiny-llama-chat-GGUF
  community/tiny-llama-base-GGUF quantlab/tiny-llama-chat-GGUF-rogue
  quantlab/tiny-llama-chat-GGUF-mismatch quantlab/tiny-llama-chat-GGUF-branch)
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
# The lineage chain made by examples/make-hub with sign/attest.
check "trained base verified" grep -qE '^acme/tiny-llama-base@[0-9a-f]{7}  verified  Signed by acme, verified' <<<"$out"
check "fine-tune verified" grep -qE '^acme/tiny-llama-chat@[0-9a-f]{7}  verified  Fine-tuned from acme/tiny-llama-base@[0-9a-f]{7}, verified' <<<"$out"
check "quantization verified" grep -qE '^quantlab/tiny-llama-chat-GGUF@[0-9a-f]{7}  verified  Quantized from acme/tiny-llama-chat@[0-9a-f]{7}, verified' <<<"$out"
check "unattested GGUF unverified quantization" grep -qE '^community/tiny-llama-base-GGUF@[0-9a-f]{7}  unverified  Unverified quantization' <<<"$out"
check "disallowed builder failed" grep -qE '^quantlab/tiny-llama-chat-GGUF-rogue@[0-9a-f]{7}  failed  ' <<<"$out"
check "parent digest mismatch failed" grep -qE '^quantlab/tiny-llama-chat-GGUF-mismatch@[0-9a-f]{7}  failed  .*model\.safetensors' <<<"$out"
check "branch parent failed" grep -qE '^quantlab/tiny-llama-chat-GGUF-branch@[0-9a-f]{7}  failed  .*not pinned' <<<"$out"

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

# Publisher tools: sign (key, certificate, shards) is accepted by verify-model.
K=$SRC/examples/keys
PKI=$SRC/../shared/vectors/model-signing/keys/certificate
M=$T/model
mkdir -p "$M"
printf 'weights' >"$M/model.safetensors"
printf '{}' >"$M/config.json"
"$PB" sign "$M" --key "$K/acme.pem" >/dev/null
check "sign key exit 0" test $? -eq 0
"$PB" verify-model key "$M" --signature "$M/model.sig" --public-key "$K/acme.pub.pem" >/dev/null
check "verify-model accepts sign (key)" test $? -eq 0
"$PB" sign "$M" --key "$K/acme.pem" --shard-size 3 >/dev/null
"$PB" verify-model key "$M" --signature "$M/model.sig" --public-key "$K/acme.pub.pem" >/dev/null
check "verify-model accepts sign (shards)" test $? -eq 0
"$PB" sign-model key "$M" --private-key "$K/acme.pem" >/dev/null
"$PB" verify-model key "$M" --signature "$M/model.sig" --public-key "$K/acme.pub.pem" >/dev/null
check "sign-model key still works" test $? -eq 0
if [ -d "$PKI" ]; then
  "$PB" sign "$M" --key "$PKI/signing-key.pem" \
    --certificate-chain "$PKI/signing-key-cert.pem" "$PKI/int-ca-cert.pem" >/dev/null
  check "sign certificate exit 0" test $? -eq 0
  "$PB" verify-model certificate "$M" --signature "$M/model.sig" \
    --certificate-chain "$PKI/ca-cert.pem" >/dev/null
  check "verify-model accepts sign (certificate)" test $? -eq 0
  "$PB" sign "$M" --key "$K/acme.pem" --certificate-chain "$PKI/signing-key-cert.pem" 2>"$T/leaf.txt"
  check "sign refuses a leaf of another key" test $? -eq 2
  check "sign names the leaf" grep -q "leaf" "$T/leaf.txt"
fi
"$PB" sign "$M" --key "$K/acme.pub.pem" 2>/dev/null
check "sign with a public key exit 2" test $? -eq 2

# attest: appends one signed line; refuses a branch parent, a missing subject, a bad param.
P=$T/parent
mkdir -p "$P" "$T/q"
printf 'parent weights' >"$P/model.safetensors"
printf 'sig' >"$P/model.sig"
printf 'gguf' >"$T/q/m.gguf"
C=0123456789abcdef0123456789abcdef01234567
attest_q() { "$PB" attest --build-type quantize --subject "$T/q/m.gguf" --parent-dir "$P" \
  --param method=Q4_K_M --param format=gguf --key "$K/quantlab.pem" "$@"; }
attest_q --parent "hf://acme/base@$C" >/dev/null 2>&1
check "attest exit 0" test $? -eq 0
attest_q --parent "hf://acme/base@$C" >/dev/null 2>&1
check "attest appends" test "$(wc -l <"$T/q/provenance.intoto.jsonl")" -eq 2
python3 - "$T/q/provenance.intoto.jsonl" "$C" <<'PY'
import base64, json, sys
env = json.loads(open(sys.argv[1]).readline())
st = json.loads(base64.b64decode(env["payload"]))
deps = st["predicate"]["buildDefinition"]["resolvedDependencies"]
assert env["payloadType"] == "application/vnd.in-toto+json"
assert st["predicateType"] == "https://slsa.dev/provenance/v1"
assert st["subject"][0]["name"] == "m.gguf"
assert deps[0] == {"uri": "hf://acme/base@" + sys.argv[2], "digest": {"gitCommit": sys.argv[2]}}
assert [d["uri"].rsplit("/", 1)[1] for d in deps[1:]] == ["model.safetensors"]  # not model.sig
PY
check "attest statement shape" test $? -eq 0
attest_q --parent "hf://acme/base@main" 2>"$T/branch.txt"
check "attest refuses a branch parent" test $? -eq 2
check "attest says why" grep -q "silent rebase" "$T/branch.txt"
check "refused line not written" test "$(wc -l <"$T/q/provenance.intoto.jsonl")" -eq 2
attest_q --parent "hf://acme/base@$C" --subject "$T/q/missing.gguf" 2>/dev/null
check "attest refuses a missing subject" test $? -eq 2
attest_q --parent "hf://acme/base@$C" --param "bad key=1" 2>/dev/null
check "attest refuses a bad param" test $? -eq 2
"$PB" attest --build-type quantize --subject "$T/q/m.gguf" --parent "hf://acme/base@$C" \
  --parent-dir "$P" --key "$K/quantlab.pem" 2>/dev/null
check "attest refuses a quantize without method" test $? -eq 2

# verify-verdict on a VSA made independently (python3 + openssl): authentic, tampered, wrong
# key, wrong subject, malformed.
vsa() {  # vsa STATE RESULT OUT
  python3 - "$K/verdict.pem" "$1" "$2" "$3" "$T" <<'PY'
import base64, json, subprocess, sys
key, state, result, out, tmp = sys.argv[1:6]
c = "0123456789abcdef0123456789abcdef01234567"
uri = "hf://quantlab/tiny@" + c
st = {"_type": "https://in-toto.io/Statement/v1",
      "subject": [{"name": uri, "digest": {"gitCommit": c}}],
      "predicateType": "https://slsa.dev/verification_summary/v1",
      "predicate": {"verifier": {"id": "https://provbadge.dev/verifier/v1"},
                    "timeVerified": "2026-01-01T00:00:00Z", "resourceUri": uri,
                    "policy": {"digest": {"sha256": "ab" * 32}},
                    "verificationResult": result, "verifiedLevels": [], "slsaVersion": "1.0",
                    "provbadge": {"state": state, "label": "x", "message": "y"}}}
body = json.dumps(st).encode()
t = b"application/vnd.in-toto+json"
open(tmp + "/pae", "wb").write(b"DSSEv1 %d %s %d %s" % (len(t), t, len(body), body))
sig = subprocess.run(["openssl", "dgst", "-sha256", "-sign", key, tmp + "/pae"],
                     check=True, capture_output=True).stdout
json.dump({"payloadType": t.decode(), "payload": base64.b64encode(body).decode(),
           "signatures": [{"keyid": "", "sig": base64.b64encode(sig).decode()}]}, open(out, "w"))
PY
}
vsa verified PASSED "$T/vsa.json"
"$PB" verify-verdict --envelope "$T/vsa.json" --key "$K/verdict.pub.pem" --repo quantlab/tiny \
  --commit "$C" --require-verified >"$T/vv.txt"
check "verify-verdict authentic exit 0" test $? -eq 0
check "verify-verdict prints the state" grep -q "verified" "$T/vv.txt"
"$PB" verify-verdict --envelope "$T/vsa.json" --key "$K/verdict.pub.pem" --json >"$T/vv.json"
check "verify-verdict --json" grep -q '"authentic":true' "$T/vv.json"
"$PB" verify-verdict --envelope "$T/vsa.json" --key "$K/verdict.pub.pem" --repo quantlab/other >/dev/null
check "verify-verdict wrong repo exit 1" test $? -eq 1
"$PB" verify-verdict --envelope "$T/vsa.json" --key "$K/verdict.pub.pem" --repo quantlab/tiny \
  --commit "${C%?}8" >/dev/null
check "verify-verdict wrong commit exit 1" test $? -eq 1
"$PB" verify-verdict --envelope "$T/vsa.json" --key "$K/acme.pub.pem" >/dev/null
check "verify-verdict wrong key exit 1" test $? -eq 1
python3 - "$T/vsa.json" "$T/vsa-bad.json" <<'PY'
import base64, json, sys
env = json.load(open(sys.argv[1]))
body = bytearray(base64.b64decode(env["payload"]))
body[body.index(b"x")] = ord("z")  # one byte of the label
env["payload"] = base64.b64encode(bytes(body)).decode()
json.dump(env, open(sys.argv[2], "w"))
PY
"$PB" verify-verdict --envelope "$T/vsa-bad.json" --key "$K/verdict.pub.pem" >/dev/null
check "verify-verdict one changed byte exit 1" test $? -eq 1
echo '{"payloadType": 1}' >"$T/vsa-malformed.json"
"$PB" verify-verdict --envelope "$T/vsa-malformed.json" --key "$K/verdict.pub.pem" >/dev/null
check "verify-verdict malformed exit 1" test $? -eq 1
vsa failed FAILED "$T/vsa-failed.json"
"$PB" verify-verdict --envelope "$T/vsa-failed.json" --key "$K/verdict.pub.pem" >/dev/null
check "verify-verdict authentic FAILED verdict exit 0" test $? -eq 0
"$PB" verify-verdict --envelope "$T/vsa-failed.json" --key "$K/verdict.pub.pem" --require-verified >/dev/null
check "verify-verdict --require-verified on FAILED exit 1" test $? -eq 1

# The example lineage chain (examples/make-hub) through `provbadge verify`.
H=$SRC/examples/hub
chain_state() {  # chain_state ORG/NAME: prints "state|label"
  "$PB" verify "$(echo "$H/$1"/*/)" --hub "$H" --policy "$SRC/examples/policy.json" --json 2>/dev/null |
    python3 -c 'import json,sys; b=json.load(sys.stdin)["badge"]; print(b["state"] + "|" + b["label"])'
}
check "base verified" grep -q '^verified|Signed by acme' <<<"$(chain_state acme/tiny-llama-base)"
check "verify: fine-tune verified" grep -q '^verified|Fine-tuned from acme/tiny-llama-base@' <<<"$(chain_state acme/tiny-llama-chat)"
check "GGUF verified" grep -q '^verified|Quantized from acme/tiny-llama-chat@' <<<"$(chain_state quantlab/tiny-llama-chat-GGUF)"
check "unattested GGUF" grep -q '^unverified|Unverified quantization' <<<"$(chain_state community/tiny-llama-base-GGUF)"
check "rogue builder failed" grep -q '^failed|' <<<"$(chain_state quantlab/tiny-llama-chat-GGUF-rogue)"
check "verify: parent digest mismatch failed" grep -q '^failed|.*model.safetensors' <<<"$(chain_state quantlab/tiny-llama-chat-GGUF-mismatch)"
check "verify: branch parent failed" grep -q '^failed|.*not pinned' <<<"$(chain_state quantlab/tiny-llama-chat-GGUF-branch)"

# provbadge fidelity on the GGUF vectors: exit 0 only when faithful; the same report on any
# number of threads; bad flags exit 2.
G=$SRC/../shared/vectors/gguf
"$PB" fidelity --source "$G" --gguf "$G/tiny-Q8_0.gguf" >"$T/fid.txt"
check "fidelity faithful exit 0" test $? -eq 0
check "fidelity names the tier" grep -q "bit-exact" "$T/fid.txt"
"$PB" fidelity --source "$G" --gguf "$G/tiny-Q4_K_M-tampered.gguf" --json --threads 1 >"$T/fid1.json"
check "fidelity tampered exit 1" test $? -eq 1
check "fidelity tampered not faithful" grep -q '"verdict": "not_faithful"' "$T/fid1.json"
"$PB" fidelity --source "$G" --gguf "$G/tiny-Q4_K_M-tampered.gguf" --json --threads 3 >"$T/fid3.json"
check "fidelity --threads 3 exit 1" test $? -eq 1
check "fidelity same report on 1 and 3 threads" cmp -s "$T/fid1.json" "$T/fid3.json"
"$PB" fidelity --source "$G" --gguf "$G/tiny-Q8_0.gguf" --threads 0 2>/dev/null
check "fidelity --threads 0 exit 2" test $? -eq 2
"$PB" fidelity --source "$T/nowhere" --gguf "$G/tiny-Q8_0.gguf" 2>/dev/null
check "fidelity missing source exit 2" test $? -eq 2

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
