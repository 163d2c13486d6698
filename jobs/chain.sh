#!/usr/bin/env bash
# Submit a polytope build and a training job that starts only if the build succeeded.
#
#   jobs/chain.sh [SBATCH_OPTION...]
#   LPNN_GRID=4 LPNN_OUT=k4.h5 LPNN_MODEL=k4-model.json jobs/chain.sh --ntasks=4 --overcommit
#
# The options are passed to both sbatch calls. The same LPNN_* settings as in
# jobs/build.sbatch and jobs/train.sbatch apply (the train job reads the polytope from
# LPNN_OUT, default ./polytope.h5; the model goes to LPNN_MODEL, default ./model.json).
# Prints the two job ids on stdout as "BUILD_JOBID TRAIN_JOBID" (last line), e.g. for
#   read -r build train < <(jobs/chain.sh | tail -n 1)
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# Absolute defaults, so that the jobs do not depend on where they were submitted from.
export LPNN_ROOT=${LPNN_ROOT:-$(dirname "$HERE")}
export LPNN_OUT=${LPNN_OUT:-polytope.h5} LPNN_MODEL=${LPNN_MODEL:-model.json}
# Relative paths mean "from here", even if the sbatch options include --chdir.
for v in LPNN_OUT LPNN_MODEL LPNN_ARCH LPNN_DATA; do
    if [[ -n ${!v:-} && ${!v} != /* ]]; then export "$v=$PWD/${!v}"; fi
done

# --parsable prints "jobid" (or "jobid;cluster"): keep the id.
build=$(sbatch --parsable "$@" "$HERE/build.sbatch")
build=${build%%;*}
log_of() { scontrol show job "$1" 2>/dev/null | sed -n 's/^ *StdOut=//p' | head -n 1; }
echo "chain.sh: submitted build job $build (polytope: $LPNN_OUT, log: $(log_of "$build"))" >&2
train=$(sbatch --parsable --dependency="afterok:$build" "$@" "$HERE/train.sbatch")
train=${train%%;*}
echo "chain.sh: submitted train job $train after build $build succeeds (model: $LPNN_MODEL, log: $(log_of "$train"))" >&2
echo "$build $train"
