#include "lpnn/bags/block_layout.hpp"

#include <memory>

#include "lpnn/util/error.hpp"

namespace lpnn {

ChainOptions chain_options(GridSpec grid, std::int64_t node_grid) {
  if (node_grid != 0 && node_grid < 2) fail("the chain's node grid needs at least 2 points, got {}", node_grid);
  return {grid, node_grid == 0 ? 2 : node_grid, node_grid == 0};
}

PolytopeLayout chain_layout(const Architecture& arch, GridSpec grid, std::int64_t samples, std::int64_t node_grid) {
  if (samples < 1) fail("the number of samples D must be at least 1, got {}", samples);
  for (const std::int64_t k : {grid.param, grid.input, grid.output}) (void)Grid(k);  // K >= 2, a message naming K
  const ChainOptions options = chain_options(grid, node_grid);
  // One sample's family is all the block needs; its cost terms refer to `arch`, used only here.
  auto block = std::make_shared<const SampleBlock>(SampleBlock::from_family(chain_family(arch, options, 1)));
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

}  // namespace lpnn
