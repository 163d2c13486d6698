#!/bin/bash
# train.bad_input: lpnn-train refuses bad data and bad polytope files with a clear message, a non-zero
# exit and NO model file; --scale minmax succeeds where unscaled data is refused, and lpnn-predict
# undoes the scaling and prints the loss on stderr when the data has labels.
# Failures run at 2 ranks (the collective error path: one message, no hang) and some at 1.
# Environment (set by CMake): BUILD TRAIN PREDICT MPIEXEC PYTHON SCRIPTS WORK.
set -euo pipefail
rm -rf "$WORK" && mkdir -p "$WORK/out" && cd "$WORK"
failures=0
source "$SCRIPTS/../cli_expect.sh"

# expect_failure NP "message fragment" lpnn-train args...
expect_failure() {
  local np=$1 fragment=$2
  shift 2
  expect_refusal "$np" lpnn-train "$fragment" "$TRAIN" "$@" -o out/model.json
}

cat > net.json <<'J'
{"input": 1, "layers": [{"units": 1, "activation": "identity"}], "loss": "squared"}
J
run 2 "$BUILD" --arch net.json --samples 3 --grid 3 -o poly.h5 >/dev/null
printf 'x,y\n-0.5,0.25\n0.1,0.3\n0.8,0.9\n' > good.csv
run 1 "$TRAIN" -p poly.h5 -d good.csv -o good.json >/dev/null  # the baseline works

# Bad data.
printf 'x,y,z\n0.1,0.2,0.3\n0.4,0.5,0.6\n' > wrong_columns.csv
expect_failure 2 "3 columns, but the polytope needs 2" -p poly.h5 -d wrong_columns.csv
printf '0.1\n0.4\n' > one_column.csv
expect_failure 1 "1 columns, but the polytope needs 2" -p poly.h5 -d one_column.csv
printf '0.1,0.2\n0.4,0.5,0.6\n' > ragged.csv
expect_failure 2 "ragged row" -p poly.h5 -d ragged.csv
printf 'x,y\n0.1,0.2\n0.4,abc\n' > non_numeric.csv
expect_failure 2 'line 3, column 2: "abc" is not a number' -p poly.h5 -d non_numeric.csv
printf '0.1,abc\n0.4,0.5\n' > bad_first_row.csv  # not a header: it has a number
expect_failure 2 'line 1, column 2: "abc" is not a number' -p poly.h5 -d bad_first_row.csv
printf '0.1,0.2\nnan,0.5\n' > nan.csv
expect_failure 1 "is not a finite number" -p poly.h5 -d nan.csv
: > empty.csv
expect_failure 2 "holds no data rows" -p poly.h5 -d empty.csv
printf 'x,y\n' > header_only.csv
expect_failure 1 "holds no data rows" -p poly.h5 -d header_only.csv
printf '0.1,0.2\n0.3,0.4\n0.5,0.6\n0.7,0.8\n' > too_many.csv
expect_failure 2 "4 samples, but the polytope was built for at most D = 3" -p poly.h5 -d too_many.csv
printf 'x,y\n0.1,0.2\n3.5,0.4\n' > out_of_box.csv
expect_failure 2 "outside the box [-1, 1]; rescale the data or pass --scale minmax" -p poly.h5 -d out_of_box.csv
expect_failure 1 "cannot open the data file" -p poly.h5 -d missing.csv
"$PYTHON" - <<'PY'
import h5py, numpy as np
with h5py.File("wrong_width.h5", "w") as f:
    f["X"] = np.zeros((3, 2))
    f["Y"] = np.zeros((3, 1))
PY
expect_failure 2 "X has 2 columns, but the polytope needs 1" -p poly.h5 -d wrong_width.h5
"$PYTHON" - <<'PY'
import h5py, numpy as np
with h5py.File("huge_rows.h5", "w") as f:  # declares 2^40 rows, stores none: a 2 KB file
    f.create_dataset("X", shape=(2**40, 1), dtype="f8")
    f["Y"] = np.zeros((3, 1))
PY
expect_failure 2 "X declares 1099511627776 x 1 values (8796093022208 bytes) but the file stores only 0 bytes" \
  -p poly.h5 -d huge_rows.h5
"$PYTHON" - <<'PY'
import h5py, numpy as np, struct
# A contiguous X whose header lies: 2^36 rows and 2^39 bytes of storage, in a 2 KB file. The storage
# size is read from the header too, so only the file's length shows the lie.
with h5py.File("lying_storage.h5", "w") as f:
    f["X"] = np.full((3, 1), 0.25)
    f["Y"] = np.full((5, 1), 0.5)  # another shape, so that only X's dimensions match (3, 1)
    offset = f["X"].id.get_offset()
