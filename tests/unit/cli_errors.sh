#!/bin/bash
# lpnn-build --plan on bad specs and arguments: each must exit non-zero with the expected message on
# stderr. Then a good --plan --json run whose JSON has rows/columns/nonzeros equal to the formulas.
#
#   cli_errors.sh LPNN_BUILD TMPDIR [PYTHON]
#
# lpnn-build initializes MPI even without mpirun, so running as root needs
# OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 (ctest sets them).
set -u
build=${1:?usage: cli_errors.sh LPNN_BUILD TMPDIR [PYTHON]}
tmp=${2:?usage: cli_errors.sh LPNN_BUILD TMPDIR [PYTHON]}
python=${3:-/usr/bin/python3}
rm -rf "$tmp" && mkdir -p "$tmp" || exit 1

failures=0
fail() {
  echo "FAIL: $*"
  failures=$((failures + 1))
}

# expect_error NAME EXPECTED_STDERR_SUBSTRING ARGS...: non-zero exit, substring on stderr.
expect_error() {
  local name=$1 expected=$2
  shift 2
  "$build" "$@" >"$tmp/$name.out" 2>"$tmp/$name.err"
  local rc=$?
  if [ "$rc" -eq 0 ]; then
    fail "$name: exit 0, expected an error (args: $*)"
  elif ! grep -qF -- "$expected" "$tmp/$name.err"; then
    fail "$name: exit $rc but stderr lacks \"$expected\"; stderr was:"
    sed 's/^/    /' "$tmp/$name.err"
  else
    echo "ok: $name (exit $rc): $(head -c 300 "$tmp/$name.err" | tr '\n' ' ')"
  fi
}

spec() {  # spec NAME JSON
  printf '%s\n' "$2" >"$tmp/$1.json"
}

spec good '{"input": 2, "layers": [{"units": 2, "activation": "relu"}, {"units": 1, "activation": "identity"}], "loss": "squared"}'
spec malformed '{"input": 2, "layers": [{"units": 2, "activation": "relu"}'
spec activation '{"input": 2, "layers": [{"units": 2, "activation": "sigmoid"}], "loss": "squared"}'
spec units0 '{"input": 2, "layers": [{"units": 0, "activation": "relu"}], "loss": "squared"}'
spec regneg '{"input": 2, "layers": [{"units": 1, "activation": "relu"}], "loss": "squared", "regularizer": {"kind": "l2", "weight": -0.5}}'
spec loss '{"input": 2, "layers": [{"units": 1, "activation": "relu"}], "loss": "poisson"}'
spec slope '{"input": 2, "layers": [{"units": 1, "activation": "leaky_relu", "slope": 2}], "loss": "squared"}'
spec typo '{"input": 2, "layers": [{"units": 1, "activation": "relu", "unitz": 3}], "loss": "squared"}'
# N = 9 parameters, n = 2, m = 1 with K = 316: B = 316^12 ≈ 10^30 columns per sample.
spec many '{"input": 2, "layers": [{"units": 2, "activation": "relu"}, {"units": 1, "activation": "identity"}], "loss": "squared"}'

expect_error malformed_json   "malformed JSON"                --plan --arch "$tmp/malformed.json" --samples 4 --grid 3
expect_error unknown_act      'unknown activation "sigmoid"'   --plan --arch "$tmp/activation.json" --samples 4 --grid 3
expect_error unknown_loss     'unknown loss "poisson"'        --plan --arch "$tmp/loss.json" --samples 4 --grid 3
expect_error units_zero       "layers[0].units must be at least 1, got 0" --plan --arch "$tmp/units0.json" --samples 4 --grid 3
expect_error reg_negative     "regularizer.weight"             --plan --arch "$tmp/regneg.json" --samples 4 --grid 3
expect_error reg_negative_val "-0.5"                           --plan --arch "$tmp/regneg.json" --samples 4 --grid 3
expect_error leaky_slope      "layers[0].slope must be in [0, 1], got 2" --plan --arch "$tmp/slope.json" --samples 4 --grid 3
expect_error unknown_key      'unknown field "unitz"'          --plan --arch "$tmp/typo.json" --samples 4 --grid 3
expect_error grid_one         "K must be at least 2"           --plan --arch "$tmp/good.json" --samples 4 --grid 1
expect_error samples_zero     "samples D must be at least 1, got 0" --plan --arch "$tmp/good.json" --samples 0 --grid 3
expect_error compression_mode "expected none, deflate or deflate:LEVEL with LEVEL in 1..9" --plan --arch "$tmp/good.json" --samples 4 --grid 3 --compression deflate:10
# A refused plan prints its verdict on stdout and exits 3.
"$build" --plan --arch "$tmp/good.json" --samples 1 --grid 9 --ranks 1 --compression deflate >"$tmp/chunk.out" 2>&1
rc=$?
if [ "$rc" -eq 3 ] && grep -qF "nonzeros in one HDF5 chunk, at most 2^28" "$tmp/chunk.out"; then
  echo "ok: compression_chunk (exit 3): $(grep -m1 REFUSED "$tmp/chunk.out")"
