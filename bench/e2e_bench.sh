#!/usr/bin/env bash
# End-to-end benchmark of the production pipeline (not a test; run by hand):
# real RabbitMQ + Redis (private servers from tests/integration/*_up.sh), a mirror hub of R
# copies of examples/hub/acme/tiny-llama (hard links, distinct repo names), one
# `provbadge worker` (worker.threads 2, http.threads 2).
#
#   A  throughput: N attestation-only events preloaded with `provbadge enqueue` (xargs -P2)
#      while no worker runs; then the worker starts and we time the badge writes.
#   B  latency: events posted to the worker's webhook (POST /v1/hooks/hub, keep-alive) at a
#      paced RATE for SECONDS; event -> badge latency = time Redis received the badge write
#      (MONITOR, microseconds) - the event's seq (Unix ms the worker stamped at ingest).
#   C  badge reads: wrk on GET /v1/badges/{org}/{name} and, in the same run, redis-benchmark
#      HGET of the same badge field straight from Redis.
#
# Usage: bench/e2e_bench.sh [PROVBADGE_BINARY] [N] [RATE] [SECONDS]
#        defaults: build/worker/provbadge 2000 250 20
# Env: BENCH_REPOS (200), ports BENCH_REDIS_PORT (16499), BENCH_AMQP_PORT (15773),
#      BENCH_AMQPS_PORT (15774), BENCH_DIST_PORT (35773), BENCH_EPMD_PORT (14469),
#      BENCH_HTTP_PORT (18099); BENCH_HTTP_THREADS (http.threads, 2); BENCH_READ_CACHE
#      (store.read_cache, on); BENCH_PERF=FILE writes
#      the worker's perf profile during the badge reads to FILE. Installs wrk from Debian when it is missing.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN=$(realpath "${1:-$ROOT/build/worker/provbadge}")
N=${2:-2000}
RATE=${3:-250}
SECONDS_B=${4:-20}
REPOS=${BENCH_REPOS:-200}
REDIS_PORT=${BENCH_REDIS_PORT:-16499}
AMQP_PORT=${BENCH_AMQP_PORT:-15773}
AMQPS_PORT=${BENCH_AMQPS_PORT:-15774}
DIST_PORT=${BENCH_DIST_PORT:-35773}
EPMD_PORT=${BENCH_EPMD_PORT:-14469}
HTTP_PORT=${BENCH_HTTP_PORT:-18099}
HTTP_THREADS=${BENCH_HTTP_THREADS:-2}
READ_CACHE=${BENCH_READ_CACHE:-on}
COMMIT=54bff814f7b454274dd1f91e7dd998bcb5cb1e9b
SRC="$ROOT/examples/hub/acme/tiny-llama"

[ -x "$BIN" ] || { echo "e2e_bench: no provbadge binary at $BIN" >&2; exit 2; }
if ! command -v wrk >/dev/null; then
  echo "e2e_bench: installing wrk (Debian)"
  apt-get install -y wrk >/dev/null || { apt-get update >/dev/null && apt-get install -y wrk >/dev/null; }
fi
for t in redis-server redis-cli redis-benchmark python3 wrk; do
  command -v "$t" >/dev/null || { echo "e2e_bench: $t is required" >&2; exit 2; }
done

T=$(mktemp -d /tmp/provbadge-e2e-bench.XXXXXX)
WORKER_PID=""
MON_PID=""
cleanup() {
  set +e
  [ -n "$MON_PID" ] && kill "$MON_PID" 2>/dev/null && wait "$MON_PID" 2>/dev/null
  if [ -n "$WORKER_PID" ]; then
    kill -TERM "$WORKER_PID" 2>/dev/null
    for _ in $(seq 100); do kill -0 "$WORKER_PID" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$WORKER_PID" 2>/dev/null
  fi
  sh "$ROOT/tests/integration/redis_down.sh" "$T/redis" >/dev/null 2>&1
  bash "$ROOT/tests/integration/rabbitmq_down.sh" "$T/rmq" "$EPMD_PORT" >/dev/null 2>&1
  rm -rf "$T"
}
trap cleanup EXIT INT TERM
now_ms() { date +%s%3N; }

