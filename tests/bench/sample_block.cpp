// Google Benchmark: generation rate (nonzeros per second) of the sample block (bags/sample_block.hpp)
// against the star's closed-form generator (generator.hpp) on the same polytope, and of the block on a
// sum chain. Both sides write the same arrays (checked once before timing); the block is built outside
// the timed loop (it is built once per build). Built and run by tests/bench/sample_block.sh.
//   star:  XOR network (2-2-1 relu, N = 9), K = 3: M = 19683, B = 531441, D = 8 -> 8.7e6 nonzeros
//   chain: the same network's sum chain, K = 3, node grid 9, D chosen for about 1e7 nonzeros
// The rows are those of rank 0 of 2 (half the rows, owning the first half of the columns) for the split
// form that lpnn-build hands to PETSc, and all rows for the plain CSR form.
#include "lpnn/bags/sample_block.hpp"

#include <benchmark/benchmark.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <nlohmann/json.hpp>

#include "lpnn/arch/architecture.hpp"
#include "lpnn/bags/chain_family.hpp"
#include "lpnn/bags/generator.hpp"
#include "lpnn/bags/layout.hpp"
#include "lpnn/bags/star_family.hpp"

namespace {

// generator.hpp's split of the layout as it was before it became an instance of the shared run
// kernel (detail::split_runs), verbatim: the baseline that the shared kernel must match in speed.
template <typename Index>
void reference_split_rows(const lpnn::PolytopeLayout& layout, std::int64_t row_begin, std::int64_t row_end,
                          std::int64_t column_begin, std::int64_t column_end, lpnn::SplitCsr<Index>& out) {
  // Sizes first (runs only, no entries), then one pass writing every entry.
  std::int64_t diagonal = 0, off = 0;
  lpnn::ColumnRun runs[2];
  for (std::int64_t row = row_begin; row < row_end; ++row) {
    const int count = lpnn::row_runs(layout, row, runs);
    for (int q = 0; q < count; ++q) {
      const std::int64_t lo = std::max(runs[q].first, column_begin);
      const std::int64_t hi = std::min(runs[q].first + runs[q].length, column_end);
      const std::int64_t inside = std::max<std::int64_t>(0, hi - lo);
      diagonal += inside;
      off += runs[q].length - inside;
    }
  }
  out.row_begin = row_begin;
  out.rows = row_end - row_begin;
  out.column_begin = column_begin;
  out.column_end = column_end;
  out.diagonal_nonzeros = diagonal;
  out.off_diagonal_nonzeros = off;
  // allocate_buffer gives at least one entry: PETSc reads j/a even for an empty block.
  out.diagonal_row = lpnn::allocate_buffer<Index>(out.rows + 1);
  out.off_row = lpnn::allocate_buffer<Index>(out.rows + 1);
  out.diagonal_column = lpnn::allocate_buffer<Index>(diagonal);
  out.diagonal_value = lpnn::allocate_buffer<double>(diagonal);
  out.off_column = lpnn::allocate_buffer<Index>(off);
  out.off_value = lpnn::allocate_buffer<double>(off);
  Index *dc = out.diagonal_column.get(), *oc = out.off_column.get();
  double *dv = out.diagonal_value.get(), *ov = out.off_value.get();
  std::int64_t kd = 0, ko = 0;
  out.diagonal_row[0] = 0;
  out.off_row[0] = 0;
  for (std::int64_t row = row_begin; row < row_end; ++row) {
    const int count = lpnn::row_runs(layout, row, runs);
    for (int q = 0; q < count; ++q) {
      const lpnn::ColumnRun& run = runs[q];
      const std::int64_t end = run.first + run.length;
      const std::int64_t lo = std::clamp(run.first, column_begin, column_end);
      const std::int64_t hi = std::clamp(end, column_begin, column_end);
      for (std::int64_t c = run.first; c < std::min(end, column_begin); ++c) {  // left of the owned range
        oc[ko] = static_cast<Index>(c);
        ov[ko++] = run.value;
      }
      for (std::int64_t c = lo; c < hi; ++c) {
        dc[kd] = static_cast<Index>(c - column_begin);
        dv[kd++] = run.value;
      }
      for (std::int64_t c = std::max(run.first, column_end); c < end; ++c) {  // right of it
        oc[ko] = static_cast<Index>(c);
        ov[ko++] = run.value;
      }
    }
    out.diagonal_row[row - row_begin + 1] = static_cast<Index>(kd);
    out.off_row[row - row_begin + 1] = static_cast<Index>(ko);
  }
}

const char* kXor =
    R"({"input": 2, "layers": [{"units": 2, "activation": "relu"}, {"units": 1, "activation": "identity"}],
        "loss": "squared"})";
