#!/bin/bash
# Bad input to lpnn-build and lpnn-info on P ranks. Every case must end with a non-zero exit
# status that is not a signal or a timeout, one clear message (printed once, by rank 0: the error is
# agreed by all ranks, not one rank aborting the others), and no file at the target path that looks
# complete; lpnn-info must refuse every partial or foreign file.
#
#   lpnn-build: output directory missing; directory unwritable; output exists without --force (the
#               existing file untouched); plan refused (--memory-budget 1K); a thread count out of
#               range (-lpnn_generate_threads 0, -lpnn_filter_threads 300); a file-size limit
#               (ulimit -f) smaller than the polytope, assembled and streaming; a build killed with
#               SIGKILL while it writes.
#   lpnn-info:  a missing file, a text file, an HDF5 file that is not lpnn's, an lpnn file whose complete
#               flag is 0, a truncated file, a file with a dataset missing, the leftovers of killed builds.
#
# "Unwritable" as root: root ignores permission bits (a chmod 0555 directory is writable for root), so
# the cases are a path whose "directory" is a regular file (ENOTDIR) and a directory in /proc, where no
# file can be created whoever you are. Run as another user, a chmod 0555 directory is tested as well.
#
# Usage: cli_bad_input.sh MPIEXEC RANKS LPNN_BUILD LPNN_INFO PYTHON WORKDIR (root variables set by ctest)
source "$(dirname "${BASH_SOURCE[0]}")/cli_common.sh" "$@"

# expect_failure LABEL TOOL NEEDLE [NEEDLE...] -- COMMAND...: COMMAND fails with a status in 1..123
# (not a timeout or a signal) and exactly one "TOOL: error:" line that contains every NEEDLE.
expect_failure() {
  local label=$1 tool=$2; shift 2
  local needles=()
  while [ "$1" != "--" ]; do needles+=("$1"); shift; done
  shift
  "$@" > out.log 2>&1
  local status=$?
  local errors
  errors=$(grep -c "^$tool: error:" out.log)
  local line
  line=$(grep "^$tool: error:" out.log | head -1)
  local good=1
  if [ $status = 0 ] || [ $status -ge 124 ]; then good=0; echo "  exit status $status"; fi
  if [ "$errors" != 1 ]; then good=0; echo "  $errors \"$tool: error:\" lines, expected 1"; fi
  for n in "${needles[@]}"; do
    if ! grep -qF -- "$n" <<< "$line"; then good=0; echo "  the message lacks \"$n\""; fi
  done
  if [ $good = 1 ]; then ok "$label: exit $status, \"${line#"$tool: error: "}\""
  else fail "$label"; sed 's/^/  | /' out.log | head -30; fi
}

# no_output PATH: neither PATH nor its temporary name .NAME.partial exists.
no_output() {
  local partial
  partial="$(dirname "$1")/.$(basename "$1").partial"
  if [ -e "$1" ] || [ -e "$partial" ]; then fail "$2: left $(ls -d "$1" "$partial" 2>/dev/null | tr '\n' ' ')"
  else ok "$2: no file at $1 nor $partial"; fi
}

cat > tiny.json <<'EOF'
{"input": 1, "layers": [{"units": 1, "activation": "identity"}], "bias": true, "loss": "squared"}
EOF
cat > xor.json <<'EOF'
{"input": 2, "layers": [{"units": 2, "activation": "relu"}, {"units": 1, "activation": "identity"}],
 "bias": true, "loss": "squared"}
EOF
tiny=(--arch tiny.json --samples 3 --grid 3)

# 1. The output directory does not exist.
expect_failure "missing directory" lpnn-build "does not exist" "mkdir -p" -- \
  mpirun_p "$BUILD" "${tiny[@]}" -o "$WORK/missing/out.h5"
[ -e "$WORK/missing" ] && fail "missing directory: the directory was created"
no_output "$WORK/missing/out.h5" "missing directory"

# 2. Unwritable: the "directory" is a regular file; a directory in /proc; as non-root, a 0555 directory.
echo "a regular file" > regular
expect_failure "directory is a regular file" lpnn-build "not a directory" -- \
  mpirun_p "$BUILD" "${tiny[@]}" -o "$WORK/regular/out.h5"
[ "$(cat regular)" = "a regular file" ] || fail "the regular file was changed"
proc_out=/proc/lpnn-bad-input-$$.h5
expect_failure "directory in /proc" lpnn-build "not writable" "/proc" -- \
  mpirun_p "$BUILD" "${tiny[@]}" -o "$proc_out"
no_output "$proc_out" "directory in /proc"
if [ "$(id -u)" != 0 ]; then
  mkdir readonly && chmod 0555 readonly
  expect_failure "read-only directory" lpnn-build "not writable" -- \
    mpirun_p "$BUILD" "${tiny[@]}" -o "$WORK/readonly/out.h5"
  no_output "$WORK/readonly/out.h5" "read-only directory"
  chmod 0755 readonly
