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
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>

#include "lpnn/arch/grid.hpp"

namespace lpnn {

struct PolytopeLayout {
  std::int64_t N = 0, n = 0, m = 0;  // parameters, inputs, outputs
  GridSpec grid;
  std::int64_t D = 0;   // samples (bags)
  std::int64_t M = 0;   // parameter grid points K_φ^N
  std::int64_t Sx = 0;  // input grid points K_x^n
  std::int64_t Sy = 0;  // output grid points K_y^m
  std::int64_t S = 0;   // data grid points per parameter point, Sx·Sy
  std::int64_t B = 0;   // bag template size M·S
  std::int64_t rows = 0, cols = 0, nnz = 0;

  // Throws lpnn::Error for K < 2, D < 1 or sizes that overflow 64-bit arithmetic.
  static PolytopeLayout make(std::int64_t parameters, std::int64_t inputs, std::int64_t outputs, GridSpec grid,
                             std::int64_t samples);

  std::int64_t rows_per_sample() const { return 1 + M; }
  std::int64_t nnz_per_sample() const { return 2 * B + M; }
  std::int64_t convexity_row(std::int64_t d) const { return d * (1 + M); }
  std::int64_t consistency_row(std::int64_t d, std::int64_t a) const { return d * (1 + M) + 1 + a; }
  std::int64_t x_column(std::int64_t a) const { return a; }
  std::int64_t lambda_column(std::int64_t d, std::int64_t j) const { return M + d * B + j; }
  std::int64_t local_index(std::int64_t a, std::int64_t s, std::int64_t t) const { return (a * Sx + s) * Sy + t; }
  // Number of nonzeros in rows [0, row): the CSR row pointer of `row`, in closed form.
  std::int64_t nnz_before_row(std::int64_t row) const;
  std::int64_t row_length(std::int64_t row) const { return row % (1 + M) == 0 ? B : 1 + S; }
};

// The layout's sizes as one JSON object, the field list shared by the plan, lpnn-info and the file's
// attributes: samples, parameters, inputs, outputs, grid {param, input, output}, parameter_grid_points,
// bag_size, rows, columns, nonzeros.
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
