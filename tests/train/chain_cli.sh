#!/bin/bash
# train.chain_cli: the tools on a chain polytope. lpnn-build --family chain (K = 3, node grid 5, D = 8)
# at 2 ranks; lpnn-train on D' = 6 < D samples with Clp at 1 rank, PDHG (bounds and penalty faces) at 2
# and 4 ranks and --method grid at 2 ranks; every LP optimum equals the grid search's, the model says
# "semantics": "rounded" with its node grid; lpnn-predict's outputs equal the rounded network evaluated
# here in Python from the model's parameters (an oracle independent of lpnn's code: rounding by scanning
# each node grid); --verify passes; a binarized network's chain model says it is the exact binary ERM.
# Environment (set by CMake): BUILD TRAIN PREDICT MPIEXEC PYTHON SCRIPTS WORK.
set -euo pipefail
rm -rf "$WORK" && mkdir -p "$WORK/out" && cd "$WORK"
failures=0
source "$SCRIPTS/../cli_expect.sh"

# Dense 1-2-1 without bias: φ = (w0, w1, v0, v1), hidden h_j = R_1(relu(R_1(w_j·x))) on 5 points over
# [-1, 1], output o = R_2(R_2(v0·h0) + v1·h1) rounded again after the identity, 5 points over [-2, 2].
cat > net.json <<'J'
{"input": 1, "bias": false, "layers": [{"units": 2, "activation": "relu"}, {"units": 1, "activation": "identity"}],
 "loss": "squared", "regularizer": {"kind": "l1", "weight": 0.05}}
J
printf 'x,y\n-0.9,0.9\n-0.4,0.1\n0.1,0.0\n0.5,0.6\n1.0,1.0\n-1.0,0.8\n' > data.csv
printf 'x\n-1\n-0.6\n-0.2\n0.3\n0.7\n1\n' > inputs.csv

run 2 "$BUILD" --arch net.json --samples 8 --grid 3 --family chain --node-grid 5 -o chain.h5 >/dev/null
run 1 "$TRAIN" -p chain.h5 -d data.csv --method grid -o grid.json --json > grid.out
run 1 "$TRAIN" -p chain.h5 -d data.csv -o clp.json --verify >/dev/null
run 2 "$TRAIN" -p chain.h5 -d data.csv --solver pdhg --tolerance 1e-8 -o pdhg2.json >/dev/null
run 4 "$TRAIN" -p chain.h5 -d data.csv --solver pdhg --face penalty --tolerance 1e-8 -o pdhg4.json >/dev/null
run 2 "$TRAIN" -p chain.h5 -d data.csv --face penalty -o clp_penalty.json >/dev/null
run 1 "$PREDICT" -m clp.json -d inputs.csv > predictions.csv

"$PYTHON" - <<'PY' || failures=$((failures + 1))
import csv, json, sys

def nearest(r, U, K):  # ties up, by scanning the grid
    best, distance = None, float("inf")
    for k in range(K):
        g = -U + 2.0 * U * k / (K - 1)
        if abs(r - g) <= distance + 1e-9:
            best, distance = g, min(distance, abs(r - g))
    return best

def net(x, p):
    x = nearest(x, 1.0, 3)  # the input grid
    h = [nearest(max(0.0, nearest(p[j] * x, 1.0, 5)), 1.0, 5) for j in (0, 1)]
    s = nearest(p[2] * h[0], 2.0, 5)
    return nearest(nearest(s + p[3] * h[1], 2.0, 5), 2.0, 5)

problems = []
grid = json.load(open("grid.json"))
optimum = grid["losses"]["grid_loss"]
for name, tolerance in (("clp", 1e-9), ("clp_penalty", 1e-9), ("pdhg2", 1e-5), ("pdhg4", 1e-5)):
    m = json.load(open(name + ".json"))
    if m.get("semantics") != "rounded" or m.get("node_grid") != 5:
        problems.append(f"{name}: semantics {m.get('semantics')} node_grid {m.get('node_grid')}")
    if abs(m["losses"]["lp_objective"] - optimum) > tolerance * (1 + abs(optimum)):
        problems.append(f"{name}: LP optimum {m['losses']['lp_objective']} but grid search {optimum}")
    if abs(m["losses"]["grid_loss"] - optimum) > 1e-9:
        problems.append(f"{name}: grid loss {m['losses']['grid_loss']} but grid search {optimum}")
