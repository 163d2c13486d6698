#!/bin/bash
# train.cross_ranks: a polytope built on one rank count and trained on another gives the same model.
# Builds at 1 and at 4 ranks (the files must hold the same data), trains each at 1, 2 and 4 ranks with
# Clp (identical lp_objective and parameters) and with PDHG (lp_objective within its tolerance, same
# parameters: the instance has a unique grid optimum, checked below).
# Environment (set by CMake): BUILD TRAIN MPIEXEC PYTHON SCRIPTS WORK.
set -euo pipefail
rm -rf "$WORK" && mkdir -p "$WORK" && cd "$WORK"

run() {
  local np=$1
  shift
  timeout 120 "$MPIEXEC" -n "$np" --oversubscribe "$@"
}

cat > net.json <<'J'
{"input": 2, "layers": [{"units": 1, "activation": "tanh"}], "loss": "squared",
 "regularizer": {"kind": "l1", "weight": 0.02}}
J
cat > data.csv <<'J'
x1,x2,y
-0.9,0.3,-0.7
0.2,-0.6,0.1
0.7,0.8,0.9
-0.3,-0.2,-0.4
J

run 1 "$BUILD" --arch net.json --samples 5 --grid 3 -o built1.h5 >/dev/null
run 4 "$BUILD" --arch net.json --samples 5 --grid 3 -o built4.h5 >/dev/null

# The two files hold the same polytope: every dataset and every attribute but provenance.
"$PYTHON" - built1.h5 built4.h5 <<'PY'
import sys
import h5py
import numpy as np
a, b = (h5py.File(p, "r") for p in sys.argv[1:3])
names = []
a.visititems(lambda name, obj: names.append(name) if isinstance(obj, h5py.Dataset) else None)
assert names, "no datasets"
for name in names:
    assert name in b, f"{name} missing from {sys.argv[2]}"
    assert np.array_equal(a[name][...], b[name][...]), f"{name} differs between the 1-rank and 4-rank builds"
for key in a.attrs:
    assert key in b.attrs, key
    assert np.array_equal(a.attrs[key], b.attrs[key]), f"attribute {key} differs"
print(f"built1.h5 and built4.h5 hold the same {len(names)} datasets")
PY

# The instance has a unique grid optimum, so every correct solve returns the same parameters.
"$PYTHON" - <<PY
import sys
sys.path.insert(0, "$SCRIPTS")
import json
from lpnn_reference import Network, grid_point, read_csv, round_data
net = Network(json.load(open("net.json")))
t = read_csv("data.csv", 3)
X, Y = round_data(t[:, :2], t[:, 2:], 3, 3)
v = sorted(net.mean_loss(X, Y, grid_point(a, 3, 3)) + net.regularization(grid_point(a, 3, 3)) for a in range(27))
assert v[1] - v[0] > 1e-3, f"the grid optimum is not unique enough: {v[:3]}"
print(f"unique grid optimum {v[0]:.12g} (next {v[1]:.12g})")
PY

models_clp=() models_pdhg=()
for built in 1 4; do
  for np in 1 2 4; do
    run "$np" "$TRAIN" -p "built$built.h5" -d data.csv -o "clp_b${built}_n${np}.json" >/dev/null
    models_clp+=("clp_b${built}_n${np}.json")
  done
  for np in 1 4; do
    run "$np" "$TRAIN" -p "built$built.h5" -d data.csv --solver pdhg -o "pdhg_b${built}_n${np}.json" >/dev/null
    models_pdhg+=("pdhg_b${built}_n${np}.json")
  done
done
"$PYTHON" "$SCRIPTS/compare_models.py" --tolerance 1e-12 "${models_clp[@]}"
"$PYTHON" "$SCRIPTS/compare_models.py" --tolerance 1e-5 "${models_clp[0]}" "${models_pdhg[@]}"
# And the models are right, not only consistent.
"$PYTHON" "$SCRIPTS/check_with_highs.py" built4.h5 data.csv "${models_clp[2]}"
echo "train.cross_ranks: the same model whatever the build and training rank counts"
