#!/bin/bash
# The plan of a build is the file it writes, on P ranks, for the star and the sum chain:
#   1. a dense network, a 1-D CNN and a binarized network, each built as the star and as the chain:
#      `lpnn-build --plan --json --ranks P` against a direct count of the file (check_plan_counts.py:
#      rows, columns, nonzeros, the busiest rank's nonzeros, the datasets' bytes = bytes_on_disk, the
#      file at most 1 MiB plus 1 MiB per aligned dataset above it, memory per rank at least the busiest rank's CSR and block);
#   2. --family auto builds the family its plan chose and says so (for the dense network, the star);
#   3. chains the star would refuse: a memory budget between the two plans' (the star is refused, the
#      chain builds), and a network whose star overflows 64 bits (the star's plan fails, auto builds the
#      chain).
#
# Usage: cli_chain_plan.sh MPIEXEC RANKS LPNN_BUILD LPNN_INFO PYTHON WORKDIR (root variables set by ctest)
source "$(dirname "${BASH_SOURCE[0]}")/cli_common.sh" "$@"
CHECK="$(dirname "${BASH_SOURCE[0]}")/check_plan_counts.py"

cat > dense.json <<'EOF'
{"input": 2, "layers": [{"units": 2, "activation": "relu"}, {"units": 1, "activation": "identity"}],
 "bias": true, "loss": "squared"}
EOF
cat > cnn.json <<'EOF'
{"input": 4, "input_shape": [1, 4], "bias": false, "loss": "squared",
 "layers": [{"type": "conv1d", "channels": 1, "kernel": 2, "activation": "relu"},
            {"units": 1, "activation": "identity"}]}
EOF
cat > binary.json <<'EOF'
{"input": 2, "binary": true, "bias": false, "loss": "hinge",
 "layers": [{"units": 2, "activation": "sign"}, {"units": 1, "activation": "sign"}]}
EOF
# conv1d (kernel 2, stride 2) over 40 inputs, one average pool, one linear unit, N = 3: on K = 3 the
# star's bag has 3^44 columns, beyond 64 bits.
cat > wide.json <<'EOF'
{"input": 40, "input_shape": [1, 40], "bias": false, "loss": "squared",
 "layers": [{"type": "conv1d", "channels": 1, "kernel": 2, "stride": 2, "activation": "relu"},
            {"type": "avgpool1d", "size": 20}, {"units": 1, "activation": "identity"}]}
EOF

# plan_and_build NAME ARGS...: plans for P ranks, builds on P ranks, compares the two. Assembled
# (--assembled), whose memory per rank must hold the busiest rank's whole CSR (check_plan_counts.py).
plan_and_build() {
  local name=$1
  shift
  set -- "$@" --assembled
  if ! "$BUILD" "$@" --plan --json --ranks "$P" > "$name.plan" 2> "$name.plan.log"; then
    fail "$name: --plan"; cat "$name.plan.log"; return
  fi
  if ! on "$P" "$BUILD" "$@" -o "$name.h5" > "$name.log" 2>&1; then fail "$name: build"; cat "$name.log"; return; fi
  if "$PY" "$CHECK" "$name.plan" "$name.h5" "$P" > "$name.check" 2>&1; then ok "$name: $(cat "$name.check")"
  else fail "$name: plan against file"; cat "$name.check"; fi
}

# 1. Three networks, two families (the dense network's star is the one auto builds, in 2.).
plan_and_build dense-chain --arch dense.json --samples 5 --grid 2 --family chain --node-grid 3
plan_and_build cnn-star --arch cnn.json --samples 3 --grid 3
plan_and_build cnn-chain --arch cnn.json --samples 3 --grid 3 --family chain --node-grid 3
plan_and_build binary-star --arch binary.json --samples 4
plan_and_build binary-chain --arch binary.json --samples 4 --family chain

# 2. auto: the family its plan chose (the star: 43,520 nonzeros against the chain's 43,810), named in
# the build's output.
plan_and_build dense-auto --arch dense.json --samples 5 --grid 2 --family auto --node-grid 3
chosen=$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["families"]["chosen"])' dense-auto.plan)
if grep -qF "chosen: $chosen (auto: the family with fewer nonzeros" dense-auto.log &&
  "$PY" -c 'import h5py,sys; f=h5py.File(sys.argv[1],"r"); a=f.attrs.get("family","star")
sys.exit(0 if (a.decode() if isinstance(a, bytes) else a) == sys.argv[2] else 1)' dense-auto.h5 "$chosen"; then
  ok "--family auto built the $chosen, as its plan chose, and said so"
else fail "--family auto did not build or name its plan's choice ($chosen)"; cat dense-auto.log; fi

# 3a. A budget between the chain's and the star's memory per rank (the CNN above: the chain's plan
# needs about 5.8 MB per rank on 2 ranks, the star's 9.0 MB).
cnn=(--arch cnn.json --samples 3 --grid 3)
budget=$("$PY" -c 'import json,sys; s, c = (json.load(open(p))["memory_per_rank_bytes"] for p in sys.argv[1:])
print((s + c) // 2 if c < s else 0)' cnn-star.plan cnn-chain.plan)
if [ "$budget" -gt 0 ]; then
  if on "$P" "$BUILD" "${cnn[@]}" --assembled --memory-budget "$budget" -o budget-star.h5 > budget-star.log 2>&1; then
    fail "the star built within a budget below its plan's memory"
  elif grep -q "above the memory budget" budget-star.log; then ok "the star is refused with --memory-budget $budget"
  else fail "the star's refusal is unclear"; cat budget-star.log; fi
  plan_and_build budget-chain "${cnn[@]}" --family chain --node-grid 3 --memory-budget "$budget"
else fail "the chain's plan needs no less memory than the star's"; fi

# 3b. A star beyond 64 bits: its plan fails; auto builds the chain (node grid 3), saying why.
if "$BUILD" --arch wide.json --samples 3 --grid 3 --plan > wide-star.log 2>&1; then fail "the wide star planned"
elif grep -q "overflows 64-bit" wide-star.log; then ok "the wide star's plan overflows 64 bits"
else fail "the wide star's plan failed unclearly"; cat wide-star.log; fi
plan_and_build wide-auto --arch wide.json --samples 3 --grid 3 --family auto --node-grid 3
if grep -qF "chosen: chain (auto: the star's sizes overflow 64 bits)" wide-auto.log; then
  ok "--family auto built the chain of the wide network and said why"
else fail "--family auto on the wide network"; cat wide-auto.log; fi
finish
