#!/bin/bash
# One rank failing must end the job: on P ranks, a fault on one rank in each phase of lpnn-build and
# lpnn-train. Every run must end within 30 s, exit non-zero (not by the timeout), print one error line
# naming the failing rank and the phase, and leave no file that looks complete (no output under its
# final name; a kept .partial polytope never has complete = 1).
#
#   1. lpnn-build --assembled, each phase (-lpnn_fault error|oom -lpnn_fault_phase PHASE), alternately on
#      the last rank and on rank 0: cost template, file creation, datasets, row generation, assembly, row
#      extraction, each dataset's write, the ledger, commit (provenance, checksums, completion, close);
#      streaming generation too.
#   2. lpnn-train, each phase: options, metadata, checksums, face, cost template, MatLoad, gather,
#      Clp and PDHG solves, model write.
#   3. The real case: one rank under ulimit -v 700000 (an MPMD launch) runs out of memory while
#      generating its rows (--assembled: a streamed build needs only its write steps' memory); the others must not wait for it.
#   4. Failures no agreement can catch: a failure that escapes every agreement (the tool aborts the
#      job), and a rank whose peers are stuck (its deadline, LPNN_AGREE_SECONDS, aborts the job).
#
# Usage: cli_faults.sh MPIEXEC RANKS LPNN_BUILD LPNN_INFO PYTHON WORKDIR LPNN_TRAIN
source "$(dirname "${BASH_SOURCE[0]}")/cli_common.sh" "$@"
TRAIN=$7
export LPNN_AGREE_SECONDS=5
last=$((P - 1))

cat > xor.json <<'JSON'
{"input": 2, "layers": [{"units": 2, "activation": "relu"}, {"units": 1, "activation": "identity"}],
 "bias": true, "loss": "squared"}
JSON
printf 'x1,x2,y\n-1,-1,-1\n-1,1,1\n1,-1,1\n1,1,-1\n' > xor.csv
poly=(--arch xor.json --samples 4 --grid 2)
timeout -s KILL 60 "$MPIEXEC" -n "$P" --oversubscribe "$BUILD" "${poly[@]}" -o p.h5 > ref.log 2>&1 ||
  { fail "the reference build failed"; cat ref.log; finish; }

# looks_complete FILE: true if FILE is an HDF5 file with complete = 1.
looks_complete() {
  HDF5_USE_FILE_LOCKING=FALSE "$PY" -c "import h5py,sys; sys.exit(0 if h5py.File(sys.argv[1],'r').attrs.get('complete') == 1 else 1)" "$1" 2> /dev/null
}
# expect_failure LABEL TOOL RANK PHASE_TEXT LOG STATUS SECONDS OUTPUT: the checks every run must pass.
expect_failure() {
  local label=$1 tool=$2 rank=$3 phase=$4 log=$5 status=$6 seconds=$7 output=$8 good=1
  if [ "$status" = 0 ] || [ "$status" -ge 124 ]; then good=0; echo "  exit status $status (0, or killed by the timeout)"; fi
  [ "$seconds" -le 30 ] || { good=0; echo "  took $seconds s"; }
  local line count
  count=$(grep -c "^$tool: error:" "$log")
  line=$(grep -m1 "^$tool: error:" "$log")
  [ "$count" = 1 ] || { good=0; echo "  $count \"$tool: error:\" lines, expected 1"; }
  case $line in *"rank $rank failed while $phase"*) ;; *) good=0; echo "  no \"rank $rank failed while $phase\"" ;; esac
  [ -e "$output" ] && { good=0; echo "  $output exists"; }
  local partial
  partial="$(dirname "$output")/.$(basename "$output").partial"
  if [ -e "$partial" ] && looks_complete "$partial"; then good=0; echo "  $partial has complete = 1"; fi
  if [ $good = 1 ]; then ok "$label: exit $status in $seconds s: ${line:0:150}"
  else fail "$label"; cat "$log"; fi
}

# 1. lpnn-build. PHASE:TEXT, TEXT being how the message names the phase.
build_phases=(
  "template:computing its share of the cost template" "create:creating .f.h5.partial"
  "datasets:creating the datasets" "generate:generating the rows of its samples"
  "assemble:assembling the PETSc matrix" "extract:extracting the rows of write step 0"
  "/A/jc:writing /A/jc" "/A/ir:writing /A/ir" "/A/data:writing /A/data" "/lp/b:writing /lp/b"
  "/lp/c:writing /lp/c" "/template/cost:writing /template/cost" "ledger:recording progress"
  "commit:writing the provenance" "checksums:combining the checksums" "complete:marking .f.h5.partial complete"
  "close:closing .f.h5.partial")
