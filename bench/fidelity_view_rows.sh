#!/usr/bin/env bash
# The check rows of the zero-copy reads (bench/README.md, "Zero-copy source reads"): each row
# exactly, round-robin, 3 passes, so a loaded machine affects all rows alike. Prints the pass,
# the row, M weights per CPU-second, 1-thread and all-cores M/s, GB/s read (1 thread / all) and
# the read-only streaming bandwidth of that run.
# Usage: bench/fidelity_view_rows.sh [fidelity_bench binary (default build/bench/fidelity_bench)]
set -euo pipefail
bench=${1:-build/bench/fidelity_bench}
rows=("Q8_0 check" "Q8_0 check copy" "Q8_0 check file pread" "Q8_0 check file mmap"
      "Q4_0 check" "Q4_0 check copy" "Q4_0 check file pread" "Q4_0 check file mmap")
for pass in 1 2 3; do
  for r in "${rows[@]}"; do
    out=$("$bench" 4 "$r=")
    bw=$(echo "$out" | grep "read-only" | sed 's/.*1 thread \([0-9.]*\) GB.s, [0-9]* threads \([0-9.]*\).*/\1\/\2/')
    echo "$out" | grep -E "^$r  " | awk -v p="$pass" -v bw="$bw" -v r="$r" '{
      n = split(r, a, " ");
      print p " | " r " | cpu-s " $(n + 4) " | 1t " $(n + 1) " | all " $(n + 2) " | GB/s " \
            $(n + 5) "/" $(n + 6) " | rd-bw " bw " | " $(n + 7) }'
  done
done
