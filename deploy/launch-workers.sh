#!/usr/bin/env bash
# Starts vgsweep workers over ssh: one line per host in HOSTS_FILE, "host [workers]".
#   deploy/launch-workers.sh hosts.txt tcp://head:5555 [worker options, e.g. --key K --server-key S]
# Each worker logs to ~/vgsweep-worker-N.log on its host and exits when the sweep is done.
set -euo pipefail
hosts_file=${1:?usage: launch-workers.sh HOSTS_FILE tcp://HEAD:PORT}
endpoint=${2:?usage: launch-workers.sh HOSTS_FILE tcp://HEAD:PORT}
shift 2
extra=$(printf ' %q' "$@")
bin=${VGSWEEP_BIN:-'$HOME/vgsweep/.build/release'}
while read -r host count; do
    [[ -z "$host" || "$host" == \#* ]] && continue
    count=${count:-1}
    for ((i = 1; i <= count; i++)); do
        ssh -n "$host" "nohup $bin/worker --connect $endpoint$extra > ~/vgsweep-worker-$i.log 2>&1 &"
    done
    echo "started $count worker(s) on $host"
done < "$hosts_file"
