#!/bin/bash
# Seeds for fuzz_polytope, made at test time so the repository holds no binary files:
# real polytope files written by lpnn-build for two tiny specs (5 x 20 and 6 x 26 polytopes, ~12 KiB
# each), and truncated copies of the first (a crashed copy or an interrupted download).
#
#   make_polytope_seeds.sh LPNN_BUILD SPEC_DIR OUT_DIR
#
# lpnn-build starts MPI as a singleton: as root, ctest passes OMPI_ALLOW_RUN_AS_ROOT(_CONFIRM)=1.
set -euo pipefail
build=${1:?usage: make_polytope_seeds.sh LPNN_BUILD SPEC_DIR OUT_DIR}
specs=${2:?usage}
out=${3:?usage}
mkdir -p "$out"
rm -f "$out"/seed-*.h5
"$build" --arch "$specs/tiny.json" --samples 1 --grid 2 -o "$out/seed-tiny.h5" --force
"$build" --arch "$specs/tiny-leaky-l1.json" --samples 2 --grid-param 2 --grid-input 2 --grid-output 3 \
  -o "$out/seed-leaky-l1.h5" --force
size=$(stat -c %s "$out/seed-tiny.h5")
for keep in $((size / 2)) 4096 2048 800 96; do
  head -c "$keep" "$out/seed-tiny.h5" >"$out/seed-tiny-truncated-$keep.h5"
done
ls -l "$out"
