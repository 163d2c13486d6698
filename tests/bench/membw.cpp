// Memory-bandwidth reference for benchmark 2 (Google Benchmark), compiled by jobs/bench.sh with
// g++ -O2. Kernels on arrays far larger than the caches, each thread on its own arrays:
//   Copy  b[i] = a[i]   bytes counted STREAM-style: 16 per element (8 read + 8 written)
//   Fill  a[i] = v      8 bytes per element (write only, what a CSR generator does)
//   Read  sum += a[i]   8 bytes per element
// Run with 1 and 2 threads (->Threads) so the figure matches lpnn runs on 1 and 2 ranks.
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <cstring>
#include <memory>
#include <mutex>
#include <vector>

namespace {

std::size_t elements() {
  const char* e = std::getenv("LPNN_BENCH_MEMBW_MB");  // per array, per thread
  const std::size_t mb = e ? std::strtoull(e, nullptr, 10) : 256;
  return mb * 1024 * 1024 / sizeof(double);
}

struct Arrays {
  std::vector<double> a, b;
  Arrays() : a(elements(), 1.0), b(elements(), 2.0) {}  // touched: no page faults while timing
};

Arrays& arrays(int thread) {
  static std::unique_ptr<Arrays> per_thread[64];
  static std::once_flag once[64];
  std::call_once(once[thread], [&] { per_thread[thread] = std::make_unique<Arrays>(); });
  return *per_thread[thread];
}

void BM_Copy(benchmark::State& state) {
  Arrays& x = arrays(state.thread_index());
  const std::size_t n = x.a.size();
  for (auto _ : state) {
    std::memcpy(x.b.data(), x.a.data(), n * sizeof(double));
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) *
                          static_cast<std::int64_t>(2 * n * sizeof(double)));
}

void BM_Fill(benchmark::State& state) {
  Arrays& x = arrays(state.thread_index());
  const std::size_t n = x.a.size();
  double v = 0;
  for (auto _ : state) {
    v += 1;
    double* p = x.a.data();
    for (std::size_t i = 0; i < n; ++i) p[i] = v;
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) *
                          static_cast<std::int64_t>(n * sizeof(double)));
}

void BM_Read(benchmark::State& state) {
  Arrays& x = arrays(state.thread_index());
  const std::size_t n = x.a.size();
  for (auto _ : state) {
    double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    const double* p = x.a.data();
    for (std::size_t i = 0; i + 3 < n; i += 4) {
      s0 += p[i];
      s1 += p[i + 1];
      s2 += p[i + 2];
      s3 += p[i + 3];
    }
    benchmark::DoNotOptimize(s0 + s1 + s2 + s3);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) *
                          static_cast<std::int64_t>(n * sizeof(double)));
}

}  // namespace

BENCHMARK(BM_Copy)->Threads(1)->Threads(2)->UseRealTime()->MinTime(0.5);
BENCHMARK(BM_Fill)->Threads(1)->Threads(2)->UseRealTime()->MinTime(0.5);
BENCHMARK(BM_Read)->Threads(1)->Threads(2)->UseRealTime()->MinTime(0.5);
BENCHMARK_MAIN();
