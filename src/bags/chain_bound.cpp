// Sizes of the sum chain for many samples and its rounding error bound (chain_family.hpp).
#include <cmath>
#include <limits>

#include "family_internal.hpp"
#include "lpnn/bags/chain_family.hpp"
#include "lpnn/util/error.hpp"

namespace lpnn {

FamilySizes chain_family_sizes(const Architecture& arch, const ChainOptions& options, std::int64_t samples) {
  if (samples < 1) fail("a bag family needs at least one sample, got {}", samples);
  FamilySizes one = family_sizes(chain_family(arch, options, 1));
  const std::int64_t M = one.bag_columns[0];
  FamilySizes total = one;
  total.rows = detail::checked_product(samples, one.rows, "the chain's row count");
  total.nnz = detail::checked_product(samples, one.nnz, "the chain's nonzero count");
  total.cols = detail::checked_product(samples, one.cols - M, "the chain's column count");
  if (__builtin_add_overflow(total.cols, M, &total.cols)) fail("the chain's column count overflows 64-bit arithmetic");
  return total;
}

namespace {

double slope_bound(const Neuron& v) {
  return v.activation == Activation::LeakyRelu ? std::max(1.0, std::fabs(v.slope)) : 1.0;
}

// λ_v: a bound on |∂ℓ/∂z_k| over the box (outputs within U_v, labels within 1).
double loss_slope(LossKind loss, double U) {
  switch (loss) {
    case LossKind::Squared:
      return 2.0 * (U + 1.0);
    case LossKind::CrossEntropy:
      return 2.0;
    default:
      return 1.0;
  }
}

}  // namespace

double chain_rounding_bound(const Architecture& arch, const ChainOptions& options) {
  const std::vector<NodeGrid> grids = node_grids(arch, options);
  if (options.integer_nodes && arch.binary()) return 0.0;  // integer data, weights and sums: nothing rounds
  const std::int64_t n = arch.inputs(), V = static_cast<std::int64_t>(grids.size());
  if (arch.has_sign_units()) return std::numeric_limits<double>::infinity();
  std::vector<double> g(V, 0.0);
  for (std::int64_t k = 0; k < arch.outputs(); ++k) {
    const std::int64_t o = arch.output_neurons()[k];
    g[o] += loss_slope(arch.loss(), grids[o].bound);
  }
  // Backwards over the topological order: a neuron's consumers come after it.
  for (std::int64_t u = V - 1; u >= 0; --u) {
    const Neuron& neuron = arch.neurons()[u];
    for (const Neuron::Edge& e : neuron.in)
      if (e.source >= n)
        g[e.source - n] += (e.parameter >= 0 ? 1.0 : std::fabs(e.weight)) * slope_bound(neuron) * g[u];
  }
  double bound = 0.0;
  for (std::int64_t v = 0; v < V; ++v) {
    const Neuron& neuron = arch.neurons()[v];
    const double r = static_cast<double>(neuron.in.size());
    bound += (r * slope_bound(neuron) + 1.0) * grids[v].step() / 2.0 * g[v];
  }
  return bound;
}

}  // namespace lpnn
