#!/bin/bash
# train.highs: lpnn-build + lpnn-train through the CLI, then check_with_highs.py solves the same face LP
# again with HiGHS (scipy) straight from the HDF5 file and compares with the model's lp_objective.
# Environment (set by CMake): BUILD TRAIN MPIEXEC PYTHON SCRIPTS WORK.
set -euo pipefail
rm -rf "$WORK" && mkdir -p "$WORK" && cd "$WORK"

run() {  # run NP tool args...: the tool under mpiexec with NP ranks, bounded in time
  local np=$1
  shift
  timeout 120 "$MPIEXEC" -n "$np" --oversubscribe "$@"
}

check() {  # check POLYTOPE DATA MODEL
  "$PYTHON" "$SCRIPTS/check_with_highs.py" "$@"
}

# 1. 1-1 identity, squared loss + l2, K = 4, D' = 4 < D = 5; built at 2 ranks.
cat > id11.json <<'J'
{"input": 1, "layers": [{"units": 1, "activation": "identity"}], "loss": "squared",
 "regularizer": {"kind": "l2", "weight": 0.1}}
J
cat > id11.csv <<'J'
x,y
-0.8,-0.35
-0.1,0.2
0.45,0.62
0.9,0.71
J
run 2 "$BUILD" --arch id11.json --samples 5 --grid 4 -o id11.h5 >/dev/null
run 2 "$TRAIN" -p id11.h5 -d id11.csv -o id11_clp_bounds.json >/dev/null
check id11.h5 id11.csv id11_clp_bounds.json
run 2 "$TRAIN" -p id11.h5 -d id11.csv --face penalty -o id11_clp_penalty.json >/dev/null
check id11.h5 id11.csv id11_clp_penalty.json
run 2 "$TRAIN" -p id11.h5 -d id11.csv --solver pdhg --tolerance 1e-7 -o id11_pdhg_bounds.json >/dev/null
check id11.h5 id11.csv id11_pdhg_bounds.json

# 2. 2-1 tanh, absolute loss, K = 3, D' = D = 4; built at 1 rank, trained at 1 and 4.
cat > tanh21.json <<'J'
{"input": 2, "layers": [{"units": 1, "activation": "tanh"}], "loss": "absolute"}
J
cat > tanh21.csv <<'J'
-0.9,0.3,-0.7
0.2,-0.6,0.1
0.7,0.8,0.9
-0.3,-0.2,-0.4
J
run 1 "$BUILD" --arch tanh21.json --samples 4 --grid 3 -o tanh21.h5 >/dev/null
run 1 "$TRAIN" -p tanh21.h5 -d tanh21.csv -o tanh21_clp.json >/dev/null
check tanh21.h5 tanh21.csv tanh21_clp.json
run 4 "$TRAIN" -p tanh21.h5 -d tanh21.csv --solver pdhg --face penalty -o tanh21_pdhg.json >/dev/null
check tanh21.h5 tanh21.csv tanh21_pdhg.json

# 3. 1-2-1 ReLU, hinge loss + l1, K = 2, D' = 3 < D = 4; built at 4 ranks.
cat > relu121.json <<'J'
{"input": 1, "layers": [{"units": 2, "activation": "relu"}, {"units": 1, "activation": "identity"}],
 "loss": "hinge", "regularizer": {"kind": "l1", "weight": 0.02}}
J
cat > relu121.csv <<'J'
-0.7,1
0.1,-1
0.8,1
J
run 4 "$BUILD" --arch relu121.json --samples 4 --grid 2 -o relu121.h5 >/dev/null
run 2 "$TRAIN" -p relu121.h5 -d relu121.csv --face penalty -o relu121_clp.json >/dev/null
check relu121.h5 relu121.csv relu121_clp.json
run 1 "$TRAIN" -p relu121.h5 -d relu121.csv --solver pdhg -o relu121_pdhg.json >/dev/null
check relu121.h5 relu121.csv relu121_pdhg.json

# 4. 1-2 leaky ReLU (two outputs), absolute loss, grids K_φ = 3, K_x = 4, K_y = 3, D' = D = 2.
cat > leaky12.json <<'J'
{"input": 1, "layers": [{"units": 2, "activation": "leaky_relu", "slope": 0.2}], "loss": "absolute"}
J
cat > leaky12.csv <<'J'
-0.6,-0.2,0.4
0.5,0.7,-0.9
J
run 2 "$BUILD" --arch leaky12.json --samples 2 --grid-param 3 --grid-input 4 --grid-output 3 -o leaky12.h5 >/dev/null
run 2 "$TRAIN" -p leaky12.h5 -d leaky12.csv -o leaky12_clp.json >/dev/null
check leaky12.h5 leaky12.csv leaky12_clp.json

echo "train.highs: all face LPs agree with HiGHS"