constexpr std::int64_t kStarSamples = 8;

struct Fixture {
  lpnn::Architecture arch = lpnn::Architecture::from_json(nlohmann::json::parse(kXor));
  lpnn::GridSpec grid = lpnn::GridSpec::uniform(3);
  lpnn::PolytopeLayout layout = lpnn::PolytopeLayout::make(9, 2, 1, grid, kStarSamples);
  lpnn::SampleBlock star = lpnn::SampleBlock::from_family(lpnn::star_family(arch, grid, 1));
  lpnn::ChainOptions chain_options{grid, 9, false};
  lpnn::SampleBlock chain = lpnn::SampleBlock::from_family(lpnn::chain_family(arch, chain_options, 1));
  std::int64_t chain_samples = std::max<std::int64_t>(1, 10'000'000 / chain.sample_nonzeros);
};

const Fixture& fixture() {
  static const Fixture f;
  return f;
}

void require(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "sample_block bench: %s\n", what);
    std::exit(1);
  }
}

// The block's output must be the layout's before anything is timed.
void check_equal_outputs() {
  const Fixture& f = fixture();
  const std::int64_t rows = f.layout.rows / 2, cols = f.layout.cols / 2;
  lpnn::SplitCsr<std::int64_t> a, b, reference;
  lpnn::generate_split_rows(f.layout, 0, rows, 0, cols, a);
  lpnn::generate_split_rows(f.star, kStarSamples, 0, rows, 0, cols, b);
  reference_split_rows(f.layout, 0, rows, 0, cols, reference);
  require(reference.diagonal_nonzeros == a.diagonal_nonzeros &&
              std::memcmp(reference.diagonal_column.get(), a.diagonal_column.get(), a.diagonal_nonzeros * 8) == 0 &&
              std::memcmp(reference.off_column.get(), a.off_column.get(), a.off_diagonal_nonzeros * 8) == 0,
          "the layout's split differs from the reference");
  require(a.diagonal_nonzeros == b.diagonal_nonzeros && a.off_diagonal_nonzeros == b.off_diagonal_nonzeros,
          "split sizes differ");
  require(std::memcmp(a.diagonal_column.get(), b.diagonal_column.get(), a.diagonal_nonzeros * 8) == 0 &&
              std::memcmp(a.off_column.get(), b.off_column.get(), a.off_diagonal_nonzeros * 8) == 0,
          "split columns differ");
}

void report(benchmark::State& state, double nnz) {
  state.counters["nnz_per_second"] = benchmark::Counter(nnz, benchmark::Counter::kIsIterationInvariantRate);
  state.counters["nnz"] = nnz;
}

// Split form, rank 0 of 2; the output arrays are allocated per call, as in a build.
template <typename Generate>
void run_split(benchmark::State& state, Generate&& generate) {
  lpnn::SplitCsr<std::int64_t> out;
  generate(out);  // first touch outside the timed loop
  for (auto _ : state) {
    generate(out);
    benchmark::DoNotOptimize(out.diagonal_column.get());
    benchmark::ClobberMemory();
  }
  report(state, static_cast<double>(out.diagonal_nonzeros + out.off_diagonal_nonzeros));
}

void BM_StarLayoutSplit(benchmark::State& state) {
  const Fixture& f = fixture();
  run_split(state,
            [&](auto& out) { lpnn::generate_split_rows(f.layout, 0, f.layout.rows / 2, 0, f.layout.cols / 2, out); });
}

