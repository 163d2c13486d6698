// Lipschitz bounds of g(x, y, φ) = ℓ(f(x, φ), y) in the ∞-norm over [-1,1]^(n+m+N) against sampled
// slopes |g(p) - g(q)| / ||p - q||_∞: random pairs, close pairs, pairs near corners and pairs along the
// sign of a finite-difference gradient (the ∞-norm-steepest direction). Every slope must stay below the
// numeric bound, which must stay below the BMP bound.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

#include "lpnn/arch/lipschitz.hpp"
#include "unit_helpers.hpp"

using lpnn::Architecture;
using lpnn::GridSpec;
using lpnn::test::arch_of;
using lpnn::test::error_of;

namespace {

// Relative slack for floating-point rounding in the bounds' own arithmetic.
constexpr double kRel = 1e-8;

// g at a point p = (x, y, φ).
double g(const Architecture& arch, const std::vector<double>& p) {
  const std::size_t n = arch.inputs(), m = arch.outputs();
  const std::span<const double> all(p);
  return arch.sample_loss(all.subspan(0, n), all.subspan(n + m), all.subspan(n, m));
}

double slope(const Architecture& arch, const std::vector<double>& p, const std::vector<double>& q) {
  double dist = 0.0;
  for (std::size_t i = 0; i < p.size(); ++i) dist = std::max(dist, std::fabs(p[i] - q[i]));
  if (dist == 0.0) return 0.0;
  return std::fabs(g(arch, p) - g(arch, q)) / dist;
}

double clamp1(double v) { return std::clamp(v, -1.0, 1.0); }

// The largest slope found by several sampling strategies.
double max_sampled_slope(const Architecture& arch, int pairs, std::uint64_t seed) {
  const std::size_t V = arch.inputs() + arch.outputs() + arch.parameters();
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> box(-1.0, 1.0), unit(0.0, 1.0);
  std::bernoulli_distribution coin(0.5);
  auto random_point = [&] {
    std::vector<double> p(V);
    for (double& v : p) v = box(rng);
    return p;
  };
  auto near_corner = [&] {  // a vertex, each coordinate pulled inward by at most 0.05
    std::vector<double> p(V);
    for (double& v : p) v = coin(rng) ? 1.0 - 0.05 * unit(rng) * unit(rng) : -1.0 + 0.05 * unit(rng) * unit(rng);
    return p;
  };
  auto perturb = [&](const std::vector<double>& p, double h) {
    std::vector<double> q(V);
    for (std::size_t i = 0; i < V; ++i) q[i] = clamp1(p[i] + h * box(rng));
    return q;
  };
  // Step of size h along sign(∇g), the direction in which the ∞-norm slope approaches ||∇g||_1.
  auto steepest = [&](const std::vector<double>& p, double h) {
    std::vector<double> q(p), e(p);
    for (std::size_t i = 0; i < V; ++i) {
      const double step = 1e-6;
      e[i] = clamp1(p[i] + step);
      const double up = g(arch, e);
      e[i] = clamp1(p[i] - step);
      const double down = g(arch, e);
      e[i] = p[i];
      q[i] = clamp1(p[i] + (up >= down ? h : -h));
    }
    return q;
  };
  double best = 0.0;
  for (int i = 0; i < pairs; ++i) {
    const std::vector<double> p = random_point(), c = near_corner();
    best = std::max(best, slope(arch, p, random_point()));    // anywhere in the box
    best = std::max(best, slope(arch, p, perturb(p, 1e-3)));  // close together
    best = std::max(best, slope(arch, p, perturb(p, 1e-6)));  // very close
    best = std::max(best, slope(arch, c, near_corner()));     // corner to corner
    best = std::max(best, slope(arch, c, perturb(c, 1e-3)));  // near a corner
    if (i % 8 == 0) {
      best = std::max(best, slope(arch, c, steepest(c, 1e-4)));
      best = std::max(best, slope(arch, p, steepest(p, 1e-4)));
    }
  }
  return best;
}

struct Case {
  const char* name;
  const char* spec;
};

const Case kCases[] = {
    {"relu squared",
     R"({"input": 2, "layers": [{"units": 2, "activation": "relu"}, {"units": 1, "activation": "identity"}],
                         "loss": "squared"})"},
    {"tanh squared",
     R"({"input": 2, "layers": [{"units": 3, "activation": "tanh"}, {"units": 1, "activation": "identity"}],
                         "loss": "squared"})"},
    {"leaky absolute", R"({"input": 2, "layers": [{"units": 2, "activation": "leaky_relu", "slope": 0.2},
                           {"units": 1, "activation": "identity"}], "loss": "absolute"})"},
    {"relu hinge",
     R"({"input": 3, "layers": [{"units": 2, "activation": "relu"}, {"units": 1, "activation": "identity"}],
                       "loss": "hinge"})"},
    {"tanh hinge two outputs",
     R"({"input": 2, "layers": [{"units": 2, "activation": "tanh"}, {"units": 2, "activation": "tanh"}],
                                   "loss": "hinge"})"},
    {"identity absolute no bias", R"({"input": 3, "layers": [{"units": 2, "activation": "identity"}], "bias": false,
                                      "loss": "absolute"})"},
    {"deep relu squared",
     R"({"input": 2, "layers": [{"units": 2, "activation": "relu"}, {"units": 2, "activation": "relu"},
                              {"units": 2, "activation": "relu"}, {"units": 1, "activation": "identity"}], "loss": "squared"})"},
    {"deep mixed absolute",
     R"({"input": 2, "layers": [{"units": 3, "activation": "tanh"}, {"units": 2, "activation": "leaky_relu"},
                                {"units": 2, "activation": "relu"}, {"units": 1, "activation": "identity"}], "loss": "absolute"})"},
    {"single relu output hinge", R"({"input": 1, "layers": [{"units": 1, "activation": "relu"}], "loss": "hinge"})"},
};

}  // namespace

