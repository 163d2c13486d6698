#include "lpnn/arch/lipschitz.hpp"

#include <algorithm>
#include <cmath>
#include <queue>
#include <vector>

#include "lpnn/arch/jet.hpp"
#include "lpnn/util/error.hpp"

namespace lpnn {

double bmp_lipschitz_bound(const Architecture& arch) {
  if (arch.has_sign_units()) return INFINITY;  // a jump: no Lipschitz constant
  // Per value: U bounds its magnitude, G bounds the 1-norm of its gradient over (x, φ). Inputs: 1, 1.
  const std::size_t n = static_cast<std::size_t>(arch.inputs());
  std::vector<double> U(n, 1.0), G(n, 1.0);
  for (const Neuron& neuron : arch.neurons()) {
    const double b = neuron.bias_parameter >= 0 ? 1.0 : 0.0;
    double pre_u = b, pre_g = b;
    for (const Neuron::Edge& e : neuron.in) {
      const bool parameter = e.parameter >= 0;
      const double w = parameter ? 1.0 : std::fabs(e.weight);  // a parameter lives in [-1, 1]
      pre_u += w * U[e.source];
      pre_g += w * G[e.source] + (parameter ? U[e.source] : 0.0);  // ∂/∂w of w·value is the value
    }
    // Every activation here is 1-Lipschitz with a(0) = 0; |tanh| <= 1.
    U.push_back(neuron.activation == Activation::Tanh ? std::min(pre_u, 1.0) : pre_u);
    G.push_back(pre_g);
  }
  double u = 0.0, g = 0.0;
  for (const std::int64_t k : arch.output_neurons()) {
    u = std::max(u, U[n + static_cast<std::size_t>(k)]);
    g = std::max(g, G[n + static_cast<std::size_t>(k)]);
  }
  const double m = static_cast<double>(arch.outputs());
  switch (arch.loss()) {
    case LossKind::Squared:
      return m * 2.0 * (u + 1.0) * (g + 1.0);
    case LossKind::Absolute:
      return m * (g + 1.0);
    case LossKind::Hinge:
    case LossKind::Logistic:  // |∂ℓ/∂z_k| <= |y_k| <= 1, |∂ℓ/∂y_k| <= |z_k| <= U
      return m * (g + u);
    case LossKind::CrossEntropy:
      // Σ_j |∂ℓ/∂z_j| = Σ_j |P·softmax_j − p_j| <= 2P <= 2m (P = Σ p_k); ∂ℓ/∂y_k = (LSE(z) − z_k)/2
      // lies in [0, U + ln(m)/2].
      return 2.0 * m * g + m * (u + 0.5 * std::log(m));
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
  if (arch.has_sign_units()) return {INFINITY, 0};
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

double guaranteed_epsilon(const Architecture& arch, double lipschitz, const GridSpec& grid) {
  if (arch.binary()) return 0.0;  // ±1 data on a K = 2 grid: nothing is rounded
  return epsilon_of_grid(lipschitz, grid);
}

double epsilon_of_grid(double lipschitz, const GridSpec& grid) {
  const std::int64_t coarsest = std::min({grid.param, grid.input, grid.output});
  return 2.0 * lipschitz * Grid(coarsest).max_rounding_error();
}

std::int64_t grid_for_epsilon(double lipschitz, double epsilon) {
  if (!(epsilon > 0.0) || !std::isfinite(epsilon)) fail("--epsilon must be a positive number, got {}", epsilon);
  if (!std::isfinite(lipschitz))
    fail(
        "--epsilon cannot be met: the network has sign units, which are not Lipschitz, so no grid bounds the "
        "error; give the grid with --grid K (or make the network binary, where the LP is exact)");
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