void BM_StarReferenceSplit(benchmark::State& state) {
  const Fixture& f = fixture();
  run_split(state, [&](auto& out) { reference_split_rows(f.layout, 0, f.layout.rows / 2, 0, f.layout.cols / 2, out); });
}

void BM_StarBlockSplit(benchmark::State& state) {
  const Fixture& f = fixture();
  run_split(state, [&](auto& out) {
    lpnn::generate_split_rows(f.star, kStarSamples, 0, f.layout.rows / 2, 0, f.layout.cols / 2, out);
  });
}

void BM_ChainBlockSplit(benchmark::State& state) {
  const Fixture& f = fixture();
  const lpnn::BlockSizes s = f.chain.sizes(f.chain_samples);
  run_split(state,
            [&](auto& out) { lpnn::generate_split_rows(f.chain, f.chain_samples, 0, s.rows / 2, 0, s.cols / 2, out); });
}

// Plain CSR of all rows into a reused block (as kernels.cpp).
template <typename Generate>
void run_rows(benchmark::State& state, Generate&& generate) {
  lpnn::CsrBlock<std::int64_t> out;
  generate(out);
  for (auto _ : state) {
    generate(out);
    benchmark::DoNotOptimize(out.columns.data());
    benchmark::ClobberMemory();
  }
  report(state, static_cast<double>(out.nonzeros()));
}

void BM_StarLayoutRows(benchmark::State& state) {
  const Fixture& f = fixture();
  run_rows(state, [&](auto& out) { lpnn::generate_rows(f.layout, 0, f.layout.rows, out); });
}

void BM_StarBlockRows(benchmark::State& state) {
  const Fixture& f = fixture();
  run_rows(state, [&](auto& out) { lpnn::generate_rows(f.star, kStarSamples, 0, f.layout.rows, out); });
}

void BM_ChainBlockRows(benchmark::State& state) {
  const Fixture& f = fixture();
  run_rows(state, [&](auto& out) {
    lpnn::generate_rows(f.chain, f.chain_samples, 0, f.chain.sizes(f.chain_samples).rows, out);
  });
}

}  // namespace

BENCHMARK(BM_StarLayoutSplit)->UseRealTime()->Unit(benchmark::kMillisecond)->MinTime(0.5);
BENCHMARK(BM_StarReferenceSplit)->UseRealTime()->Unit(benchmark::kMillisecond)->MinTime(0.5);
BENCHMARK(BM_StarBlockSplit)->UseRealTime()->Unit(benchmark::kMillisecond)->MinTime(0.5);
BENCHMARK(BM_ChainBlockSplit)->UseRealTime()->Unit(benchmark::kMillisecond)->MinTime(0.5);
BENCHMARK(BM_StarLayoutRows)->UseRealTime()->Unit(benchmark::kMillisecond)->MinTime(0.5);
BENCHMARK(BM_StarBlockRows)->UseRealTime()->Unit(benchmark::kMillisecond)->MinTime(0.5);
BENCHMARK(BM_ChainBlockRows)->UseRealTime()->Unit(benchmark::kMillisecond)->MinTime(0.5);

int main(int argc, char** argv) {
  const Fixture& f = fixture();
  std::fprintf(stderr, "star: M %lld, B %lld, D %lld, %lld nonzeros, %.1f nonzeros per run\n", (long long)f.layout.M,
               (long long)f.layout.B, (long long)kStarSamples, (long long)f.layout.nnz,
               static_cast<double>(f.star.sample_nonzeros) / static_cast<double>(f.star.runs.size()));
  std::fprintf(stderr, "chain: %lld columns, %lld rows and %lld nonzeros per sample, %.1f nonzeros per run, D %lld\n",
               (long long)f.chain.sample_columns, (long long)f.chain.sample_rows, (long long)f.chain.sample_nonzeros,
               static_cast<double>(f.chain.sample_nonzeros) / static_cast<double>(f.chain.runs.size()),
               (long long)f.chain_samples);
  check_equal_outputs();
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
