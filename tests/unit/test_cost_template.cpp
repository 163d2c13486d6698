// The cost template c[j] = ℓ(f(ξ(s), θ(a)), η(t)) against direct evaluation: j is decoded to (a, s, t)
// and each to grid values by hand, then Architecture::sample_loss is called.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <vector>

#include "lpnn/bags/cost_template.hpp"
#include "unit_helpers.hpp"

using lpnn::Architecture;
using lpnn::GridSpec;
using lpnn::PolytopeLayout;
using lpnn::test::arch_of;

namespace {

std::int64_t ipow(std::int64_t b, std::int64_t e) {
  std::int64_t r = 1;
  while (e-- > 0) r *= b;
  return r;
}

// Coordinates of a group at index `index`: digit i (most significant first) -> -1 + 2·digit/(K-1).
std::vector<double> point(std::int64_t index, std::int64_t K, std::int64_t count) {
  std::vector<double> v(static_cast<std::size_t>(count));
  for (std::int64_t i = 0; i < count; ++i) {
    const std::int64_t digit = (index / ipow(K, count - 1 - i)) % K;
    v[i] = -1.0 + 2.0 * static_cast<double>(digit) / static_cast<double>(K - 1);
  }
  return v;
}

double direct_cost(const Architecture& arch, const GridSpec& grid, std::int64_t j) {
  const std::int64_t N = arch.parameters(), n = arch.inputs(), m = arch.outputs();
  const std::int64_t Sx = ipow(grid.input, n), Sy = ipow(grid.output, m);
  const std::int64_t a = j / (Sx * Sy), s = (j / Sy) % Sx, t = j % Sy;
  return arch.sample_loss(point(s, grid.input, n), point(a, grid.param, N), point(t, grid.output, m));
}

struct Case {
  const char* spec;
  GridSpec grid;
};

const Case kCases[] = {
    {R"({"input": 1, "layers": [{"units": 1, "activation": "identity"}], "loss": "squared"})", {3, 3, 3}},
    {R"({"input": 2, "layers": [{"units": 1, "activation": "relu"}], "loss": "absolute"})", {3, 2, 4}},
    {R"({"input": 1, "layers": [{"units": 2, "activation": "tanh"}], "bias": false, "loss": "hinge"})", {4, 3, 2}},
    {R"({"input": 1, "layers": [{"units": 1, "activation": "leaky_relu", "slope": 0.3}, {"units": 1, "activation": "identity"}],
        "loss": "squared"})",
     {2, 5, 3}},
    {R"({"input": 2, "layers": [{"units": 2, "activation": "relu"}, {"units": 1, "activation": "identity"}],
        "loss": "squared"})",
     {2, 3, 3}},
};

}  // namespace

TEST(CostTemplate, MatchesDirectEvaluation) {
  for (const Case& c : kCases) {
    SCOPED_TRACE(c.spec);
    const Architecture arch = arch_of(c.spec);
    const PolytopeLayout l = PolytopeLayout::make(arch.parameters(), arch.inputs(), arch.outputs(), c.grid, 2);
    std::vector<double> cost(static_cast<std::size_t>(l.B));
    lpnn::compute_cost_template(arch, l, 0, cost);
    for (std::int64_t j = 0; j < l.B; ++j) ASSERT_DOUBLE_EQ(cost[j], direct_cost(arch, c.grid, j)) << "j = " << j;
  }
}

// Ranges starting and ending anywhere (inside an (a, s) run of t values too) equal the full template.
TEST(CostTemplate, RangesMatchFull) {
  for (const Case& c : kCases) {
    SCOPED_TRACE(c.spec);
    const Architecture arch = arch_of(c.spec);
    const PolytopeLayout l = PolytopeLayout::make(arch.parameters(), arch.inputs(), arch.outputs(), c.grid, 1);
    std::vector<double> full(static_cast<std::size_t>(l.B));
    lpnn::compute_cost_template(arch, l, 0, full);
    for (std::int64_t first = 0; first < l.B; first += 1 + l.B / 17)
      for (std::int64_t len : {std::int64_t{0}, std::int64_t{1}, std::int64_t{2}, l.Sy + 1, l.B - first}) {
        if (first + len > l.B) continue;
        std::vector<double> part(static_cast<std::size_t>(len), -42.0);
        lpnn::compute_cost_template(arch, l, first, part);
        for (std::int64_t k = 0; k < len; ++k) ASSERT_EQ(part[k], full[first + k]) << first << "+" << k;
      }
  }
}

