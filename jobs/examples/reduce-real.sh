#!/usr/bin/env bash
# Real data through the whole pipeline: a data set bundled with scikit-learn (Debian's python3-sklearn):
# wine (178 samples, d = 13, class 0 against the rest) or breast cancer (569 samples, d = 30), split
# 70/30, reduced by lpnn-reduce (whitened, r = 1 direction), a polytope built for a 1-1-1 ReLU network
# with hinge loss on the reduced training samples, trained exactly on the grid by the LP; the model
# (which carries the basis) predicts the RAW d-column test data. Beside it: Adam on the same reduced
# data (lpnn-train --method sgd) and Adam on all d raw inputs (scikit-learn's MLP, 1 and 8 hidden
# ReLU units). Prints held-out accuracy and hinge loss side by side.
# Usage: bash jobs/examples/reduce-real.sh BIN_DIR OUT_DIR [wine|breast_cancer]
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
bin=$1
out=$2
set_name=${3:-wine}
py=/usr/bin/python3
mkdir -p "$out"
[[ $(id -u) -eq 0 ]] && export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1

echo "== real data: export $set_name"
"$py" "$here/real_data.py" export --set "$set_name" --out "$out"
samples=$(($(wc -l <"$out/train.csv") - 1))
echo "== reduce (2 ranks, whitened, one direction)"
mpirun -n 2 --oversubscribe "$bin/lpnn-reduce" --data "$out/train.csv" --outputs 1 -o "$out/reduced.csv" \
  --basis-out "$out/basis.json" --whiten --rank-cap 1
cat >"$out/net.json" <<'J'
{"input": 1, "layers": [{"units": 1, "activation": "relu"}, {"units": 1, "activation": "identity"}],
 "loss": "hinge"}
J
echo "== polytope for 1 input, $samples samples, K = 3; train with the LP (Clp) and with Adam"
mpirun -n 2 --oversubscribe "$bin/lpnn-build" --arch "$out/net.json" --samples "$samples" --grid 3 \
  -o "$out/real.h5" --force >/dev/null
mpirun -n 2 --oversubscribe "$bin/lpnn-train" --polytope "$out/real.h5" --data "$out/reduced.csv" \
  --basis "$out/basis.json" -o "$out/lp-model.json"
mpirun -n 2 --oversubscribe "$bin/lpnn-train" --polytope "$out/real.h5" --data "$out/reduced.csv" \
  --basis "$out/basis.json" --method sgd -o "$out/adam-model.json" >/dev/null
echo "== test accuracy and hinge loss on held-out data (the lpnn models read the raw test columns)"
for method in lp adam; do
  "$bin/lpnn-predict" --model "$out/$method-model.json" --data "$out/test.csv" >"$out/$method-test.csv" 2>/dev/null
done
lp=$("$py" "$here/real_data.py" score --predictions "$out/lp-test.csv" --data "$out/test.csv")
adam_reduced=$("$py" "$here/real_data.py" score --predictions "$out/adam-test.csv" --data "$out/test.csv")
d=$(head -1 "$out/test.csv" | tr ',' '\n' | grep -c '^x')
adam_raw1=$("$py" "$here/real_data.py" adam --out "$out" --hidden 1 | grep test_ | awk '{print "accuracy", $2, "hinge", $4}')
adam_raw8=$("$py" "$here/real_data.py" adam --out "$out" --hidden 8 | grep test_ | awk '{print "accuracy", $2, "hinge", $4}')
printf '%-56s %s\n' "LP on 1 reduced input (exact on the K = 3 grid):" "$lp" \
  "Adam on the same reduced input (lpnn, 20 starts):" "$adam_reduced" \
  "Adam on all $d raw inputs (scikit-learn MLP, 1 unit):" "$adam_raw1" \
  "Adam on all $d raw inputs (scikit-learn MLP, 8 units):" "$adam_raw8"
