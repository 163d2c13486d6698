// Forward-mode differentiation: a value with its gradient with respect to a fixed list of variables.
// One type serves two uses, by its scalar:
//   Jet<double>    value and gradient at a point (Adam's gradients);
//   Jet<Interval>  enclosures of value and gradient over a box (the numeric Lipschitz bound: every
//                  operation's result contains the true value and gradient for every point of the box).
// An empty gradient stands for a constant (all partial derivatives zero).
#pragma once

#include <algorithm>
#include <cmath>
#include <span>
#include <type_traits>
#include <utility>
#include <vector>

namespace lpnn {

// A closed interval [lo, hi] with the arithmetic of enclosures (not outward-rounded).
struct Interval {
  double lo = 0.0, hi = 0.0;
  double mag() const { return std::max(std::fabs(lo), std::fabs(hi)); }
};
inline Interval operator+(Interval a, Interval b) { return {a.lo + b.lo, a.hi + b.hi}; }
inline Interval operator-(Interval a, Interval b) { return {a.lo - b.hi, a.hi - b.lo}; }
inline Interval operator*(Interval a, Interval b) {
  const double p[4] = {a.lo * b.lo, a.lo * b.hi, a.hi * b.lo, a.hi * b.hi};
  return {*std::min_element(p, p + 4), *std::max_element(p, p + 4)};
}

// The scalar c as a Scalar (a point interval for Interval).
template <typename Scalar>
Scalar constant(double c) {
  if constexpr (std::is_same_v<Scalar, Interval>) {
    return Interval{c, c};
  } else {
    return c;
  }
}

template <typename Scalar>
struct Jet {
  Scalar v{};
  std::vector<Scalar> g;  // empty: a constant
  Jet() = default;
  explicit Jet(double c) : v(constant<Scalar>(c)) {}
  Jet(Scalar value, std::vector<Scalar> gradient) : v(value), g(std::move(gradient)) {}
  // The variable number `index` of `count`, with value `value`.
  static Jet variable(Scalar value, std::size_t index, std::size_t count) {
    std::vector<Scalar> gradient(count, constant<Scalar>(0.0));
    gradient[index] = constant<Scalar>(1.0);
    return {value, std::move(gradient)};
  }
};

// fa·a + fb·b for gradients, where an empty gradient is zero.
template <typename Scalar>
std::vector<Scalar> combine(const std::vector<Scalar>& a, Scalar fa, const std::vector<Scalar>& b, Scalar fb) {
  std::vector<Scalar> r(std::max(a.size(), b.size()), constant<Scalar>(0.0));
  for (std::size_t i = 0; i < a.size(); ++i) r[i] = r[i] + fa * a[i];
  for (std::size_t i = 0; i < b.size(); ++i) r[i] = r[i] + fb * b[i];
  return r;
}

template <typename Scalar>
Jet<Scalar> operator+(const Jet<Scalar>& a, const Jet<Scalar>& b) {
  const Scalar one = constant<Scalar>(1.0);
  return {a.v + b.v, combine(a.g, one, b.g, one)};
}
template <typename Scalar>
Jet<Scalar> operator-(const Jet<Scalar>& a, const Jet<Scalar>& b) {
  return {a.v - b.v, combine(a.g, constant<Scalar>(1.0), b.g, constant<Scalar>(-1.0))};
}
template <typename Scalar>
Jet<Scalar> operator*(const Jet<Scalar>& a, const Jet<Scalar>& b) {
  return {a.v * b.v, combine(a.g, b.v, b.g, a.v)};
}
// The chain rule: h(a) with value h(a.v) and derivative h'(a.v).
template <typename Scalar>
Jet<Scalar> chain(const Jet<Scalar>& a, Scalar value, Scalar derivative) {
  return {value, combine(a.g, derivative, {}, constant<Scalar>(0.0))};
}

// relu, |·| and tanh with their derivatives; at a kink a point takes one one-sided derivative, an
// interval the hull of both.
inline std::pair<double, double> relu_parts(double v) { return {v > 0 ? v : 0.0, v > 0 ? 1.0 : 0.0}; }
inline std::pair<double, double> abs_parts(double v) { return {std::fabs(v), v >= 0 ? 1.0 : -1.0}; }
inline std::pair<double, double> tanh_parts(double v) {
  const double t = std::tanh(v);
  return {t, 1.0 - t * t};
}
inline std::pair<Interval, Interval> relu_parts(Interval v) {
  const Interval d = v.lo > 0 ? Interval{1, 1} : v.hi < 0 ? Interval{0, 0} : Interval{0, 1};
  return {{std::max(v.lo, 0.0), std::max(v.hi, 0.0)}, d};
}
inline std::pair<Interval, Interval> abs_parts(Interval v) {
  const Interval d = v.lo > 0 ? Interval{1, 1} : v.hi < 0 ? Interval{-1, -1} : Interval{-1, 1};
  const double lo = (v.lo > 0 || v.hi < 0) ? std::min(std::fabs(v.lo), std::fabs(v.hi)) : 0.0;
  return {{lo, v.mag()}, d};
}
inline std::pair<Interval, Interval> tanh_parts(Interval v) {
  // tanh' = 1 - tanh² is largest nearest 0 and smallest farthest from 0.
  const double near = (v.lo <= 0 && v.hi >= 0) ? 0.0 : std::min(std::fabs(v.lo), std::fabs(v.hi));
  const double tn = std::tanh(near), tf = std::tanh(v.mag());
  return {{std::tanh(v.lo), std::tanh(v.hi)}, {1.0 - tf * tf, 1.0 - tn * tn}};
}

// elu(v) = v for v > 0, e^v - 1 otherwise: increasing, with a non-decreasing derivative.
inline double elu_derivative(double v) { return v > 0 ? 1.0 : std::exp(v); }
inline std::pair<double, double> elu_parts(double v) { return {v > 0 ? v : std::expm1(v), elu_derivative(v)}; }
inline std::pair<Interval, Interval> elu_parts(Interval v) {
  return {{elu_parts(v.lo).first, elu_parts(v.hi).first}, {elu_derivative(v.lo), elu_derivative(v.hi)}};
}
// softplus(v) = log(1 + e^v): increasing, derivative the logistic sigmoid, also increasing.
inline double sigmoid(double v) { return v >= 0 ? 1.0 / (1.0 + std::exp(-v)) : std::exp(v) / (1.0 + std::exp(v)); }
inline double softplus_of(double v) { return std::max(v, 0.0) + std::log1p(std::exp(-std::fabs(v))); }
inline std::pair<double, double> softplus_parts(double v) { return {softplus_of(v), sigmoid(v)}; }
inline std::pair<Interval, Interval> softplus_parts(Interval v) {
  return {{softplus_of(v.lo), softplus_of(v.hi)}, {sigmoid(v.lo), sigmoid(v.hi)}};
}
// sign(v) = +1 for v >= 0, -1 otherwise. A point jet uses the straight-through estimator (derivative 1
// on [-1, 1], 0 outside): a heuristic for gradient descent, not a derivative. An interval that
// contains 0 has no finite derivative bound: sign is not Lipschitz.
inline std::pair<double, double> sign_parts(double v) { return {v >= 0 ? 1.0 : -1.0, std::fabs(v) <= 1.0 ? 1.0 : 0.0}; }
inline std::pair<Interval, Interval> sign_parts(Interval v) {
  if (v.lo >= 0) return {{1, 1}, {0, 0}};
  if (v.hi < 0) return {{-1, -1}, {0, 0}};
  return {{-1, 1}, {-INFINITY, INFINITY}};
}

template <typename Scalar>
Jet<Scalar> relu(const Jet<Scalar>& a) {
  const auto [value, derivative] = relu_parts(a.v);
  return chain(a, value, derivative);
}
template <typename Scalar>
Jet<Scalar> abs_value(const Jet<Scalar>& a) {
  const auto [value, derivative] = abs_parts(a.v);
  return chain(a, value, derivative);
}
template <typename Scalar>
Jet<Scalar> tanh_value(const Jet<Scalar>& a) {
  const auto [value, derivative] = tanh_parts(a.v);
  return chain(a, value, derivative);
}

template <typename Scalar>
Jet<Scalar> elu_value(const Jet<Scalar>& a) {
  const auto [value, derivative] = elu_parts(a.v);
  return chain(a, value, derivative);
}
template <typename Scalar>
Jet<Scalar> sign_value(const Jet<Scalar>& a) {
  const auto [value, derivative] = sign_parts(a.v);
  return chain(a, value, derivative);
}
template <typename Scalar>
Jet<Scalar> softplus(const Jet<Scalar>& a) {
  const auto [value, derivative] = softplus_parts(a.v);
  return chain(a, value, derivative);
}

// log Σ_j e^{z_j} and its partial derivatives softmax(z)_j, for points and enclosures. On a box the
// function is increasing in every z_j, and softmax_j is smallest with z_j low and the others high.
inline double log_sum_exp_of(const std::vector<double>& z) {
  double top = z[0];
  for (double v : z) top = std::max(top, v);
  double sum = 0.0;
  for (double v : z) sum += std::exp(v - top);
  return top + std::log(sum);
}
inline std::pair<double, std::vector<double>> log_sum_exp_parts(const std::vector<double>& z) {
  const double lse = log_sum_exp_of(z);
  std::vector<double> softmax(z.size());
  for (std::size_t j = 0; j < z.size(); ++j) softmax[j] = std::exp(z[j] - lse);
  return {lse, softmax};
}
inline std::pair<Interval, std::vector<Interval>> log_sum_exp_parts(const std::vector<Interval>& z) {
  std::vector<double> lo(z.size()), hi(z.size());
  for (std::size_t j = 0; j < z.size(); ++j) {
    lo[j] = z[j].lo;
    hi[j] = z[j].hi;
  }
  std::vector<Interval> softmax(z.size());
  for (std::size_t j = 0; j < z.size(); ++j) {
    std::vector<double> low = hi, high = lo;  // the others at their opposite ends
    low[j] = lo[j];
    high[j] = hi[j];
    softmax[j] = {std::exp(lo[j] - log_sum_exp_of(low)), std::exp(hi[j] - log_sum_exp_of(high))};
  }
  return {{log_sum_exp_of(lo), log_sum_exp_of(hi)}, softmax};
}
template <typename Scalar>
Jet<Scalar> log_sum_exp(std::span<const Jet<Scalar>> z) {
  std::vector<Scalar> values(z.size());
  for (std::size_t j = 0; j < z.size(); ++j) values[j] = z[j].v;
  const auto [value, softmax] = log_sum_exp_parts(values);
  Jet<Scalar> result(value, {});
  for (std::size_t j = 0; j < z.size(); ++j) result.g = combine(result.g, constant<Scalar>(1.0), z[j].g, softmax[j]);
  return result;
}

}  // namespace lpnn
