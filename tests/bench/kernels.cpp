// Kernel benchmarks (Google Benchmark) for lpnn's row generator, the pure part of a build (no MPI, no
// PETSc, no HDF5): rows of the XOR polytope (N=9, n=2, m=1, K=3) into a CSR block. Reported as
// nonzeros per second and CSR bytes per second (nnz*(8+8) + (rows+1)*8), the figure benchmark 2
// compares with the memory bandwidth measured by membw.cpp. Compiled by jobs/bench.sh with
//   g++ -O2 -std=c++20 -Iinclude kernels.cpp src/bags/layout.cpp src/arch/grid.cpp src/util/units.cpp -lbenchmark -lfmt
// If lpnn's generator API changes this file may stop compiling; the suite then reports it as skipped.
#include <benchmark/benchmark.h>

#include <cstdint>

#include "lpnn/bags/generator.hpp"
#include "lpnn/bags/layout.hpp"

namespace {

void BM_GenerateRows(benchmark::State& state) {
  const std::int64_t samples = state.range(0);
  const lpnn::PolytopeLayout layout = lpnn::PolytopeLayout::make(9, 2, 1, lpnn::GridSpec::uniform(3), samples);
  lpnn::CsrBlock<std::int64_t> block;
  lpnn::generate_rows(layout, 0, layout.rows, block);  // first touch outside the timed loop
  for (auto _ : state) {
    lpnn::generate_rows(layout, 0, layout.rows, block);
    benchmark::DoNotOptimize(block.columns.data());
    benchmark::ClobberMemory();
  }
  const double nnz = static_cast<double>(layout.nnz), bytes = nnz * 16.0 + static_cast<double>(layout.rows + 1) * 8.0;
  state.counters["nnz_per_second"] = benchmark::Counter(nnz, benchmark::Counter::kIsIterationInvariantRate);
  state.counters["csr_bytes_per_second"] = benchmark::Counter(bytes, benchmark::Counter::kIsIterationInvariantRate);
  state.counters["nnz"] = nnz;
}

}  // namespace

BENCHMARK(BM_GenerateRows)->Arg(1)->Arg(8)->Arg(32)->UseRealTime()->Unit(benchmark::kMillisecond)->MinTime(0.5);
BENCHMARK_MAIN();
