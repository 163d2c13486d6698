#!/bin/bash
# Killed, failed and resumed builds, on P ranks. Every resumed file must equal a clean build's
# (h5diff outside /provenance) and pass lpnn-info --verify; every interrupted run must stop promptly
# (no hang), leave nothing under the final name, and keep its unfinished build for --resume.
#
#   1. one rank SIGKILLs itself after write step 7 (-lpnn_fault kill): mpiexec ends within 60 s, the
#      ledger holds some but not all samples, lpnn-info refuses the partial file; --resume on another
#      rank count (1->2, 2->4, 4->2) finishes it.
#   2. one rank is SIGKILLed from outside (kill -9 of its PID) once the ledger shows progress, in
#      streaming mode; --resume on P ranks finishes it.
#   3. a write fails mid-build (-lpnn_fault error, what a failed write reports): one clear error saying
#      how many samples are kept and to rerun with --resume; resumed on P ranks.
#   3b. as 3, with ledger updates every 20 ms, each recording the samples of several steps.
#   In 1-3b, every sample the ledger claims is compared with the clean build, byte for byte.
#   4. a full disk: a real 6 MiB tmpfs (skipped where tmpfs cannot be mounted; the plan refuses it for
#      its free space) and a file-size limit (ulimit -f: the reservation fails) before any row is
#      written, with a clear error and no file left;
#      after space is freed, --resume (nothing to resume) builds the polytope.
#   5. refusals and no-ops: an unfinished build without --resume; --resume with another D or spec;
#      --resume of a finished output (nothing to do, exit 0); --force discards an unfinished build.
#
#   With LPNN_TEST_COMPRESSION=deflate[:L] every build is compressed: the same cases, the full disk
#   then stopped by the build's space guard before the first write step.
#
# Usage: cli_resume.sh MPIEXEC RANKS LPNN_BUILD LPNN_INFO PYTHON WORKDIR (root variables set by ctest)
source "$(dirname "${BASH_SOURCE[0]}")/cli_common.sh" "$@"

# The XOR network at K = 2: 8,704 nonzeros per sample; with 5,000 nonzeros per write every sample
# takes several steps, so kills and failures land between samples and inside them.
cat > xor.json <<'EOF'
{"input": 2, "layers": [{"units": 2, "activation": "relu"}, {"units": 1, "activation": "identity"}],
 "bias": true, "loss": "squared"}
EOF
poly=(--arch xor.json --samples 40 --grid 2 --compression "${LPNN_TEST_COMPRESSION:-none}")
small=(--chunk-nonzeros 5000 --checkpoint-seconds 0)
case $P in 1) Q=2 ;; 2) Q=4 ;; *) Q=2 ;; esac
victim=$((P - 1))

on "$P" "$BUILD" "${poly[@]}" -o ref.h5 > ref.log 2>&1 || { fail "the clean reference build failed"; cat ref.log; }

