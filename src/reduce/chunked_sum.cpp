#include "lpnn/reduce/chunked_sum.hpp"

#include "lpnn/util/error.hpp"
#include "lpnn/util/mpi.hpp"
#include "lpnn/util/phase.hpp"

namespace lpnn::reduce {

RowRange chunk_rows(std::int64_t samples, std::int64_t chunk) {
  return {chunk * samples / kSampleChunks, (chunk + 1) * samples / kSampleChunks};
}

ChunkOwnership owned_chunks(std::int64_t samples, int rank, int ranks) {
  ChunkOwnership own;
  own.first_chunk = static_cast<std::int64_t>(rank) * kSampleChunks / ranks;
  own.last_chunk = static_cast<std::int64_t>(rank + 1) * kSampleChunks / ranks;
  own.rows = {chunk_rows(samples, own.first_chunk).begin, chunk_rows(samples, own.last_chunk - 1).end};
  if (own.first_chunk == own.last_chunk) own.rows = {0, 0};
  return own;
}

std::vector<double> deterministic_sum(MPI_Comm comm, std::int64_t samples, std::int64_t length,
                                      const std::function<void(RowRange, std::vector<double>&)>& add_chunk) {
  int rank = 0, ranks = 1;
  LPNN_MPI(MPI_Comm_rank(comm, &rank));
  LPNN_MPI(MPI_Comm_size(comm, &ranks));
  const ChunkOwnership own = owned_chunks(samples, rank, ranks);
  // MPI counts are int: a chunk's statistic beyond 2^31 doubles would need a derived datatype; it is
  // 16 GiB per chunk, far beyond any d this tool is meant for, so it is refused plainly.
  if (length * kSampleChunks > static_cast<std::int64_t>(INT32_MAX))
    fail(
        "the statistics need {} numbers per sample chunk, more than one MPI message carries; reduce the "
        "dimension or the number of label filters",
        length);
  // The rank-local part (allocation, the chunks' sums) can fail on one rank alone, out of memory say:
  // the ranks agree on it before the collective, so none is left waiting there.
  std::vector<double> mine, sum, all;
  run_phase(comm, "reduce_sum", "summing the statistics over this rank's samples", [&] {
    mine.resize(static_cast<std::size_t>((own.last_chunk - own.first_chunk) * length));
    sum.resize(static_cast<std::size_t>(length));
    all.resize(static_cast<std::size_t>(kSampleChunks * length));
    for (std::int64_t c = own.first_chunk; c < own.last_chunk; ++c) {
      std::fill(sum.begin(), sum.end(), 0.0);
      add_chunk(chunk_rows(samples, c), sum);
      std::copy(sum.begin(), sum.end(), mine.begin() + (c - own.first_chunk) * length);
    }
  });
  std::vector<int> counts(ranks), displacements(ranks);
  for (int p = 0; p < ranks; ++p) {
    const ChunkOwnership other = owned_chunks(samples, p, ranks);
    counts[p] = static_cast<int>((other.last_chunk - other.first_chunk) * length);
    displacements[p] = static_cast<int>(other.first_chunk * length);
  }
  LPNN_MPI(MPI_Allgatherv(mine.data(), counts[rank], MPI_DOUBLE, all.data(), counts.data(), displacements.data(),
                          MPI_DOUBLE, comm));
  std::fill(sum.begin(), sum.end(), 0.0);
  for (std::int64_t c = 0; c < kSampleChunks; ++c)
    for (std::int64_t k = 0; k < length; ++k) sum[k] += all[c * length + k];
  return sum;
}

}  // namespace lpnn::reduce
