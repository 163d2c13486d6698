// Generation of the polytope's rows (README, The polytope / Rows and columns) as CSR blocks: pure, no MPI, no PETSc, so
// every rank can produce any row range on its own and tests can check it without a cluster.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <new>
#include <vector>

#include "lpnn/bags/layout.hpp"

#if defined(__linux__)
#include <sys/mman.h>
#endif

namespace lpnn {

// Uninitialized storage for large generated arrays. Big blocks are 2 MiB aligned and marked for
// transparent huge pages: first-touch page faults, not arithmetic, bound generation speed, and huge
// pages cut them 512-fold where the kernel allows (madvise mode).
struct FreeDeleter {
  void operator()(void* p) const { std::free(p); }
};
template <typename T>
using Buffer = std::unique_ptr<T[], FreeDeleter>;

template <typename T>
Buffer<T> allocate_buffer(std::int64_t count) {
  constexpr std::size_t huge = std::size_t{2} << 20;
  const std::size_t bytes = static_cast<std::size_t>(std::max<std::int64_t>(count, 1)) * sizeof(T);
  void* p = nullptr;
  if (bytes >= huge) {
    p = std::aligned_alloc(huge, (bytes + huge - 1) / huge * huge);
#if defined(__linux__) && defined(MADV_HUGEPAGE)
    if (p) ::madvise(p, (bytes + huge - 1) / huge * huge, MADV_HUGEPAGE);  // advisory: failure is harmless
#endif
  } else {
    p = std::malloc(bytes);
  }
  if (!p) throw std::bad_alloc();
  return Buffer<T>(static_cast<T*>(p));
}

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
};

// A row is at most two runs of consecutive columns with one value each: a convexity row is the bag's
// B columns (+1); a consistency row is X[a] (-1) followed by the run λ^d[(a, ·, ·)] of S columns (+1).
struct ColumnRun {
  std::int64_t first = 0;
  std::int64_t length = 0;
  double value = 0.0;
};

// The runs of `row` in ascending column order; returns how many (1 or 2).
inline int row_runs(const PolytopeLayout& layout, std::int64_t row, ColumnRun runs[2]) {
  const std::int64_t d = row / layout.rows_per_sample(), r = row % layout.rows_per_sample();
  const std::int64_t bag = layout.lambda_column(d, 0);
  if (r == 0) {
    runs[0] = {bag, layout.B, 1.0};
    return 1;
  }
  const std::int64_t a = r - 1;
  runs[0] = {layout.x_column(a), 1, -1.0};
  runs[1] = {bag + a * layout.S, layout.S, 1.0};
  return 2;
}

namespace detail {

// Rows [row_begin, row_end) of the layout, their entries written from col and val on; pointer[i] =
// base + the entries of rows row_begin .. row_begin + i (the CSR row pointer after each row: the
// caller sets the one before the first). Pointer cursors, as in split_runs below.
template <typename Index>
void fill_rows(const PolytopeLayout& layout, std::int64_t row_begin, std::int64_t row_end, Index* pointer, Index* col,
               double* val, std::int64_t base) {
  const Index* const col0 = col;
  ColumnRun runs[2];
  for (std::int64_t row = row_begin; row < row_end; ++row) {
    const int count = row_runs(layout, row, runs);
    for (int q = 0; q < count; ++q)
      for (std::int64_t j = 0; j < runs[q].length; ++j) {
        *col++ = static_cast<Index>(runs[q].first + j);
        *val++ = runs[q].value;
      }
    *pointer++ = static_cast<Index>(base + (col - col0));
  }
}

// out sized for rows [row_begin, row_end) holding `nonzeros` entries, row_pointer[0] = 0. resize
// keeps a reused capacity as it is (no zero fill): the generators write every entry.
template <typename Index>
void size_block(CsrBlock<Index>& out, std::int64_t row_begin, std::int64_t row_end, std::int64_t nonzeros) {
  out.row_begin = row_begin;
  out.row_pointer.resize(static_cast<std::size_t>(row_end - row_begin + 1));
  out.columns.resize(static_cast<std::size_t>(nonzeros));
  out.values.resize(static_cast<std::size_t>(nonzeros));
  out.row_pointer[0] = 0;
}

}  // namespace detail