# samples_done FILE: how many ledger flags of the unfinished build are set.
samples_done() {
  HDF5_USE_FILE_LOCKING=FALSE "$PY" -c "import h5py,sys; print(int(h5py.File(sys.argv[1],'r')['/build/samples_done'][:].sum()))" "$1" 2> /dev/null || echo -1
}
# is_complete FILE: 1 when FILE carries complete = 1 and no ledger (its writer was past marking it).
is_complete() {
  HDF5_USE_FILE_LOCKING=FALSE "$PY" -c "import h5py,sys; f=h5py.File(sys.argv[1],'r'); print(int(f.attrs.get('complete',0)==1 and 'build' not in f))" "$1" 2> /dev/null || echo 0
}
# same_as_ref LABEL FILE: h5diff outside /provenance finds nothing, the checksums verify, no ledger left.
same_as_ref() {
  if h5diff --exclude-path /provenance ref.h5 "$2" > diff.log 2>&1; then ok "$1: $2 equals the clean build (h5diff)"
  else fail "$1: $2 differs from the clean build"; head -20 diff.log; fi
  if on "$P" "$INFO" --verify "$2" > info.log 2>&1; then ok "$1: lpnn-info --verify passes"
  else fail "$1: lpnn-info --verify fails"; cat info.log; fi
  if h5ls "$2/build" > /dev/null 2>&1; then fail "$1: the ledger /build is still in $2"; fi
}
# resume LABEL RANKS FILE [ARGS...]: --resume on RANKS ranks succeeds and reports the samples it found.
resume() {
  local label=$1 n=$2 file=$3; shift 3
  if on "$n" "$BUILD" "${poly[@]}" -o "$file" --resume "$@" > resume.log 2>&1 && grep -q "resumed: " resume.log; then
    ok "$label: --resume on $n rank(s): $(grep -o 'resumed: .*' resume.log)"
  else fail "$label: --resume on $n rank(s) failed"; cat resume.log; fi
  [ -e ".$file.partial" ] && fail "$label: .$file.partial is left after the resumed build"
  same_as_ref "$label" "$file"
}
# check_claims LABEL PARTIAL: the ledger's promise: every sample it claims has all its bytes on disk,
# equal to the clean build's.
check_claims() {
  if HDF5_USE_FILE_LOCKING=FALSE "$PY" - "$2" ref.h5 > claims.log 2>&1 <<'PY'
import sys
import h5py
import numpy as np
part, ref = h5py.File(sys.argv[1], "r"), h5py.File(sys.argv[2], "r")
M, B = int(ref.attrs["parameter_grid_points"]), int(ref.attrs["bag_size"])
claimed = np.nonzero(part["/build/samples_done"][:] == 1)[0]
storage = part.attrs.get("storage", b"none")
storage = storage.decode() if isinstance(storage, bytes) else str(storage)
for d in claimed:
    r0, r1 = d * (1 + M), (d + 1) * (1 + M)
    n0, n1 = ref["A/jc"][r0], ref["A/jc"][r1]
    pieces = [("A/jc", r0, r1), ("A/ir", n0, n1), ("A/data", n0, n1), ("lp/b", r0, r1)]
    if storage == "none":  # a compressed file writes /lp/c (the template's costs) once all samples are on disk
        pieces.append(("lp/c", M + d * B, M + (d + 1) * B))
    for name, lo, hi in pieces:
        if not np.array_equal(part[name][lo:hi], ref[name][lo:hi]):
            sys.exit(f"sample {d} is claimed but its {name}[{lo}:{hi}] differs from the clean build")
names = "/A/jc, /A/ir, /A/data, /lp/b" + (", /lp/c" if storage == "none" else "")
print(f"{len(claimed)} claimed samples equal the clean build in {names}")
PY
  then ok "$1: $(cat claims.log)"
  else fail "$1: $(cat claims.log)"; fi
}
# interrupted LABEL FILE STATUS SECONDS [MOST]: the run failed promptly, nothing under the final name,
# a partial build with some but not all of the 40 samples (at most MOST: 40 where the kill may land
# after the last sample but before the commit).
interrupted() {
  local label=$1 file=$2 status=$3 seconds=$4 most=${5:-39}
  [ "$status" = 0 ] && fail "$label: exit status 0"
  [ "$seconds" -le 60 ] && ok "$label: the run stopped $seconds s after the fault (exit $status)" ||
    fail "$label: the run took $seconds s to stop"
  [ -e "$file" ] && fail "$label: $file exists"
  local done
  done=$(samples_done ".$file.partial")
  if [ "$done" -gt 0 ] && [ "$done" -le "$most" ]; then ok "$label: the ledger records $done of 40 samples on disk"
  else fail "$label: the ledger records $done samples (expected 1..$most)"; fi
  check_claims "$label" ".$file.partial"
  if on 1 "$INFO" ".$file.partial" > info.log 2>&1; then fail "$label: lpnn-info accepts the unfinished build"
  else ok "$label: lpnn-info refuses the unfinished build: $(grep -m1 'error' info.log)"; fi
}

# 1. A rank kills itself mid-build (--assembled).
start=$SECONDS
on "$P" "$BUILD" "${poly[@]}" -o killed.h5 "${small[@]}" --assembled \
  --petsc -lpnn_fault kill -lpnn_fault_rank "$victim" -lpnn_fault_step 7 > killed.log 2>&1
status=$?
interrupted "rank $victim SIGKILLed after step 7" killed.h5 $status $((SECONDS - start))
grep -q "signal 9" killed.log && ok "mpiexec names the killed rank: $(grep -m1 -o 'process rank [0-9]* .*signal 9' killed.log)" ||
  { fail "mpiexec does not report the killed rank"; cat killed.log; }
resume "killed rank, other rank count" "$Q" killed.h5

# 2. A rank killed from outside once the ledger shows progress (streaming mode, slower writes).
"$MPIEXEC" -n "$P" --oversubscribe "$BUILD" "${poly[@]}" -o outside.h5 --streaming --chunk-nonzeros 500 \
  --checkpoint-seconds 0 > outside.log 2>&1 &
launcher=$!
for _ in $(seq 1500); do
  [ "$(samples_done .outside.h5.partial)" -ge 3 ] 2> /dev/null && break
  kill -0 $launcher 2> /dev/null || break
  sleep 0.02
