#include "lpnn/solve/rounded.hpp"

#include "lpnn/bags/block_layout.hpp"

namespace lpnn {

RoundedNetwork::RoundedNetwork(const Architecture& arch, GridSpec grid, std::int64_t node_grid)
    : arch_(arch), grid_(grid), node_grid_(node_grid), grids_(node_grids(arch, chain_options(grid, node_grid))) {}

// The family's SumRule (chain_family.cpp) step by step: s_{i−1} is the bias parameter's value for
// i = 1 (not rounded), a node value after; the last step rounds σ_v of the rounded sum.
void RoundedNetwork::evaluate(std::span<const double> x, std::span<const double> phi, std::span<double> z) const {
  const std::int64_t n = arch_.inputs();
  const Grid gx(grid_.input);
  std::vector<double> val(static_cast<std::size_t>(n + static_cast<std::int64_t>(grids_.size())));
  for (std::int64_t i = 0; i < n; ++i) val[i] = gx.value(gx.round(x[i]));
  for (std::size_t v = 0; v < grids_.size(); ++v) {
    const Neuron& neuron = arch_.neurons()[v];
    const NodeGrid& g = grids_[v];
    double s = neuron.bias_parameter >= 0 ? phi[neuron.bias_parameter] : 0.0;
    for (const Neuron::Edge& e : neuron.in) {
      const double w = e.parameter >= 0 ? phi[e.parameter] : e.weight;
      s = g.value(g.round(s + w * val[e.source]));
    }
    val[n + v] = g.value(g.round(apply_activation(neuron.activation, neuron.slope, s)));
  }
  std::size_t k = 0;
  for (std::int64_t o : arch_.output_neurons()) z[k++] = val[n + o];
}

double RoundedNetwork::sample_loss(std::span<const double> x, std::span<const double> phi,
                                   std::span<const double> y) const {
  std::vector<double> z(static_cast<std::size_t>(arch_.outputs()));
  evaluate(x, phi, z);
  return arch_.loss_value<double>(z, y);
}

Losses RoundedNetwork::losses(std::span<const double> phi, const Dataset& data) const {
  Losses losses;
  for (std::int64_t d = 0; d < data.samples; ++d) losses.data_loss += sample_loss(data.input(d), phi, data.output(d));
  losses.data_loss /= static_cast<double>(data.samples);
  losses.regularization = arch_.regularization(phi);
  return losses;
}

}  // namespace lpnn
