#!/usr/bin/env bash
# The benchmark suite, one command:
#   bash jobs/bench.sh                 full run (about 15-25 minutes on 2 cores)
#   bash jobs/bench.sh --quick         small instances only (a smoke test of the suite, a few minutes;
#                                      results to <build dir>/bench-results-quick unless LPNN_BENCH_RESULTS is set)
#   bash jobs/bench.sh --only build,limits   some sections (build, limits, solve, quality, scaling)
# Installs what is missing (Debian packages), builds lpnn (Release, no tests) into
# ${LPNN_BENCH_BUILD_DIR:-build-bench}, compiles the C++ kernels of tests/bench/ with g++ -O2 against
# Google Benchmark, runs tests/bench/run_bench.py and writes tests/bench/results/RESULTS.md, the plots
# (*.png) and raw.json. Large scratch files go to a new directory under ${LPNN_BENCH_WORK:-<build dir>}
# (the disk under test), removed at the end. Extra arguments go to run_bench.py.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${LPNN_BENCH_BUILD_DIR:-$here/build-bench}
results=${LPNN_BENCH_RESULTS:-$here/tests/bench/results}
# A quick (smoke) run must not replace the committed full results.
for arg in "$@"; do [[ "$arg" == --quick && -z "${LPNN_BENCH_RESULTS:-}" ]] && results=$build/bench-results-quick; done

# 1. Packages: lpnn's build dependencies plus what the benchmarks add (only those missing).
bash "$here/cmake/install-deps.sh" python3-matplotlib python3-pulp

# 2. lpnn itself (Release, tests off).
cmake -S "$here" -B "$build" -DBUILD_TESTING=OFF -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$build" -j "$(nproc)"

# 3. The C++ benchmark kernels (Google Benchmark). The generator kernel uses lpnn's headers; if they
#    changed incompatibly it is reported as skipped rather than stopping the suite.
mkdir -p "$build/bench" "$results" "${LPNN_BENCH_WORK:-$build}"
work=$(mktemp -d "${LPNN_BENCH_WORK:-$build}/bench-work.XXXXXX")
trap 'rm -rf "$work"' EXIT
g++ -O2 -std=c++20 -o "$build/bench/membw" "$here/tests/bench/membw.cpp" -lbenchmark -lpthread
kernels=()
if g++ -O2 -std=c++20 -I"$here/include" -o "$build/bench/kernels" "$here/tests/bench/kernels.cpp" \
     "$here/src/bags/layout.cpp" "$here/src/arch/grid.cpp" "$here/src/util/units.cpp" -lbenchmark -lfmt -lpthread \
     2>"$build/bench/kernels.log"; then
  kernels=(--kernels "$build/bench/kernels")
else
  echo "[bench] tests/bench/kernels.cpp did not compile (see $build/bench/kernels.log); generator kernel skipped"
fi

# 4. Run, then report. Debian's interpreter: the first python3 on PATH may not see Debian's packages.
[[ $(id -u) -eq 0 ]] && export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
status=0
/usr/bin/python3 "$here/tests/bench/run_bench.py" --bin "$build/bin" --membw "$build/bench/membw" "${kernels[@]}" \
  --work "$work" --out "$results" "$@" || status=$?
/usr/bin/python3 "$here/tests/bench/report.py" "$results"
echo "[bench] results: $results/RESULTS.md"
exit "$status"
