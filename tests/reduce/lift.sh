#!/bin/bash
# reduce.lift: reduce a planted data set (d = 10) to r = 1, build a polytope for one input, train with
# the LP on the reduced data with --basis, and check that lpnn-predict on the RAW 10-column data gives
# the same predictions and loss as on the reduced data (the model applies the reduction itself).
# A basis whose rank is not the network's input count, and reduced data fed to a model that expects
# raw inputs, are refused with a clear message.
# Environment (set by CMake): REDUCE BUILD TRAIN PREDICT MPIEXEC PYTHON SCRIPTS WORK.
set -euo pipefail
rm -rf "$WORK" && mkdir -p "$WORK" && cd "$WORK"
export OMPI_MCA_odls_base_sigkill_timeout=0

"$PYTHON" "$SCRIPTS/planted.py" generate --d 10 --k 1 --samples 3000 --seed 11 --data data.csv --truth truth.json
timeout 120 "$MPIEXEC" -n 2 --oversubscribe "$REDUCE" --data data.csv --outputs 1 -o reduced.csv \
  --basis-out basis.json --rank-cap 1 --whiten >reduce.txt
cat reduce.txt
cat >net.json <<'J'
{"input": 1, "layers": [{"units": 1, "activation": "relu"}, {"units": 1, "activation": "identity"}],
 "loss": "squared"}
J
head -n 21 reduced.csv >train.csv                                  # header + 20 samples
{ head -n 1 data.csv; sed -n '22,121p' data.csv; } >test_raw.csv   # 100 other samples, raw
{ head -n 1 reduced.csv; sed -n '22,121p' reduced.csv; } >test_reduced.csv
timeout 120 "$MPIEXEC" -n 2 --oversubscribe "$BUILD" --arch net.json --samples 20 --grid 3 -o poly.h5 >/dev/null
timeout 120 "$MPIEXEC" -n 2 --oversubscribe "$TRAIN" --polytope poly.h5 --data train.csv --scale minmax \
  --basis basis.json -o model.json | tee train.txt
grep -q "reduction           10 inputs reduced to 1" train.txt

# The model without the reduction: the same network on reduced inputs.
"$PYTHON" - <<'P'
import json
m = json.load(open("model.json"))
assert m["reduction"]["dimension"] == 10 and m["reduction"]["rank"] == 1, m["reduction"]
del m["reduction"]
json.dump(m, open("model_reduced.json", "w"))
P
timeout 60 "$PREDICT" --model model.json --data test_raw.csv >raw.csv 2>raw_loss.txt
timeout 60 "$PREDICT" --model model_reduced.json --data test_reduced.csv >red.csv 2>red_loss.txt
"$PYTHON" "$SCRIPTS/planted.py" same-csv --tolerance 1e-12 raw.csv red.csv
cat raw_loss.txt red_loss.txt
# The losses agree to print precision (10 digits).
[ "$(cut -d' ' -f2 raw_loss.txt)" = "$(cut -d' ' -f2 red_loss.txt)" ]

# Refusals: reduced data into a raw-input model; a basis of the wrong rank. Each exits non-zero with
# its message in err.txt and writes no model (bad.json). An explicit check: under set -e a failed
# `[ ... ] && grep ...` list does not stop the script.
refused() {
  if [ "$status" -eq 0 ] || ! grep -qF -- "$2" err.txt || [ -e bad.json ]; then
    echo "FAIL: $1: status $status, want a refusal with \"$2\" and no model" >&2
    exit 1
  fi
}
status=0
"$PREDICT" --model model.json --data test_reduced.csv >/dev/null 2>err.txt || status=$?
cat err.txt
refused "reduced data into a raw-input model" "test_reduced.csv line 2: 2 columns"
timeout 120 "$REDUCE" --data data.csv --outputs 1 -o reduced2.csv --basis-out basis2.json --rank-cap 2 \
  --floor-factor 0.01 >/dev/null
status=0
timeout 120 "$TRAIN" --polytope poly.h5 --data train.csv --scale minmax --basis basis2.json -o bad.json \
  >/dev/null 2>err.txt || status=$?
cat err.txt
refused "a basis of the wrong rank" "the basis keeps 2 directions, but the network has 1 inputs"
# A basis file that is missing, or not JSON: refused with its name, no model written.
head -c 30 basis.json >truncated_basis.json
for case in "missing_basis.json|cannot open the basis file missing_basis.json" \
            "truncated_basis.json|truncated_basis.json is not a JSON basis file"; do
  status=0
  timeout 120 "$TRAIN" --polytope poly.h5 --data train.csv --scale minmax --basis "${case%%|*}" -o bad.json \
    >/dev/null 2>err.txt || status=$?
  cat err.txt
  refused "--basis ${case%%|*}" "${case#*|}"
done
echo "lift: raw and reduced predictions agree; bad combinations and bad basis files refused"
