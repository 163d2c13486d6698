#!/usr/bin/env bash
# The main job on the bundled default example (jobs/examples/xor.json, xor.csv):
#   installs what is missing, builds lpnn, builds the XOR polytope on 2 MPI ranks, trains on the
#   bundled data with the exact LP (checked against exhaustive grid search), prints the network and
#   its loss, and predicts with it. Then real data of real dimension (jobs/examples/reduce-real.sh):
#   wine and breast cancer reduced by lpnn-reduce, trained by the LP and by Adam, scored side by side.
# Usage: bash jobs/run-default.sh            (outputs go to ${LPNN_OUT_DIR:-build/default-run})
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
bash "$here/cmake/install-deps.sh"
# The tools only: the test binaries are the suite's business (jobs/run-tests.sh).
LPNN_BUILD_TARGETS=${LPNN_BUILD_TARGETS:-lpnn-build lpnn-info lpnn-train lpnn-predict lpnn-reduce} \
  bash "$here/cmake/configure-and-build.sh"
bin=${LPNN_BUILD_DIR:-$here/build}/bin
out=${LPNN_OUT_DIR:-${LPNN_BUILD_DIR:-$here/build}/default-run}
mkdir -p "$out"
[[ $(id -u) -eq 0 ]] && export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
# 2 ranks through jobs/launcher.sh (LPNN_LAUNCHER, ...); a one-core machine needs --oversubscribe for them.
(($(nproc) < 2)) && export LPNN_OVERSUBSCRIBE=${LPNN_OVERSUBSCRIBE:-1}
source "$here/jobs/launcher.sh"
lpnn_launcher 2

echo "== 1. size plan"
"$bin/lpnn-build" --plan --arch "$here/jobs/examples/xor.json" --samples 4 --grid 3 --ranks 2
echo "== 2. build the polytope on 2 ranks"
"${MPI[@]}" "$bin/lpnn-build" --arch "$here/jobs/examples/xor.json" --samples 4 --grid 3 \
  -o "$out/xor.h5" --force
"$bin/lpnn-info" "$out/xor.h5"
echo "== 3. train on jobs/examples/xor.csv (Clp, verified against exhaustive grid search)"
"${MPI[@]}" "$bin/lpnn-train" --polytope "$out/xor.h5" --data "$here/jobs/examples/xor.csv" \
  -o "$out/xor-model.json" --verify
echo "== 4. predict with the trained network"
"$bin/lpnn-predict" --model "$out/xor-model.json" --data "$here/jobs/examples/xor.csv"
echo "outputs: $out/xor.h5, $out/xor-model.json"
echo "== 5. real data: reduce (lpnn-reduce), train with the LP, compare with Adam"
for set_name in wine breast_cancer; do
  bash "$here/jobs/examples/reduce-real.sh" "$bin" "$out/$set_name" "$set_name"
done
