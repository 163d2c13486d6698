// The sum-chain family (bags/chain_family.hpp) against oracles written in the tests (chain_oracle.hpp,
// shared with train.chain): on a face (the data fixed to their rounded values) the Clp optimum of the
// generated LP equals an exhaustive search over the parameter grid of the rounded network, evaluated
// directly from the network's graph; for a binarized network on integer node grids it equals the true
// binary ERM optimum. Planned sizes equal the LP's.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <vector>

#include "chain_oracle.hpp"
#include "lpnn/arch/grid.hpp"
#include "lpnn/bags/chain_family.hpp"
#include "lpnn/bags/family.hpp"
#include "lpnn/bags/layout.hpp"
#include "lpnn/solve/rounded.hpp"
#include "lpnn/solve/solver.hpp"
#include "unit_helpers.hpp"

    using lpnn::Architecture;
using lpnn::VariableKind;

namespace {

using lpnn::test::chain::Data;
using lpnn::test::chain::rounded_network;

// The oracle's optimum (chain_oracle.hpp); `at_zero`: the objective at θ = 0 (K_param odd), to check
// that the optimum is not the trivial network.
double optimum_of(const Architecture& arch, const lpnn::ChainOptions& o, const Data& data, bool exact_network,
                  double* at_zero = nullptr) {
  const lpnn::test::chain::Optimum best = lpnn::test::chain::grid_optimum(arch, o, data, exact_network);
  if (at_zero) *at_zero = best.at_zero;
  return best.objective;
}

// The chain LP on the data's face (columns whose inputs or labels disagree with the rounded data fixed
// at 0), solved by Clp.
double face_optimum(const Architecture& arch, const lpnn::ChainOptions& o, const Data& data) {
  const lpnn::BagFamily family = lpnn::chain_family(arch, o, static_cast<std::int64_t>(data.x.size()));
  const lpnn::FamilySizes sizes = lpnn::family_sizes(family);
  lpnn::LinearProgram lp = lpnn::family_lp(family);
  EXPECT_EQ(lp.rows, sizes.rows);
  EXPECT_EQ(lp.cols, sizes.cols);
  EXPECT_EQ(static_cast<std::int64_t>(lp.value.size()), sizes.nnz);
  const lpnn::Grid gx(o.grid.input), gy(o.grid.output);
  for (std::int64_t t = 1; t < static_cast<std::int64_t>(family.bags.size()); ++t) {
    const auto columns = lpnn::bag_assignments(family, t);
    const std::int64_t first = lpnn::bag_first_column(sizes, t);
    for (std::size_t k = 0; k < columns.size(); ++k)
      for (std::size_t p = 0; p < columns[k].size(); ++p) {
        const lpnn::FamilyVariable& v = family.variables[family.bags[t].variables[p]];
        const bool off = (v.kind == VariableKind::Input && columns[k][p] != gx.round(data.x[v.sample][v.coordinate])) ||
                         (v.kind == VariableKind::Label && columns[k][p] != gy.round(data.y[v.sample][v.coordinate]));
        if (off) lp.upper[first + static_cast<std::int64_t>(k)] = 0.0;
      }
  }
  const lpnn::LpSolution s = lpnn::solve_with_clp(lp);
  std::printf("face LP %lld rows %lld columns: optimum %.9f\n", (long long)lp.rows, (long long)lp.cols, s.objective);
  EXPECT_TRUE(s.optimal) << s.status;
  return s.objective;
}

const Data kData3{{{0.3, -0.8}, {-1.0, 0.6}, {0.9, 0.1}}, {{0.9}, {-0.7}, {1.0}}};

// Clp on the face equals the rounded network's grid search, in the greedy order and neuron by neuron,
// and the optimum beats the all-zero network by a margin (the face is not trivial).
void expect_face_is_grid_search(const Architecture& arch, const lpnn::ChainOptions& o, const Data& data) {
  double zero = 0.0;
  const double oracle = optimum_of(arch, o, data, false, &zero);
  EXPECT_NEAR(face_optimum(arch, o, data), oracle, 1e-7);
  EXPECT_LT(oracle, zero - 0.05);
  lpnn::ChainOptions by_neuron = o;
  by_neuron.order = lpnn::ChainOrder::NeuronByNeuron;
  EXPECT_NEAR(face_optimum(arch, by_neuron, data), oracle, 1e-7);
}

}  // namespace