template <typename Index>
void generate_rows(const PolytopeLayout& layout, std::int64_t row_begin, std::int64_t row_end, CsrBlock<Index>& out) {
  detail::size_block(out, row_begin, row_end, layout.nnz_before_row(row_end) - layout.nnz_before_row(row_begin));
  detail::fill_rows(layout, row_begin, row_end, out.row_pointer.data() + 1, out.columns.data(), out.values.data(), 0);
}

// A rank's rows split the way PETSc's MATMPIAIJ stores them: the "diagonal" block (columns the rank
// owns, [column_begin, column_end), as local indices) and the "off-diagonal" block (all other
// columns, global indices), each in CSR. The arrays are left uninitialized until generated, so
// generation touches every byte once; PETSc uses them in place (MatCreateMPIAIJWithSplitArrays).
template <typename Index>
struct SplitCsr {
  std::int64_t row_begin = 0, rows = 0;
  std::int64_t column_begin = 0, column_end = 0;
  std::int64_t diagonal_nonzeros = 0, off_diagonal_nonzeros = 0;
  Buffer<Index> diagonal_row, diagonal_column, off_row, off_column;
  Buffer<double> diagonal_value, off_value;
};

namespace detail {

// The split of rows given as runs, shared by every generator of run-shaped rows (the layout's closed
// form below, the sample block of sample_block.hpp): `rows_of(begin, end, run, row_done)` visits the
// rows [begin, end) in order, calling run(first, length, value) for each of a row's runs in ascending
// column order (global columns) and row_done() after each row. It is a template and both callbacks
// are lambdas, so the visitor inlines into the loops: nothing is called per entry or run.
// The rows [bounds.front(), bounds.back()) are split in the parts [bounds[t], bounds[t + 1]), which
// `parallel(task)` runs as task(0) .. task(parts - 1), each once, concurrently or in turn: two passes,
// sizes first (runs only, no entries), then one writing every entry, each part from its own offsets,
// so the result is the same whatever the parts.
template <typename Index, typename RowsOf, typename Parallel>
void split_runs(RowsOf&& rows_of, const std::vector<std::int64_t>& bounds, std::int64_t column_begin,
                std::int64_t column_end, SplitCsr<Index>& out, Parallel&& parallel) {
  const std::size_t parts = bounds.size() - 1;
  std::vector<std::int64_t> diagonal(parts + 1, 0), off(parts + 1, 0);  // entries before each part
  parallel([&](int t) {
    std::int64_t in = 0, out_of = 0;
    rows_of(
        bounds[t], bounds[t + 1],
        [&](std::int64_t first, std::int64_t length, double) {
          const std::int64_t lo = std::max(first, column_begin), hi = std::min(first + length, column_end);
          const std::int64_t inside = std::max<std::int64_t>(0, hi - lo);
          in += inside;
          out_of += length - inside;
        },
        [] {});
    diagonal[t + 1] = in;
    off[t + 1] = out_of;
  });
  for (std::size_t t = 0; t < parts; ++t) {
    diagonal[t + 1] += diagonal[t];
    off[t + 1] += off[t];
  }
  out.row_begin = bounds.front();
  out.rows = bounds.back() - bounds.front();
  out.column_begin = column_begin;
  out.column_end = column_end;
  out.diagonal_nonzeros = diagonal[parts];
  out.off_diagonal_nonzeros = off[parts];
  // allocate_buffer gives at least one entry: PETSc reads j/a even for an empty block.
  out.diagonal_row = allocate_buffer<Index>(out.rows + 1);
  out.off_row = allocate_buffer<Index>(out.rows + 1);
  out.diagonal_column = allocate_buffer<Index>(out.diagonal_nonzeros);
  out.diagonal_value = allocate_buffer<double>(out.diagonal_nonzeros);
  out.off_column = allocate_buffer<Index>(out.off_diagonal_nonzeros);
  out.off_value = allocate_buffer<double>(out.off_diagonal_nonzeros);
  out.diagonal_row[0] = 0;
  out.off_row[0] = 0;
  parallel([&](int t) {
    // Write cursors are pointers, not indices: a store of an Index cannot alias a pointer, so the
    // cursors stay in registers even where the visitor's lambdas hold them by reference.
    const Index *const dc0 = out.diagonal_column.get(), *const oc0 = out.off_column.get();
    Index *dc = out.diagonal_column.get() + diagonal[t], *oc = out.off_column.get() + off[t];
    double *dv = out.diagonal_value.get() + diagonal[t], *ov = out.off_value.get() + off[t];
    Index* drow = out.diagonal_row.get() + 1 + (bounds[t] - bounds.front());
    Index* orow = out.off_row.get() + 1 + (bounds[t] - bounds.front());
    rows_of(
        bounds[t], bounds[t + 1],
        [&](std::int64_t first, std::int64_t length, double value) {
          const std::int64_t end = first + length;
          const std::int64_t lo = std::clamp(first, column_begin, column_end);
          const std::int64_t hi = std::clamp(end, column_begin, column_end);
          for (std::int64_t c = first; c < std::min(end, column_begin); ++c) {  // left of the owned range
            *oc++ = static_cast<Index>(c);
            *ov++ = value;
          }
          for (std::int64_t c = lo; c < hi; ++c) {
            *dc++ = static_cast<Index>(c - column_begin);
            *dv++ = value;
          }
          for (std::int64_t c = std::max(first, column_end); c < end; ++c) {  // right of it
            *oc++ = static_cast<Index>(c);
            *ov++ = value;
          }
        },
        [&] {
          *drow++ = static_cast<Index>(dc - dc0);
          *orow++ = static_cast<Index>(oc - oc0);
        });
  });
}

// One part, on the calling thread.
inline auto in_turn() {
  return [](const auto& task) { task(0); };
}

}  // namespace detail

