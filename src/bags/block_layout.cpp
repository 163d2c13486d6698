#include "lpnn/bags/block_layout.hpp"

#include <algorithm>
#include <memory>

#include "lpnn/util/error.hpp"

namespace lpnn {

ChainOptions chain_options(GridSpec grid, std::int64_t node_grid) {
  if (node_grid != 0 && node_grid < 2) fail("the chain's node grid needs at least 2 points, got {}", node_grid);
  return {grid, node_grid == 0 ? 2 : node_grid, node_grid == 0};
}

namespace {

// The checks both layouts make before counting anything: D >= 1, every K >= 2, a valid node grid.
ChainOptions checked_options(GridSpec grid, std::int64_t samples, std::int64_t node_grid) {
  if (samples < 1) fail("the number of samples D must be at least 1, got {}", samples);
  for (const std::int64_t k : {grid.param, grid.input, grid.output}) (void)Grid(k);  // K >= 2, a message naming K
  return chain_options(grid, node_grid);
}

// The layout of `block` (full or sizes only) for `samples` samples; the sizes are overflow-checked.
PolytopeLayout layout_of(const Architecture& arch, GridSpec grid, std::int64_t samples, std::int64_t node_grid,
                         std::shared_ptr<const SampleBlock> block) {
  const BlockSizes sizes = block->sizes(samples);
  PolytopeLayout l;
  l.N = arch.parameters();
  l.n = arch.inputs();
  l.m = arch.outputs();
  l.grid = grid;
  l.D = samples;
  l.M = block->root_columns;
  l.B = block->sample_columns;
  l.rows = sizes.rows;
  l.cols = sizes.cols;
  l.nnz = sizes.nnz;
  l.block_rows = block->sample_rows;
  l.block_nonzeros = block->sample_nonzeros;
  l.node_grid = node_grid;
  l.block = std::move(block);
  return l;
}

}  // namespace

PolytopeLayout chain_layout(const Architecture& arch, GridSpec grid, std::int64_t samples, std::int64_t node_grid) {
  const ChainOptions options = checked_options(grid, samples, node_grid);
  // One sample's family is all the block needs; its cost terms refer to `arch`, used only here.
  auto block = std::make_shared<const SampleBlock>(SampleBlock::from_family(chain_family(arch, options, 1)));
  return layout_of(arch, grid, samples, node_grid, std::move(block));
}

PolytopeLayout chain_layout_sizes(const Architecture& arch, GridSpec grid, std::int64_t samples,
                                  std::int64_t node_grid, FamilySizes* one_sample) {
  const ChainOptions options = checked_options(grid, samples, node_grid);
  // One sample's sizes; the D-sample ones follow from them exactly as from a built block (SampleBlock::sizes).
  const FamilySizes one = chain_family_sizes(arch, options, 1);
  auto block = std::make_shared<SampleBlock>();
  block->root_columns = one.bag_columns[0];
  block->sample_rows = one.rows;
  block->sample_columns = one.cols - block->root_columns;
  block->sample_nonzeros = one.nnz;
  if (one_sample) *one_sample = one;
  return layout_of(arch, grid, samples, node_grid, std::move(block));
}

bool sizes_only(const PolytopeLayout& layout) { return layout.block && layout.block->row_pointer.empty(); }

std::vector<std::int64_t> rows_in_parts(const PolytopeLayout& layout, std::int64_t row_begin, std::int64_t row_end,
                                        int parts) {
  parts = std::max(parts, 1);
  std::vector<std::int64_t> bounds(static_cast<std::size_t>(parts) + 1, row_end);
  bounds[0] = row_begin;
  const std::int64_t first = layout.nnz_before_row(row_begin), nonzeros = layout.nnz_before_row(row_end) - first;
  for (int t = 1; t < parts; ++t) {
    // The first row at or after the previous bound whose entries start at or past the t-th share.
    const std::int64_t target = first + nonzeros / parts * t + nonzeros % parts * t / parts;
    std::int64_t lo = bounds[static_cast<std::size_t>(t) - 1], hi = row_end;
    while (lo < hi) {
      const std::int64_t mid = lo + (hi - lo) / 2;
      if (layout.nnz_before_row(mid) < target)
        lo = mid + 1;
      else
        hi = mid;
    }
    bounds[static_cast<std::size_t>(t)] = lo;
  }
  return bounds;
}

}  // namespace lpnn