done
rank_pids=$(ps -o pid= --ppid $launcher | tr -d ' ')
target=$(echo "$rank_pids" | tail -1)
start=$SECONDS
if [ -n "$target" ] && kill -KILL "$target" 2> /dev/null; then
  for _ in $(seq 600); do kill -0 $launcher 2> /dev/null || break; sleep 0.1; done
  kill -0 $launcher 2> /dev/null && { fail "mpiexec still runs 60 s after a rank was killed"; kill -KILL $launcher; }
  wait $launcher
  status=$?
  if [ -e outside.h5 ]; then
    echo "skip outside kill: the build finished before the kill landed (exit $status)"
  elif [ "$(is_complete .outside.h5.partial)" = 1 ]; then
    # The kill landed inside the commit, after the file was marked complete and before its rename.
    ok "one of $P rank(s) killed from outside inside the commit: the unfinished build is complete, not renamed"
    resume "killed inside the commit" "$P" outside.h5
  else
    interrupted "one of $P rank(s) killed from outside" outside.h5 $status $((SECONDS - start)) 40
    resume "killed from outside" "$P" outside.h5
  fi
else
  wait $launcher
  echo "skip outside kill: the build ended before a rank could be killed"
fi

# 3. A write that fails mid-build (--assembled): an agreed error, the unfinished build kept. After step 9, or, where
# a rank has fewer steps (compressed: one sample per step, 40 / P per rank), after its last but one.
failed_step=9
[ "${LPNN_TEST_COMPRESSION:-none}" = none ] || [ $((40 / P - 2)) -ge 9 ] || failed_step=$((40 / P - 2))
start=$SECONDS
on "$P" "$BUILD" "${poly[@]}" -o failed.h5 "${small[@]}" --assembled \
  --petsc -lpnn_fault error -lpnn_fault_rank "$victim" -lpnn_fault_step $failed_step > failed.log 2>&1
status=$?
if [ $status -ge 1 ] && [ $status -le 123 ] && [ "$(grep -c '^lpnn-build: error:' failed.log)" = 1 ] &&
   grep -q "No space left on device" failed.log && grep -q "rerun with --resume" failed.log; then
  ok "failed write: exit $status, $(grep -m1 -o 'the unfinished build is kept.*' failed.log)"
else fail "failed write: exit $status, expected one clear error naming --resume"; cat failed.log; fi
interrupted "failed write" failed.h5 $status $((SECONDS - start))
resume "failed write" "$P" failed.h5

# 3b. Ledger updates every 20 ms over small steps (about 660 / P steps per rank; the fault comes at
# 85%): each update records the samples of several steps. Where the machine is so fast that no update
# happened before the fault, skip.
# Compressed builds write whole samples per step (40 / P steps per rank): the fault comes at 85% of those.
fault_step=$((560 / P))
[ "${LPNN_TEST_COMPRESSION:-none}" = none ] || fault_step=$((34 / P))
on "$P" "$BUILD" "${poly[@]}" -o batched.h5 --streaming --chunk-nonzeros 500 --checkpoint-seconds 0.02 \
  --petsc -lpnn_fault error -lpnn_fault_rank "$victim" -lpnn_fault_step $fault_step > batched.log 2>&1
batched=$(samples_done .batched.h5.partial)
if [ -e batched.h5 ]; then fail "batched ledger: the build did not fail at step $fault_step"; cat batched.log
elif [ "$batched" -le 0 ]; then echo "skip batched ledger: no ledger update before the fault (ledger $batched)"
else
  check_claims "batched ledger ($batched samples)" .batched.h5.partial
  resume "batched ledger" "$Q" batched.h5
fi

# 4. A full disk, real (tmpfs) and simulated (file-size limit): refused before any row is written.
mkdir -p disk
if mount -t tmpfs -o size=6m tmpfs disk 2> /dev/null; then
  on "$P" "$BUILD" "${poly[@]}" -o disk/full.h5 > full.log 2>&1
  status=$?
  # Refused by the plan (the file system's free space) or by the reservation, before any row is written.
  if [ $status -ge 1 ] && [ $status -le 123 ] &&
     grep -qE "No space left on device|the output's file system has .* free" full.log; then
    ok "full disk (6 MiB tmpfs): exit $status, $(grep -m1 '^lpnn-build: error:' full.log)"
  else fail "full disk: exit $status"; cat full.log; fi
  left=$(ls -A disk)
  [ -z "$left" ] && ok "full disk: nothing left on the disk" || fail "full disk: left $left"
  umount disk
  mount -t tmpfs -o size=64m tmpfs disk && {
    resume_log=$(on "$P" "$BUILD" "${poly[@]}" -o disk/full.h5 --resume 2>&1) && cp disk/full.h5 full.h5 &&
      ok "full disk: with space freed, --resume builds the polytope" ||
      { fail "full disk: the build with space fails"; echo "$resume_log"; }
    umount disk
    same_as_ref "full disk" full.h5
  }
