#!/usr/bin/env bash
# MLPKit against PyTorch, side by side on this machine: the seed's Model 3 (784-128x7-10,
# sigmoid, SGD), one BLAS thread each, alternating the two programs ROUNDS times per batch
# size so both see the same machine. Prints every run and the medians.
#   benchmarks/compare.sh [ROUNDS=3]        (needs: pip install torch==2.13.0 numpy)
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-3}
swift build -c release --product mlpbench >&2
python3 -c "import torch" 2>/dev/null || { echo "compare.sh: PyTorch missing: pip install torch==2.13.0 numpy" >&2; exit 1; }

median() { sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }

printf "%-6s %-8s %s\n" batch program "samples/s"
for batch in 512 64; do
    swift_runs=(); torch_runs=()
    for ((r = 0; r < rounds; r++)); do
        s=$(.build/release/mlpbench batches=$batch seconds=4 threads=1 | awk -v b=$batch '$1 == b {print $2}')
        t=$(python3 benchmarks/pytorch_reference.py --speed-only batch_size=$batch threads=1 steps=$((batch == 512 ? 400 : 2000)) --json 2>/dev/null \
            | python3 -c "import json,sys; print(round(json.loads(sys.stdin.readlines()[-1])['samples_per_s']))")
        printf "%-6s %-8s %s\n" "$batch" mlpkit "$s"
        printf "%-6s %-8s %s\n" "$batch" pytorch "$t"
        swift_runs+=("$s"); torch_runs+=("$t")
    done
    sm=$(printf "%s\n" "${swift_runs[@]}" | median)
    tm=$(printf "%s\n" "${torch_runs[@]}" | median)
    awk -v b="$batch" -v s="$sm" -v t="$tm" 'BEGIN {printf "batch %s: median MLPKit %.0f, PyTorch %.0f samples/s: %.2fx\n", b, s, t, s / t}'
done
