#!/bin/bash
# A killed chain-family build (lpnn-build --family chain) resumed, on P ranks:
#   1. one rank SIGKILLs itself after write step 5 (compressed: step 1; a step is a whole sample there):
#      the unfinished build holds some samples; --resume with another --node-grid is refused by name;
#      --resume on another rank count (1->2, 2->4, 4->2) finishes it, equal to a clean build (h5diff
#      outside /provenance), checksums verified by lpnn-info, which reports the chain family;
#   2. --resume of the finished chain file does nothing (exit 0); a star build onto it is refused.
#   3. a damaged node_grid attribute (1000: a 3,000-fold larger chain; 1) is refused by lpnn-info
#      before any sample block is built.
# The compressed variant (LPNN_TEST_COMPRESSION=deflate) resumes whole-sample chunks.
#
# Usage: cli_chain_resume.sh MPIEXEC RANKS LPNN_BUILD LPNN_INFO PYTHON WORKDIR (root variables set by ctest)
source "$(dirname "${BASH_SOURCE[0]}")/cli_common.sh" "$@"

# XOR on K = 2, node grid 3: 8,762 nonzeros per sample; 3,000 nonzeros per write step (uncompressed:
# about three steps per sample, so the kill lands inside a sample).
cat > xor.json <<'EOF'
{"input": 2, "layers": [{"units": 2, "activation": "relu"}, {"units": 1, "activation": "identity"}],
 "bias": true, "loss": "squared"}
EOF
star=(--arch xor.json --samples 16 --grid 2 --compression "${LPNN_TEST_COMPRESSION:-none}")
chain=("${star[@]}" --family chain --node-grid 3)
case $P in 1) Q=2 ;; 2) Q=4 ;; *) Q=2 ;; esac
victim=$((P - 1))
step=5
[ "${LPNN_TEST_COMPRESSION:-none}" = none ] || step=1

# The sizes --plan --family chain reports (chain_family_sizes), as the build's report line reads them.
"$BUILD" "${chain[@]}" --plan --json > plan.json 2> plan.log || { fail "--plan --family chain"; cat plan.log; }
sizes=$("$PY" -c 'import json,sys; c=json.load(open(sys.argv[1]))["families"]["chain"]
print("%d x %d chain polytope, %d nonzeros" % (c["rows"], c["columns"], c["nonzeros"]))' plan.json)
[ -n "$sizes" ] || fail "no chain sizes in the plan"
if on "$P" "$BUILD" "${chain[@]}" -o ref.h5 > ref.log 2>&1 && grep -qF "built $sizes" ref.log; then
  ok "the clean chain build reports the plan's sizes: $sizes"
else fail "the clean chain build"; cat ref.log; fi

# 1. Killed, refused with another node grid, resumed on Q ranks.
on "$P" "$BUILD" "${chain[@]}" -o k.h5 --chunk-nonzeros 3000 --checkpoint-seconds 0 \
  --petsc -lpnn_fault kill -lpnn_fault_rank "$victim" -lpnn_fault_step "$step" > kill.log 2>&1
status=$?
[ "$status" -ne 0 ] && ok "the killed build exits $status" || fail "the killed build exited 0"
[ -e k.h5 ] && fail "the killed build left k.h5 under its final name"
done_samples=$(HDF5_USE_FILE_LOCKING=FALSE "$PY" -c \
  "import h5py,sys; print(int(h5py.File(sys.argv[1],'r')['/build/samples_done'][:].sum()))" .k.h5.partial 2> /dev/null ||
  echo -1)
if [ "$done_samples" -gt 0 ] && [ "$done_samples" -lt 16 ]; then ok "the unfinished build holds $done_samples of 16 samples"
else fail "the unfinished build holds $done_samples samples, expected some but not all"; fi
if on "$Q" "$BUILD" "${star[@]}" --family chain --node-grid 5 -o k.h5 --resume > grid.log 2>&1; then
  fail "--resume with another node grid succeeded"
elif grep -q "has another node grid than this build's 5" grid.log; then ok "--resume with another node grid is refused"
else fail "--resume with another node grid: unclear error"; cat grid.log; fi
if on "$Q" "$BUILD" "${chain[@]}" -o k.h5 --resume > resume.log 2>&1 &&
  grep -q "resumed: $done_samples of 16 samples were already on disk" resume.log; then
  ok "--resume on $Q ranks finished the chain build"
else fail "--resume on $Q ranks"; cat resume.log; fi
if h5diff --exclude-path /provenance ref.h5 k.h5 > diff.log 2>&1; then ok "the resumed file equals the clean build"
else fail "the resumed file differs from the clean build"; head -20 diff.log; fi
if on "$P" "$INFO" --verify k.h5 > info.log 2>&1 && grep -q "format version 2, bag family chain" info.log; then
  ok "lpnn-info --verify passes and reports the chain family"
else fail "lpnn-info --verify k.h5"; cat info.log; fi

# 2. Nothing to resume; the star is another polytope.
if on "$P" "$BUILD" "${chain[@]}" -o k.h5 --resume > again.log 2>&1 && grep -q "already complete" again.log; then
  ok "--resume of the finished chain file does nothing"
else fail "--resume of the finished chain file"; cat again.log; fi
if on "$P" "$BUILD" "${star[@]}" -o k.h5 --resume > star.log 2>&1; then fail "a star --resume onto the chain file succeeded"
elif grep -q "holds another polytope (spec, samples, grid or family differ)" star.log; then
  ok "a star --resume onto the chain file is refused"
else fail "a star --resume onto the chain file: unclear error"; cat star.log; fi

# 3. A damaged node grid: its chain's sizes are counted (no column enumerated) and refused.
for grid in 1000 1; do
  cp ref.h5 "grid$grid.h5"
  "$PY" -c 'import h5py, numpy, sys; h5py.File(sys.argv[1], "r+").attrs["node_grid"] = numpy.int64(sys.argv[2])' \
    "grid$grid.h5" "$grid"
  case $grid in 1000) want="disagrees with the chain of its spec, grid and node grid 1000" ;;
    *) want="the chain's node grid needs at least 2 points, got 1" ;; esac
  if on "$P" "$INFO" "grid$grid.h5" > grid_info.log 2>&1; then fail "lpnn-info accepted node_grid = $grid"
  elif grep -qF "$want" grid_info.log; then ok "lpnn-info refuses node_grid = $grid"
  else fail "lpnn-info on node_grid = $grid: unclear error"; cat grid_info.log; fi
done

finish