echo "== setup: $REPOS repos, servers in $T"
mkdir -p "$T/hub/acme"
for i in $(seq 0 $((REPOS - 1))); do
  d="$T/hub/acme/m$i"
  mkdir -p "$d/$COMMIT"
  ln "$SRC/$COMMIT"/* "$d/$COMMIT/" 2>/dev/null || cp "$SRC/$COMMIT"/* "$d/$COMMIT/"
  cp "$SRC/refs.json" "$d/"
done
cp -r "$ROOT/examples/keys" "$ROOT/examples/policy.json" "$T/"
cat > "$T/cfg.json" <<EOF
{"queue": {"kind": "rabbitmq", "url": "amqp://guest:guest@127.0.0.1:$AMQP_PORT/%2f", "prefetch": 16},
 "store": {"kind": "redis", "url": "redis://127.0.0.1:$REDIS_PORT/0", "read_cache": "$READ_CACHE"},
 "hub": {"kind": "mirror", "path": "hub"},
 "http": {"listen": "127.0.0.1:$HTTP_PORT", "threads": $HTTP_THREADS, "webhook_secret": "bench-secret"},
 "worker": {"threads": 2},
 "log": {"level": "warn", "format": "text"},
 "policy": "policy.json"}
EOF
sh "$ROOT/tests/integration/redis_up.sh" "$T/redis" "$REDIS_PORT"
bash "$ROOT/tests/integration/rabbitmq_up.sh" "$T/rmq" "$AMQP_PORT" "$AMQPS_PORT" "$DIST_PORT" \
  "$EPMD_PORT"
RCLI=(redis-cli -h 127.0.0.1 -p "$REDIS_PORT")

start_monitor() {  # $1: output file
  "${RCLI[@]}" monitor > "$1" &
  MON_PID=$!
  sleep 0.3
}
stop_monitor() { kill "$MON_PID" 2>/dev/null; wait "$MON_PID" 2>/dev/null || true; MON_PID=""; }
# Badge writes (the store's Put script: EVALSHA/EVAL whose first key is a badge hash; the
# lineage cache and index scripts also run EVALSHA) seen by MONITOR.
count_writes() {
  grep -c -i -E '^[0-9.]+ \[[^]]*\] "evalsha?" "([^"\\]|\\.)*" "[0-9]+" "provbadge:badge:' "$1" || true
}

# ---- A: throughput ---------------------------------------------------------------------
echo "== A: preloading $N events with provbadge enqueue (xargs -P2)"
t0=$(now_ms)
seq 0 $((N - 1)) | awk -v r="$REPOS" '{print "acme/m" ($1 % r)}' |
  xargs -P2 -I{} "$BIN" enqueue --config "$T/cfg.json" --repo {} > "$T/enqueue.log"
t1=$(now_ms)
enq=$(grep -c '^enqueued' "$T/enqueue.log" || true)
echo "   enqueued $enq events in $(( (t1 - t0) )) ms ($(( enq * 1000 / (t1 - t0 + 1) ))/s, one process each)"
[ "$enq" -eq "$N" ] || { echo "e2e_bench: only $enq of $N events enqueued" >&2; exit 1; }

start_monitor "$T/mon_a.txt"
ws=$(now_ms)
"$BIN" worker --config "$T/cfg.json" > "$T/worker.log" 2>&1 &
WORKER_PID=$!
deadline=$(( $(now_ms) + 300000 ))
until [ "$(count_writes "$T/mon_a.txt")" -ge "$N" ]; do
  kill -0 "$WORKER_PID" 2>/dev/null || { echo "e2e_bench: worker exited" >&2; cat "$T/worker.log" >&2; exit 1; }
  [ "$(now_ms)" -lt "$deadline" ] || { echo "e2e_bench: A timed out after 300 s" >&2; exit 1; }
  sleep 0.05
done
stop_monitor
python3 - "$T/mon_a.txt" "$N" "$ws" <<'PY'
import re, sys
path, n, ws = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
pat = re.compile(r'^(\d+\.\d+) \[[^\]]*\] "(?:evalsha|eval)" "(?:[^"\\]|\\.)*" "\d+" "provbadge:badge:', re.I)
ts, states = [], {}
with open(path, errors="replace") as f:
    for line in f:
        m = pat.match(line)
        if not m: continue
        ts.append(float(m.group(1)))
        p = line.split('" "', 12)
        k = int(p[2]); st = p[4 + k]
        states[st] = states.get(st, 0) + 1
ts = ts[:n]
first, last = ts[0], ts[-1]
print(f"   A: {len(ts)} badge writes, states {states}")
print(f"   A: worker start -> last badge {last*1000 - ws:.0f} ms: {n / ((last*1000 - ws) / 1000):.0f} events/s")
print(f"   A: first -> last badge {1000*(last-first):.0f} ms: {(n - 1) / (last - first):.0f} events/s (steady state)")
PY

# ---- B: latency at a paced rate -----------------------------------------------------------
echo "== B: $RATE events/s for $SECONDS_B s through POST /v1/hooks/hub"
start_monitor "$T/mon_b.txt"
python3 - "$HTTP_PORT" "$RATE" "$SECONDS_B" "$REPOS" "$COMMIT" > "$T/post.txt" <<'PY'
import http.client, json, sys, time
port, rate, secs, repos, commit = map(str, sys.argv[1:6])
rate, secs, repos = float(rate), float(secs), int(repos)
conn = http.client.HTTPConnection("127.0.0.1", int(port), timeout=10)
total = int(rate * secs); start = time.monotonic(); bad = 0; behind = 0
for i in range(total):
    due = start + i / rate
    d = due - time.monotonic()
    if d > 0: time.sleep(d)
    elif d < -0.005: behind += 1
    body = json.dumps({"webhook": {"id": f"bench-{i}", "version": 3},
                       "event": {"action": "update", "scope": "repo.content"},
                       "repo": {"type": "model", "name": f"acme/m{i % repos}", "id": f"r{i % repos}"},
                       "updatedRefs": [{"ref": "refs/heads/main", "newSha": commit}]})
    conn.request("POST", "/v1/hooks/hub", body,
                 {"Content-Type": "application/json", "X-Webhook-Secret": "bench-secret"})
    r = conn.getresponse(); r.read()
    if r.status != 202: bad += 1
el = time.monotonic() - start
print(f"posted {total} in {el:.2f} s = {total/el:.0f}/s; non-202 {bad}; sent >5 ms late {behind}")
PY
cat "$T/post.txt" | sed 's/^/   /'
posted=$(sed -E 's/^posted ([0-9]+).*/\1/' "$T/post.txt")
deadline=$(( $(now_ms) + 120000 ))
until [ "$(count_writes "$T/mon_b.txt")" -ge "$posted" ]; do
  [ "$(now_ms)" -lt "$deadline" ] || { echo "   B: timed out waiting for badges" >&2; break; }
  sleep 0.05
