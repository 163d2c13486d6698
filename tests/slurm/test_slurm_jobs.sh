#!/usr/bin/env bash
# shellcheck disable=SC2317  # the check helpers are called indirectly, through check()
# End-to-end test of the Slurm job scripts on a private single-node cluster.
#
# Usage: tests/slurm/test_slurm_jobs.sh BINDIR SOURCEDIR
#   BINDIR     directory holding lpnn-build, lpnn-train, lpnn-info
#   SOURCEDIR  the lpnn source tree (for jobs/ and jobs/examples/)
#
# Starts slurmctld/slurmd/munged in a temporary directory (jobs/slurm/start-slurm.sh,
# installing slurm-wlm and munge if missing), submits the jobs exactly as a user would:
# build -> train via jobs/chain.sh, the sweep array plus its summary, a build with more
# tasks than CPUs, a compressed build of one task with every CPU, a build with a bad spec, and a build requeued mid-way (it must resume); then checks what Slurm recorded
# (scontrol, as accounting is off) and what the jobs wrote. Prints PASS/FAIL per check
# and "N passed, N failed"; exits 0 only if every check passed. The cluster is always
# stopped by its recorded PIDs; the temporary directory is kept when a check fails.
#
# Environment: LPNN_SLURM_TEST_TIMEOUT  seconds to wait for all jobs (default 300)
#              LPNN_SLURM_TEST_KEEP=1   keep the temporary directory even on success
set -uo pipefail