TEST(ChainFamily, DenseReluFaceOptimumIsTheRoundedNetworksGridSearch) {
  const Architecture arch = lpnn::test::arch_of(
      R"({"input": 2, "layers": [{"units": 1, "activation": "relu"}, {"units": 1, "activation": "identity"}],
          "loss": "squared", "regularizer": {"kind": "l1", "weight": 0.05}})");
  expect_face_is_grid_search(arch, {{3, 3, 3}, 9, false}, kData3);
}

// Other activations (rounded after σ) and losses; node grids of even size (0 off the grid) included.
TEST(ChainFamily, OtherActivationsAndLosses) {
  const char* specs[] = {
      R"({"input": 2, "layers": [{"units": 1, "activation": "leaky_relu", "slope": 0.25},
          {"units": 1, "activation": "identity"}], "loss": "absolute"})",
      R"({"input": 2, "layers": [{"units": 1, "activation": "tanh"}, {"units": 1, "activation": "identity"}],
          "loss": "logistic"})",
      R"({"input": 2, "layers": [{"units": 1, "activation": "relu"}, {"units": 1, "activation": "tanh"}],
          "loss": "squared", "regularizer": {"kind": "l2", "weight": 0.02}})",
  };
  const Data labels{kData3.x, {{1.0}, {-1.0}, {1.0}}};
  for (const char* spec : specs)
    for (std::int64_t K : {6, 9}) {
      const Architecture arch = lpnn::test::arch_of(spec);
      const lpnn::ChainOptions o{{3, 3, 3}, K, false};
      EXPECT_NEAR(face_optimum(arch, o, labels), optimum_of(arch, o, labels, false), 1e-7) << spec << " K_v " << K;
    }
}

TEST(ChainFamily, Conv1dFaceOptimumIsTheRoundedNetworksGridSearch) {
  const Architecture arch = lpnn::test::arch_of(
      R"({"input": 3, "input_shape": [1, 3], "bias": false, "loss": "absolute",
          "layers": [{"type": "conv1d", "channels": 1, "kernel": 2, "activation": "relu"},
                     {"units": 1, "activation": "identity"}]})");
  const Data data{{{0.2, -0.9, 0.7}, {1.0, 0.4, -0.3}, {-0.6, 0.8, 0.9}}, {{0.6}, {-0.4}, {1.0}}};
  expect_face_is_grid_search(arch, {{3, 3, 3}, 7, false}, data);
}

TEST(ChainFamily, BinarizedOnIntegerNodesIsTheBinaryErm) {
  const Architecture arch = lpnn::test::arch_of(
      R"({"input": 2, "binary": true, "bias": false, "loss": "hinge",
          "layers": [{"units": 2, "activation": "sign"}, {"units": 1, "activation": "sign"}]})");
  const lpnn::ChainOptions o{{2, 2, 2}, 0, true};
  // XOR-like labels and one repeated point.
  const Data data{{{1, 1}, {1, -1}, {-1, 1}, {-1, -1}, {1, -1}}, {{-1}, {1}, {1}, {-1}, {-1}}};
  const double lp = face_optimum(arch, o, data);
  EXPECT_NEAR(lp, optimum_of(arch, o, data, false), 1e-7);
  EXPECT_NEAR(lp, optimum_of(arch, o, data, true), 1e-7);
}

