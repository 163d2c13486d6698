// Generation of the polytope's rows (design doc §3) as CSR blocks: pure, no MPI, no PETSc, so every
// rank can produce any row range on its own and tests can check it without a cluster.
#pragma once

#include <cstdint>
#include <vector>

#include "lpnn/layout.hpp"

namespace lpnn {

// Rows [row_begin, row_begin + rows) of the constraint matrix. row_pointer is local (starts at 0,
// rows + 1 entries); columns are global and ascend within each row; values are +1 and -1.
template <typename Index>
struct CsrBlock {
  std::int64_t row_begin = 0;
  std::vector<Index> row_pointer;
  std::vector<Index> columns;
  std::vector<double> values;
  std::int64_t rows() const { return static_cast<std::int64_t>(row_pointer.size()) - 1; }
  std::int64_t nonzeros() const { return static_cast<std::int64_t>(columns.size()); }
  std::int64_t bytes() const {
    return static_cast<std::int64_t>(row_pointer.size() * sizeof(Index) + columns.size() * sizeof(Index) +
                                     values.size() * sizeof(double));
  }
};

template <typename Index>
void generate_rows(const PolytopeLayout& layout, std::int64_t row_begin, std::int64_t row_end, CsrBlock<Index>& out) {
  const std::int64_t nnz = layout.nnz_before_row(row_end) - layout.nnz_before_row(row_begin);
  out.row_begin = row_begin;
  out.row_pointer.resize(static_cast<std::size_t>(row_end - row_begin + 1));
  out.columns.resize(static_cast<std::size_t>(nnz));
  out.values.resize(static_cast<std::size_t>(nnz));
  Index* col = out.columns.data();
  double* val = out.values.data();
  std::int64_t k = 0;
  out.row_pointer[0] = 0;
  for (std::int64_t row = row_begin; row < row_end; ++row) {
    const std::int64_t d = row / layout.rows_per_sample(), r = row % layout.rows_per_sample();
    const std::int64_t bag = layout.lambda_column(d, 0);
    if (r == 0) {  // convexity: the bag's B columns
      for (std::int64_t j = 0; j < layout.B; ++j) {
        col[k] = static_cast<Index>(bag + j);
        val[k++] = 1.0;
      }
    } else {  // consistency on φ = θ(a): X[a] first (lowest column), then λ^d[(a, ·, ·)]
      const std::int64_t a = r - 1;
      col[k] = static_cast<Index>(layout.x_column(a));
      val[k++] = -1.0;
      const std::int64_t run = bag + a * layout.S;
      for (std::int64_t j = 0; j < layout.S; ++j) {
        col[k] = static_cast<Index>(run + j);
        val[k++] = 1.0;
      }
    }
    out.row_pointer[row - row_begin + 1] = static_cast<Index>(k);
  }
}

// Right-hand side of rows [row_begin, row_begin + out.size()): 1 on convexity rows, 0 elsewhere.
inline void generate_rhs(const PolytopeLayout& layout, std::int64_t row_begin, std::vector<double>& out) {
  for (std::size_t k = 0; k < out.size(); ++k)
    out[k] = (row_begin + static_cast<std::int64_t>(k)) % layout.rows_per_sample() == 0 ? 1.0 : 0.0;
}

}  // namespace lpnn
