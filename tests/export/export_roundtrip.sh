#!/bin/bash
# export.roundtrip: lpnn-export's MPS solved by independent solvers that read MPS (GLPK's glpsol, Clp's
# standalone clp), compared with lpnn-train's exhaustive grid search and LP (the face), and with the
# full LP's closed-form optimum computed by h5py from the file (the polytope); names, gzip, bounded
# memory, and bad input that leaves an existing output untouched.
# Environment (set by CMake): BUILD TRAIN EXPORT MPIEXEC PYTHON SCRIPTS EXAMPLES WORK.
set -euo pipefail
rm -rf "$WORK" && mkdir -p "$WORK" && cd "$WORK"

run() { timeout 120 "$MPIEXEC" -n "$1" --oversubscribe "${@:2}"; }
glpk_objective() {  # glpk_objective FILE.mps: the optimum glpsol reports
  glpsol --freemps "$1" --min -o "$1.sol" >"$1.glpsol.log"
  grep -q 'OPTIMAL' "$1.sol" || { cat "$1.glpsol.log"; exit 1; }
  awk '/^Objective:/ {print $4}' "$1.sol"
}
clp_objective() {  # clp_objective FILE.mps[.gz]: the optimum Clp's standalone solver reports
  clp "$1" -solve >"$1.clp.log"
  grep -q '^Optimal objective' "$1.clp.log" || { cat "$1.clp.log"; exit 1; }
  awk '/^Optimal objective/ {print $3}' "$1.clp.log"
}
close() {  # close WHAT A B: |A - B| <= 1e-6 (1 + |B|)
  "$PYTHON" -c "import sys; a, b = float('$2'), float('$3'); sys.exit(0 if abs(a - b) <= 1e-6 * (1 + abs(b)) else 1)" ||
    { echo "$1: $2 differs from $3"; exit 1; }
  echo "$1: $2 = $3"
}

# 1. XOR (2-2-1 ReLU, squared loss), K = 2, D = 6; the face of 4 samples (D' < D) and of 6 noisy ones.
run 2 "$BUILD" --arch "$EXAMPLES/xor.json" --samples 6 --grid 2 -o xor.h5 >/dev/null
printf 'x1,x2,y\n-0.9,-0.8,-0.7\n-0.6,0.9,0.8\n0.7,-0.9,0.6\n0.8,0.6,-0.9\n0.2,-0.3,0.4\n-0.1,0.1,-0.2\n' >noisy.csv
for data in "$EXAMPLES/xor.csv" noisy.csv; do
  name=$(basename "$data" .csv)
  run 1 "$EXPORT" -p xor.h5 -d "$data" --mps "$name.mps" >/dev/null
  run 2 "$EXPORT" -p xor.h5 -d "$data" --mps "$name.mps.gz" >/dev/null
  cmp <(gzip -dc "$name.mps.gz") "$name.mps"  # same LP whatever the compression and rank count
  run 2 "$TRAIN" -p xor.h5 -d "$data" --method grid --json -o "$name-grid.json" >"$name-grid.out"
  run 2 "$TRAIN" -p xor.h5 -d "$data" --json -o "$name-lp.json" >"$name-lp.out"
  grid=$("$PYTHON" -c "import json; print(json.load(open('$name-grid.json'))['losses']['grid_loss'])")
  lp=$("$PYTHON" -c "import json; print(json.load(open('$name-lp.json'))['losses']['lp_objective'])")
  close "$name face: glpsol vs grid search" "$(glpk_objective "$name.mps")" "$grid"
  close "$name face: clp (gzip MPS) vs grid search" "$(clp_objective "$name.mps.gz")" "$grid"
  close "$name face: lpnn-train LP vs grid search" "$lp" "$grid"
done

# The penalty form of the last face (BMP's Farkas objective, no fixed columns) has the same optimum.
run 1 "$EXPORT" -p xor.h5 -d noisy.csv --face penalty --mps penalty.mps >/dev/null
if grep -q " FX " penalty.mps; then echo "the penalty face fixes columns"; exit 1; fi
close "noisy face, penalty objective: glpsol vs grid search" "$(glpk_objective penalty.mps)" "$grid"

# 2. The full LP (penalty-free, as stored) against its closed form from the file: each bag picks its
#    cheapest template point for the common X = e_a, so optimum = min_a (x_cost[a] + Σ_d min_st c[λ^d(a, st)]).
run 1 "$EXPORT" -p xor.h5 --mps full.mps.gz --json >full.json
gzip -dc full.mps.gz >full.mps
closed=$("$PYTHON" - <<'P'
import h5py
with h5py.File("xor.h5") as f:
    M, B, D = (int(f.attrs[k]) for k in ("parameter_grid_points", "bag_size", "samples"))
    c = f["lp/c"][:]
S = B // M
print(repr(float((c[:M] + c[M:].reshape(D, M, S).min(axis=2).sum(axis=0)).min())))
P
)
close "full LP: glpsol vs closed form" "$(glpk_objective full.mps)" "$closed"
close "full LP: clp vs closed form" "$(clp_objective full.mps.gz)" "$closed"

