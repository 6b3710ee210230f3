#!/usr/bin/env bash
# The coordinator of two builds side by side: sweepbench wall-clock runs alternated between
# them, then the instructions each executes in its poll loop (valgrind's callgrind, counted
# only inside CoordinatorServer.turn) for the same simulated sweep, a figure that other load
# on the machine does not change.
#   benchmarks/sweepbench-ab.sh OLD_BUILD_DIR NEW_BUILD_DIR [rounds]
# Each BUILD_DIR holds a release `coordinator`; NEW_BUILD_DIR also `sweepbench`, which drives
# both (with legacy=1 for the old one, which has no --linger).
set -euo pipefail
old=$1 new=$2 rounds=${3:-3}
bench=$new/sweepbench
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
run() { # label coordinator extra... -> the lines that matter
    local label=$1; shift
    echo "$label: $("$bench" "$@" | grep -E "^(trials/s|metric messages/s)" \
        | awk '{ for (i = 1; i <= NF; i++) if ($i ~ /^[0-9]+$/) { n = $i; break }; printf "%s %s  ", ($1 == "metric" ? "metrics/s" : $1), n }')"
}
for round in $(seq 1 "$rounds"); do
    for which in old new; do
        if [ $which = old ]; then c=(coordinator=$old/coordinator legacy=1); else c=(coordinator=$new/coordinator); fi
        run "round $round $which dispatch (10000 x 0 epochs)" "${c[@]}" trials=10000 epochs=0 workers=200
        run "round $round $which ingest (5000 x 10 epochs)" "${c[@]}" trials=5000 epochs=10 workers=200
    done
done
# Instructions in the poll loop. valgrind 3.19 cannot read the Swift toolchain's DWARF 5, so it
# runs copies without debug information (the symbols stay).
for which in old new; do
    dir=$old; [ $which = new ] && dir=$new
    objcopy --strip-debug "$dir/coordinator" "$work/coordinator-$which"
    cat > "$work/vg-$which" <<WRAP
#!/bin/sh
case "\$1" in
  serve) exec valgrind --tool=callgrind --callgrind-out-file=$work/cg-$which-\$\$ --toggle-collect='\$s11Coordinator0A6ServerC4turnyyKF' $work/coordinator-$which "\$@" ;;
  *) exec $dir/coordinator "\$@" ;;
esac
WRAP
    chmod +x "$work/vg-$which"
done
for shape in "trials=1000 epochs=0" "trials=500 epochs=10"; do
    for which in old new; do
        extra=(); [ $which = old ] && extra=(legacy=1)
        rm -f "$work"/cg-$which-*
        "$bench" coordinator="$work/vg-$which" "${extra[@]}" $shape workers=100 > /dev/null
        echo "$which $shape: $(callgrind_annotate "$work"/cg-$which-* 2>/dev/null | awk '/PROGRAM TOTALS/ {print $1}') instructions in CoordinatorServer.turn"
    done
done
