// The sum-chain family: per sample, the network's sums computed one weighted input at a time on node
// grids, each step in its own bag, the bags of a sample forming a path attached to the root.
//
// Node grid of neuron v: K_v points uniform on [−U_v, U_v], U_v = (1 if v has a bias) + Σ over v's
// in-edges of |weight bound|·B_source, where B of an input is 1, a parameter's weight bound is 1, a
// constant's is |c|, and B of a neuron is U_v (relu, leaky relu, identity, elu), min(U_v, 1) (tanh), 1
// (sign). R_v rounds to the nearest point of v's grid, ties up, clamped to the range.
// The rounded network: for neuron v with in-edges (u_i, w_i), i = 1..r, in the spec's order,
//   s_0 = bias (0 without one),  s_i = R_v(s_{i−1} + w_i·val(u_i)),  val(v) = R_v(σ_v(s_r)),
// val of an input is its grid value; the loss ℓ(val(outputs), y) is evaluated in double.
// Each step s_i is a constraint on (φ, s_{i−1}, val(u_i), s_i), s_i determined by the others (the last
// step of v determines val(v) directly). With integer node grids (K_v = 2U_v + 1) and integer data and
// weights, as in binarized networks, every R_v is exact and the LP is the true ERM.
//
// Step order: greedy. Among the steps whose inputs exist, take the one that leaves the smallest carried
// state after it (the product of the grid sizes of the per-sample values still needed later: partial
// sums, finished values, inputs already read), ties to the lowest neuron. The loss comes last.
// Bag i of a sample holds the parameters some step ≥ i uses (bag 1, attached to the root, holds all of
// φ), the values alive across step i, and step i's inputs and output: each value lives on a contiguous
// run of the path, so running intersection holds within the sample and φ's bags stay connected.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "lpnn/arch/architecture.hpp"
#include "lpnn/arch/grid.hpp"
#include "lpnn/bags/family.hpp"

namespace lpnn {

struct NodeGrid {
  double bound = 1.0;       // U_v
  std::int64_t points = 2;  // K_v
  double value(std::int64_t k) const {
    return -bound + 2.0 * bound * static_cast<double>(k) / static_cast<double>(points - 1);
  }
  std::int64_t round(double r) const;  // nearest point, ties up, clamped
  double step() const { return 2.0 * bound / static_cast<double>(points - 1); }  // h_v
};

// Greedy (above), or neuron by neuron: each neuron's whole sum before the next neuron's, so every
// finished value is carried until its last consumer has run (for comparison; the LP optimum on a face
// is the same whatever the order).
enum class ChainOrder { Greedy, NeuronByNeuron };

struct ChainOptions {
  GridSpec grid;                     // parameters, inputs, labels
  std::int64_t node_points = 5;      // K_v of every neuron (odd: 0 on the grid)
  bool integer_nodes = false;        // K_v = 2U_v + 1: the integer lattice (needs integer U_v)
  ChainOrder order = ChainOrder::Greedy;
};

// One step of a sample's chain: neuron `neuron`'s in-edge `edge` (0-based), or the loss (neuron -1).
struct ChainStep {
  std::int64_t neuron = -1;
  std::int64_t edge = -1;
};

// Node grids per neuron; throws lpnn::Error for integer nodes with a non-integer bound.
std::vector<NodeGrid> node_grids(const Architecture& arch, const ChainOptions& options);

// The step order of options.order (every in-edge of every neuron, then the loss).
std::vector<ChainStep> chain_order(const Architecture& arch, const std::vector<NodeGrid>& grids,
                                   const ChainOptions& options);

// The family for `samples` samples; its cost terms refer to `arch`: it must outlive the family.
// Costs: (1/D)·ℓ on each sample's last bag, λ_R·R(θ) on the root.
BagFamily chain_family(const Architecture& arch, const ChainOptions& options, std::int64_t samples);

// Sizes for `samples` samples from one sample's family: every sample's chain is the same, the root is
// shared, so rows = D·rows_1, columns = M + D·(columns_1 − M), nonzeros = D·nonzeros_1 (overflow
// checked). bag_columns and edge_rows are those of the one-sample family.
FamilySizes chain_family_sizes(const Architecture& arch, const ChainOptions& options, std::int64_t samples);

// How far the rounded network's loss can be from the network's, on the same grid data and parameters:
//   E = Σ_v (r_v·σ'_v + 1)·(h_v/2)·g_v,
// r_v roundings of partial sums (moved to val(v) through σ_v, slope at most σ'_v = max(1, |slope|)),
// one rounding of val(v), and g_v a bound on |∂ℓ/∂val(v)| computed backwards: g_v = λ_v +
// Σ over v's out-edges (v → u) of |weight bound|·σ'_u·g_u, with λ_v the loss's slope in output v
// (squared 2(U_v + 1), absolute, hinge, logistic 1, cross-entropy 2) and 0 for hidden neurons.
// 0 when every rounding is exact (integer node grids on a binarized network); infinite with sign units
// otherwise (not Lipschitz). The grid optimum of the rounded network is then within 2·L·h + E of the
// continuous ERM optimum, beside the star's 2·L·h.
double chain_rounding_bound(const Architecture& arch, const ChainOptions& options);

}  // namespace lpnn