// The layout's rows through the shared split: its runs in closed form (row_runs), in the parts
// `bounds` on `parallel` (split_runs), or all on the calling thread.
template <typename Index, typename Parallel>
void generate_split_rows(const PolytopeLayout& layout, const std::vector<std::int64_t>& bounds,
                         std::int64_t column_begin, std::int64_t column_end, SplitCsr<Index>& out,
                         Parallel&& parallel) {
  auto rows_of = [&](std::int64_t begin, std::int64_t end, auto&& run, auto&& row_done) {
    ColumnRun runs[2];
    for (std::int64_t row = begin; row < end; ++row) {
      const int count = row_runs(layout, row, runs);
      for (int q = 0; q < count; ++q) run(runs[q].first, runs[q].length, runs[q].value);
      row_done();
    }
  };
  detail::split_runs(rows_of, bounds, column_begin, column_end, out, parallel);
}
template <typename Index>
void generate_split_rows(const PolytopeLayout& layout, std::int64_t row_begin, std::int64_t row_end,
                         std::int64_t column_begin, std::int64_t column_end, SplitCsr<Index>& out) {
  generate_split_rows(layout, {row_begin, row_end}, column_begin, column_end, out, detail::in_turn());
}

// Right-hand side of rows [row_begin, row_begin + out.size()): 1 on convexity rows, 0 elsewhere.
inline void generate_rhs(const PolytopeLayout& layout, std::int64_t row_begin, std::vector<double>& out) {
  for (std::size_t k = 0; k < out.size(); ++k)
    out[k] = (row_begin + static_cast<std::int64_t>(k)) % layout.rows_per_sample() == 0 ? 1.0 : 0.0;
}

}  // namespace lpnn
