#include "lpnn/solve/face.hpp"

#include <algorithm>
#include <limits>

#include "lpnn/bags/sample_block.hpp"
#include "lpnn/util/error.hpp"

namespace lpnn {

Face Face::of(const PolytopeLayout& layout, const Dataset& data) {
  if (data.inputs != layout.n || data.outputs != layout.m)
    fail("{}: the data has {} inputs and {} outputs, the polytope {} and {}", data.origin, data.inputs, data.outputs,
         layout.n, layout.m);
  if (data.samples > layout.D)
    fail("{}: {} samples, but the polytope was built for at most D = {}; build one with --samples {} or more",
         data.origin, data.samples, layout.D, data.samples);
  const Grid gx(layout.grid.input), gy(layout.grid.output);
  Face face;
  face.samples = data.samples;
  std::vector<std::int64_t> digits_x(layout.n), digits_y(layout.m);
  for (std::int64_t d = 0; d < data.samples; ++d) {
    for (std::int64_t i = 0; i < layout.n; ++i) digits_x[i] = gx.round(data.input(d)[i]);
    for (std::int64_t i = 0; i < layout.m; ++i) digits_y[i] = gy.round(data.output(d)[i]);
    face.input_digits.insert(face.input_digits.end(), digits_x.begin(), digits_x.end());
    face.output_digits.insert(face.output_digits.end(), digits_y.begin(), digits_y.end());
    if (!layout.star()) continue;
    face.input_point.push_back(mixed_radix_encode(digits_x, layout.grid.input));
    face.output_point.push_back(mixed_radix_encode(digits_y, layout.grid.output));
  }
  return face;
}

bool Face::on_block_face(const PolytopeLayout& layout, std::int64_t d, std::int64_t local) const {
  const SampleBlock& block = *layout.block;
  const std::int64_t n = layout.n, m = layout.m;
  for (std::int64_t q = block.data_pointer[local]; q < block.data_pointer[local + 1]; ++q) {
    const BlockDatum& datum = block.data[q];
    const std::int64_t wanted =
        datum.label ? output_digits[d * m + datum.coordinate] : input_digits[d * n + datum.coordinate];
    if (datum.index != wanted) return false;
  }
  return true;
}

std::int64_t Face::used_rows(const PolytopeLayout& layout) const {
  return samples < 1 ? layout.rows : samples * layout.rows_per_sample();
}

std::int64_t Face::used_columns(const PolytopeLayout& layout) const {
  return samples < 1 ? layout.cols : layout.lambda_column(samples, 0);  // M + D'·B
}

double Face::objective_of(const PolytopeLayout& layout, std::span<const double> cost_template, double regularizer_cost,
                          std::int64_t a) const {
  if (!layout.star())
    fail("the {} family's face objective is the rounded network's, not the cost template's", layout.family());
  double total = 0.0;
  for (std::int64_t d = 0; d < samples; ++d)
    total += cost_template[layout.local_index(a, input_point[d], output_point[d])];
  return total / static_cast<double>(samples) + regularizer_cost;
}

FaceObjective FaceObjective::make(FaceMode mode, std::span<const double> cost_template,
                                  std::span<const double> x_costs) {
  FaceObjective f;
  f.mode = mode;
  // Any point of the face costs at most max c + max λ_R·R; every vertex off the face puts weight 1 on
  // some penalized column. Twice the bound (plus 1) keeps the optimum on the face with margin. A chain's
  // template is its block's one-sample objective, and its vertices are integral too (the junction tree
  // theorem makes the polytope the convex hull of the chains' feasible assignments), so an off-face
  // vertex assigns some data variable another value with weight 1 and pays the penalty at least once.
  double worst = 0.0;
  for (double c : cost_template) worst = std::max(worst, c);
  double worst_x = 0.0;
  for (double c : x_costs) worst_x = std::max(worst_x, c);
  f.penalty = 2.0 * (1.0 + worst + worst_x);
  return f;
}

void FaceObjective::columns(const PolytopeLayout& layout, const Face& face, std::span<const double> cost_template,
                            std::span<const double> x_costs, std::int64_t first, std::span<double> cost,
                            std::span<double> upper) const {
  constexpr double inf = std::numeric_limits<double>::infinity();
  const double weight = 1.0 / static_cast<double>(face.samples);
  for (std::size_t k = 0; k < cost.size(); ++k) {
    const std::int64_t column = first + static_cast<std::int64_t>(k);
    upper[k] = inf;
    if (column < layout.M) {
      cost[k] = x_costs[column];
      continue;
    }
    const std::int64_t d = (column - layout.M) / layout.B, j = (column - layout.M) % layout.B;
    if (d >= face.samples) {  // unused bag: free, no cost
      cost[k] = 0.0;
      continue;
    }
    const std::int64_t st = layout.star() ? j % layout.S : 0;  // (s, t) = (st / Sy, st % Sy)
    const bool on_face =
        layout.star() ? st == face.input_point[d] * layout.Sy + face.output_point[d] : face.on_block_face(layout, d, j);
    if (on_face) {
      cost[k] = cost_template[j] * weight;
    } else if (mode == FaceMode::Bounds) {
      cost[k] = 0.0;
      upper[k] = 0.0;
    } else {
      cost[k] = penalty;
    }
  }
}

}  // namespace lpnn