else
  echo "skip read-only directory: root writes into a 0555 directory (permission bits do not bind root)"
fi

# 3. The output exists and --force is not given: refused, and the file is left exactly as it was.
mpirun_p "$BUILD" --arch tiny.json --samples 2 --grid 3 -o existing.h5 > /dev/null 2>&1 || fail "building existing.h5"
echo "not a polytope" > existing.txt
touch -d '2001-01-01 00:00:00' existing.h5 existing.txt
before=$(sha256sum existing.h5 existing.txt; stat -c '%s %Y' existing.h5 existing.txt)
expect_failure "existing polytope without --force" lpnn-build "already exists" "--force" -- \
  mpirun_p "$BUILD" "${tiny[@]}" -o existing.h5
expect_failure "existing other file without --force" lpnn-build "already exists" "--force" -- \
  mpirun_p "$BUILD" "${tiny[@]}" -o existing.txt
after=$(sha256sum existing.h5 existing.txt; stat -c '%s %Y' existing.h5 existing.txt)
[ "$before" = "$after" ] && ok "the existing files are untouched (content, size, mtime)" || fail "an existing file changed"
[ -e .existing.h5.partial ] && fail "a partial file was left next to existing.h5"
if mpirun_p "$INFO" existing.h5 --json > info.json 2>&1 && grep -q '"samples": 2' info.json; then
  ok "existing.h5 still holds its D = 2 polytope"
else fail "existing.h5 no longer reads as the D = 2 polytope"; cat info.json; fi
mpirun_p "$BUILD" "${tiny[@]}" -o existing.h5 --force > out.log 2>&1 && mpirun_p "$INFO" existing.h5 --json 2>&1 |
  grep -q '"samples": 3' && ok "--force replaces it" || { fail "--force did not replace existing.h5"; cat out.log; }

# 4. A plan the planner refuses.
expect_failure "refused plan" lpnn-build "refused" "memory budget" -- \
  mpirun_p "$BUILD" "${tiny[@]}" -o budget.h5 --memory-budget 1K
no_output "$WORK/budget.h5" "refused plan"

# 4b. A thread count out of range: refused on every rank as one error, before any file is made.
expect_failure "generating threads 0" lpnn-build "-lpnn_generate_threads" "from 1 to 256" -- \
  mpirun_p "$BUILD" "${tiny[@]}" -o threads.h5 --petsc -lpnn_generate_threads 0
no_output "$WORK/threads.h5" "generating threads 0"
expect_failure "filter threads 300" lpnn-build "-lpnn_filter_threads" "from 1 to 256" -- \
  mpirun_p "$BUILD" "${tiny[@]}" -o threads.h5 --compression deflate --petsc -lpnn_filter_threads 300
no_output "$WORK/threads.h5" "filter threads 300"

# 5. A file-size limit below the polytope's size: the write cannot complete. The limit is set inside
# each rank (not on mpiexec, whose PMIx shared-memory files it would break), and the shared-memory
# transport is off (its backing files are subject to the limit too), so only lpnn-build's own file hits
# it. The tool ignores SIGXFSZ, so the limit surfaces as an error (EFBIG), not a silent death.
big=(--arch tiny.json --samples 120 --grid 9)  # about 33 MiB; the limit is 8 MiB
for mode in assembled streaming; do
  extra=(--assembled)
  [ $mode = streaming ] && extra=(--streaming --chunk-nonzeros 20000)
  expect_failure "file-size limit ($mode)" lpnn-build "file-size limit" -- \
    env OMPI_MCA_btl=self,tcp timeout -s KILL 300 "$MPIEXEC" -n "$P" --oversubscribe \
      sh -c 'ulimit -f 8192 && exec "$@"' sh "$BUILD" "${big[@]}" -o "$WORK/limited-$mode.h5" "${extra[@]}"
  no_output "$WORK/limited-$mode.h5" "file-size limit ($mode)"
  for f in "$WORK/limited-$mode.h5" "$WORK/.limited-$mode.h5.partial"; do
    expect_failure "lpnn-info on $(basename "$f") after the failed write" lpnn-info "does not exist" -- mpirun_p "$INFO" "$f"
  done
done
# The same build without the limit works (the failure above was the limit's doing).
mpirun_p "$BUILD" "${big[@]}" -o "$WORK/unlimited.h5" > out.log 2>&1 && mpirun_p "$INFO" "$WORK/unlimited.h5" > /dev/null 2>&1 &&
  ok "the same build without a file-size limit succeeds" || { fail "the same build without the limit fails"; cat out.log; }
rm -f "$WORK/unlimited.h5"