done
stop_monitor
python3 - "$T/mon_b.txt" <<'PY'
import re, sys
pat = re.compile(r'^(\d+\.\d+) \[[^\]]*\] "(?:evalsha|eval)" "(?:[^"\\]|\\.)*" "\d+" "provbadge:badge:', re.I)
lat = []
with open(sys.argv[1], errors="replace") as f:
    for line in f:
        m = pat.match(line)
        if not m: continue
        p = line.split('" "', 12)
        k = int(p[2]); seq = int(p[3 + k])
        lat.append(float(m.group(1)) * 1000 - seq)
lat.sort()
q = lambda x: lat[min(len(lat) - 1, int(x * len(lat)))]
print(f"   B: {len(lat)} badges; event->badge ms p50 {q(0.50):.1f}  p90 {q(0.90):.1f}  "
      f"p99 {q(0.99):.1f}  max {lat[-1]:.1f}")
PY

# ---- C: badge reads ---------------------------------------------------------------------------
echo "== C: badge reads, same run (wrk -t2 -c32 -d10s; redis-benchmark -c32 -n200000)"
wrk_run() {  # $1: label, $2: path
  wrk -t2 -c32 -d10s --latency "http://127.0.0.1:$HTTP_PORT$2" > "$T/wrk.txt"
  printf '   wrk %-28s %s req/s  p50 %s  p90 %s  p99 %s %s\n' "$1" \
    "$(awk '/Requests\/sec/ {print $2}' "$T/wrk.txt")" \
    "$(awk '$1 == "50%" {print $2}' "$T/wrk.txt")" "$(awk '$1 == "90%" {print $2}' "$T/wrk.txt")" \
    "$(awk '$1 == "99%" {print $2}' "$T/wrk.txt")" "$(grep -E 'Non-2xx|Socket errors' "$T/wrk.txt" | tr -s ' ')"
}
rb_run() {  # $1: label, rest: the command
  local label=$1; shift
  redis-benchmark -h 127.0.0.1 -p "$REDIS_PORT" -c 32 -n 200000 --csv "$@" | tail -n 1 |
    awk -F'","' -v l="$label" '{printf "   redis-benchmark %-17s %s req/s  p50 %s ms  p99 %s ms\n", l, $2, $5, $7}'
}
if [ -n "${BENCH_PERF:-}" ]; then  # profile the worker during the badge reads
  perf record -F 499 -g -p "$WORKER_PID" -o "$T/perf.data" -- sleep 8 >/dev/null 2>&1 &
  PERF_PID=$!