TEST(Lipschitz, BoundsAboveSampledSlopes) {
  std::uint64_t seed = 1;
  for (const Case& c : kCases) {
    SCOPED_TRACE(c.name);
    const Architecture arch = arch_of(c.spec);
    const double bmp = lpnn::bmp_lipschitz_bound(arch);
    const lpnn::NumericLipschitz numeric = lpnn::numeric_lipschitz_bound(arch);
    const double sampled = max_sampled_slope(arch, 3000, seed++);
    EXPECT_GT(sampled, 0.0);
    EXPECT_LE(sampled, numeric.bound * (1 + kRel)) << "sampled " << sampled << " numeric " << numeric.bound;
    EXPECT_LE(numeric.bound, bmp * (1 + kRel)) << "numeric " << numeric.bound << " bmp " << bmp;
    EXPECT_GE(numeric.boxes, 1);
    EXPECT_LE(numeric.boxes, 2000);
  }
}

// The BMP bound by hand for the 2-2-1 relu network: U1 = 2·1 + 1 = 3, G1 = 2·1 + 2·1 + 1 = 5,
// U2 = 2·3 + 1 = 7, G2 = 2·5 + 2·3 + 1 = 17.
TEST(Lipschitz, BmpBoundByHand) {
  EXPECT_DOUBLE_EQ(lpnn::bmp_lipschitz_bound(lpnn::test::xor_net("squared")), 2.0 * 8.0 * 18.0);  // 2(U+1)(G+1)
  EXPECT_DOUBLE_EQ(lpnn::bmp_lipschitz_bound(lpnn::test::xor_net("absolute")), 18.0);             // G+1
  EXPECT_DOUBLE_EQ(lpnn::bmp_lipschitz_bound(lpnn::test::xor_net("hinge")), 24.0);                // G+U
  // Without biases: U1 = 2, G1 = 4, U2 = 4, G2 = 2·4 + 2·2 = 12; two outputs double the loss factor.
  const Architecture nb = arch_of(R"({"input": 2, "layers": [{"units": 2, "activation": "relu"},
                                     {"units": 2, "activation": "identity"}], "bias": false, "loss": "absolute"})");
  EXPECT_DOUBLE_EQ(lpnn::bmp_lipschitz_bound(nb), 2.0 * 13.0);
  // tanh caps the value bound at 1 (not the gradient): U1 = 3 -> 1, G1 = 5, U2 = 2·1 + 1 = 3, G2 = 2·5 + 2·1 + 1.
  EXPECT_DOUBLE_EQ(lpnn::bmp_lipschitz_bound(lpnn::test::xor_net("absolute", "tanh")), 13.0 + 1.0);
}

// On the 2-2-1 relu network with squared loss the BMP bound is attained at the corner x = φ = 1,
// y = -1, so the sampling must come close to it and the numeric bound cannot be lower.
TEST(Lipschitz, TightOnReluNetwork) {
  const Architecture arch = lpnn::test::xor_net("squared");
  const double bmp = lpnn::bmp_lipschitz_bound(arch);
  const double numeric = lpnn::numeric_lipschitz_bound(arch).bound;
  std::vector<double> p(2 + 1 + 9, 1.0), q(p);
  p[2] = -1.0;  // y
  const double h = 1e-6;
  for (std::size_t i = 0; i < q.size(); ++i) q[i] = i == 2 ? -1.0 + h : 1.0 - h;
  const double s = slope(arch, p, q);
  EXPECT_NEAR(s, 288.0, 1e-3);
  EXPECT_LE(s, numeric * (1 + kRel));
  EXPECT_NEAR(numeric, bmp, 1e-6 * bmp);
  EXPECT_GT(max_sampled_slope(arch, 2000, 99), 0.9 * bmp);
}

