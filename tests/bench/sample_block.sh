#!/usr/bin/env bash
# Builds tests/bench/sample_block.cpp against an lpnn build tree (its liblpnn.a and the compile and link
# flags CMake generated for unit_layout, so no CMake change is needed) and runs it with interleaved
# repetitions, then prints min / median / max of nonzeros per second per benchmark and the block/layout
# ratios of the medians.
#   bash tests/bench/sample_block.sh [BUILD_DIR] [REPETITIONS]      (defaults: build, 9)
# Needs libbenchmark-dev; BUILD_DIR must have been built (cmake/configure-and-build.sh).
set -euo pipefail
source_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
build_dir=$(cd "${1:-$source_dir/build}" && pwd)
repetitions=${2:-9}
unit_dir=$build_dir/tests/unit/CMakeFiles/unit_layout.dir
[[ -f $unit_dir/flags.make && -f $build_dir/src/liblpnn.a ]] || { echo "build $build_dir first" >&2; exit 1; }
flag() { sed -n "s/^$1 = //p" "$unit_dir/flags.make"; }
# The unit test's link line without its objects, its test main and GoogleTest.
libs=$(sed -e 's#^.* -o [^ ]*##' -e 's#[^ ]*liblpnn_test_main.a##' -e 's#[^ ]*libgtest[^ ]*##' "$unit_dir/link.txt")
exe=$build_dir/bench_sample_block
(cd "$build_dir/tests/unit" &&
  eval "c++ $(flag CXX_DEFINES) $(flag CXX_INCLUDES) $(flag CXX_FLAGS) $source_dir/tests/bench/sample_block.cpp -o $exe $libs -lbenchmark -lpthread")
json=$build_dir/bench_sample_block.json
"$exe" --benchmark_repetitions="$repetitions" --benchmark_enable_random_interleaving=true \
  --benchmark_report_aggregates_only=false --benchmark_format=json --benchmark_out="$json" >/dev/null
python3 - "$json" <<'EOF'
import json, statistics, sys
runs, nnz = {}, {}
for b in json.load(open(sys.argv[1]))["benchmarks"]:
    if b.get("run_type") == "iteration":
        name = b["run_name"].split("/")[0]
        runs.setdefault(name, []).append(b["nnz_per_second"] / 1e9)
        nnz[name] = int(b["nnz"])
print("| benchmark | nonzeros per call | repetitions | min | median | max (1e9 nonzeros/s) |")
print("|---|---|---|---|---|---|")
medians = {}
for name in sorted(runs):
    r = runs[name]
    medians[name] = statistics.median(r)
    print(f"| {name} | {nnz[name]:,} | {len(r)} | {min(r):.3f} | {medians[name]:.3f} | {max(r):.3f} |")
for form in ("Split", "Rows"):
    a, b = medians.get(f"BM_StarBlock{form}"), medians.get(f"BM_StarLayout{form}")
    if a and b:
        print(f"\nstar {form}: block / layout median rate = {a / b:.3f}")
EOF
