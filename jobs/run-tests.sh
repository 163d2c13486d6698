#!/usr/bin/env bash
# The whole test suite: installs what is missing, builds lpnn, runs every test with ctest
# (unit tests, MPI tests at 1, 2 and 4 ranks, training tests, the real-Slurm job test).
# Usage: bash jobs/run-tests.sh [extra ctest arguments, e.g. -L unit]
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
bash "$here/cmake/install-deps.sh"
bash "$here/cmake/configure-and-build.sh"
cd "${LPNN_BUILD_DIR:-$here/build}"
ctest --output-on-failure --timeout 1200 "$@"