# 6. A build killed (SIGKILL to every rank) while it works: no file under the final name, and
# lpnn-info refuses whatever is left under the temporary name. The build writes about 430 MB, which
# takes seconds here; the ranks are killed as soon as the temporary file appears (polled every 20 ms)
# and, in a second run, 0.5 s later, in the middle of the writes. (Should a machine finish the build
# within 0.5 s, the delayed case reports a skip, not a failure.)
for delay in 0 0.5; do
  for mode in assembled streaming; do
    extra=(--assembled)
    [ $mode = streaming ] && extra=(--streaming --chunk-nonzeros 200000)
    label="killed build ($mode, ${delay} s after the temporary file appeared)"
    target="$WORK/killed-$mode.h5" partial="$WORK/.killed-$mode.h5.partial"
    "$MPIEXEC" -n "$P" --oversubscribe "$BUILD" --arch xor.json --samples 20 --grid 3 -o "$target" "${extra[@]}" \
      > killed.log 2>&1 &
    launcher=$!
    for _ in $(seq 3000); do [ -e "$partial" ] && break; sleep 0.02; done
    sleep "$delay"
    ranks=$(ps -o pid= --ppid "$launcher" | tr -d ' ')
    [ -n "$ranks" ] && kill -KILL $ranks 2> /dev/null
    for _ in $(seq 600); do kill -0 "$launcher" 2> /dev/null || break; sleep 0.1; done
    kill -0 "$launcher" 2> /dev/null && { fail "$label: mpiexec still running after 60 s"; kill -KILL "$launcher"; }
    wait "$launcher"
    status=$?
    # The kill can land after the last rank renamed the finished file into place (exit 137 even so):
    # a file under the final name is then legitimate if it is complete and its checksums verify.
    if [ -e "$target" ] && [ "$delay" != 0 ] && "$MPIEXEC" -n 1 "$INFO" --verify --no-load "$target" > /dev/null 2>&1; then
      echo "skip $label: the build finished within $delay s (exit $status; the file verifies complete)"
    elif [ -e "$target" ]; then
      fail "$label: $target exists (exit $status)"
    else
      ok "$label: mpiexec exit $status, nothing at $target"
      if [ -e "$partial" ]; then
        expect_failure "lpnn-info on the partial file of the $label" lpnn-info "$partial" -- mpirun_p "$INFO" "$partial"
      fi
    fi
    rm -f "$target" "$partial"
  done
done

# 7. lpnn-info on files that are not complete lpnn polytopes.
mpirun_p "$BUILD" --arch tiny.json --samples 3 --grid 4 -o good.h5 > /dev/null 2>&1 || fail "building good.h5"
expect_failure "lpnn-info over its memory budget" lpnn-info "refused: loading /A needs about" "--no-load" -- \
  mpirun_p "$INFO" good.h5 --memory-budget 1K
echo "just text, not HDF5" > text.h5
"$PY" - <<'EOF' || fail "preparing the HDF5 files with h5py"
import shutil
import h5py
import numpy as np
with h5py.File("foreign.h5", "w") as h:
    h["data"] = np.arange(10.0)
    h.attrs["format"] = "something-else"
shutil.copyfile("good.h5", "incomplete.h5")
with h5py.File("incomplete.h5", "r+") as h:
    h.attrs.modify("complete", np.int64(0))
shutil.copyfile("good.h5", "missing-dataset.h5")
with h5py.File("missing-dataset.h5", "r+") as h:
    del h["lp/c"]
shutil.copyfile("good.h5", "wrong-size.h5")
with h5py.File("wrong-size.h5", "r+") as h:
    del h["template/cost"]
    h["template/cost"] = np.zeros(5)
EOF
size=$(stat -c %s good.h5)
head -c $((size / 2)) good.h5 > truncated.h5
expect_failure "lpnn-info on a missing file" lpnn-info "does not exist" -- mpirun_p "$INFO" "$WORK/nothing-here.h5"
expect_failure "lpnn-info on a text file" lpnn-info "not an HDF5 file" -- mpirun_p "$INFO" text.h5
expect_failure "lpnn-info on a foreign HDF5 file" lpnn-info "not an lpnn polytope file" -- mpirun_p "$INFO" foreign.h5
expect_failure "lpnn-info on a file with complete = 0" lpnn-info "incomplete" -- mpirun_p "$INFO" incomplete.h5
expect_failure "lpnn-info on a truncated file" lpnn-info "truncated.h5" -- mpirun_p "$INFO" truncated.h5
expect_failure "lpnn-info on a file without /lp/c" lpnn-info "/lp/c" "missing" -- mpirun_p "$INFO" missing-dataset.h5
expect_failure "lpnn-info on a file with a short /template/cost" lpnn-info "/template/cost" "damaged" -- \
  mpirun_p "$INFO" wrong-size.h5
mpirun_p "$INFO" good.h5 > /dev/null 2>&1 && ok "lpnn-info accepts the intact original" || fail "lpnn-info refuses good.h5"

finish