if [[ $# -ne 2 ]]; then echo "usage: $0 BINDIR SOURCEDIR" >&2; exit 2; fi
BIN=$(cd "$1" 2>/dev/null && pwd) || { echo "FAIL: BINDIR $1 does not exist"; exit 1; }
SRC=$(cd "$2" 2>/dev/null && pwd) || { echo "FAIL: SOURCEDIR $2 does not exist"; exit 1; }
TIMEOUT=${LPNN_SLURM_TEST_TIMEOUT:-300}
export PATH="$PATH:/usr/sbin:/sbin"

npass=0; nfail=0
pass() { echo "PASS: $*"; npass=$((npass + 1)); }
fail() { echo "FAIL: $*"; nfail=$((nfail + 1)); }
check() { # check "description" command...
    local what=$1; shift
    if "$@"; then pass "$what"; else fail "$what"; fi
}
finish() {
    echo "$npass passed, $nfail failed"
    [[ $nfail -eq 0 && $npass -gt 0 ]]
    exit $?
}

for t in lpnn-build lpnn-train lpnn-info; do
    [[ -x $BIN/$t ]] || fail "$BIN/$t exists and is executable"
done
if [[ $(id -u) -ne 0 ]]; then
    fail "running as root (the private cluster runs its daemons as root)"
fi
[[ $nfail -eq 0 ]] || finish

WORK=$(mktemp -d /tmp/lpnn-slurm-test.XXXXXX)
chmod 755 "$WORK"   # munged wants every directory above its socket searchable
cleanup() {
    "$SRC/jobs/slurm/stop-slurm.sh" "$WORK/slurm" >/dev/null 2>&1
    if [[ $nfail -eq 0 && ${LPNN_SLURM_TEST_KEEP:-0} != 1 ]]; then
        rm -rf "$WORK"
    else
        echo "test_slurm_jobs: logs and outputs kept in $WORK"
    fi
}
trap cleanup EXIT
trap 'echo "test_slurm_jobs: interrupted"; nfail=$((nfail + 1)); exit 1' INT TERM

echo "test_slurm_jobs: starting a private Slurm cluster in $WORK/slurm"
if conf_line=$("$SRC/jobs/slurm/start-slurm.sh" "$WORK/slurm" | tail -n 1) && [[ $conf_line == "export SLURM_CONF="* ]]; then
    eval "$conf_line"
    pass "Slurm cluster started, node idle ($conf_line)"
else
    fail "Slurm cluster started (see $WORK/slurm/log)"
    finish
fi

mkdir -p "$WORK/run"
cd "$WORK/run" || exit 1
export LPNN_BIN=$BIN LPNN_ROOT=$SRC
unset LPNN_ARCH LPNN_SAMPLES LPNN_GRID LPNN_OUT LPNN_DATA LPNN_MODEL LPNN_POLYTOPE LPNN_SOLVER \
    LPNN_SWEEP LPNN_SWEEP_VALUES LPNN_SWEEP_DIR LPNN_FORCE LPNN_RESUME LPNN_BUILD_ARGS

# 1. build -> train, chained with afterok.
ids=$("$SRC/jobs/chain.sh" --ntasks=2 | tail -n 1)
read -r BUILD TRAIN <<<"$ids"
both_ids() { [[ $1 =~ ^[0-9]+$ && $2 =~ ^[0-9]+$ ]]; }
depends_on() { scontrol show job "$1" | grep -q "Dependency=afterok:$2"; }
check "chain.sh submitted build and train (job ids '$ids')" both_ids "${BUILD:-}" "${TRAIN:-}"
check "train job $TRAIN depends on build job $BUILD" depends_on "$TRAIN" "$BUILD"

# 2. the sweep array (K = 2 3 4) and its summary.
SWEEP=$(sbatch --parsable --array=0-2 "$SRC/jobs/sweep.sbatch"); SWEEP=${SWEEP%%;*}
SUMMARY=$(sbatch --parsable --dependency="afterok:$SWEEP" "$SRC/jobs/sweep.sbatch" summary "sweep-$SWEEP")
SUMMARY=${SUMMARY%%;*}

# 3. more tasks than CPUs.
NCPU=$(nproc)
OVER=$(LPNN_OUT=$WORK/run/over.h5 sbatch --parsable --job-name=lpnn-over --ntasks=$((NCPU + 2)) \
    --overcommit "$SRC/jobs/build.sbatch"); OVER=${OVER%%;*}

# 3b. one task with all the node's CPUs, compressed: mpirun must give the rank those CPUs (launcher.sh),
# which its chunk filter threads then use.
WIDE=$(LPNN_OUT=$WORK/run/wide.h5 LPNN_SAMPLES=16 LPNN_BUILD_ARGS="--compression deflate" sbatch --parsable \
    --job-name=lpnn-wide --ntasks=1 --cpus-per-task="$NCPU" "$SRC/jobs/build.sbatch"); WIDE=${WIDE%%;*}

# 4. a spec lpnn-build must reject.
printf '%s\n' '{"input":2,"layers":[{"units":0,"activation":"relu"}],"loss":"squared"}' >"$WORK/bad.json"
BAD=$(LPNN_ARCH=$WORK/bad.json LPNN_OUT=$WORK/run/bad.h5 sbatch --parsable --job-name=lpnn-bad \
    "$SRC/jobs/build.sbatch"); BAD=${BAD%%;*}

echo "test_slurm_jobs: submitted build=$BUILD train=$TRAIN sweep=$SWEEP summary=$SUMMARY over=$OVER wide=$WIDE bad=$BAD"

# Every record of a job (an array has one per task) in a final state?
finished() {
    local states
    states=$(scontrol -o show job "$1" 2>/dev/null | grep -o 'JobState=[A-Z_]*') || return 1
    [[ -n $states ]] && ! grep -qE 'JobState=(PENDING|RUNNING|CONFIGURING|COMPLETING|SUSPENDED|REQUEUED|RESIZING|SIGNALING|STAGE_OUT)' <<<"$states"
}
deadline=$((SECONDS + TIMEOUT))
for j in $BUILD $TRAIN $SWEEP $SUMMARY $OVER $WIDE $BAD; do
    until finished "$j"; do
        if ((SECONDS >= deadline)); then break 2; fi
        sleep 1
    done
done
if ((SECONDS >= deadline)); then
    fail "all jobs finished within ${TIMEOUT}s"
    squeue -o '%i %j %T %r' || true
else
    pass "all jobs finished within ${TIMEOUT}s (after $((TIMEOUT - deadline + SECONDS))s)"
fi

# "JobState=X ExitCode=A:B" for each record of a job, one per line.
states() { scontrol -o show job "$1" 2>/dev/null | grep -oE 'JobState=[A-Z_]+|ExitCode=[0-9]+:[0-9]+' | paste -d' ' - -; }
completed_ok() { # all records COMPLETED with exit 0:0, and at least $2 of them
    local s n
    s=$(states "$1"); n=$(grep -c . <<<"$s")
    echo "  job $1: $(tr '\n' ';' <<<"$s")"
    [[ $n -ge ${2:-1} ]] && ! grep -qv '^JobState=COMPLETED ExitCode=0:0$' <<<"$s"
}
failed_nonzero() {
    local s
    s=$(states "$1")
    echo "  job $1: $s"
    [[ $s =~ ^JobState=FAILED\ ExitCode=([0-9]+):0$ && ${BASH_REMATCH[1]} -ne 0 ]]
}
log_has() { # log_has FILE TEXT
    [[ -f $1 ]] && grep -qF -- "$2" "$1"
}
is_hdf5() { [[ -s $1 && $(head -c 4 "$1" | tail -c 3) == HDF ]]; }

check "build job $BUILD COMPLETED with ExitCode=0:0" completed_ok "$BUILD"
check "polytope $WORK/run/polytope.h5 is an HDF5 file" is_hdf5 "$WORK/run/polytope.h5"
check "build log lpnn-build-$BUILD.out reports the polytope" \
    log_has "lpnn-build-$BUILD.out" "build.sbatch: wrote polytope $WORK/run/polytope.h5"
check "train job $TRAIN COMPLETED with ExitCode=0:0" completed_ok "$TRAIN"
check "model $WORK/run/model.json contains \"parameters\"" log_has "$WORK/run/model.json" '"parameters"'
check "train log lpnn-train-$TRAIN.out reports the model" \
    log_has "lpnn-train-$TRAIN.out" "train.sbatch: wrote model $WORK/run/model.json"

check "sweep array $SWEEP: 3 tasks COMPLETED with ExitCode=0:0" completed_ok "$SWEEP" 3
for i in 0 1 2; do
    check "sweep task $i wrote sweep-$SWEEP/task-$i.tsv" test -s "sweep-$SWEEP/task-$i.tsv"
done
task_logs_ok() { # every task's log (StdOut= of each array record) has the table line
    local n=0 f
    for f in $(scontrol -o show job "$1" 2>/dev/null | grep -o 'StdOut=[^ ]*' | cut -d= -f2); do
        log_has "$f" "sweep.sbatch: wrote table line" && n=$((n + 1))
    done
    [[ $n -eq $2 ]]
}
check "each sweep task log reports its table line" task_logs_ok "$SWEEP" 3
check "summary job $SUMMARY COMPLETED with ExitCode=0:0" completed_ok "$SUMMARY"
table_ok() { [[ -f $1 && $(grep -c . "$1") -eq $(($2 + 1)) ]] && head -n 1 "$1" | grep -q bytes_on_disk; }
check "sweep-$SWEEP/summary.tsv has a header and 3 rows" table_ok "sweep-$SWEEP/summary.tsv" 3
check "summary log reports the table" log_has "lpnn-sweep-$SUMMARY.out" "sweep.sbatch: wrote summary"

check "overcommitted build job $OVER ($((NCPU + 2)) tasks on $NCPU CPUs) COMPLETED with ExitCode=0:0" \
    completed_ok "$OVER"
check "overcommitted build log shows $((NCPU + 2)) tasks" log_has "lpnn-over-$OVER.out" "$((NCPU + 2)) task(s)"
# MpiDefault=none here, so jobs/launcher.sh picks mpirun, which takes its slots from the allocation:
# no --oversubscribe unless asked for.
launched_plainly() { log_has "$1" "launcher: mpirun -n $2" && ! log_has "$1" "--oversubscribe"; }
check "overcommitted build launched with 'mpirun -n $((NCPU + 2))', no --oversubscribe" \
    launched_plainly "lpnn-over-$OVER.out" "$((NCPU + 2))"

check "build job $WIDE (1 task, --cpus-per-task=$NCPU) COMPLETED with ExitCode=0:0" completed_ok "$WIDE"
check "its launcher gave the rank $NCPU CPUs" log_has "lpnn-wide-$WIDE.out" "launcher: mpirun -n 1 --map-by slot:PE=$NCPU"
check "its build filtered chunks on $NCPU threads" log_has "lpnn-wide-$WIDE.out" "on $NCPU thread(s) per rank"

check "bad-spec build job $BAD recorded as FAILED with a non-zero exit code" failed_nonzero "$BAD"
check "bad-spec build log explains the failure" log_has "lpnn-bad-$BAD.out" "build.sbatch: FAILED: lpnn-build exited with status"

# 5. A build requeued while it runs (what preemption or a node failure does) resumes where it stopped.
# Small writes with a ledger update after each (LPNN_BUILD_ARGS) make it slow enough to catch mid-way.
REQ_OUT=$WORK/run/requeued.h5
REQ=$(LPNN_OUT=$REQ_OUT LPNN_SAMPLES=800 LPNN_GRID=2 \
    LPNN_BUILD_ARGS="--streaming --chunk-nonzeros 500 --checkpoint-seconds 0" \
    sbatch --parsable --job-name=lpnn-requeue --ntasks=2 "$SRC/jobs/build.sbatch"); REQ=${REQ%%;*}
ledger_count() {
    HDF5_USE_FILE_LOCKING=FALSE /usr/bin/python3 -c \
        "import h5py,sys; print(int(h5py.File(sys.argv[1],'r')['/build/samples_done'][:].sum()))" "$1" 2>/dev/null || echo 0
}
progress=0
for _ in $(seq 1200); do
    progress=$(ledger_count "$WORK/run/.requeued.h5.partial")
    [[ $progress -ge 50 ]] && break
    finished "$REQ" && break
    sleep 0.1
done
if [[ $progress -ge 50 ]] && scontrol requeue "$REQ"; then
    pass "requeued build job $REQ while it ran ($progress of 800 samples recorded on disk)"
else
    fail "requeue build job $REQ mid-build (ledger showed $progress samples; state $(states "$REQ"))"
fi
# Slurm holds a requeued batch job back (BeginTime about two minutes ahead); a user, or this test,
# may let it start sooner. Not within the second of the requeue: slurmd revokes the old credential
# with a timestamp of one-second resolution, and a launch in that same second is refused ("Job
# credential revoked"), which fails the job (seen once in a CI run).
for _ in $(seq 100); do
    scontrol -o show job "$REQ" 2>/dev/null | grep -q 'JobState=PENDING' && break
    sleep 0.2
done
sleep 2
scontrol update JobId="$REQ" StartTime=now >/dev/null 2>&1 || true
deadline=$((SECONDS + TIMEOUT))
until finished "$REQ" || ((SECONDS >= deadline)); do sleep 1; done
check "requeued build job $REQ COMPLETED with ExitCode=0:0" completed_ok "$REQ"
check "its log shows the restart" log_has "lpnn-requeue-$REQ.out" "restart 1"
check "its log shows the resumed build" log_has "lpnn-requeue-$REQ.out" "samples were already on disk"
clean_equal() { # a clean one-rank build of the same polytope equals the resumed one
    OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 mpirun -n 1 "$BIN/lpnn-build" \
        --arch "$SRC/jobs/examples/xor.json" --samples 800 --grid 2 -o "$WORK/run/clean.h5" >/dev/null 2>&1 &&
        h5diff --exclude-path /provenance "$WORK/run/clean.h5" "$REQ_OUT"
}
check "the resumed polytope equals a clean build (h5diff)" clean_equal

# Races in Open MPI's session directory show up as these lines, even in jobs that succeed.
# The requeued job's log also holds the attempt Slurm killed, whose mpirun may print them while it
# is torn down; only the attempt that completed (from its last "restart N" banner on) must be clean.
last_attempt() { awk '/^build\.sbatch: job .* restart [0-9]+$/ { n = NR } { line[NR] = $0 }
    END { for (i = (n ? n : 1); i <= NR; i++) print line[i] }' "$1"; }
no_runtime_errors() {
    local f errors bad=0
    for f in lpnn-build-"$BUILD".out lpnn-train-"$TRAIN".out lpnn-over-"$OVER".out lpnn-wide-"$WIDE".out \
        lpnn-requeue-"$REQ".out \
        $(scontrol -o show job "$SWEEP" 2>/dev/null | grep -o 'StdOut=[^ ]*' | cut -d= -f2); do
        errors=$(last_attempt "$f" | grep -E 'PMIX ERROR|ORTE_ERROR_LOG')
        if [[ -n $errors ]]; then
            sed "s|^|$f:|" <<<"$errors"
            bad=1
        fi
    done
    [[ $bad -eq 0 ]]
}
check "no Open MPI runtime errors (PMIX ERROR, ORTE_ERROR_LOG) in the successful jobs' logs" no_runtime_errors

if [[ $nfail -ne 0 ]]; then
    for f in *.out; do echo "----- $f"; tail -n 30 "$f"; done
fi
finish