b = bytearray(open("lying_storage.h5", "rb").read())
def where(pattern):
    found, i = [], b.find(pattern)
    while i >= 0:
        found.append(i)
        i = b.find(pattern, i + 1)
    return found
dims, layout = where(struct.pack("<QQ", 3, 1)), where(struct.pack("<QQ", offset, 24))
assert len(dims) == 2 and len(layout) == 1, (dims, layout)  # dimensions and maximum dimensions; address, size
for at in dims:
    struct.pack_into("<QQ", b, at, 2**36, 1)
struct.pack_into("<Q", b, layout[0] + 8, 2**39)
open("lying_storage.h5", "wb").write(b)
with h5py.File("lying_storage.h5", "r") as f:
    assert f["X"].shape == (2**36, 1) and f["X"].id.get_storage_size() == 2**39
PY
expect_failure 2 "X declares 68719476736 x 1 values (549755813888 bytes) but the file stores only" \
  -p poly.h5 -d lying_storage.h5

# Bad polytope files.
echo "not a polytope" > text.h5
expect_failure 2 "refused: loading /A needs about" -p poly.h5 -d good.csv --memory-budget 1K
expect_failure 1 "--memory-budget: unknown unit" -p poly.h5 -d good.csv --memory-budget 3X
expect_failure 2 "is not an HDF5 file, so not an lpnn polytope file" -p text.h5 -d good.csv
"$PYTHON" - <<'PY'
import shutil
import h5py, numpy as np
with h5py.File("no_format.h5", "w") as f:
    f["A/jc"] = np.zeros(2, dtype=np.int64)
shutil.copy("poly.h5", "version3.h5")
with h5py.File("version3.h5", "r+") as f:
    f.attrs["format_version"] = np.int64(3)
shutil.copy("poly.h5", "version2.h5")  # version 2 without its family attribute
with h5py.File("version2.h5", "r+") as f:
    f.attrs["format_version"] = np.int64(2)
shutil.copy("poly.h5", "incomplete.h5")
with h5py.File("incomplete.h5", "r+") as f:
    f.attrs["complete"] = np.int64(0)
PY
expect_failure 2 "is an HDF5 file but not an lpnn polytope file" -p no_format.h5 -d good.csv
expect_failure 1 "has polytope format version 3, but this lpnn reads versions 1 and 2" -p version3.h5 -d good.csv
expect_failure 2 "has polytope format version 3" -p version3.h5 -d good.csv
expect_failure 2 "has polytope format version 2 but bag family '', not chain; the file is damaged" \
  -p version2.h5 -d good.csv
# A chain-family polytope (format version 2) trains; its data are checked as the star's are.
run 2 "$BUILD" --arch net.json --samples 3 --grid 3 --family chain --node-grid 3 -o chain.h5 >/dev/null
run 2 "$TRAIN" -p chain.h5 -d good.csv -o chain_model.json >/dev/null
expect_failure 2 "3 columns, but the polytope needs 2" -p chain.h5 -d wrong_columns.csv
expect_failure 1 "4 samples, but the polytope was built for at most D = 3" -p chain.h5 -d too_many.csv
expect_failure 2 "outside the box [-1, 1]; rescale the data or pass --scale minmax" -p chain.h5 -d out_of_box.csv
expect_failure 2 "is an incomplete build" -p incomplete.h5 -d good.csv
expect_failure 2 "the polytope file missing.h5 does not exist" -p missing.h5 -d good.csv

# A binarized network takes ±1 data only: anything else is refused, sample and column named, never
# rounded; ±1 data train and the model says the result is exact.
cat > binary.json <<'J'
{"input": 2, "binary": true, "bias": false, "loss": "hinge", "layers": [{"units": 1, "activation": "sign"}]}
J
run 2 "$BUILD" --arch binary.json --samples 3 -o binary.h5 >/dev/null
printf 'x1,x2,y\n1,-1,1\n-1,0.5,-1\n' > not_binary.csv
expect_failure 2 "sample 2, column 2 is 0.5, but a binary network takes inputs and labels in {-1, +1} only" \
  -p binary.h5 -d not_binary.csv
printf 'x1,x2,y\n1,-1,1\n-1,1,-1\n1,1,1\n' > binary.csv
run 2 "$TRAIN" -p binary.h5 -d binary.csv -o binary_model.json >binary_stdout.txt
if ! grep -qF "exact: the trained network is the ERM optimum over binary parameters" binary_stdout.txt binary_model.json; then
  echo "FAIL: a binary network's model does not say it is exact" >&2
  failures=$((failures + 1))
else
  echo "ok   [np 2] binary network trained, exact"
fi

