// The canonical layout of the data-independent polytope (README, The polytope / Rows and columns). Plain sizes and
// index maps, no storage: every builder, loader and checker derives positions from here.
//
//   Bag template T = G_φ^N × G_x^n × G_y^m, B = K_φ^N·K_x^n·K_y^m, M = K_φ^N, S = B/M = K_x^n·K_y^m.
//   Columns: X[a] at a (a < M), then λ^d[j] at M + d·B + j, all >= 0.
//   Rows (all equalities), per sample d:
//     d(1+M)          convexity     Σ_j λ^d[j] = 1                 (B nonzeros)
//     d(1+M) + 1 + a  consistency   Σ_{s,t} λ^d[(a,s,t)] − X[a] = 0  (1 + S nonzeros, X[a] first)
//   rows = D(1+M), columns = M + D·B, nonzeros = D(2B + M). Local index j = (a·K_x^n + s)·K_y^m + t.
// Every size is computed with overflow checks; a layout that overflows int64 cannot be constructed.
//
// Another bag family (chain_layout in block_layout.hpp) has the same shape, the root's M columns then
// D identical sample blocks, and a layout carries it as `block`: the per-sample quantities
// (rows_per_sample, nnz_per_sample, nnz_before_row, lambda_column with B = the block's columns per
// sample) then come from the block, so the builder's bookkeeping is one code path for every family.
// The star keeps its closed form (block is null) and its fields' meaning; in a block layout
// Sx = Sy = S = 0. block_rows and block_nonzeros copy the block's r1 and z1 so that these inline
// accessors need only the forward declaration (sample_block.hpp includes this header).
#pragma once

#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "lpnn/arch/grid.hpp"

namespace lpnn {

struct SampleBlock;  // sample_block.hpp

struct PolytopeLayout {
  std::int64_t N = 0, n = 0, m = 0;  // parameters, inputs, outputs
  GridSpec grid;
  std::int64_t D = 0;   // samples (bags)
  std::int64_t M = 0;   // parameter grid points K_φ^N
  std::int64_t Sx = 0;  // input grid points K_x^n
  std::int64_t Sy = 0;  // output grid points K_y^m
  std::int64_t S = 0;   // data grid points per parameter point, Sx·Sy
  std::int64_t B = 0;   // star: bag template size M·S; block layouts: columns per sample c1
  std::int64_t rows = 0, cols = 0, nnz = 0;
  // Non-star families only: one sample's block (null for the star), its rows and nonzeros per sample,
  // and the chain's node grid as the file records it (K_v, or 0 for the integer lattice).
  std::shared_ptr<const SampleBlock> block;
  std::int64_t block_rows = 0, block_nonzeros = 0;
  std::int64_t node_grid = 0;

  // Throws lpnn::Error for K < 2, D < 1 or sizes that overflow 64-bit arithmetic.
  static PolytopeLayout make(std::int64_t parameters, std::int64_t inputs, std::int64_t outputs, GridSpec grid,
                             std::int64_t samples);

  bool star() const { return !block; }
  const char* family() const { return block ? "chain" : "star"; }
  std::int64_t rows_per_sample() const { return block ? block_rows : 1 + M; }
  std::int64_t nnz_per_sample() const { return block ? block_nonzeros : 2 * B + M; }
  std::int64_t convexity_row(std::int64_t d) const { return d * (1 + M); }
  std::int64_t consistency_row(std::int64_t d, std::int64_t a) const { return d * (1 + M) + 1 + a; }
  std::int64_t x_column(std::int64_t a) const { return a; }
  std::int64_t lambda_column(std::int64_t d, std::int64_t j) const { return M + d * B + j; }
  std::int64_t local_index(std::int64_t a, std::int64_t s, std::int64_t t) const { return (a * Sx + s) * Sy + t; }
  // Number of nonzeros in rows [0, row): the CSR row pointer of `row`, in closed form (or the block's).
  std::int64_t nnz_before_row(std::int64_t row) const;
  std::int64_t row_length(std::int64_t row) const { return row % (1 + M) == 0 ? B : 1 + S; }
};

// The layout's sizes as one JSON object, the field list shared by the plan, lpnn-info and the file's
// attributes: samples, parameters, inputs, outputs, grid {param, input, output}, parameter_grid_points,
// bag_size (a block layout: columns_per_sample instead), rows, columns, nonzeros.
nlohmann::json layout_to_json(const PolytopeLayout& layout);

// Bytes of a polytope file's datasets (int64 row pointers and column indices, float64 values, b, c,
// the template and the grids); the file adds a few KiB of metadata.
std::int64_t polytope_file_bytes(const PolytopeLayout& layout);

// Contiguous, balanced split of D samples over P ranks: rank r owns [first, first + count).
struct SampleRange {
  std::int64_t first = 0;
  std::int64_t count = 0;
  static SampleRange of_rank(std::int64_t samples, int rank, int ranks);
};

}  // namespace lpnn
