#!/bin/bash
# A chain file's /family record read by a program that knows nothing of lpnn, on P ranks:
#   1. a dense relu network and a binarized network built with --family chain; check_family.py (h5py,
#      numpy only) interprets every column from /family and rebuilds one sample's rows, right-hand
#      sides and costs;
#   2. the checker can fail: a copy whose description moves a bag's first row is refused by it, and
#      lpnn-info refuses the damaged copy by name (the reader compares /family with its own);
#   3. lpnn-info lists the bags (--bags) and includes the description in --json.
#
# Usage: cli_chain_family.sh MPIEXEC RANKS LPNN_BUILD LPNN_INFO PYTHON WORKDIR (root variables set by ctest)
CHECK="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/check_family.py"
source "$(dirname "${BASH_SOURCE[0]}")/cli_common.sh" "$@"

cat > dense.json <<'JSON'
{"input": 2, "layers": [{"units": 2, "activation": "relu"}, {"units": 1, "activation": "identity"}],
 "bias": true, "loss": "squared"}
JSON
cat > binary.json <<'JSON'
{"input": 2, "binary": true, "bias": false, "loss": "hinge",
 "layers": [{"units": 2, "activation": "sign"}, {"units": 1, "activation": "sign"}]}
JSON

# 1. Build and interpret.
build_and_check() {
  local name=$1
  shift
  if ! mpirun_p "$BUILD" "$@" -o "$name.h5" > "$name.log" 2>&1; then fail "$name: build"; cat "$name.log"; return; fi
  if "$PY" "$CHECK" "$name.h5" > "$name.check" 2>&1; then ok "$name: $(cat "$name.check")"
  else fail "$name: /family against /A"; cat "$name.check"; fi
}
build_and_check dense --arch dense.json --samples 3 --grid 2 --family chain --node-grid 3
build_and_check binary --arch binary.json --samples 4 --family chain

# 2. A damaged description: bag 2's first row moved by one.
if [ -f dense.h5 ]; then
  cp dense.h5 broken.h5
  "$PY" - broken.h5 <<'PY'
import json, sys
import h5py, numpy as np
with h5py.File(sys.argv[1], "r+") as f:
    d = json.loads(bytes(f["/family/description"][:]).decode())
    d["bags"][2]["first_row"] += 1
    crc = f["/family/description"].attrs["crc32"]
    del f["/family/description"]
    text = json.dumps(d, separators=(",", ":"))  # as compact as lpnn's: the same length
    f["/family/description"] = np.frombuffer(text.encode(), dtype=np.uint8)
    f["/family/description"].attrs["crc32"] = crc
PY
  if "$PY" "$CHECK" broken.h5 > broken.check 2>&1 || ! grep -q MISMATCH broken.check; then
    fail "the checker accepts a moved first row (or fails otherwise)"; cat broken.check
  else ok "the checker refuses a moved first row: $(grep -m1 MISMATCH broken.check)"; fi
  if on 1 "$INFO" broken.h5 --no-load > broken.info 2>&1; then fail "lpnn-info accepts a damaged /family"
  elif grep -q "/family/description" broken.info; then ok "lpnn-info refuses a damaged /family: $(grep -m1 family broken.info)"
  else fail "lpnn-info's refusal does not name /family/description"; cat broken.info; fi
fi

# 3. lpnn-info.
if [ -f binary.h5 ]; then
  if on 1 "$INFO" binary.h5 --no-load --bags > bags.txt 2>&1 && grep -q "bag   1 sample 0 step 1" bags.txt; then
    ok "lpnn-info --bags: $(grep -c '^    bag' bags.txt) bags"
  else fail "lpnn-info --bags"; cat bags.txt; fi
  if on 1 "$INFO" binary.h5 --no-load --json > info.json 2>&1 &&
    "$PY" -c 'import json,sys; j=json.load(open("info.json")); sys.exit(0 if j["family_description"]["bags"] else 1)'; then
    ok "lpnn-info --json includes the description"
  else fail "lpnn-info --json"; cat info.json; fi
fi
finish