// Dense 2-1-1 with bias, K_param = 3 (N = 5, M = 243), node grid 5, K_x = K_y = 3. The greedy order
// is the only one: h += w0·x0 (bag φ, x0: 243·3), h += w1·x1 (bag w1, v, b', s_h, x1: 27·5·3),
// o = v·h + b' (bag v, b', h: 9·5), loss (bag o, y: 5·3): 1194 columns per sample, 4 bags.
TEST(ChainFamily, SizesByHand) {
  const Architecture arch = lpnn::test::arch_of(
      R"({"input": 2, "layers": [{"units": 1, "activation": "relu"}, {"units": 1, "activation": "identity"}],
          "loss": "squared"})");
  const lpnn::ChainOptions o{{3, 3, 3}, 5, false};
  const lpnn::FamilySizes s = lpnn::family_sizes(lpnn::chain_family(arch, o, 2));
  EXPECT_EQ(s.bag_columns, (std::vector<std::int64_t>{243, 729, 405, 45, 15, 729, 405, 45, 15}));
  EXPECT_EQ(s.cols, 243 + 2 * 1194);
  // Edge rows: φ (243), (w1, v, b', s_h) 27·5, (v, b', h) 9·5, o 5; plus 4 convexity rows per sample.
  EXPECT_EQ(s.rows, 2 * (4 + 243 + 135 + 45 + 5));
  EXPECT_EQ(s.nnz, 2 * (2 * 1194 + 243 + 729 + 405 + 45));
  // Many samples from one sample's family.
  const lpnn::FamilySizes scaled = lpnn::chain_family_sizes(arch, o, 2);
  EXPECT_EQ(scaled.rows, s.rows);
  EXPECT_EQ(scaled.cols, s.cols);
  EXPECT_EQ(scaled.nnz, s.nnz);
}

// The rounding error bound holds: over every grid parameter, input and label point, the rounded
// network's loss is within E of the network's; and E = 0 for a binarized network on integer nodes,
// whose rounded network is the network itself.
TEST(ChainFamily, RoundingBoundHolds) {
  const Architecture arch = lpnn::test::arch_of(
      R"({"input": 2, "layers": [{"units": 1, "activation": "relu"}, {"units": 1, "activation": "identity"}],
          "loss": "squared"})");
  for (std::int64_t K : {5, 9}) {
    const lpnn::ChainOptions o{{3, 3, 3}, K, false};
    const double E = lpnn::chain_rounding_bound(arch, o);
    const lpnn::Grid g(3);
    double worst = 0.0;
    std::vector<double> theta(5), x(2), y(1);
    for (std::int64_t a = 0; a < 243; ++a)
      for (std::int64_t s = 0; s < 9; ++s)
        for (std::int64_t t = 0; t < 3; ++t) {
          lpnn::grid_point(g, a, theta);
          lpnn::grid_point(g, s, x);
          y[0] = g.value(t);
          const std::vector<double> z = rounded_network(arch, x, theta, K, false);
          worst = std::max(worst, std::fabs(arch.loss_value<double>(z, y) - arch.sample_loss(x, theta, y)));
        }
    EXPECT_GT(worst, 0.0) << K;
    EXPECT_LE(worst, E) << K;
  }
  const Architecture binary = lpnn::test::arch_of(
      R"({"input": 3, "binary": true, "bias": false, "loss": "hinge",
          "layers": [{"units": 2, "activation": "sign"}, {"units": 1, "activation": "sign"}]})");
  EXPECT_EQ(lpnn::chain_rounding_bound(binary, {{2, 2, 2}, 0, true}), 0.0);
  EXPECT_TRUE(std::isinf(lpnn::chain_rounding_bound(binary, {{2, 2, 2}, 5, false})));
}

// A 1-D CNN (kernel 2, relu, 8 inputs, one linear output, no bias: N = 9), K_param = 3, K_x = 9,
// K_y = 3, node grid 5: the star's bag has 3^9·9^8·3 = 2.5e12 columns, the greedy chain's bags together
// fewer than a thousandth of that. Sizes in closed form: nothing is enumerated.
TEST(ChainFamily, CnnChainIsUnderAThousandthOfTheStar) {
  const Architecture arch = lpnn::test::arch_of(
      R"({"input": 8, "input_shape": [1, 8], "bias": false, "loss": "squared",
          "layers": [{"type": "conv1d", "channels": 1, "kernel": 2, "activation": "relu"},
                     {"units": 1, "activation": "identity"}]})");
  const lpnn::ChainOptions o{{3, 9, 3}, 5, false};
  const lpnn::PolytopeLayout star = lpnn::PolytopeLayout::make(arch.parameters(), 8, 1, o.grid, 1);
  const lpnn::FamilySizes chain = lpnn::family_sizes(lpnn::chain_family(arch, o, 1));
  const std::int64_t chain_per_sample = chain.cols - star.M;
  std::printf("CNN per sample: star %lld columns, chain %lld columns (%zu bags), ratio %.3g\n",
              static_cast<long long>(star.B), static_cast<long long>(chain_per_sample), chain.bag_columns.size() - 1,
              static_cast<double>(chain_per_sample) / static_cast<double>(star.B));
  EXPECT_EQ(star.B, 2541865828329);  // 19683 · 43046721 · 3
  EXPECT_LE(chain_per_sample * 1000, star.B);
  // Neuron by neuron carries every convolution output until the linear unit runs: far larger.
  lpnn::ChainOptions by_neuron = o;
  by_neuron.order = lpnn::ChainOrder::NeuronByNeuron;
  const std::int64_t by_neuron_per_sample = lpnn::family_sizes(lpnn::chain_family(arch, by_neuron, 1)).cols - star.M;
  std::printf("CNN per sample, neuron by neuron: %lld columns\n", static_cast<long long>(by_neuron_per_sample));
  EXPECT_LT(chain_per_sample * 100, by_neuron_per_sample);
}

