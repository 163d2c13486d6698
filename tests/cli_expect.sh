#!/bin/bash
# Shared by the command-line refusal tests (tests/train/bad_input.sh, tests/reduce/bad_input.sh):
# sourced after `set -euo pipefail`, `failures=0`, and cd into a work directory that has an empty out/.
#
#   run NP COMMAND...          NP = 1 runs COMMAND directly (an MPI singleton), more ranks under
#                              $MPIEXEC; either way under a 120 s timeout, so a hang fails the test.
#   expect_refusal NP TOOL FRAGMENT COMMAND...
#                              COMMAND (run on NP ranks) must exit non-zero but not by the timeout,
#                              print exactly one "TOOL: error" line, mention FRAGMENT on stderr and
#                              leave nothing in out/. Counts a failure otherwise; empties out/ after.

run() {
  local np=$1
  shift
  if [ "$np" -eq 1 ]; then
    timeout 120 "$@"
  else
    timeout 120 "$MPIEXEC" -n "$np" --oversubscribe "$@"
  fi
}

expect_refusal() {
  local np=$1 tool=$2 fragment=$3
  shift 3
  local status=0 problem="" count
  run "$np" "$@" >stdout.txt 2>stderr.txt || status=$?
  if [ "$status" -eq 0 ]; then problem="exit status 0"; fi
  if [ "$status" -eq 124 ]; then problem="timed out (hang?)"; fi
  if ! grep -qF -- "$fragment" stderr.txt; then problem="$problem; stderr lacks \"$fragment\""; fi
  count=$(grep -c "$tool: error" stderr.txt || true)
  if [ "$count" -ne 1 ]; then problem="$problem; $count error lines (want exactly 1)"; fi
  if [ -n "$(ls -A out)" ]; then problem="$problem; left files: $(ls -A out | tr '\n' ' ')"; fi
  if [ -n "$problem" ]; then
    echo "FAIL [np $np] $tool ${*:2}: $problem" >&2
    sed 's/^/    | /' stderr.txt >&2
    failures=$((failures + 1))
  else
    echo "ok   [np $np] $(grep -m1 "$tool: error" stderr.txt | cut -c1-160)"
  fi
  rm -rf out && mkdir out
}
