#!/usr/bin/env bash
# Integrity checks: dataset checksums written by lpnn-build at P ranks match an independent
# zlib CRC-32 (Python); a flipped byte in /A/ir or /A/data is refused by `lpnn-info --verify` and by
# lpnn-train (which verifies by default) with a message naming the dataset and no model written; an
# lpnn polytope passed as training data, and a negative K, are refused clearly.
# Usage: cli_integrity.sh MPIEXEC RANKS LPNN_BIN_DIR PYTHON WORKDIR SOURCE_DIR
set -euo pipefail
MPIEXEC=$1 P=$2 BIN=$3 PY=$4 WORK=$5 SRC=$6
rm -rf "$WORK" && mkdir -p "$WORK" && cd "$WORK"
failures=0 passes=0
run() { "$MPIEXEC" -n "$P" --oversubscribe "$@"; }
expect_failure() {  # name, expected text, command...
  local name=$1 text=$2; shift 2
  if "$@" >out.txt 2>err.txt; then echo "FAIL $name: exit 0"; failures=$((failures + 1)); return; fi
  if ! grep -qF -- "$text" err.txt; then
    echo "FAIL $name: stderr lacks '$text':"; cat err.txt; failures=$((failures + 1)); return
  fi
  echo "PASS $name"; passes=$((passes + 1))
}
run "$BIN/lpnn-build" --arch "$SRC/jobs/examples/xor.json" --samples 4 --grid 3 -o poly.h5 >/dev/null

# 1. The stored CRC-32 of every dataset equals zlib's over the stored bytes, computed here.
"$PY" - <<'PYEOF'
import sys, zlib, h5py
with h5py.File("poly.h5", "r") as f:
    names = ["A/jc", "A/ir", "A/data", "lp/b", "lp/c", "template/cost", "grids/param", "grids/input", "grids/output"]
    for n in names:
        d = f[n]
        crc = zlib.crc32(d[:].astype(d.dtype.newbyteorder("<")).tobytes())
        if crc != d.attrs["crc32"]:
            sys.exit(f"FAIL crc of {n}: {crc:08x} != {d.attrs['crc32']:08x}")
print("PASS stored checksums equal zlib's")
PYEOF
passes=$((passes + 1))
run "$BIN/lpnn-info" poly.h5 --verify >/dev/null && { echo "PASS lpnn-info --verify on a good file"; passes=$((passes + 1)); }

# 2. One flipped bit in /A/ir, one in /A/data.
for target in A/ir A/data; do
  cp poly.h5 flipped.h5
  "$PY" -c "
import h5py
with h5py.File('flipped.h5', 'r+') as f:
    d = f['$target']
    v = d[1234]
    d[1234] = (v ^ 1) if d.dtype.kind == 'i' else -v
"
  expect_failure "verify flipped $target" "checksum of /$target" run "$BIN/lpnn-info" flipped.h5 --verify
  rm -f model.json
  expect_failure "train on flipped $target" "checksum of /$target" \
    run "$BIN/lpnn-train" --polytope flipped.h5 --data "$SRC/jobs/examples/xor.csv" -o model.json
  if [[ -e model.json ]]; then echo "FAIL train on flipped $target wrote a model"; failures=$((failures + 1)); fi
done

# 3. A polytope file given as the data set; a negative K.
expect_failure "polytope as data" "the dataset X is missing" \
  run "$BIN/lpnn-train" --polytope poly.h5 --data poly.h5 -o model.json
expect_failure "negative K" "got -3" \
  run "$BIN/lpnn-build" --plan --arch "$SRC/jobs/examples/xor.json" --samples 4 --grid -3
echo "$passes passed, $failures failed"
[[ $failures -eq 0 ]]