// lpnn's rounded network (solve/rounded.hpp: grid search, losses and predictions on chain files) equals
// the oracle's at every parameter grid point and input grid point, for every activation and node grid
// kind used above, and rounds off-grid inputs onto the input grid first.
TEST(ChainFamily, RoundedNetworkEqualsTheOracle) {
  struct Case {
    const char* spec;
    lpnn::GridSpec grid;
    std::int64_t node_grid;  // 0: integer lattice
  };
  const Case cases[] = {
      {R"({"input": 2, "layers": [{"units": 1, "activation": "leaky_relu", "slope": 0.25},
          {"units": 1, "activation": "identity"}], "loss": "absolute"})",
       {3, 3, 3},
       6},
      {R"({"input": 2, "layers": [{"units": 1, "activation": "tanh"}, {"units": 1, "activation": "identity"}],
          "loss": "logistic"})",
       {3, 3, 3},
       9},
      {R"({"input": 2, "layers": [{"units": 1, "activation": "relu"}, {"units": 1, "activation": "tanh"}],
          "loss": "squared"})",
       {3, 3, 3},
       5},
      {R"({"input": 3, "input_shape": [1, 3], "bias": false, "loss": "absolute",
          "layers": [{"type": "conv1d", "channels": 1, "kernel": 2, "activation": "relu"},
                     {"units": 1, "activation": "identity"}]})",
       {3, 3, 3},
       7},
      {R"({"input": 2, "binary": true, "bias": false, "loss": "hinge",
          "layers": [{"units": 2, "activation": "sign"}, {"units": 1, "activation": "sign"}]})",
       {2, 2, 2},
       0},
  };
  for (const Case& c : cases) {
    const Architecture arch = lpnn::test::arch_of(c.spec);
    const lpnn::RoundedNetwork net(arch, c.grid, c.node_grid);
    const lpnn::Grid gp(c.grid.param), gx(c.grid.input);
    std::int64_t M = 1, S = 1;
    for (std::int64_t i = 0; i < arch.parameters(); ++i) M *= c.grid.param;
    for (std::int64_t i = 0; i < arch.inputs(); ++i) S *= c.grid.input;
    std::vector<double> theta(arch.parameters()), x(arch.inputs()), z(arch.outputs());
    int mismatches = 0;
    for (std::int64_t a = 0; a < M; ++a)
      for (std::int64_t s = 0; s < S; ++s) {
        lpnn::grid_point(gp, a, theta);
        lpnn::grid_point(gx, s, x);
        const std::vector<double> expected =
            rounded_network(arch, x, theta, c.node_grid == 0 ? 2 : c.node_grid, c.node_grid == 0);
        // Off-grid inputs within a third of a grid step round back to x.
        std::vector<double> moved(x);
        for (double& v : moved) v += (v < 0 ? 0.3 : -0.3) * 2.0 / static_cast<double>(c.grid.input - 1);
        for (const std::vector<double>* input : {&x, &moved}) {
          net.evaluate(*input, theta, z);
          for (std::size_t k = 0; k < z.size(); ++k) mismatches += z[k] == expected[k] ? 0 : 1;
        }
      }
    EXPECT_EQ(mismatches, 0) << c.spec;
  }
}