fi
top -b -d 5 -n 2 > "$T/top.txt" &
TOP_PID=$!
wrk_run "GET /v1/badges/acme/m0" /v1/badges/acme/m0
wait "$TOP_PID" || true
awk '/^top -/ {n++} n == 2 && $1 ~ /^[0-9]+$/ && $9 + 0 > 5 {printf "   cpu%% during badge reads: %s %s%%\n", $12, $9}' "$T/top.txt"
if [ -n "${BENCH_PERF:-}" ]; then
  wait "$PERF_PID" || true
  perf report -i "$T/perf.data" --no-children --sort dso,symbol --stdio 2>/dev/null |
    grep -E '^ +[0-9.]+%' | sed -E 's/ +/ /g; s/ - - *$//' | head -n 25 > "$BENCH_PERF" || true
  perf report -i "$T/perf.data" --no-children --sort dso --stdio 2>/dev/null |
    grep -E '^ +[0-9.]+%' | sed -E 's/ +/ /g' | head -n 8 >> "$BENCH_PERF" || true
  echo "   perf profile of the worker: $BENCH_PERF"
fi
python3 - "$HTTP_PORT" <<'PY'  # the worker's badge read cache (Redis client-side caching)
import sys, urllib.request
text = urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[1]}/metrics", timeout=5).read().decode()
vals = {l.split()[0][len("provbadge_badge_read_cache_"):]: l.split()[1] for l in text.splitlines()
        if l.startswith("provbadge_badge_read_cache_")}
print("   read cache: " + " ".join(f"{k}={v}" for k, v in vals.items()) if vals else "   read cache: off")
PY
wrk_run "GET /healthz (no Redis)" /healthz
rb_run "HGET badge" HGET "provbadge:badge:{acme/m0}:$COMMIT" badge
# What one badge read costs the store: the ref pointer, then seq+badge+report of the commit.
rb_run "HGET ref commit" HGET "provbadge:ref:{acme/m0}:main" commit
rb_run "HMGET seq,badge,rep" HMGET "provbadge:badge:{acme/m0}:$COMMIT" seq badge report
# What one badge read costs the store since the fast path: one EVALSHA of the read-by-ref
# script (a copy of kReadRefBadgeScript in badges/src/redis_scripts.h).
READ_SHA=$("${RCLI[@]}" script load "local c = redis.call('HGET', KEYS[1], 'commit')
if not c then return false end
return redis.call('HGET', ARGV[1] .. string.gsub(c, '[%%{}]',
                  {['%'] = '%25', ['{'] = '%7B', ['}'] = '%7D'}), 'badge')")
rb_run "EVALSHA read-by-ref" EVALSHA "$READ_SHA" 1 "provbadge:ref:{acme/m0}:main" \
  "provbadge:badge:{acme/m0}:"
printf '   badge hash field sizes: badge %s B, report %s B\n' \
  "$("${RCLI[@]}" hstrlen "provbadge:badge:{acme/m0}:$COMMIT" badge)" \
  "$("${RCLI[@]}" hstrlen "provbadge:badge:{acme/m0}:$COMMIT" report)"
grep -i -E 'error|warn' "$T/worker.log" | head -5 | sed 's/^/   worker log: /' || true
