// A linear program as plain data, kept apart from the solvers (as HiGHS's HighsLp):
//   minimize cᵀx  subject to  A x = b,  lower ≤ x ≤ upper   (upper may be +inf)
// A is row-compressed: row_start has rows + 1 entries, columns ascend within a row.
#pragma once

#include <mpi.h>

#include <cstdint>
#include <vector>

#include "lpnn/util/petsc.hpp"

namespace lpnn {

struct LinearProgram {
  std::int64_t rows = 0, cols = 0;
  std::vector<std::int64_t> row_start;
  std::vector<std::int64_t> column;
  std::vector<double> value;
  std::vector<double> b, c, lower, upper;
  // When the columns fixed at 0 were left out (gather_to_root's face reduction): column k here is
  // column original_column[k] of the full LP. Empty: the columns are the full LP's.
  std::vector<std::int64_t> original_column;

  // Throws lpnn::Error describing the first broken invariant (sizes, index ranges, bound order).
  void validate() const;
};

// Collective: gathers the distributed LP (A, and the vectors laid out like A's rows/columns) onto rank 0
// through MatCreateSubMatrices and vector scatters. Other ranks get an empty LinearProgram.
// With `drop_fixed_zero_columns`, columns with lower = upper = 0 (a face's off-face columns) are not
// gathered at all: they contribute nothing to Ax, so the LP over the others has the same optimum and
// rank 0 holds only the face (original_column maps back).
LinearProgram gather_to_root(Mat A, Vec b, Vec c, Vec lower, Vec upper, bool drop_fixed_zero_columns = false);

}  // namespace lpnn
