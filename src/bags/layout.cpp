#include "lpnn/bags/layout.hpp"

#include <algorithm>

#include "lpnn/bags/sample_block.hpp"
#include "lpnn/util/error.hpp"
#include "lpnn/util/units.hpp"

namespace lpnn {

PolytopeLayout PolytopeLayout::make(std::int64_t parameters, std::int64_t inputs, std::int64_t outputs, GridSpec grid,
                                    std::int64_t samples) {
  if (samples < 1) fail("the number of samples D must be at least 1, got {}", samples);
  if (parameters < 1 || inputs < 1 || outputs < 1)
    fail("a polytope needs at least one parameter, input and output (got N={}, n={}, m={})", parameters, inputs,
         outputs);
  // Grid's constructor checks K >= 2 with a message naming K.
  const Grid gp(grid.param), gx(grid.input), gy(grid.output);
  PolytopeLayout l;
  l.N = parameters;
  l.n = inputs;
  l.m = outputs;
  l.grid = grid;
  l.D = samples;
  l.M = checked_pow(grid.param, parameters, "the parameter grid size K_param^N");
  l.Sx = checked_pow(grid.input, inputs, "the input grid size K_input^n");
  l.Sy = checked_pow(grid.output, outputs, "the output grid size K_output^m");
  l.S = checked_mul(l.Sx, l.Sy, "the data grid size K_input^n·K_output^m");
  l.B = checked_mul(l.M, l.S, "the bag template size B");
  l.rows = checked_mul(samples, checked_add(1, l.M, "rows per sample"), "the row count D(1+M)");
  l.cols = checked_add(l.M, checked_mul(samples, l.B, "the column count"), "the column count M + D·B");
  const std::int64_t per_sample = checked_add(checked_mul(2, l.B, "nonzeros per sample"), l.M, "nonzeros per sample");
  l.nnz = checked_mul(samples, per_sample, "the nonzero count D(2B+M)");
  return l;
}

std::int64_t PolytopeLayout::nnz_before_row(std::int64_t row) const {
  if (block) return block->nnz_before_row(row);
  const std::int64_t d = row / (1 + M);
  const std::int64_t r = row % (1 + M);  // 0: convexity row; 1 + a: consistency row a
  std::int64_t before = d * nnz_per_sample();
  if (r > 0) before += B + (r - 1) * (1 + S);
  return before;
}

nlohmann::json layout_to_json(const PolytopeLayout& l) {
  return {{"samples", l.D},
          {"parameters", l.N},
          {"inputs", l.n},
          {"outputs", l.m},
          {"grid", {{"param", l.grid.param}, {"input", l.grid.input}, {"output", l.grid.output}}},
          {"parameter_grid_points", l.M},
          {l.star() ? "bag_size" : "columns_per_sample", l.B},
          {"rows", l.rows},
          {"columns", l.cols},
          {"nonzeros", l.nnz}};
}

std::int64_t polytope_file_bytes(const PolytopeLayout& l) {
  // /A/jc (rows+1), /A/ir (nnz) as int64; /A/data (nnz), /lp/b (rows), /lp/c (cols), /template/cost (B)
  // as double; three grids.
  std::int64_t bytes = checked_mul(checked_add(l.rows, 1, "file size"), 8, "file size");
  bytes = checked_add(bytes, checked_mul(l.nnz, 16, "file size"), "file size");
  bytes = checked_add(bytes, checked_mul(l.rows, 8, "file size"), "file size");
  bytes = checked_add(bytes, checked_mul(l.cols, 8, "file size"), "file size");
  bytes = checked_add(bytes, checked_mul(l.B, 8, "file size"), "file size");
  return checked_add(bytes, 8 * (l.grid.param + l.grid.input + l.grid.output), "file size");
}

SampleRange SampleRange::of_rank(std::int64_t samples, int rank, int ranks) {
  const std::int64_t base = samples / ranks, extra = samples % ranks;
  SampleRange range;
  range.first = rank * base + std::min<std::int64_t>(rank, extra);
  range.count = base + (rank < extra ? 1 : 0);
  return range;
}

}  // namespace lpnn
