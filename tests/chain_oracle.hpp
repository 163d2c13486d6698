// An oracle for the sum-chain family (bags/chain_family.hpp) written independently of lpnn's chain,
// face and grid-search code: the rounded network evaluated straight from the network's graph, rounding
// by scanning each node grid, and exhaustive search over the parameter grid. Shared by the unit tests
// of the family and the training tests on chain files.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include "lpnn/arch/architecture.hpp"
#include "lpnn/arch/grid.hpp"
#include "lpnn/bags/chain_family.hpp"

namespace lpnn::test::chain {

struct Data {
  std::vector<std::vector<double>> x, y;
};

// The nearest of K points uniform on [−U, U], ties to the upper one, by scanning the grid.
inline double nearest(double r, double U, std::int64_t K) {
  double best = 0.0, best_distance = std::numeric_limits<double>::infinity();
  for (std::int64_t k = 0; k < K; ++k) {
    const double g = -U + 2.0 * U * static_cast<double>(k) / static_cast<double>(K - 1);
    const double distance = std::fabs(r - g);
    if (distance <= best_distance + 1e-9) {
      best = g;
      best_distance = std::min(distance, best_distance);
    }
  }
  return best;
}

// The rounded network: s_0 = bias, s_i = R(s_{i−1} + w_i·val(u_i)), val = R(σ(s_r)), on grids of K
// points (or 2U + 1 with `integer`) over [−U, U], U = bias + Σ |weight bound|·(bound of the source).
// x must be grid values already.
inline std::vector<double> rounded_network(const Architecture& arch, const std::vector<double>& x,
                                           const std::vector<double>& theta, std::int64_t K, bool integer) {
  const std::int64_t n = arch.inputs();
  std::vector<double> val(x), out_bound;
  for (const Neuron& v : arch.neurons()) {
    double U = v.bias_parameter >= 0 ? 1.0 : 0.0;
    for (const auto& e : v.in)
      U += (e.parameter >= 0 ? 1.0 : std::fabs(e.weight)) * (e.source < n ? 1.0 : out_bound[e.source - n]);
    const std::int64_t points = integer ? 2 * std::llround(U) + 1 : K;
    double s = v.bias_parameter >= 0 ? theta[v.bias_parameter] : 0.0;
    for (const auto& e : v.in)
      s = nearest(s + (e.parameter >= 0 ? theta[e.parameter] : e.weight) * val[e.source], U, points);
    val.push_back(nearest(apply_activation(v.activation, v.slope, s), U, points));
    out_bound.push_back(v.activation == Activation::Sign   ? 1.0
                        : v.activation == Activation::Tanh ? std::min(U, 1.0)
                                                           : U);
  }
  std::vector<double> z;
  for (std::int64_t o : arch.output_neurons()) z.push_back(val[n + o]);
  return z;
}

// Grid values of the rounded data.
inline Data rounded(const Data& data, const GridSpec& grid) {
  const Grid gx(grid.input), gy(grid.output);
  Data r = data;
  for (auto& row : r.x)
    for (double& v : row) v = gx.value(gx.round(v));
  for (auto& row : r.y)
    for (double& v : row) v = gy.value(gy.round(v));
  return r;
}

struct Optimum {
  double objective = std::numeric_limits<double>::infinity();
  std::int64_t point = -1;                                    // the smallest optimal grid point a
  int optimal_points = 0;                                     // how many grid points attain it (within 1e-9)
  double at_zero = std::numeric_limits<double>::quiet_NaN();  // objective at θ = 0 (K_param odd)
};

// min over the parameter grid of (1/D) Σ_d ℓ(net(x̂_d, θ), ŷ_d) + λ_R·R(θ), `net` the rounded network
// (or, with `exact_network`, the network itself).
inline Optimum grid_optimum(const Architecture& arch, const ChainOptions& o, const Data& data, bool exact_network) {
  const Grid gp(o.grid.param);
  const Data hat = rounded(data, o.grid);
  const std::int64_t N = arch.parameters();
  std::int64_t M = 1;
  for (std::int64_t i = 0; i < N; ++i) M *= o.grid.param;
  std::vector<double> values(static_cast<std::size_t>(M));
  std::vector<double> theta(N);
  Optimum best;
  for (std::int64_t a = 0; a < M; ++a) {
    grid_point(gp, a, theta);
    double total = 0.0;
    for (std::size_t d = 0; d < hat.x.size(); ++d) {
      if (exact_network) {
        total += arch.sample_loss(hat.x[d], theta, hat.y[d]);
      } else {
        const std::vector<double> z = rounded_network(arch, hat.x[d], theta, o.node_points, o.integer_nodes);
        total += arch.loss_value<double>(z, hat.y[d]);
      }
    }
    values[a] = total / static_cast<double>(hat.x.size()) + arch.regularization(theta);
    if (std::all_of(theta.begin(), theta.end(), [](double t) { return t == 0.0; })) best.at_zero = values[a];
    if (values[a] < best.objective) {
      best.objective = values[a];
      best.point = a;
    }
  }
  for (double v : values) best.optimal_points += std::fabs(v - best.objective) <= 1e-9 ? 1 : 0;
  return best;
}

}  // namespace lpnn::test::chain
