// A data set is a face of the polytope (README, The polytope / Faces and exactness). Samples are rounded to grid
// indices (s_d, t_d); on the face every λ^d[(a,s,t)] with (s,t) ≠ (s_d,t_d) is 0, so λ^d[(a,s_d,t_d)] = X[a] and the LP
// optimum equals the best parameter grid point:
//   min_a (1/D') Σ_{d<D'} c[(a, s_d, t_d)] + λ_R·R(θ(a)).
// A polytope built for D samples serves any D' ≤ D: bags d ≥ D' get cost 0 and stay free; the face LP the
// solvers see leaves them out (used_rows, used_columns).
//
// A chain polytope (layout.block, bags/chain_family.hpp) has D copies of one sample block instead of
// one bag per sample. Its data variables are the inputs and labels the block's bags hold: on sample d's
// face every column of d's block that assigns an input or label a grid index other than sample d's
// rounded one is off the face (0 in bounds mode, penalized in penalty mode); every other column keeps
// its block cost (1/D')·ℓ. By the junction tree theorem (bags/family.hpp) the block's marginals then
// glue into one feasible assignment of the sample's chain with x̂_d and ŷ_d fixed, which, every step
// being a function of its inputs, is the rounded network's evaluation at θ(a): the optimum is
//   min_a (1/D') Σ_{d<D'} ℓ(rounded net(x̂_d, θ(a)), ŷ_d) + λ_R·R(θ(a))   (solve/rounded.hpp).
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "lpnn/bags/layout.hpp"
#include "lpnn/solve/dataset.hpp"

namespace lpnn {

enum class FaceMode {
  Bounds,   // fix the off-face λ to 0 through their upper bounds (default)
  Penalty,  // keep the whole polytope; off-face λ cost a penalty above any face objective (BMP, Farkas)
};

struct Face {
  std::int64_t samples = 0;                // D'
  std::vector<std::int64_t> input_point;   // s_d, mixed radix over the input grid
  std::vector<std::int64_t> output_point;  // t_d, mixed radix over the output grid
  // Every layout: the grid indices of sample d's inputs (D'·n, row-major) and labels (D'·m). The star's
  // s_d and t_d encode them; a chain's face compares them with its columns' data (BlockDatum). Block
  // layouts leave input_point and output_point empty (K_x^n need not fit 64 bits there).
  std::vector<std::int64_t> input_digits, output_digits;

  // Rounds an in-box data set onto the layout's grids. Throws lpnn::Error if D' > D or the data's
  // dimensions differ from the polytope's.
  static Face of(const PolytopeLayout& layout, const Dataset& data);

  // The rows [0, used_rows) and columns [0, used_columns) of the bags d < D' that hold a data point:
  // D'(1 + M) rows and M + D'·B columns (X, then the used bags' λ). Leaving the other bags out is exact
  // when D' ≥ 1: they cost 0 (FaceObjective gives their λ cost 0 and no upper bound), and for any X of
  // the used bags' LP (X ≥ 0, Σ_a X[a] = 1 by a used bag's convexity and consistency rows) an unused bag
  // is completed by λ^d[(a, s0, t0)] = X[a] for one fixed data point (s0, t0), 0 elsewhere: its
  // convexity row sums to Σ_a X[a] = 1 and each consistency row to X[a] − X[a] = 0. So the projection
  // onto X and the objective are unchanged, and with it the optimum. With D' = 0 nothing is left out.
  //
  // A chain polytope (block layout): the rows [0, D'·r1) and columns [0, M + D'·c1) of samples d < D'.
  // Leaving the other blocks out is exact for the same reason: they cost 0 and are free, and for any X
  // of the used blocks' LP an unused block is completed by one fixed data point (x0, y0): put
  // λ_t[v] = X[a] on the one column v of each of its bags t agreeing with the assignment of the chain
  // for θ(a), x0, y0, and 0 elsewhere. That assignment exists and is unique for every grid point a
  // because every step's output is a function of its inputs (the parameters, x0 and earlier steps),
  // and every bag's variables are some of the chain's: each convexity row sums to Σ_a X[a] = 1, and on
  // every edge both sides of a separator row carry Σ_{a agreeing with w} X[a] (the root's side is
  // X[a] itself), so each edge row is 0.
  std::int64_t used_rows(const PolytopeLayout& layout) const;
  std::int64_t used_columns(const PolytopeLayout& layout) const;

  // Block layouts: whether sample d's local column `local` agrees with d's data (d < samples).
  bool on_block_face(const PolytopeLayout& layout, std::int64_t d, std::int64_t local) const;

  // The star's face objective of parameter grid point a, from the cost template (a chain's comes from
  // the rounded network, solve/rounded.hpp; throws lpnn::Error for a block layout).
  double objective_of(const PolytopeLayout& layout, std::span<const double> cost_template, double regularizer_cost,
                      std::int64_t a) const;
};

// Objective and upper bounds (lower bounds are 0) of columns [first, first + cost.size()).
// x_costs: λ_R·R(θ(a)) for a < M, needed only when the range includes X columns. cost_template: the
// star's template, or a block layout's one-sample objective (the file's /template/cost either way).
struct FaceObjective {
  FaceMode mode = FaceMode::Bounds;
  double penalty = 0.0;  // penalty mode: cost of an off-face λ
  static FaceObjective make(FaceMode mode, std::span<const double> cost_template, std::span<const double> x_costs);
  void columns(const PolytopeLayout& layout, const Face& face, std::span<const double> cost_template,
               std::span<const double> x_costs, std::int64_t first, std::span<double> cost,
               std::span<double> upper) const;
};

}  // namespace lpnn
