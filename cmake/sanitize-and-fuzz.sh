#!/usr/bin/env bash
# Reliability checks, run by CI as the last part of jobs/run-tests.sh:
#   1. the unit and MPI tests built with AddressSanitizer + UndefinedBehaviorSanitizer (gcc),
#      in ${LPNN_SANITIZE_BUILD_DIR:-build-asan};
#   2. the libFuzzer targets of tests/fuzz built with clang (ASan + UBSan + libFuzzer), each run for
#      ${LPNN_FUZZ_SECONDS:-60} seconds, in ${LPNN_FUZZ_BUILD_DIR:-build-fuzz}.
# Exits non-zero when anything fails: a sanitizer report, a test failure, a fuzzer finding (its input
# is kept under <fuzz build dir>/tests/fuzz/artifacts), or a build error.
#
# Usage: bash cmake/sanitize-and-fuzz.sh [--no-sanitize | --no-fuzz]
# Environment: LPNN_SANITIZE_BUILD_DIR, LPNN_FUZZ_BUILD_DIR, LPNN_FUZZ_SECONDS (per target),
#              LPNN_SANITIZE_CTEST_ARGS (ctest arguments for step 1; default -E '\.np2$', see below).
# Budget on the 2-core machine, last measured from a fresh clone: the unit and MPI tests under
# ASan 13 min with the 2-rank runs (10 min without), fuzzing 4 min (8 targets x LPNN_FUZZ_SECONDS,
# 2 at a time), plus the two instrumented builds.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
asan_dir=${LPNN_SANITIZE_BUILD_DIR:-$here/build-asan}
fuzz_dir=${LPNN_FUZZ_BUILD_DIR:-$here/build-fuzz}
fuzz_seconds=${LPNN_FUZZ_SECONDS:-60}
run_sanitize=1
run_fuzz=1
case "${1:-}" in
  --no-sanitize) run_sanitize=0 ;;
  --no-fuzz) run_fuzz=0 ;;
  "") ;;
  *) echo "usage: $0 [--no-sanitize | --no-fuzz]" >&2; exit 2 ;;
esac
jobs=$(nproc)
[[ $(id -u) -eq 0 ]] && export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
start=$SECONDS
step() { echo "== [sanitize-and-fuzz $((SECONDS - start)) s] $*"; }

# --- dependencies: lpnn's own, plus clang and libFuzzer for step 2 -------------------------------
# Debian 12: clang is clang-14; libFuzzer (libclang_rt.fuzzer-x86_64.a) and the sanitizer runtimes
# for clang are in libclang-rt-14-dev (a dependency of clang-14, listed so a --no-install-recommends
# install cannot miss it).
fuzz_packages=()
((run_fuzz)) && fuzz_packages=(clang libclang-rt-14-dev)
bash "$here/cmake/install-deps.sh" "${fuzz_packages[@]}"

# Sanitizer run-time options shared by both steps.
# - detect_leaks=0 for the test suites: Open MPI (opal/orte/pmix) and PETSc keep allocations until
#   exit by design (MPI_Finalize and PetscFinalize do not free everything), so LeakSanitizer would
#   report them in every test that starts MPI. The fuzz targets start no MPI and keep leak
#   detection on (see tests/fuzz/CMakeLists.txt).
# - UBSan: halt on the first report with a stack trace (the code is also compiled with
#   -fno-sanitize-recover=undefined, so a report always fails the test).
# - abort_on_error=0: exit code 1 instead of SIGABRT (no core dumps in CI).
export ASAN_OPTIONS=${LPNN_ASAN_OPTIONS:-detect_leaks=0:abort_on_error=0:strict_string_checks=1:check_initialization_order=1:detect_stack_use_after_return=1}
export UBSAN_OPTIONS=${LPNN_UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}
# Open MPI's MPI-IO (OMPIO) allocates a 32 MiB aggregation buffer for every collective write. glibc
# keeps reusing it; ASan maps, poisons and unmaps each one, which made the streaming-writer tests at 4
# oversubscribed ranks 10-15 times slower (mpi.build.np4: 243 s instead of 15 s). A 1 MiB buffer
# changes only how OMPIO cycles through large writes, not what the tests check.
export OMPI_MCA_io_ompio_bytes_per_agg=${OMPI_MCA_io_ompio_bytes_per_agg:-1048576}
# -O1 -g without NDEBUG: usable stacks, assertions on, and not as slow as -O0.
instrumented_flags=(-DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g"
                    -DCMAKE_C_FLAGS_RELWITHDEBINFO="-O1 -g")

status=0
if ((run_sanitize)); then
  step "configure and build with ASan + UBSan (gcc) in $asan_dir"
  cmake -S "$here" -B "$asan_dir" "${instrumented_flags[@]}" -DLPNN_SANITIZE=ON -DLPNN_FUZZ=OFF
  cmake --build "$asan_dir" -j "$jobs"
  step "ctest -L 'unit|mpi' under ASan + UBSan"
  # shellcheck disable=SC2086
  # One test at a time, as in the main suite: concurrent mpiexec runs can race on Open MPI's per-user
  # temporary directory (open-mpi/ompi#8510), and the fault tests time their kills.
  # The MPI tests run here at 1 and 4 ranks: 1 rank covers the serial paths, 4 oversubscribed ranks
  # every multi-rank path that 2 ranks take (non-root ranks, exchanges, uneven splits). The release
  # suite keeps all three rank counts; the 2-rank runs under ASan cost 3.6 of its 13 minutes.
  if ! (cd "$asan_dir" && ctest -L "unit|mpi" --output-on-failure --timeout 900 \
          ${LPNN_SANITIZE_CTEST_ARGS--E '\.np2$'}); then
    echo "sanitize-and-fuzz: unit/MPI tests FAILED under ASan/UBSan (reports above)" >&2
    status=1
  fi
fi

if ((run_fuzz)); then
  step "configure and build the fuzz targets (clang, libFuzzer + ASan + UBSan) in $fuzz_dir"
  CC=clang CXX=clang++ cmake -S "$here" -B "$fuzz_dir" "${instrumented_flags[@]}" -DLPNN_SANITIZE=ON \
    -DLPNN_FUZZ=ON -DLPNN_FUZZ_SECONDS="$fuzz_seconds"
  cmake --build "$fuzz_dir" --target lpnn_fuzz -j "$jobs"
  step "fuzzing: ${fuzz_seconds} s per target, $jobs at a time"
  # Each libFuzzer process is single-threaded: ctest -j runs one target per core. The tests set their
  # own ASAN/LSAN/UBSAN_OPTIONS (tests/fuzz/CMakeLists.txt).
  if ! (cd "$fuzz_dir" && ctest -L fuzz --output-on-failure -j "$jobs"); then
    echo "sanitize-and-fuzz: a fuzz target FAILED; its input is in $fuzz_dir/tests/fuzz/artifacts" >&2
    ls -l "$fuzz_dir/tests/fuzz/artifacts" >&2 || true
    status=1
  fi
fi

step "done, status $status"
exit "$status"