else fail "compression_chunk: exit $rc"; cat "$tmp/chunk.out"; fi
expect_error huge_polytope    "overflows 64-bit arithmetic"    --plan --arch "$tmp/many.json" --samples 1 --grid 316
expect_error missing_arch     "--arch"                         --plan --arch "$tmp/does-not-exist.json" --samples 4 --grid 3
expect_error no_grid          "--grid"                         --plan --arch "$tmp/good.json" --samples 4
expect_error bad_epsilon      "epsilon"                        --plan --arch "$tmp/good.json" --samples 4 --epsilon -1
expect_error bad_budget       "--memory-budget"                --plan --arch "$tmp/good.json" --samples 4 --grid 3 --memory-budget lots
expect_error both_modes       "--streaming excludes --assembled" --plan --arch "$tmp/good.json" --samples 4 --grid 3 --streaming --assembled

# A valid but refused plan (over the memory budget) exits non-zero; the plan, with the reason, goes to
# stdout like any plan.
"$build" --plan --arch "$tmp/good.json" --samples 4 --grid 3 --memory-budget 1M >"$tmp/budget.out" 2>"$tmp/budget.err"
rc=$?
if [ "$rc" -eq 0 ]; then
  fail "over_budget: exit 0, expected a refusal"
elif ! grep -qF "memory budget" "$tmp/budget.out" "$tmp/budget.err"; then
  fail "over_budget: exit $rc but no \"memory budget\" in the output"
else
  echo "ok: over_budget (exit $rc): $(grep -hF "memory budget" "$tmp/budget.out" "$tmp/budget.err" | head -c 300)"
fi

# A good plan: JSON on stdout with the layout's sizes. N = 9, n = 2, m = 1, K = 3, D = 4:
# M = 3^9, B = 3^12, rows = D(1+M), columns = M + D·B, nonzeros = D(2B+M).
if "$build" --plan --json --arch "$tmp/good.json" --samples 4 --grid 3 >"$tmp/good.out" 2>"$tmp/good.err"; then
  if "$python" -c '
import json, sys
plan = json.load(open(sys.argv[1]))
D, K, N, n, m = 4, 3, 9, 2, 1
M, B = K**N, K**(N + n + m)
expected = {"rows": D * (1 + M), "columns": M + D * B, "nonzeros": D * (2 * B + M),
            "parameter_grid_points": M, "bag_size": B, "samples": D, "buildable": True}
bad = {k: (plan.get(k), v) for k, v in expected.items() if plan.get(k) != v}
if bad:
    sys.exit("plan disagrees with the formulas (got, expected): %r" % bad)
print("ok: good plan rows=%d columns=%d nonzeros=%d" % (plan["rows"], plan["columns"], plan["nonzeros"]))
' "$tmp/good.out"; then :; else
    fail "good plan: JSON check failed; stdout was:"
    sed 's/^/    /' "$tmp/good.out"
  fi
else
  fail "good plan: exit $?; stderr was:"
  sed 's/^/    /' "$tmp/good.err"
fi

# Mixed grids through the per-group options: K_param = 2, K_input = 3, K_output = 4.
if "$build" --plan --json --arch "$tmp/good.json" --samples 3 --grid-param 2 --grid-input 3 --grid-output 4 \
    >"$tmp/mixed.out" 2>"$tmp/mixed.err"; then
  "$python" -c '
import json, sys
plan = json.load(open(sys.argv[1]))
D, M, B = 3, 2**9, 2**9 * 3**2 * 4
assert (plan["rows"], plan["columns"], plan["nonzeros"]) == (D * (1 + M), M + D * B, D * (2 * B + M)), plan
print("ok: mixed-grid plan")
' "$tmp/mixed.out" || fail "mixed-grid plan: JSON check failed"
else
  fail "mixed-grid plan: exit $?"
  sed 's/^/    /' "$tmp/mixed.err"
