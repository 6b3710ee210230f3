#!/usr/bin/env bash
# Two mlpbench binaries side by side: A and B alternate, ROUNDS times per batch size (which
# goes first alternates too), so both see the same machine. Prints every run and the medians.
#   benchmarks/ab.sh A/mlpbench B/mlpbench [ROUNDS=3] [mlpbench key=value ...]
# e.g. before/after a change, each built into its own scratch path:
#   swift build -c release --product mlpbench --scratch-path .build-a     (then change, -b)
#   benchmarks/ab.sh .build-a/release/mlpbench .build-b/release/mlpbench 5
set -euo pipefail
a=$1 b=$2 rounds=${3:-3}
shift 2; shift || true
median() { sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
run() { "$1" batches="$2" seconds=4 threads=1 ceiling=no "${@:3}" | awk -v b="$2" '$1 == b {print $2}'; }

printf "%-6s %-5s %-2s %s\n" batch round "" "samples/s"
for batch in 512 64; do
    a_runs=(); b_runs=()
    for ((r = 1; r <= rounds; r++)); do
        if ((r % 2)); then order="A B"; else order="B A"; fi
        for which in $order; do
            if [[ $which == A ]]; then s=$(run "$a" "$batch" "$@"); a_runs+=("$s")
            else s=$(run "$b" "$batch" "$@"); b_runs+=("$s"); fi
            printf "%-6s %-5s %-2s %s\n" "$batch" "$r" "$which" "$s"
        done
    done
    am=$(printf "%s\n" "${a_runs[@]}" | median)
    bm=$(printf "%s\n" "${b_runs[@]}" | median)
    # The machine drifts: the ratio within each round (B/A, run next to each other) too.
    rm=$(for ((i = 0; i < rounds; i++)); do awk -v a="${a_runs[i]}" -v b="${b_runs[i]}" 'BEGIN {print b / a}'; done | median)
    awk -v n="$batch" -v a="$am" -v b="$bm" -v r="$rm" \
        'BEGIN {printf "batch %s: median A %.0f, B %.0f samples/s: B/A %.3f; median of the rounds'"'"' B/A %.3f\n", n, a, b, b / a, r}'
done