i=0
for entry in "${build_phases[@]}"; do
  phase=${entry%%:*} text=${entry#*:}
  kind=$([ $((i % 2)) = 0 ] && echo error || echo oom)
  rank=$([ $((i % 2)) = 0 ] && echo $last || echo 0)
  i=$((i + 1))
  rm -f f.h5 .f.h5.partial
  start=$SECONDS
  timeout -s KILL 30 "$MPIEXEC" -n "$P" --oversubscribe "$BUILD" "${poly[@]}" -o f.h5 --assembled \
    --petsc -lpnn_fault "$kind" -lpnn_fault_rank "$rank" -lpnn_fault_phase "$phase" > build.log 2>&1
  expect_failure "build, $kind on rank $rank in $phase" lpnn-build "$rank" "$text" build.log $? $((SECONDS - start)) f.h5
done
rm -f f.h5 .f.h5.partial
start=$SECONDS
timeout -s KILL 30 "$MPIEXEC" -n "$P" --oversubscribe "$BUILD" "${poly[@]}" -o f.h5 --streaming --chunk-nonzeros 3000 \
  --petsc -lpnn_fault oom -lpnn_fault_rank "$last" -lpnn_fault_phase generate -lpnn_fault_step 1 > build.log 2>&1
expect_failure "streaming build, oom on rank $last in step 1" lpnn-build "$last" "generating the rows of write step 1" \
  build.log $? $((SECONDS - start)) f.h5

# 2. lpnn-train.
train_phases=(
  "output:checking the options" "metadata:reading the metadata of p.h5" "checksum:opening p.h5 to verify"
  "face:reading xor.csv and forming its face" "read:reading the cost template" "load:loading the LP of p.h5"
  "gather:gathering the LP on rank 0" "solve:solving the LP with Clp" "model:writing the model m.json")
i=0
for entry in "${train_phases[@]}" "solve:solving the LP with PDHG"; do
  phase=${entry%%:*} text=${entry#*:}
  kind=$([ $((i % 2)) = 0 ] && echo oom || echo error)
  rank=$([ $((i % 2)) = 0 ] && echo $last || echo 0)
  solver=$([ "$text" = "solving the LP with PDHG" ] && echo pdhg || echo clp)
  i=$((i + 1))
  rm -f m.json
  start=$SECONDS
  timeout -s KILL 30 "$MPIEXEC" -n "$P" --oversubscribe "$TRAIN" -p p.h5 -d xor.csv -o m.json --solver "$solver" \
    --petsc -lpnn_fault "$kind" -lpnn_fault_rank "$rank" -lpnn_fault_phase "$phase" > train.log 2>&1
  expect_failure "train ($solver), $kind on rank $rank in $phase" lpnn-train "$rank" "$text" train.log $? \
    $((SECONDS - start)) m.json
  leftovers=$(ls -A | grep -E '^\.?m\.json' | tr '\n' ' ')
  [ -z "$leftovers" ] || fail "train, $phase: left $leftovers"
done

# 3. One rank out of memory for real: an MPMD launch with the last rank under ulimit -v. Under
# AddressSanitizer (the sanitizer pass) a process cannot even start under that limit: its shadow memory
# alone needs terabytes of address space, so the case is left to the plain build.
if ldd "$BUILD" 2>/dev/null | grep -q libasan; then
  echo "skip ulimit -v: $BUILD is built with AddressSanitizer"
else
  # The limit sits midway between what a rank needs before its rows and what its rows need. Open MPI,
  # PMIx and HDF5 alone take about 360 MB of address space at 4 ranks (under 360000 the run fails before
  # generation, in the template or in MPI's start-up). With 128 samples the last rank's rows need more
  # than 1.1 GB (at 4 ranks 32 samples, 34.6 M nonzeros). A limit of 400000 left 40 MB for the rest, and
  # one run in CI failed at the ledger's first write instead.
  real=(--arch xor.json --samples 128 --grid 3 -o big.h5 --assembled)
  start=$SECONDS
  if [ "$P" = 1 ]; then
    timeout -s KILL 30 "$MPIEXEC" -n 1 bash -c 'ulimit -v 700000; exec "$@"' sh "$BUILD" "${real[@]}" > real.log 2>&1
  else
    timeout -s KILL 30 "$MPIEXEC" --oversubscribe -n $((P - 1)) "$BUILD" "${real[@]}" : \
      -n 1 bash -c 'ulimit -v 700000; exec "$@"' sh "$BUILD" "${real[@]}" > real.log 2>&1
  fi
  expect_failure "ulimit -v 700000 on rank $last" lpnn-build "$last" "generating the rows of its samples" real.log $? \
    $((SECONDS - start)) big.h5
  grep -q "out of memory" real.log || fail "ulimit -v: the message does not say out of memory"
  rm -f big.h5 .big.h5.partial
fi

# 4. Failures no agreement catches (several ranks only: one rank always agrees with itself).
if [ "$P" -gt 1 ]; then
  rm -f f.h5 .f.h5.partial
  start=$SECONDS
  timeout -s KILL 30 "$MPIEXEC" -n "$P" --oversubscribe "$BUILD" "${poly[@]}" -o f.h5 --assembled \
    --petsc -lpnn_fault unagreed -lpnn_fault_rank "$last" -lpnn_fault_phase generate > build.log 2>&1
  expect_failure "build, a failure past every agreement on rank $last" lpnn-build "$last" \
    "generating the rows of its samples" build.log $? $((SECONDS - start)) f.h5
  rm -f m.json
  start=$SECONDS
  timeout -s KILL 30 "$MPIEXEC" -n "$P" --oversubscribe "$TRAIN" -p p.h5 -d xor.csv -o m.json --solver pdhg \
    --petsc -lpnn_fault stranded -lpnn_fault_rank 0 -lpnn_fault_phase solve > train.log 2>&1
  expect_failure "train, rank 0 failed, its peers stuck" lpnn-train 0 "solving the LP with PDHG" train.log $? \
    $((SECONDS - start)) m.json
  grep -q "did not reach the agreement" train.log && ok "the deadline's abort says why" ||
    fail "the deadline's abort does not say why"
fi

finish
