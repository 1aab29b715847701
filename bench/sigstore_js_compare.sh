#!/bin/sh
# Reference throughput of sigstore-js (npm sigstore@5: @sigstore/verify offline API, as in
# notes/sigstore.md §f) on the same conformance pass cases verify_bench uses, single thread,
# trust material built once per trusted root, bundle JSON parse included.
# Usage: bench/sigstore_js_compare.sh <sigstore-conformance dir> [seconds]
# Installs sigstore@5 into a temporary directory (npm registry needed); nothing in the repo.
set -eu
VECTORS=$(cd "${1:?usage: $0 <sigstore-conformance dir> [seconds]}" && pwd)
SECONDS_RUN=${2:-3}
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
cd "$TMP"
npm init -y >/dev/null
npm install --silent --no-audit --no-fund sigstore@5 >/dev/null 2>&1
cat > bench.js <<'JS'
const fs = require('fs');
const path = require('path');
const { TrustedRoot } = require('@sigstore/protobuf-specs');
const { Verifier, toSignedEntity, toTrustMaterial } = require('@sigstore/verify');
const { bundleFromJSON } = require('@sigstore/bundle');
const crypto = require('crypto');
const [dir, seconds] = [process.argv[2], Number(process.argv[3])];
const cases = JSON.parse(fs.readFileSync(path.join(dir, 'cases.json'))).filter(c => c.expect === 'pass');
const tms = {};
const work = cases.map(c => {
  if (!tms[c.trusted_root]) {
    tms[c.trusted_root] = toTrustMaterial(TrustedRoot.fromJSON(JSON.parse(fs.readFileSync(path.join(dir, c.trusted_root)))));
  }
  let tm = tms[c.trusted_root];
  let policy = { subjectAlternativeName: c.identity, extensions: { issuer: c.issuer } };
  if (c.key) {
    const key = crypto.createPublicKey(fs.readFileSync(path.join(dir, c.key)));
    tm = { ...tm, publicKey: () => ({ publicKey: key, validFor: () => true }) };
    policy = {};
  }
  return { name: c.name, text: fs.readFileSync(path.join(dir, c.bundle), 'utf8'),
           artifact: fs.readFileSync(path.join(dir, c.artifact)), verifier: new Verifier(tm), policy };
});
const run = w => w.verifier.verify(toSignedEntity(bundleFromJSON(JSON.parse(w.text)), w.artifact), w.policy);
for (const w of work) run(w);  // warm-up; throws if a pass case does not verify
let n = 0;
const start = process.hrtime.bigint();
let elapsed = 0;
while (elapsed < seconds) {
  for (const w of work) { run(w); n++; }
  elapsed = Number(process.hrtime.bigint() - start) / 1e9;
}
console.log(`sigstore_js cases=${work.length} verifications_per_s=${Math.round(n / elapsed)}`);
JS
node bench.js "$VECTORS" "$SECONDS_RUN"
