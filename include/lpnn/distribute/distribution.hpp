// How a build is spread over ranks. Samples are split into contiguous balanced ranges
// (SampleRange); each rank generates the rows of its own samples, and rank 0 also owns the shared X
// columns. The file does not depend on the rank count.
#pragma once

#include <mpi.h>

#include <cstdint>
#include <vector>

#include "lpnn/arch/architecture.hpp"
#include "lpnn/bags/layout.hpp"

namespace lpnn {

// Rows and columns a rank owns in the distributed matrix.
struct LocalPart {
  SampleRange samples;
  std::int64_t row_begin = 0, row_end = 0;
  std::int64_t column_begin = 0, column_end = 0;  // rank 0 also owns X[0..M)
  static LocalPart of_rank(const PolytopeLayout& layout, int rank, int ranks);
};

// Collective: the whole cost template on every rank, each rank computing a balanced share
// (MPI_Allgatherv).
std::vector<double> build_cost_template(MPI_Comm comm, const Architecture& arch, const PolytopeLayout& layout);

// Samples [first, end).
struct SampleInterval {
  std::int64_t first = 0, end = 0;
  std::int64_t count() const { return end - first; }
};

// This rank's balanced share of the samples whose flag in `done` equals `want`: the matching samples
// in order, cut into `ranks` contiguous pieces of the same size (±1). A resumed build splits what is
// left this way, whatever the rank count of the run that started it.
std::vector<SampleInterval> share_of_samples(const std::vector<std::uint8_t>& done, std::uint8_t want, int rank,
                                             int ranks);

}  // namespace lpnn