# An unwritable output path: the directory does not exist (the model would go to no_such_dir/).
status=0
run 2 "$TRAIN" -p poly.h5 -d good.csv -o no_such_dir/model.json >stdout.txt 2>stderr.txt || status=$?
if [ "$status" -eq 0 ] || ! grep -qF "the output directory no_such_dir does not exist" stderr.txt || [ -e no_such_dir ]; then
  echo "FAIL: lpnn-train -o no_such_dir/model.json: status $status" >&2
  cat stderr.txt >&2
  failures=$((failures + 1))
else
  echo "ok   [np 2] $(head -1 stderr.txt)"
fi

# --scale minmax: the same out-of-box data trains; the model records the scaling; lpnn-predict
# returns predictions in the data's units and the loss on stderr (labels given), none without labels.
run 2 "$BUILD" --arch net.json --samples 4 --grid 5 -o poly4.h5 >/dev/null
printf 'x,y\n0,10\n25,14\n60,15.5\n100,20\n' > raw.csv
expect_failure 2 "outside the box" -p poly4.h5 -d raw.csv
run 2 "$TRAIN" -p poly4.h5 -d raw.csv --scale minmax -o scaled.json >/dev/null
"$PREDICT" --model scaled.json --data raw.csv >predictions.csv 2>predict_stderr.txt
"$PYTHON" "$SCRIPTS/check_scaling.py" scaled.json raw.csv predictions.csv predict_stderr.txt
printf 'x\n0\n50\n' > unlabelled.csv
"$PREDICT" --model scaled.json --data unlabelled.csv >unlabelled_predictions.csv 2>unlabelled_stderr.txt
if [ "$(wc -l <unlabelled_predictions.csv)" -ne 3 ] || grep -q "^loss" unlabelled_stderr.txt; then
  echo "FAIL: lpnn-predict on unlabelled data" >&2
  failures=$((failures + 1))
fi

# lpnn-predict on labelled in-box data: the loss line equals the model's training loss.
"$PREDICT" --model good.json --data good.csv >/dev/null 2>predict_good.txt
"$PYTHON" - <<'PY'
import json, re
text = open("predict_good.txt").read()
m = re.search(r"^loss (\S+) \(mean squared loss over 3 samples\)", text, re.M)
assert m, f"no loss line: {text!r}"
expected = json.load(open("good.json"))["losses"]["train_loss"]
assert abs(float(m.group(1)) - expected) <= 1e-9 * (1 + abs(expected)), (m.group(1), expected)
print(f"ok   lpnn-predict loss line: {m.group(0)}")
PY

# Damaged model files: lpnn-predict refuses them with a message, never reads out of bounds.
"$PYTHON" - <<'PY'
import json
m = json.load(open("scaled.json"))
m["scaling"]["input_min"] = []
json.dump(m, open("short_scaling.json", "w"))
m = json.load(open("scaled.json"))
m["format_version"] = "1"
json.dump(m, open("typed_version.json", "w"))
# Numbers no 64-bit integer holds (converting 1e70 to an integer is undefined behaviour in C++).
m = json.load(open("scaled.json"))
m["format_version"] = 1.5e70
json.dump(m, open("huge_version.json", "w"))
m = json.load(open("scaled.json"))
m["grid"]["param"] = 1e70
json.dump(m, open("huge_grid.json", "w"))
m = json.load(open("scaled.json"))
m["grid"]["input"] = 2**64 - 1
json.dump(m, open("wide_grid.json", "w"))
open("truncated.json", "w").write(json.dumps(json.load(open("scaled.json")))[:40])
PY
for case in "short_scaling.json|scaling.input_min has 0 entries, but the architecture needs 1" \
            "typed_version.json|malformed model" "huge_version.json|\"format_version\" must be an integer" \
            "huge_grid.json|grid.param must be an integer" "wide_grid.json|grid.input must be an integer" \
            "missing.json|cannot open the model file missing.json" "truncated.json|truncated.json is not a JSON model file"; do
  model=${case%%|*} fragment=${case#*|}
  status=0
  "$PREDICT" --model "$model" --data raw.csv >/dev/null 2>predict_bad.txt || status=$?
  if [ "$status" -eq 0 ] || ! grep -qF -- "$fragment" predict_bad.txt; then
    echo "FAIL: lpnn-predict --model $model: status $status, stderr lacks \"$fragment\"" >&2
    sed 's/^/    | /' predict_bad.txt >&2
    failures=$((failures + 1))
  else
    echo "ok   lpnn-predict $model: $(head -1 predict_bad.txt)"
  fi
done

if [ "$failures" -ne 0 ]; then
  echo "train.bad_input: $failures check(s) failed" >&2
  exit 1
fi
echo "train.bad_input: every bad input refused with a clear message and no model file"
