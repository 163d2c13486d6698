#!/usr/bin/env bash
# Stop a private cluster started by jobs/slurm/start-slurm.sh DIR.
#
# Usage: jobs/slurm/stop-slurm.sh DIR
#   Cancels jobs still queued or running on that cluster (all of them are ours), waits a
#   little for them to end, then stops exactly the PIDs recorded in DIR/*.pid
#   (slurmd, slurmctld, munged) - nothing is killed by name.
#
# Environment:
#   LPNN_SLURM_STOP_WAIT  seconds to wait for jobs and then for each daemon (default 15)
set -uo pipefail

[[ $# -eq 1 ]] || { echo "usage: $0 DIR" >&2; exit 2; }
DIR=$1
WAIT=${LPNN_SLURM_STOP_WAIT:-15}
export PATH="$PATH:/usr/sbin:/sbin"

alive() { [[ -s "$DIR/$1.pid" ]] && kill -0 "$(cat "$DIR/$1.pid")" 2>/dev/null; }

# Ending jobs through Slurm first lets slurmstepd clean up the job processes it started.
if [[ -f "$DIR/slurm.conf" ]] && alive slurmctld && command -v squeue >/dev/null; then
    export SLURM_CONF="$DIR/slurm.conf"
    mapfile -t jobs < <(squeue -h -o %i 2>/dev/null)
    if [[ ${#jobs[@]} -gt 0 ]]; then
        scancel --full --quiet "${jobs[@]}" 2>/dev/null || true
        for _ in $(seq 1 $((WAIT * 2))); do
            [[ -z $(squeue -h -t PD,R,CG,CF -o %i 2>/dev/null) ]] && break
            sleep 0.5
        done
    fi
fi

rc=0
for p in slurmd slurmctld munged; do
    [[ -s "$DIR/$p.pid" ]] || continue
    pid=$(cat "$DIR/$p.pid")
    if kill -0 "$pid" 2>/dev/null; then
        kill -TERM "$pid" 2>/dev/null
        for _ in $(seq 1 $((WAIT * 10))); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        if kill -0 "$pid" 2>/dev/null; then
            echo "stop-slurm: $p (pid $pid) ignored SIGTERM; sending SIGKILL" >&2
            kill -KILL "$pid" 2>/dev/null || rc=1
        fi
    fi
    rm -f "$DIR/$p.pid"
done
echo "stop-slurm: stopped the cluster in $DIR" >&2
exit $rc