# 3. Names identify the kind and sample; sizes equal the file's.
"$PYTHON" - <<'P'
import json, h5py, re
f = h5py.File("xor.h5")
rows, cols, nnz = (int(f.attrs[k]) for k in ("rows", "columns", "nonzeros"))
rep = json.load(open("full.json"))
assert (rep["rows"], rep["columns"], rep["nonzeros"]) == (rows, cols, nnz), rep
section, row_names, col_names, entries = None, set(), set(), 0
for line in open("full.mps"):
    if line.startswith("*"): continue
    if not line.startswith(" "): section = line.split()[0]; continue
    t = line.split()
    if section == "ROWS": row_names.add(t[1])
    if section == "COLUMNS":
        col_names.add(t[0]); entries += t[1] != "obj"
assert len(row_names) == rows + 1 and len(col_names) == cols and entries == nnz, (len(row_names), len(col_names), entries)
assert {"obj", "conv_0", "conv_5", "cons_5_511"} <= row_names and {"X_0", "X_511", "lam_5_4095"} <= col_names
assert all(re.fullmatch(r"obj|conv_\d+|cons_\d+_\d+", r) for r in row_names)
assert all(re.fullmatch(r"X_\d+|lam_\d+_\d+", c) for c in col_names)
print(f"names: {rows} rows (conv_d, cons_d_a), {cols} columns (X_a, lam_d_j), {nnz} nonzeros")
# The file's block_structure attribute, and the MPS entries respecting it: a bag's column meets only its
# own block's rows, a linking column X only consistency rows (no linking rows).
bs = json.loads(f.attrs["block_structure"])
M, B, D = (int(f.attrs[k]) for k in ("parameter_grid_points", "bag_size", "samples"))
assert (bs["linking_columns"], bs["linking_rows"], bs["blocks"], bs["first_block_row"], bs["rows_per_block"],
        bs["first_block_column"], bs["columns_per_block"]) == ([0, M], 0, D, 0, 1 + M, M, B), bs
section = None
for line in open("full.mps"):
    if not line.startswith(" "):
        section = line.split()[0]
        continue
    if section != "COLUMNS": continue
    col, row = line.split()[:2]
    if row == "obj": continue
    if col.startswith("lam_"):
        d = col.split("_")[1]
        assert row == f"conv_{d}" or row.startswith(f"cons_{d}_"), (col, row)
    else:
        assert row.startswith("cons_") and row.endswith("_" + col.split("_")[1]), (col, row)
print(f"block_structure: X linking {M} columns, {D} blocks of {1 + M} rows x {B} columns; MPS entries agree")
P

# 4. Memory stays at one bag: D = 200 (28 MB of CSR) exports in about the peak RSS of D = 6. (Measured
#    without the checksum pass, which reads each rank's share of every dataset: 1/P of the file.)
run 1 "$BUILD" --arch "$EXAMPLES/xor.json" --samples 200 --grid 2 -o xor200.h5 >/dev/null
/usr/bin/time -f %M -o rss6 "$EXPORT" -p xor.h5 --mps big6.mps --skip-checksums >/dev/null
/usr/bin/time -f %M -o rss200 "$EXPORT" -p xor200.h5 --mps big200.mps --skip-checksums >/dev/null
echo "peak RSS: D = 6 $(cat rss6) KiB, D = 200 $(cat rss200) KiB"
(($(cat rss200) < $(cat rss6) + 8192)) || { echo "export memory grows with D"; exit 1; }
rm -f big6.mps big200.mps

# 5. Bad input: a clear error, a non-zero exit, the existing output untouched, no temporary left.
echo "keep me" >keep.mps
expect_refusal() {  # expect_refusal MESSAGE-PART ARGS...: lpnn-export ARGS --mps keep.mps must fail with it
  local part=$1
  shift
  if "$EXPORT" "$@" --mps keep.mps >out.log 2>err.log; then echo "accepted: $*"; exit 1; fi
  grep -q -- "$part" err.log || { echo "wrong message for $*:"; cat err.log; exit 1; }
  [[ $(cat keep.mps) == "keep me" ]] || { echo "keep.mps damaged by: $*"; exit 1; }
}
expect_refusal "does not exist" -p missing.h5
printf 'x1,y\n0.5,0.5\n' >narrow.csv
expect_refusal "inputs" -p xor.h5 -d narrow.csv
printf 'x1,x2,y\n0.5,3,0.5\n' >outside.csv
expect_refusal "scale" -p xor.h5 -d outside.csv
run 1 "$BUILD" --arch "$EXAMPLES/xor.json" --samples 2 --grid 2 --family chain --node-grid 3 -o chain.h5 >/dev/null
expect_refusal "holds the chain bag family's polytope (format version 2)" -p chain.h5  # its columns are not the star's
if "$EXPORT" -p xor.h5 --mps xor.h5 2>err.log; then echo "overwrote the polytope"; exit 1; fi
grep -q "polytope file itself" err.log
mkdir -p adir
if "$EXPORT" -p xor.h5 --mps adir 2>err.log; then echo "wrote over a directory"; exit 1; fi
if ls -a | grep '^\..*\.mps.*\.' > /dev/null; then echo "temporary file left:"; ls -a; exit 1; fi
echo "export.roundtrip: MPS faces and full LP agree with glpsol, clp, grid search and the closed form"