// Refinement tightens the numeric bound where BMP's worst cases do not line up (tanh saturates).
TEST(Lipschitz, NumericBoundRefinesBelowBmp) {
  const Architecture arch = arch_of(kCases[1].spec);
  const lpnn::NumericLipschitz coarse = lpnn::numeric_lipschitz_bound(arch, 1);
  const lpnn::NumericLipschitz fine = lpnn::numeric_lipschitz_bound(arch, 2000);
  EXPECT_EQ(coarse.boxes, 1);
  EXPECT_LE(fine.bound, coarse.bound);
  EXPECT_LE(coarse.bound, lpnn::bmp_lipschitz_bound(arch) * (1 + kRel));
  EXPECT_LT(fine.bound, lpnn::bmp_lipschitz_bound(arch));
  EXPECT_GE(fine.bound, max_sampled_slope(arch, 500, 5));
}

TEST(Lipschitz, EpsilonOfGrid) {
  EXPECT_DOUBLE_EQ(lpnn::epsilon_of_grid(2.0, GridSpec::uniform(11)), 0.4);  // 2·2·(1/10)
  EXPECT_DOUBLE_EQ(lpnn::epsilon_of_grid(3.0, {5, 3, 9}), 3.0);              // the coarsest group, K = 3
  EXPECT_DOUBLE_EQ(lpnn::epsilon_of_grid(3.0, {5, 9, 5}), 1.5);
  EXPECT_DOUBLE_EQ(lpnn::epsilon_of_grid(288.0, GridSpec::uniform(2)), 576.0);
  EXPECT_MESSAGE_HAS(error_of([] { lpnn::epsilon_of_grid(1.0, {3, 1, 3}); }), "K", "got 1");
}

// The K that grid_for_epsilon returns achieves ε; K - 1 does not (when it is still a grid).
TEST(Lipschitz, GridForEpsilonRoundTrip) {
  int checked_smaller = 0;
  for (double L : {0.01, 0.5, 1.0, 3.0, 17.3, 288.0, 1234.5678})
    for (double eps : {0.001, 0.01, 0.1, 0.3, 0.5, 1.0, 2.0, 7.0, 100.0, 1e6}) {
      const std::int64_t K = lpnn::grid_for_epsilon(L, eps);
      SCOPED_TRACE(::testing::Message() << "L=" << L << " eps=" << eps << " K=" << K);
      ASSERT_GE(K, 2);
      EXPECT_LE(lpnn::epsilon_of_grid(L, GridSpec::uniform(K)), eps);
      if (K > 2) {
        EXPECT_GT(lpnn::epsilon_of_grid(L, GridSpec::uniform(K - 1)), eps);
        ++checked_smaller;
      }
    }
  EXPECT_GT(checked_smaller, 30);
  // Exact multiples: 2L/ε an integer q needs K - 1 = q.
  EXPECT_EQ(lpnn::grid_for_epsilon(1.0, 0.5), 5);
  EXPECT_EQ(lpnn::grid_for_epsilon(288.0, 576.0), 2);
  EXPECT_EQ(lpnn::grid_for_epsilon(288.0, 1.0), 577);
  EXPECT_EQ(lpnn::grid_for_epsilon(3.0, 0.1), 61);
}

TEST(Lipschitz, GridForEpsilonRejectsBadEpsilon) {
  for (double eps : {0.0, -1.0, std::nan(""), HUGE_VAL}) {
    EXPECT_MESSAGE_HAS(error_of([eps] { lpnn::grid_for_epsilon(1.0, eps); }), "epsilon");
  }
  EXPECT_MESSAGE_HAS(error_of([] { lpnn::grid_for_epsilon(1e300, 1e-300); }), "epsilon", "64-bit");
}

