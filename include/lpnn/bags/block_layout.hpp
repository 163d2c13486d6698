// Layouts of non-star bag families, and the row generators that serve every layout: the star's closed
// form (generator.hpp) when layout.block is null, the sample block (sample_block.hpp) otherwise. The
// builder calls these and nothing family-specific, so the star's path and bytes are unchanged.
#pragma once

#include <cstdint>
#include <vector>

#include "lpnn/arch/architecture.hpp"
#include "lpnn/bags/chain_family.hpp"
#include "lpnn/bags/generator.hpp"
#include "lpnn/bags/layout.hpp"
#include "lpnn/bags/sample_block.hpp"

namespace lpnn {

// The sum-chain family's polytope (chain_family.hpp) for `samples` samples on `grid`, with node grid
// K_v = node_grid, or the integer lattice when node_grid = 0 (binary networks). One sample's LP is
// built in memory (SampleBlock::from_family); throws lpnn::Error for bad grids, samples < 1 or 64-bit
// overflow.
PolytopeLayout chain_layout(const Architecture& arch, GridSpec grid, std::int64_t samples, std::int64_t node_grid);

// The same layout's sizes with no column enumerated (chain_family_sizes), for a plan: its block holds
// the sizes r1, c1, z1 and M only, with no rows (row_pointer empty), so it cannot generate rows and
// the builder refuses it (sizes_only). rows, columns, nonzeros and every per-sample size equal
// chain_layout's; throws lpnn::Error as chain_layout does.
// one_sample, when given, receives the one-sample family's sizes (its bags, for a plan to print).
PolytopeLayout chain_layout_sizes(const Architecture& arch, GridSpec grid, std::int64_t samples,
                                  std::int64_t node_grid, FamilySizes* one_sample = nullptr);

// True for a block layout that holds sizes only (chain_layout_sizes): nothing can be generated from it.
bool sizes_only(const PolytopeLayout& layout);

// The chain options of a node grid as files record it (K_v, or 0 for the integer lattice); throws
// lpnn::Error for 1 or a negative K_v.
ChainOptions chain_options(GridSpec grid, std::int64_t node_grid);

template <typename Index>
void generate_layout_rows(const PolytopeLayout& layout, std::int64_t row_begin, std::int64_t row_end,
                          CsrBlock<Index>& out) {
  if (layout.block)
    generate_rows(*layout.block, layout.D, row_begin, row_end, out);
  else
    generate_rows(layout, row_begin, row_end, out);
}

// Boundaries of `parts` runs of the rows [row_begin, row_end) holding about equal nonzeros (bounds[0]
// = row_begin, bounds[parts] = row_end, ascending): the runs a block is generated in, one per thread.
std::vector<std::int64_t> rows_in_parts(const PolytopeLayout& layout, std::int64_t row_begin, std::int64_t row_end,
                                        int parts);

// generate_layout_rows in `parts` runs of rows (rows_in_parts), each written straight to its place in
// out, so that threads can share the work: run(task) must call task(0) .. task(parts - 1), each once,
// concurrently or in turn, and return when all have returned. The block is generate_layout_rows's
// whatever parts and run, since every run's entries start at its nonzeros before it (closed form).
template <typename Index, typename Run>
void generate_layout_rows(const PolytopeLayout& layout, std::int64_t row_begin, std::int64_t row_end,
                          CsrBlock<Index>& out, int parts, Run&& run) {
  if (layout.block) detail::check_block_rows(*layout.block, layout.D, row_begin, row_end);
  const std::int64_t first = layout.nnz_before_row(row_begin);
  detail::size_block(out, row_begin, row_end, layout.nnz_before_row(row_end) - first);
  const std::vector<std::int64_t> bounds = rows_in_parts(layout, row_begin, row_end, parts);
  run([&](int t) {
    const std::int64_t begin = bounds[static_cast<std::size_t>(t)], end = bounds[static_cast<std::size_t>(t) + 1];
    const std::int64_t before = layout.nnz_before_row(begin) - first;
    Index* pointer = out.row_pointer.data() + 1 + (begin - row_begin);
    Index* col = out.columns.data() + before;
    double* val = out.values.data() + before;
    if (layout.block)
      detail::fill_block_rows(*layout.block, begin, end, pointer, col, val, before);
    else
      detail::fill_rows(layout, begin, end, pointer, col, val, before);
  });
}

// generate_layout_split_rows in `parts` runs of rows (rows_in_parts), run as generate_layout_rows above
// runs them: the split is the same whatever parts and run.
template <typename Index, typename Run>
void generate_layout_split_rows(const PolytopeLayout& layout, std::int64_t row_begin, std::int64_t row_end,
                                std::int64_t column_begin, std::int64_t column_end, SplitCsr<Index>& out, int parts,
                                Run&& run) {
  const std::vector<std::int64_t> bounds = rows_in_parts(layout, row_begin, row_end, parts);
  if (layout.block)
    generate_split_rows(*layout.block, layout.D, bounds, column_begin, column_end, out, run);
  else
    generate_split_rows(layout, bounds, column_begin, column_end, out, run);
}

template <typename Index>
void generate_layout_split_rows(const PolytopeLayout& layout, std::int64_t row_begin, std::int64_t row_end,
                                std::int64_t column_begin, std::int64_t column_end, SplitCsr<Index>& out) {
  if (layout.block)
    generate_split_rows(*layout.block, layout.D, row_begin, row_end, column_begin, column_end, out);
  else
    generate_split_rows(layout, row_begin, row_end, column_begin, column_end, out);
}

inline void generate_layout_rhs(const PolytopeLayout& layout, std::int64_t row_begin, std::vector<double>& out) {
  if (layout.block)
    generate_block_rhs(*layout.block, row_begin, out);
  else
    generate_rhs(layout, row_begin, out);
}

}  // namespace lpnn
