// Sums over samples that come out bit for bit the same at every rank count.
//
// The s samples are cut into kSampleChunks fixed chunks, chunk c holding global rows
// [c·s/C, (c+1)·s/C). A chunk is never split between ranks: rank p of P owns chunks
// [p·C/P, (p+1)·C/P) and therefore one contiguous row range. Each rank adds up its chunks one by
// one (rows in file order), every rank receives every chunk's partial sum (MPI_Allgatherv), and the
// chunks are added in chunk order. The floating-point operations, and their order, depend on s and
// the data only, never on P: 1, 2 and 4 ranks give identical statistics, hence identical bases
// (a plain MPI_Allreduce adds in an order that depends on P and would not).
//
// Cost: every rank holds kSampleChunks partial sums of the statistic (C·L doubles for a statistic
// of L numbers), the price of determinism. With more than C ranks the extra ranks own no rows.
#pragma once

#include <mpi.h>

#include <cstdint>
#include <functional>
#include <vector>

namespace lpnn::reduce {

inline constexpr std::int64_t kSampleChunks = 16;

// Rows [begin, end) of chunk `chunk` of `samples` rows.
struct RowRange {
  std::int64_t begin = 0, end = 0;
  std::int64_t size() const { return end - begin; }
};
RowRange chunk_rows(std::int64_t samples, std::int64_t chunk);

// The chunks, and hence the rows, rank `rank` of `ranks` owns.
struct ChunkOwnership {
  std::int64_t first_chunk = 0, last_chunk = 0;  // [first, last)
  RowRange rows;
};
ChunkOwnership owned_chunks(std::int64_t samples, int rank, int ranks);

// Collective on `comm`. `add_chunk(rows, sum)` adds the statistic of global rows `rows` into `sum`
// (length `length`, zeroed before each chunk); it is called once per chunk this rank owns. Returns
// the total over all samples, the same bits on every rank and at every rank count.
std::vector<double> deterministic_sum(MPI_Comm comm, std::int64_t samples, std::int64_t length,
                                      const std::function<void(RowRange, std::vector<double>&)>& add_chunk);

}  // namespace lpnn::reduce
