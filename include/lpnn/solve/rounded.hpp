// The rounded network of the sum-chain family (bags/chain_family.hpp), evaluated directly: what a chain
// polytope's face LP optimizes, so what grid search, the losses and predictions of a chain-trained model
// use. For neuron v with in-edges (u_i, w_i) in the spec's order, on v's node grid R_v:
//   s_0 = bias (0 without one),  s_i = R_v(s_{i−1} + w_i·val(u_i)),  val(v) = R_v(σ_v(s_r)),
// val of an input is its input-grid value (inputs are rounded onto the input grid first), and the loss
// ℓ(val(outputs), y) is evaluated in double. Every rounding is NodeGrid::round and every value
// NodeGrid::value / Grid::value, the functions the family's step rules call, in the same order, so the
// doubles are those of the LP's columns bit for bit.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "lpnn/arch/architecture.hpp"
#include "lpnn/arch/grid.hpp"
#include "lpnn/bags/chain_family.hpp"
#include "lpnn/solve/dataset.hpp"
#include "lpnn/solve/evaluate.hpp"

namespace lpnn {

class RoundedNetwork {
 public:
  // node_grid as files record it: K_v, or 0 for the integer lattice (block_layout.hpp's chain_options).
  // Throws lpnn::Error for a bad node grid (as chain_layout would).
  RoundedNetwork(const Architecture& arch, GridSpec grid, std::int64_t node_grid);

  std::int64_t node_grid() const { return node_grid_; }
  // z = val(outputs) for inputs x (any values: rounded onto the input grid) and parameters φ (used as
  // given; on the parameter grid they are the LP's).
  void evaluate(std::span<const double> x, std::span<const double> phi, std::span<double> z) const;
  // ℓ(val(outputs), y), y as given.
  double sample_loss(std::span<const double> x, std::span<const double> phi, std::span<const double> y) const;
  // Mean sample loss over `data` and λ_R·R(φ).
  Losses losses(std::span<const double> phi, const Dataset& data) const;
  const Architecture& architecture() const { return arch_; }

 private:
  Architecture arch_;
  GridSpec grid_;
  std::int64_t node_grid_ = 0;
  std::vector<NodeGrid> grids_;
};

}  // namespace lpnn
