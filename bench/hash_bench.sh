#!/usr/bin/env bash
# hash_bench: `provbadge hash` against sha256sum and `openssl dgst -sha256` run in parallel on
# all cores, over one synthetic model (4 files, 2 GiB by default) built once in /tmp and
# deleted afterwards. The page cache is warmed first, so this measures hashing, not the disk.
# Each tool runs 3 times, interleaved; the best wall time counts. Peak RSS from /usr/bin/time -v.
#
# usage: bench/hash_bench.sh [path/to/provbadge] [total MiB, default 2048]
set -euo pipefail

PROVBADGE=${1:-build/worker/provbadge}
TOTAL_MIB=${2:-2048}
RUNS=3
CORES=$(nproc)
[ -x "$PROVBADGE" ] || { echo "hash_bench: $PROVBADGE is not executable (build target provbadge)" >&2; exit 2; }
[ -x /usr/bin/time ] || { echo "hash_bench: /usr/bin/time missing (scripts/setup installs 'time')" >&2; exit 2; }

DIR=$(mktemp -d /tmp/provbadge-hash-bench.XXXXXX)
TIMES=$(mktemp /tmp/provbadge-hash-bench-time.XXXXXX)
trap 'rm -rf "$DIR" "$TIMES"' EXIT

PER_MIB=$((TOTAL_MIB / 4))
echo "hash_bench: building a ${TOTAL_MIB} MiB model of 4 files in $DIR"
for i in 1 2 3 4; do
  openssl rand -out "$DIR/model-0000$i-of-00004.safetensors" $((PER_MIB * 1024 * 1024))
done
BYTES=$((PER_MIB * 4 * 1024 * 1024))
cat "$DIR"/*.safetensors > /dev/null  # warm the page cache

# run NAME CMD...: wall seconds (best so far in BEST[NAME]) and peak RSS KiB in RSS[NAME].
declare -A BEST RSS
run() {
  local name=$1
  shift
  local t0 t1 secs kib
  t0=$(date +%s.%N)
  /usr/bin/time -v -o "$TIMES" "$@" > /dev/null
  t1=$(date +%s.%N)
  secs=$(echo "$t1 - $t0" | bc -l)
  kib=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$TIMES")
  if [ -z "${BEST[$name]:-}" ] || [ "$(echo "$secs < ${BEST[$name]}" | bc -l)" = 1 ]; then
    BEST[$name]=$secs
  fi
  if [ -z "${RSS[$name]:-}" ] || [ "$kib" -gt "${RSS[$name]}" ]; then RSS[$name]=$kib; fi
}

openssl_parallel() {
  printf '%s\0' "$DIR"/*.safetensors | xargs -0 -P "$CORES" -n 1 openssl dgst -sha256
}
export -f openssl_parallel
export DIR CORES

for _ in $(seq "$RUNS"); do
  run provbadge "$PROVBADGE" hash "$DIR"
  run sha256sum sha256sum "$DIR"/*.safetensors
  run openssl bash -c openssl_parallel
done

mbs() { echo "scale=0; $BYTES / $1 / 1000000" | bc -l; }
echo
echo "model: $((BYTES / 1024 / 1024)) MiB in 4 files, $CORES cores, page cache warm, best of $RUNS"
printf '%-28s %8s %10s %12s\n' tool seconds "MB/s" "peak RSS"
printf '%-28s %8.2f %10s %9s KiB\n' "provbadge hash" "${BEST[provbadge]}" "$(mbs "${BEST[provbadge]}")" "${RSS[provbadge]}"
printf '%-28s %8.2f %10s %9s KiB\n' "sha256sum" "${BEST[sha256sum]}" "$(mbs "${BEST[sha256sum]}")" "${RSS[sha256sum]}"
printf '%-28s %8.2f %10s %9s KiB\n' "openssl dgst x$CORES (parallel)" "${BEST[openssl]}" "$(mbs "${BEST[openssl]}")" "${RSS[openssl]}"
vs_openssl=$(echo "scale=2; ${BEST[openssl]} / ${BEST[provbadge]}" | bc -l)
vs_sha=$(echo "scale=2; ${BEST[sha256sum]} / ${BEST[provbadge]}" | bc -l)
echo
echo "provbadge / parallel openssl throughput: $vs_openssl (goal >= 0.90)"
echo "provbadge / sha256sum throughput:        $vs_sha (goal >= 1.80)"
echo "provbadge peak RSS: $((RSS[provbadge] / 1024)) MiB (goal < 64)"
