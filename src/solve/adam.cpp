#include "lpnn/solve/adam.hpp"

#include <chrono>
#include <cmath>
#include <random>

#include "lpnn/arch/jet.hpp"
#include "lpnn/solve/evaluate.hpp"
#include "lpnn/util/error.hpp"

namespace lpnn {

namespace {

using Dual = Jet<double>;  // a value with its gradient with respect to the N parameters

// Mean loss over the data set and its gradient.
double loss_and_gradient(const Architecture& arch, const std::vector<double>& phi, const Dataset& data,
                         std::vector<double>& gradient) {
  const std::size_t N = phi.size();
  std::vector<Dual> p(N), x(data.inputs), y(data.outputs), z(data.outputs);
  for (std::size_t i = 0; i < N; ++i) p[i] = Dual::variable(phi[i], i, N);
  double total = 0.0;
  gradient.assign(N, 0.0);
  for (std::int64_t d = 0; d < data.samples; ++d) {
    for (std::int64_t i = 0; i < data.inputs; ++i) x[i] = Dual(data.input(d)[i]);
    for (std::int64_t i = 0; i < data.outputs; ++i) y[i] = Dual(data.output(d)[i]);
    arch.evaluate<Dual>(x, p, z);
    const Dual l = arch.loss_value<Dual>(z, y);
    total += l.v;
    for (std::size_t i = 0; i < l.g.size(); ++i) gradient[i] += l.g[i];
  }
  const double inv = 1.0 / static_cast<double>(data.samples);
  for (double& g : gradient) g *= inv;
  // Regularizer gradient: l1 takes the subgradient sign(φ), l2 2φ.
  const Regularizer& reg = arch.regularizer();
  for (std::size_t i = 0; i < N; ++i) {
    if (reg.kind == RegularizerKind::L1) gradient[i] += reg.weight * (phi[i] > 0 ? 1.0 : phi[i] < 0 ? -1.0 : 0.0);
    if (reg.kind == RegularizerKind::L2) gradient[i] += reg.weight * 2.0 * phi[i];
  }
  return total * inv + arch.regularization(phi);
}

}  // namespace

AdamResult train_adam(const Architecture& arch, const Dataset& data, const AdamOptions& options) {
  if (options.starts < 1 || options.iterations < 1) fail("Adam needs at least one start and one iteration");
  const auto start = std::chrono::steady_clock::now();
  const std::size_t N = static_cast<std::size_t>(arch.parameters());
  std::mt19937_64 rng(options.seed);
  std::uniform_real_distribution<double> uniform(-1.0, 1.0);
  AdamResult result;
  result.best_loss = INFINITY;
  constexpr double beta1 = 0.9, beta2 = 0.999, eps = 1e-8;
  std::vector<double> phi(N), m(N), v(N), g;
  for (std::int64_t s = 0; s < options.starts; ++s) {
    for (double& p : phi) p = uniform(rng);
    std::fill(m.begin(), m.end(), 0.0);
    std::fill(v.begin(), v.end(), 0.0);
    for (std::int64_t it = 1; it <= options.iterations; ++it) {
      loss_and_gradient(arch, phi, data, g);
      const double c1 = 1.0 - std::pow(beta1, static_cast<double>(it)),
                   c2 = 1.0 - std::pow(beta2, static_cast<double>(it));
      for (std::size_t i = 0; i < N; ++i) {
        m[i] = beta1 * m[i] + (1 - beta1) * g[i];
        v[i] = beta2 * v[i] + (1 - beta2) * g[i] * g[i];
        phi[i] -= options.learning_rate * (m[i] / c1) / (std::sqrt(v[i] / c2) + eps);
        phi[i] = std::clamp(phi[i], -1.0, 1.0);  // stay in the box the LP optimizes over
      }
    }
    // A binarized network keeps real latent weights while training (the straight-through estimator)
    // and is the network of their signs.
    std::vector<double> trained = phi;
    if (arch.binary())
      for (double& p : trained) p = p >= 0 ? 1.0 : -1.0;
    const double final_loss = evaluate_losses(arch, trained, data).total();
    result.start_losses.push_back(final_loss);
    if (final_loss < result.best_loss) {
      result.best_loss = final_loss;
      result.best_parameters = trained;
    }
  }
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return result;
}

}  // namespace lpnn