# The oracle's own optimum over the 81 grid points, on the rounded data.
data = [(float(r[0]), float(r[1])) for r in list(csv.reader(open("data.csv")))[1:]]
best = float("inf")
values = (-1.0, 0.0, 1.0)
for a in range(81):
    p = [values[(a // 3 ** (3 - i)) % 3] for i in range(4)]
    loss = sum((net(x, p) - nearest(y, 1.0, 3)) ** 2 for x, y in data) / len(data)
    best = min(best, loss + 0.05 * sum(abs(t) for t in p))
if abs(best - optimum) > 1e-9:
    problems.append(f"grid search {optimum} but the Python oracle's optimum is {best}")
p = json.load(open("clp.json"))["parameters"]
rows = list(csv.reader(open("predictions.csv")))
inputs = [float(r[0]) for r in list(csv.reader(open("inputs.csv")))[1:]]
if rows[0] != ["prediction1"] or len(rows) != len(inputs) + 1:
    problems.append(f"predictions.csv has {rows}")
for x, row in zip(inputs, rows[1:]):
    if abs(float(row[0]) - net(x, p)) > 1e-12:
        problems.append(f"prediction at x = {x}: {row[0]}, the rounded network gives {net(x, p)}")
print("\n".join(problems) if problems else f"chain optimum {optimum}: LP, grid search, oracle and predictions agree")
sys.exit(1 if problems else 0)
PY

# A binarized network: lpnn-build puts it on the integer node lattice (node_grid 0), where the rounded
# network is the network; the model says the optimum is the binary ERM, and --verify agrees.
cat > binary.json <<'J'
{"input": 2, "binary": true, "bias": false, "loss": "hinge", "layers": [{"units": 2, "activation": "sign"}, {"units": 1, "activation": "sign"}]}
J
printf 'x1,x2,y
1,1,-1
1,-1,1
-1,1,1
-1,-1,-1
1,-1,-1
' > xor.csv
run 2 "$BUILD" --arch binary.json --samples 5 --family chain -o binary.h5 >/dev/null
run 2 "$TRAIN" -p binary.h5 -d xor.csv --verify -o binary_model.json >/dev/null
"$PYTHON" - <<'PY' || failures=$((failures + 1))
import json, sys
m = json.load(open("binary_model.json"))
ok = (m["semantics"] == "rounded" and m["node_grid"] == 0 and m["losses"]["rounding_bound"] == 0
      and m["losses"]["guarantee"].startswith("exact") and m["losses"]["verified"])
print("binary chain model:", m["semantics"], m["node_grid"], m["losses"].get("guarantee"), m["losses"]["lp_objective"])
sys.exit(0 if ok else 1)
PY

# Data of the wrong dimension on a chain file: refused, no model written.
printf 'x1,x2,y\n0.1,0.2,0.3\n' > wrong.csv
expect_refusal 2 lpnn-train "3 columns, but the polytope needs 2" "$TRAIN" -p chain.h5 -d wrong.csv -o out/model.json
printf 'x,y\n0.1,0.1\n0.2,0.2\n0.3,0.3\n0.4,0.4\n0.5,0.5\n0.6,0.6\n0.7,0.7\n0.8,0.8\n0.9,0.9\n' > nine.csv
expect_refusal 1 lpnn-train "9 samples, but the polytope was built for at most D = 8" "$TRAIN" -p chain.h5 -d nine.csv \
  -o out/model.json
[ "$failures" -eq 0 ] || { echo "$failures failure(s)"; exit 1; }
echo "chain_cli: all checks passed"
