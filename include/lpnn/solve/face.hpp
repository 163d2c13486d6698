// A data set is a face of the polytope (README, The polytope / Faces and exactness). Samples are rounded to grid
// indices (s_d, t_d); on the face every λ^d[(a,s,t)] with (s,t) ≠ (s_d,t_d) is 0, so λ^d[(a,s_d,t_d)] = X[a] and the LP
// optimum equals the best parameter grid point:
//   min_a (1/D') Σ_{d<D'} c[(a, s_d, t_d)] + λ_R·R(θ(a)).
// A polytope built for D samples serves any D' ≤ D: bags d ≥ D' get cost 0 and stay free; the face LP the
// solvers see leaves them out (used_rows, used_columns).
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
  std::int64_t used_rows(const PolytopeLayout& layout) const;
  std::int64_t used_columns(const PolytopeLayout& layout) const;

  // The face objective of parameter grid point a, from the cost template.
  double objective_of(const PolytopeLayout& layout, std::span<const double> cost_template, double regularizer_cost,
                      std::int64_t a) const;
};

// Objective and upper bounds (lower bounds are 0) of columns [first, first + cost.size()).
// x_costs: λ_R·R(θ(a)) for a < M, needed only when the range includes X columns.
struct FaceObjective {
  FaceMode mode = FaceMode::Bounds;
  double penalty = 0.0;  // penalty mode: cost of an off-face λ
  static FaceObjective make(FaceMode mode, std::span<const double> cost_template, std::span<const double> x_costs);
  void columns(const PolytopeLayout& layout, const Face& face, std::span<const double> cost_template,
               std::span<const double> x_costs, std::int64_t first, std::span<double> cost,
               std::span<double> upper) const;
};

}  // namespace lpnn
