# Shared set-up of the CLI test scripts in this folder; each sources it first:
#   source "$(dirname "$0")/cli_common.sh" "$@"    # MPIEXEC RANKS LPNN_BUILD LPNN_INFO PYTHON WORKDIR
# It names the arguments, starts in a fresh WORKDIR, counts failures (fail/ok) and ends the script
# with finish (exit 0 and WORKDIR removed only when nothing failed).
set -u
MPIEXEC=$1 P=$2 BUILD=$3 INFO=$4 PY=$5 WORK=$6
rm -rf "$WORK" && mkdir -p "$WORK" && cd "$WORK" || exit 2
failures=0
fail() { echo "FAIL $*"; failures=$((failures + 1)); }
ok() { echo "ok   $*"; }
# on N COMMAND...: COMMAND under mpiexec on N ranks, killed after 300 s: a failing collective must not
# hang the suite. mpirun_p: the same on the script's P ranks.
on() { local n=$1; shift; timeout -s KILL 300 "$MPIEXEC" -n "$n" --oversubscribe "$@"; }
mpirun_p() { on "$P" "$@"; }
finish() {
  if [ "$failures" = 0 ]; then echo "PASSED"; cd / && rm -rf "$WORK"; exit 0; fi
  echo "FAILED: $failures failure(s)"; exit 1
}
