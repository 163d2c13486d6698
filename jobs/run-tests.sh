#!/usr/bin/env bash
# The whole test suite: installs what is missing, builds lpnn, runs every test with ctest
# (unit tests, MPI tests at 1, 2 and 4 ranks, fault and resume tests, training tests, the real-Slurm
# job test), then the reliability pass: the unit and MPI tests again under AddressSanitizer +
# UndefinedBehaviorSanitizer, and each libFuzzer target for 60 s (cmake/sanitize-and-fuzz.sh).
# About 55 minutes from a fresh clone on 2 cores: release build 5 min, ctest 15, the sanitizer build and
# run 25, fuzzing 10.
#
# Usage: bash jobs/run-tests.sh [extra ctest arguments, e.g. -L unit]
#   With ctest arguments only those tests run, without the reliability pass;
#   LPNN_SKIP_SANITIZE=1 skips the reliability pass too.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
bash "$here/cmake/install-deps.sh"
bash "$here/cmake/configure-and-build.sh"
(cd "${LPNN_BUILD_DIR:-$here/build}" && ctest --output-on-failure --timeout 1200 "$@")
if [[ $# -eq 0 && ${LPNN_SKIP_SANITIZE:-0} != 1 ]]; then
  bash "$here/cmake/sanitize-and-fuzz.sh"
fi
