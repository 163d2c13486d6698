#include "lpnn/arch/lipschitz.hpp"

#include <algorithm>
#include <cmath>
#include <queue>
#include <vector>

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
    case LossKind::Squared: return m * 2.0 * (U + 1.0) * (G + 1.0);
    case LossKind::Absolute: return m * (G + 1.0);
    case LossKind::Hinge: return m * (G + U);
  }
  return 0.0;
}

namespace {

struct Interval {
  double lo = 0.0, hi = 0.0;
  double mag() const { return std::max(std::fabs(lo), std::fabs(hi)); }
};
Interval operator+(Interval a, Interval b) { return {a.lo + b.lo, a.hi + b.hi}; }
Interval operator-(Interval a, Interval b) { return {a.lo - b.hi, a.hi - b.lo}; }
Interval operator*(Interval a, Interval b) {
  const double p[4] = {a.lo * b.lo, a.lo * b.hi, a.hi * b.lo, a.hi * b.hi};
  return {*std::min_element(p, p + 4), *std::max_element(p, p + 4)};
}

// An interval enclosure of a value and of its gradient over the variables (x, y, φ).
struct IntervalJet {
  Interval v;
  std::vector<Interval> g;
  IntervalJet() = default;
  explicit IntervalJet(double c) : v{c, c} {}
  IntervalJet(Interval value, std::vector<Interval> grad) : v(value), g(std::move(grad)) {}
};

std::vector<Interval> combine(const std::vector<Interval>& a, Interval fa, const std::vector<Interval>& b,
                              Interval fb) {
  // fa·a + fb·b, where an empty gradient is zero (a constant).
  const std::size_t size = std::max(a.size(), b.size());
  std::vector<Interval> r(size, Interval{0.0, 0.0});
  for (std::size_t i = 0; i < a.size(); ++i) r[i] = r[i] + fa * a[i];
  for (std::size_t i = 0; i < b.size(); ++i) r[i] = r[i] + fb * b[i];
  return r;
}

IntervalJet operator+(const IntervalJet& a, const IntervalJet& b) {
  return {a.v + b.v, combine(a.g, {1, 1}, b.g, {1, 1})};
}
IntervalJet operator-(const IntervalJet& a, const IntervalJet& b) {
  return {a.v - b.v, combine(a.g, {1, 1}, b.g, {-1, -1})};
}
IntervalJet operator*(const IntervalJet& a, const IntervalJet& b) {
  return {a.v * b.v, combine(a.g, b.v, b.g, a.v)};
}
IntervalJet scale(const IntervalJet& a, Interval value, Interval derivative) {
  return {value, combine(a.g, derivative, {}, {0, 0})};
}
IntervalJet relu(const IntervalJet& a) {
  const Interval d = a.v.lo > 0 ? Interval{1, 1} : a.v.hi < 0 ? Interval{0, 0} : Interval{0, 1};
  return scale(a, {std::max(a.v.lo, 0.0), std::max(a.v.hi, 0.0)}, d);
}
IntervalJet abs_value(const IntervalJet& a) {
  const Interval d = a.v.lo > 0 ? Interval{1, 1} : a.v.hi < 0 ? Interval{-1, -1} : Interval{-1, 1};
  const double lo = (a.v.lo > 0 || a.v.hi < 0) ? std::min(std::fabs(a.v.lo), std::fabs(a.v.hi)) : 0.0;
  return scale(a, {lo, a.v.mag()}, d);
}
IntervalJet tanh_value(const IntervalJet& a) {
  // tanh' = 1 - tanh² is largest nearest 0 and smallest farthest from 0.
  const double near = (a.v.lo <= 0 && a.v.hi >= 0) ? 0.0 : std::min(std::fabs(a.v.lo), std::fabs(a.v.hi));
  const double tn = std::tanh(near), tf = std::tanh(a.v.mag());
  return scale(a, {std::tanh(a.v.lo), std::tanh(a.v.hi)}, {1.0 - tf * tf, 1.0 - tn * tn});
}

struct Box {
  std::vector<Interval> range;  // x (n), y (m), φ (N)
  double bound = 0.0;
  bool operator<(const Box& other) const { return bound < other.bound; }
};

double gradient_bound(const Architecture& arch, const std::vector<Interval>& range) {
  const std::size_t n = arch.inputs(), m = arch.outputs(), N = arch.parameters(), V = n + m + N;
  auto variable = [&](std::size_t i) {
    std::vector<Interval> g(V, Interval{0, 0});
    g[i] = {1, 1};
    return IntervalJet(range[i], std::move(g));
  };
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