fi

# Bag families side by side. Dense 2-1-1 (N = 5, K = 3, node grid 5, D = 2): the sum chain has per
# sample the bags (φ, x0) 243·3, (w1, v, b', s, x1) 27·5·3, (v, b', h) 9·5, (o, y) 5·3 = 1194 columns,
# edge rows 243 + 135 + 45 + 5 and 4 convexity rows; nonzeros 2·1194 + the parents' 243 + 729 + 405 + 45.
spec chain '{"input": 2, "layers": [{"units": 1, "activation": "relu"}, {"units": 1, "activation": "identity"}], "loss": "squared"}'
# --node-grid belongs to the chain: refused with the star (default or named), below 2 points, and for a
# binary network (whose chain is on the integer lattice).
spec binary '{"input": 2, "binary": true, "bias": false, "loss": "hinge", "layers": [{"units": 1, "activation": "sign"}]}'
expect_error node_grid_star "--node-grid 5 applies to the sum chain only" --plan --arch "$tmp/chain.json" --samples 2 \
  --grid 3 --node-grid 5
expect_error node_grid_star_named "add --family chain (or --family auto)" --plan --arch "$tmp/chain.json" --samples 2 \
  --grid 3 --family star --node-grid 3
expect_error node_grid_one "--node-grid must be exact or between 2 and 2^20 points per neuron's node grid, got 1" --plan \
  --arch "$tmp/chain.json" --samples 2 --grid 3 --family chain --node-grid 1
expect_error node_grid_negative "got -4" --plan --arch "$tmp/chain.json" --samples 2 --grid 3 --family auto \
  --node-grid -4
expect_error node_grid_binary "uses the integer node lattice" --plan --arch "$tmp/binary.json" --samples 2 \
  --family chain --node-grid 3
expect_error node_grid_word "got five" --plan --arch "$tmp/chain.json" --samples 2 --grid 3 --family chain \
  --node-grid five
# `exact` is the integer lattice: accepted for a binary network (its only lattice) and for a network whose
# node bounds are integers (the dense 2-1-1: U = 1 + 1 + 1 = 3 for the hidden unit, 1 + 3 = 4 for the
# output), planned with node grids "integers".
for arch in binary chain; do
  grid=(--grid 3)
  [ "$arch" = binary ] && grid=()  # K = 2, forced
  "$build" --plan --json --arch "$tmp/$arch.json" --samples 2 "${grid[@]}" --family chain --node-grid exact \
    >"$tmp/exact.out" 2>"$tmp/exact.err" || fail "--node-grid exact on $arch: $(cat "$tmp/exact.err")"
  "$python" -c 'import json, sys; c = json.load(open(sys.argv[1]))["families"]["chain"]; assert c["node_grid"] == "integers", c' \
    "$tmp/exact.out" || fail "--node-grid exact on $arch is not the integer lattice"
done
if "$build" --plan --json --arch "$tmp/chain.json" --samples 2 --grid 3 --family auto --node-grid 5 \
    >"$tmp/family.out" 2>"$tmp/family.err"; then
  "$python" -c '
import json, sys
f = json.load(open(sys.argv[1]))["families"]
D, M, B = 2, 3**5, 3**8
assert (f["star"]["rows"], f["star"]["columns"], f["star"]["nonzeros"]) == (D * (1 + M), M + D * B, D * (2 * B + M)), f
c = f["chain"]
assert (c["rows"], c["columns"], c["nonzeros"]) == (D * (4 + 243 + 135 + 45 + 5), M + D * 1194,
                                                    D * (2 * 1194 + 243 + 729 + 405 + 45)), c
assert c["bags_per_sample"] == 4 and f["smallest"] == "chain" and c["rounding_bound"] > 0, f
# auto builds the family with fewer nonzeros: the plan above it is the chain
plan = json.load(open(sys.argv[1]))
assert f["chosen"] == "chain" and plan["family"] == "chain" and plan["nonzeros"] == c["nonzeros"], plan
print("ok: family plan, chain columns %d vs star %d" % (c["columns"], f["star"]["columns"]))
' "$tmp/family.out" || fail "family plan: JSON check failed"
else
  fail "family plan: exit $?"
  sed 's/^/    /' "$tmp/family.err"
fi

if [ "$failures" -ne 0 ]; then
  echo "$failures check(s) failed"
  exit 1
fi
echo "all CLI checks passed"