else
  echo "skip full disk on tmpfs: cannot mount a tmpfs here (not root, or no CAP_SYS_ADMIN)"
fi
# The file-size limit is set inside each rank, with shared memory off (see cli_bad_input.sh). Below
# what the writer reserves first: the whole file uncompressed, its metadata (about 1.3 MiB) compressed.
limit_kb=2048
[ "${LPNN_TEST_COMPRESSION:-none}" = none ] || limit_kb=1024
env OMPI_MCA_btl=self,tcp timeout -s KILL 300 "$MPIEXEC" -n "$P" --oversubscribe \
  sh -c "ulimit -f $limit_kb && exec \"\$@\"" sh "$BUILD" "${poly[@]}" -o limited.h5 > limited.log 2>&1
status=$?
if [ $status -ge 1 ] && [ $status -le 123 ] && grep -q "file-size limit" limited.log && [ ! -e limited.h5 ] &&
   [ ! -e .limited.h5.partial ]; then
  ok "file-size limit of $limit_kb KiB: exit $status, no file left, $(grep -m1 -o 'cannot reserve.*' limited.log | cut -c1-90)"
else fail "file-size limit: exit $status"; ls -la; cat limited.log; fi
on "$P" "$BUILD" "${poly[@]}" -o limited.h5 --resume > limited.log 2>&1 && grep -q "wrote limited.h5" limited.log &&
  ok "file-size limit: without it, --resume (nothing to resume) builds the polytope" ||
  { fail "file-size limit: the build without the limit fails"; cat limited.log; }
same_as_ref "file-size limit" limited.h5

# 4b. A build stopped inside its commit, marked complete but not renamed (simulated with a copy of the
# clean build under the temporary name): --resume verifies its checksums and renames it.
cp ref.h5 .renamed.h5.partial
resume "complete but not renamed" "$P" renamed.h5

# 5. Refusals and no-ops around unfinished builds.
on "$P" "$BUILD" "${poly[@]}" -o again.h5 "${small[@]}" \
  --petsc -lpnn_fault error -lpnn_fault_rank 0 -lpnn_fault_step 9 > /dev/null 2>&1
partial_sum=$(sha256sum .again.h5.partial)
expect_refusal() {  # LABEL NEEDLE COMMAND...: fails with NEEDLE in its error; the partial file unchanged
  local label=$1 needle=$2; shift 2
  "$@" > out.log 2>&1
  local status=$?
  if [ $status -ge 1 ] && [ $status -le 123 ] && grep "^lpnn-build: error:" out.log | grep -qF -- "$needle"; then
    ok "$label: $(grep -m1 '^lpnn-build: error:' out.log | cut -c1-150)"
  else fail "$label: exit $status"; cat out.log; fi
  [ "$(sha256sum .again.h5.partial)" = "$partial_sum" ] || fail "$label: the unfinished build changed"
}
expect_refusal "unfinished build without --resume" "pass --resume to finish it" on "$P" "$BUILD" "${poly[@]}" -o again.h5
expect_refusal "--resume with another D" "samples = 40, this build asks for 41" \
  on "$P" "$BUILD" --arch xor.json --samples 41 --grid 2 -o again.h5 --resume
sed 's/"squared"/"absolute"/' xor.json > other.json
expect_refusal "--resume with another spec" "another architecture spec" \
  on "$P" "$BUILD" --arch other.json --samples 40 --grid 2 -o again.h5 --resume
on "$P" "$BUILD" "${poly[@]}" -o again.h5 --force > out.log 2>&1 && [ ! -e .again.h5.partial ] &&
  ok "--force discards the unfinished build and builds afresh" || { fail "--force over an unfinished build"; cat out.log; }
same_as_ref "--force" again.h5
before=$(stat -c '%Y %s' again.h5; sha256sum again.h5)
if on "$P" "$BUILD" "${poly[@]}" -o again.h5 --resume > out.log 2>&1 && grep -q "already complete" out.log &&
   [ "$(stat -c '%Y %s' again.h5; sha256sum again.h5)" = "$before" ]; then
  ok "--resume of a finished output: nothing to do, exit 0, file untouched"
else fail "--resume of a finished output"; cat out.log; fi
on "$P" "$BUILD" --arch xor.json --samples 41 --grid 2 -o again.h5 --resume > out.log 2>&1 &&
  fail "--resume over a different finished polytope succeeded" ||
  { grep -q "holds another polytope" out.log && ok "--resume over a different finished polytope is refused" ||
    { fail "--resume over a different finished polytope: unclear error"; cat out.log; }; }

finish