// Data independent: D does not enter the template.
TEST(CostTemplate, IndependentOfSamples) {
  const Architecture arch = arch_of(kCases[4].spec);
  const PolytopeLayout one = PolytopeLayout::make(arch.parameters(), arch.inputs(), arch.outputs(), {2, 3, 3}, 1);
  const PolytopeLayout many = PolytopeLayout::make(arch.parameters(), arch.inputs(), arch.outputs(), {2, 3, 3}, 7);
  std::vector<double> a(static_cast<std::size_t>(one.B)), b(static_cast<std::size_t>(many.B));
  lpnn::compute_cost_template(arch, one, 0, a);
  lpnn::compute_cost_template(arch, many, 0, b);
  EXPECT_EQ(a, b);
}

// A few entries by hand: f(x, φ) = w·x + b with φ = (w, b), squared loss, K = 3 everywhere (-1, 0, 1).
TEST(CostTemplate, ByHand) {
  const Architecture arch = arch_of(kCases[0].spec);
  const PolytopeLayout l = PolytopeLayout::make(2, 1, 1, GridSpec::uniform(3), 1);
  ASSERT_EQ(l.B, 81);
  std::vector<double> c(81);
  lpnn::compute_cost_template(arch, l, 0, c);
  // Digits 0, 1, 2 are the values -1, 0, 1; a = 3·digit(w) + digit(b); j = (a·3 + s)·3 + t.
  auto j = [](int w, int b, int s, int t) { return ((3 * w + b) * 3 + s) * 3 + t; };
  EXPECT_EQ(c[j(0, 0, 0, 0)], 1.0);  // z = (-1)(-1) - 1 = 0, y = -1
  EXPECT_EQ(c[j(2, 1, 2, 0)], 4.0);  // z = 1·1 + 0 = 1, y = -1
  EXPECT_EQ(c[j(2, 2, 2, 2)], 1.0);  // z = 2, y = 1
  EXPECT_EQ(c[j(1, 2, 0, 1)], 1.0);  // z = 0·(-1) + 1 = 1, y = 0
  EXPECT_EQ(c[j(0, 1, 2, 2)], 4.0);  // z = -1, y = 1
  EXPECT_EQ(c[j(2, 0, 2, 1)], 0.0);  // z = 1 - 1 = 0, y = 0
}

TEST(CostTemplate, RegularizerCostsByHand) {
  // N = 2, K_param = 3: θ(a) = (-1 + digit0, -1 + digit1).
  const Architecture l1 = arch_of(R"({"input": 1, "layers": [{"units": 1, "activation": "identity"}], "loss": "squared",
                                     "regularizer": {"kind": "l1", "weight": 0.5}})");
  const Architecture l2 = arch_of(R"({"input": 1, "layers": [{"units": 1, "activation": "identity"}], "loss": "squared",
                                     "regularizer": {"kind": "l2", "weight": 0.25}})");
  const Architecture none = arch_of(kCases[0].spec);
  const PolytopeLayout l = PolytopeLayout::make(2, 1, 1, {3, 2, 2}, 3);
  std::vector<double> c1(9), c2(9), c0(9, -1.0);
  lpnn::compute_regularizer_costs(l1, l, 0, c1);
  lpnn::compute_regularizer_costs(l2, l, 0, c2);
  lpnn::compute_regularizer_costs(none, l, 0, c0);
  for (int a = 0; a < 9; ++a) {
    const double w = -1.0 + a / 3, b = -1.0 + a % 3;
    EXPECT_DOUBLE_EQ(c1[a], 0.5 * (std::fabs(w) + std::fabs(b))) << a;
    EXPECT_DOUBLE_EQ(c2[a], 0.25 * (w * w + b * b)) << a;
    EXPECT_EQ(c0[a], 0.0) << a;
  }
  EXPECT_EQ(c1[0], 1.0);
  EXPECT_EQ(c1[4], 0.0);
  EXPECT_EQ(c2[8], 0.5);
  // A sub-range.
  std::vector<double> part(4);
  lpnn::compute_regularizer_costs(l2, l, 3, part);
  for (int k = 0; k < 4; ++k) EXPECT_EQ(part[k], c2[3 + k]);
}

TEST(CostTemplate, RegularizerCostsMatchRegularization) {
  const Architecture arch = arch_of(R"({"input": 2, "layers": [{"units": 2, "activation": "relu"},
      {"units": 1, "activation": "identity"}], "loss": "squared", "regularizer": {"kind": "l2", "weight": 0.125}})");
  const PolytopeLayout l = PolytopeLayout::make(arch.parameters(), 2, 1, {3, 2, 2}, 1);  // M = 3^9
  std::vector<double> c(static_cast<std::size_t>(l.M));
  lpnn::compute_regularizer_costs(arch, l, 0, c);
  for (std::int64_t a = 0; a < l.M; a += 37) {
    const std::vector<double> theta = point(a, 3, arch.parameters());
    double sum = 0.0;
    for (double v : theta) sum += v * v;
    ASSERT_DOUBLE_EQ(c[a], 0.125 * sum) << a;
    ASSERT_DOUBLE_EQ(c[a], arch.regularization(theta)) << a;
  }
}