namespace {

// Networks with the layer types, activations and losses beyond dense: both bounds must hold against
// sampled slopes (the numeric one need not stay below BMP's for every loss).
const Case kGraphCases[] = {
    {"elu logistic", R"({"input": 2, "layers": [{"units": 2, "activation": "elu"}, {"units": 1, "activation":
                        "identity"}], "loss": "logistic"})"},
    {"cross entropy", R"({"input": 2, "layers": [{"units": 2, "activation": "relu"}, {"units": 2, "activation":
                         "identity"}], "loss": "cross_entropy"})"},
    {"cross entropy three classes", R"({"input": 1, "layers": [{"units": 3, "activation": "identity"}],
                                       "loss": "cross_entropy"})"},
    {"conv1d squared", R"({"input": 3, "input_shape": [1, 3], "layers": [{"type": "conv1d", "channels": 1,
                          "kernel": 2, "activation": "relu"}, {"units": 1, "activation": "identity"}],
                          "loss": "squared"})"},
    {"avgpool residual absolute", R"({"input": 4, "input_shape": [1, 4], "layers": [{"type": "avgpool1d", "size": 2},
                                     {"units": 2, "activation": "relu"}, {"units": 2, "activation": "identity",
                                     "skip": 1}], "loss": "absolute"})"},
    {"conv2d tanh hinge", R"({"input": 4, "input_shape": [1, 2, 2], "layers": [{"type": "conv2d", "channels": 1,
                             "kernel": [1, 2], "activation": "tanh"}, {"units": 1, "activation": "identity"}],
                             "loss": "hinge"})"},
};

}  // namespace

TEST(Lipschitz, GraphNetworksBoundsAboveSampledSlopes) {
  std::uint64_t seed = 100;
  for (const Case& c : kGraphCases) {
    SCOPED_TRACE(c.name);
    const Architecture arch = arch_of(c.spec);
    const double bmp = lpnn::bmp_lipschitz_bound(arch);
    const double numeric = lpnn::numeric_lipschitz_bound(arch).bound;
    const double sampled = max_sampled_slope(arch, 3000, seed++);
    EXPECT_GT(sampled, 0.0);
    EXPECT_TRUE(std::isfinite(numeric));
    EXPECT_LE(sampled, numeric * (1 + kRel)) << "sampled " << sampled << " numeric " << numeric;
    EXPECT_LE(sampled, bmp * (1 + kRel)) << "sampled " << sampled << " bmp " << bmp;
  }
}

// BMP's recursion on the graph, by hand. Conv1d [1, 3], kernel 2, relu, then dense 1 (with biases):
// conv units U = 2·1 + 1 = 3, G = 2·1 + 2·1 + 1 = 5 (fan-in Δ = 2); output U = 2·3 + 1 = 7,
// G = 2·(5 + 3) + 1 = 17; squared: 2(U+1)(G+1) = 288. Pooling has constant weights 1/2 and no
// parameter: [1, 2] -> avgpool 2: U = 1, G = 1; then dense 1 without bias: U = 1, G = 1 + 1 = 2;
// absolute: G + 1 = 3. Cross-entropy with m = 2: 2mG + m(U + ln(m)/2).
TEST(Lipschitz, BmpBoundOnGraphsByHand) {
  EXPECT_DOUBLE_EQ(lpnn::bmp_lipschitz_bound(arch_of(kGraphCases[3].spec)), 288.0);
  EXPECT_DOUBLE_EQ(lpnn::bmp_lipschitz_bound(arch_of(R"({"input": 2, "input_shape": [1, 2], "bias": false,
      "layers": [{"type": "avgpool1d", "size": 2}, {"units": 1, "activation": "identity"}], "loss": "absolute"})")),
                   3.0);
  // Identity 1 -> 2 with biases: U = 2, G = 1 + 1 + 1 = 3 per output.
  const Architecture ce = arch_of(R"({"input": 1, "layers": [{"units": 2, "activation": "identity"}],
                                      "loss": "cross_entropy"})");
  EXPECT_DOUBLE_EQ(lpnn::bmp_lipschitz_bound(ce), 2.0 * 2.0 * 3.0 + 2.0 * (2.0 + 0.5 * std::log(2.0)));
}

TEST(Lipschitz, SignUnitsHaveNoBoundAndBinaryNetworksAreExact) {
  const Architecture sign = arch_of(R"({"input": 2, "layers": [{"units": 2, "activation": "sign"},
                                        {"units": 1, "activation": "identity"}], "loss": "squared"})");
  EXPECT_TRUE(std::isinf(lpnn::bmp_lipschitz_bound(sign)));
  EXPECT_TRUE(std::isinf(lpnn::numeric_lipschitz_bound(sign).bound));
  EXPECT_TRUE(std::isinf(lpnn::guaranteed_epsilon(sign, lpnn::bmp_lipschitz_bound(sign), GridSpec::uniform(3))));
  EXPECT_MESSAGE_HAS(error_of([&] { lpnn::grid_for_epsilon(lpnn::bmp_lipschitz_bound(sign), 0.1); }), "sign units",
                     "not Lipschitz", "--grid");
  const Architecture binary = arch_of(R"({"input": 2, "binary": true, "layers": [{"units": 2, "activation": "sign"},
                                          {"units": 1, "activation": "sign"}], "loss": "squared"})");
  EXPECT_EQ(lpnn::guaranteed_epsilon(binary, lpnn::bmp_lipschitz_bound(binary), GridSpec::uniform(2)), 0.0);
}
