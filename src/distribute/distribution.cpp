#include "lpnn/distribute/distribution.hpp"

#include <algorithm>
#include <span>

#include "lpnn/bags/cost_template.hpp"
#include "lpnn/util/mpi.hpp"
#include "lpnn/util/phase.hpp"

namespace lpnn {

LocalPart LocalPart::of_rank(const PolytopeLayout& layout, int rank, int ranks) {
  LocalPart part;
  part.samples = SampleRange::of_rank(layout.D, rank, ranks);
  part.row_begin = part.samples.first * layout.rows_per_sample();
  part.row_end = part.row_begin + part.samples.count * layout.rows_per_sample();
  part.column_begin = rank == 0 ? 0 : layout.lambda_column(part.samples.first, 0);
  part.column_end = layout.lambda_column(part.samples.first + part.samples.count, 0);
  return part;
}

std::vector<double> build_cost_template(MPI_Comm comm, const Architecture& arch, const PolytopeLayout& layout) {
  int rank = 0, ranks = 1;
  LPNN_MPI(MPI_Comm_rank(comm, &rank));
  LPNN_MPI(MPI_Comm_size(comm, &ranks));
  std::vector<double> cost;
  const SampleRange mine = SampleRange::of_rank(layout.B, rank, ranks);  // the same balanced split, over j
  run_phase(comm, "template", "computing its share of the cost template", [&] {
    cost.resize(static_cast<std::size_t>(layout.B));
    compute_cost_template(arch, layout, mine.first, std::span<double>(cost).subspan(mine.first, mine.count));
  });
  std::vector<MPI_Count> counts(ranks), displs(ranks);
  for (int r = 0; r < ranks; ++r) {
    const SampleRange range = SampleRange::of_rank(layout.B, r, ranks);
    counts[r] = range.count;
    displs[r] = range.first;
  }
  // MPI 4's large-count variant is not in Open MPI 4.1; fall back to chunked broadcasts past 2^31.
  if (layout.B < (std::int64_t{1} << 31)) {
    std::vector<int> c(ranks), d(ranks);
    for (int r = 0; r < ranks; ++r) {
      c[r] = static_cast<int>(counts[r]);
      d[r] = static_cast<int>(displs[r]);
    }
    LPNN_MPI(MPI_Allgatherv(MPI_IN_PLACE, 0, MPI_DATATYPE_NULL, cost.data(), c.data(), d.data(), MPI_DOUBLE, comm));
  } else {
    for (int r = 0; r < ranks; ++r)
      for (MPI_Count done = 0; done < counts[r];) {
        const int n = static_cast<int>(std::min<MPI_Count>(counts[r] - done, 1 << 30));
        LPNN_MPI(MPI_Bcast(cost.data() + displs[r] + done, n, MPI_DOUBLE, r, comm));
        done += n;
      }
  }
  return cost;
}

std::vector<SampleInterval> share_of_samples(const std::vector<std::uint8_t>& done, std::uint8_t want, int rank,
                                             int ranks) {
  std::vector<SampleInterval> matching;
  std::int64_t total = 0;
  const std::int64_t D = static_cast<std::int64_t>(done.size());
  for (std::int64_t d = 0; d < D;) {
    if (done[d] != want) {
      ++d;
      continue;
    }
    std::int64_t e = d;
    while (e < D && done[e] == want) ++e;
    matching.push_back({d, e});
    total += e - d;
    d = e;
  }
  const SampleRange mine = SampleRange::of_rank(total, rank, ranks);  // positions in the matching sequence
  std::vector<SampleInterval> out;
  std::int64_t position = 0;
  for (const SampleInterval& run : matching) {
    const std::int64_t lo = std::max(position, mine.first),
                       hi = std::min(position + run.count(), mine.first + mine.count);
    if (lo < hi) out.push_back({run.first + (lo - position), run.first + (hi - position)});
    position += run.count();
  }
  return out;
}

}  // namespace lpnn
