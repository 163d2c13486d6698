#include "lpnn/arch/lipschitz.hpp"

#include <algorithm>
#include <cmath>
#include <queue>
#include <vector>

#include "lpnn/arch/jet.hpp"
#include "lpnn/util/error.hpp"

namespace lpnn {

double bmp_lipschitz_bound(const Architecture& arch) {
  const double b = arch.bias() ? 1.0 : 0.0;
  double U = 1.0, G = 1.0;
  std::int64_t width = arch.inputs();
  for (const LayerSpec& layer : arch.layers()) {
    const double w = static_cast<double>(width);
    const double pre = w * U + b;
    G = w * G + w * U + b;  // activations are 1-Lipschitz
    U = layer.activation == Activation::Tanh ? std::min(pre, 1.0) : pre;
    width = layer.units;
  }
  const double m = static_cast<double>(arch.outputs());
  switch (arch.loss()) {
    case LossKind::Squared:
      return m * 2.0 * (U + 1.0) * (G + 1.0);
    case LossKind::Absolute:
      return m * (G + 1.0);
    case LossKind::Hinge:
      return m * (G + U);
  }
  return 0.0;
}

double regularizer_lipschitz_bound(const Architecture& arch) {
  // sup over the box of ||∇(λ_R·R)||_1: |∂/∂φ_i λ|φ_i|| = λ, |∂/∂φ_i λφ_i²| = 2λ|φ_i| <= 2λ.
  const Regularizer& r = arch.regularizer();
  const double N = static_cast<double>(arch.parameters());
  switch (r.kind) {
    case RegularizerKind::L1:
      return r.weight * N;
    case RegularizerKind::L2:
      return 2.0 * r.weight * N;
    case RegularizerKind::None:
      break;
  }
  return 0.0;
}

namespace {

using IntervalJet = Jet<Interval>;  // enclosures of a value and its gradient over (x, y, φ)

struct Box {
  std::vector<Interval> range;  // x (n), y (m), φ (N)
  double bound = 0.0;
  bool operator<(const Box& other) const { return bound < other.bound; }
};

double gradient_bound(const Architecture& arch, const std::vector<Interval>& range) {
  const std::size_t n = arch.inputs(), m = arch.outputs(), N = arch.parameters(), V = n + m + N;
  auto variable = [&](std::size_t i) { return IntervalJet::variable(range[i], i, V); };
  std::vector<IntervalJet> x, y, phi, z(m);
  for (std::size_t i = 0; i < n; ++i) x.push_back(variable(i));
  for (std::size_t i = 0; i < m; ++i) y.push_back(variable(n + i));
  for (std::size_t i = 0; i < N; ++i) phi.push_back(variable(n + m + i));
  arch.evaluate<IntervalJet>(x, phi, z);
  const IntervalJet loss = arch.loss_value<IntervalJet>(z, y);
  double norm = 0.0;
  for (const Interval& gi : loss.g) norm += gi.mag();
  return norm;
}

}  // namespace

NumericLipschitz numeric_lipschitz_bound(const Architecture& arch, std::int64_t max_boxes) {
  const std::size_t V = arch.inputs() + arch.outputs() + arch.parameters();
  std::priority_queue<Box> leaves;
  Box whole{std::vector<Interval>(V, Interval{-1, 1}), 0.0};
  whole.bound = gradient_bound(arch, whole.range);
  leaves.push(whole);
  NumericLipschitz result;
  result.boxes = 1;
  // Refine the box that currently decides the maximum; the max over leaves only decreases.
  while (result.boxes + 2 <= max_boxes) {
    Box top = leaves.top();
    leaves.pop();
    std::size_t widest = 0;
    for (std::size_t i = 1; i < V; ++i)
      if (top.range[i].hi - top.range[i].lo > top.range[widest].hi - top.range[widest].lo) widest = i;
    const double mid = 0.5 * (top.range[widest].lo + top.range[widest].hi);
    Box left = top, right = top;
    left.range[widest].hi = mid;
    right.range[widest].lo = mid;
    left.bound = gradient_bound(arch, left.range);
    right.bound = gradient_bound(arch, right.range);
    leaves.push(std::move(left));
    leaves.push(std::move(right));
    result.boxes += 2;
  }
  // Interval arithmetic here is not outward-rounded; a relative margin far above the accumulated
  // rounding error keeps the bound an upper bound.
  result.bound = leaves.top().bound * (1.0 + 1e-9) + 1e-12;
  return result;
}

double epsilon_of_grid(double lipschitz, const GridSpec& grid) {
  const std::int64_t coarsest = std::min({grid.param, grid.input, grid.output});
  return 2.0 * lipschitz * Grid(coarsest).max_rounding_error();
}

std::int64_t grid_for_epsilon(double lipschitz, double epsilon) {
  if (!(epsilon > 0.0) || !std::isfinite(epsilon)) fail("--epsilon must be a positive number, got {}", epsilon);
  const double k = std::ceil(2.0 * lipschitz / epsilon) + 1.0;
  if (k > 9.0e18) fail("--epsilon {} needs a grid of {:.3g} points, beyond 64-bit arithmetic", epsilon, k);
  std::int64_t K = std::max<std::int64_t>(2, static_cast<std::int64_t>(k));
  // 2L/ε is rounded (L = 3, ε = 0.3 gives 20 where the exact quotient is just above 20), so settle K
  // against epsilon_of_grid itself: the returned K achieves ε there and K - 1 does not.
  auto achieves = [&](std::int64_t points) { return epsilon_of_grid(lipschitz, GridSpec::uniform(points)) <= epsilon; };
  while (!achieves(K)) {
    if (K > static_cast<std::int64_t>(9.0e18)) fail("--epsilon {} needs a grid beyond 64-bit arithmetic", epsilon);
    ++K;
  }
  while (K > 2 && achieves(K - 1)) --K;
  return K;
}

}  // namespace lpnn
