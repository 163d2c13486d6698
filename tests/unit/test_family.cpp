// The bag family engine (bags/family.hpp): the validator refuses broken decompositions with the variable
// and bags named; a small family's LP checked entry by entry against the construction written out here.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <map>
#include <vector>

#include "lpnn/bags/cost_template.hpp"
#include "lpnn/bags/family.hpp"
#include "lpnn/bags/generator.hpp"
#include "lpnn/bags/layout.hpp"
#include "lpnn/bags/star_family.hpp"
#include "unit_helpers.hpp"

using lpnn::BagFamily;
using lpnn::VariableKind;
using lpnn::test::error_of;

namespace {

// Root (w0, w1); per sample a bag (w0, w1, x^d, y^d) attached to the root: the star with two parameters.
BagFamily two_parameter_star(std::int64_t samples) {
  BagFamily f;
  f.name = "star";
  const std::int64_t w0 = f.add_variable({"w0", VariableKind::Parameter, 2});
  const std::int64_t w1 = f.add_variable({"w1", VariableKind::Parameter, 2});
  f.add_bag({"root", {w0, w1}, -1});
  for (std::int64_t d = 0; d < samples; ++d) {
    const std::int64_t x = f.add_variable({"x" + std::to_string(d), VariableKind::Input, 3, d, 0});
    const std::int64_t y = f.add_variable({"y" + std::to_string(d), VariableKind::Label, 2, d, 0});
    f.add_bag({"sample " + std::to_string(d), {w0, w1, x, y}, 0});
  }
  return f;
}

// Per-sample copies of a decomposition of the parameters' graph (bag (w0, x^d), then (w1, x^d, y^d))
// glued one after the other, as in BMP's Appendix F: sample 1's bag holding w0 hangs below sample 0's
// bag holding only w1, so w0's bags are disconnected.
BagFamily glued_copies() {
  BagFamily f;
  f.name = "glued";
  const std::int64_t w0 = f.add_variable({"w0", VariableKind::Parameter, 2});
  const std::int64_t w1 = f.add_variable({"w1", VariableKind::Parameter, 2});
  f.add_bag({"root", {w0, w1}, -1});
  std::int64_t parent = 0;
  for (std::int64_t d = 0; d < 2; ++d) {
    const std::int64_t x = f.add_variable({"x" + std::to_string(d), VariableKind::Input, 2, d, 0});
    const std::int64_t y = f.add_variable({"y" + std::to_string(d), VariableKind::Label, 2, d, 0});
    const std::string s = "sample " + std::to_string(d);
    // The first copy attaches to the root and so holds both parameters (the root rule).
    const std::int64_t a = f.add_bag({s + " w0-bag", d == 0 ? std::vector<std::int64_t>{w0, w1, x}
                                                            : std::vector<std::int64_t>{w0, x}, parent});
    parent = f.add_bag({s + " w1-bag", {w1, x, y}, a});
  }
  return f;
}

}  // namespace

TEST(Family, StarPassesAndSizesAreProducts) {
  const BagFamily f = two_parameter_star(3);
  EXPECT_NO_THROW(lpnn::validate_family(f));
  const lpnn::FamilySizes s = lpnn::family_sizes(f);
  // Root 4 columns; each sample 2·2·3·2 = 24; rows per sample 1 + 4; nonzeros 2·24 + 4.
  EXPECT_EQ(s.cols, 4 + 3 * 24);
  EXPECT_EQ(s.rows, 3 * 5);
  EXPECT_EQ(s.nnz, 3 * (2 * 24 + 4));
}

TEST(Family, GluedCopiesBreakRunningIntersection) {
  const std::string message = error_of([] { lpnn::validate_family(glued_copies()); });
  EXPECT_MESSAGE_HAS(message, "running intersection", "'w0' (parameter)", "'root'", "'sample 1 w0-bag'");
}

TEST(Family, EveryStepAndCostLiesInABag) {
  BagFamily f = two_parameter_star(1);
  const std::int64_t z = f.add_variable({"z", VariableKind::Node, 2, 0});
  f.bags[1].variables.push_back(z);
  // z = w0 XOR x... on (w0, x0, z) lies in sample 0's bag.
  f.steps.push_back({"z-step", {0, 2}, z, [](std::span<const std::int64_t> a) { return (a[0] + a[1]) % 2; }});
  EXPECT_NO_THROW(lpnn::validate_family(f));
  BagFamily missing = f;
  missing.bags[1].variables.pop_back();
  missing.bags.push_back({"z alone", {z}, 1});
  EXPECT_MESSAGE_HAS(error_of([&] { lpnn::validate_family(missing); }), "step 'z-step'", "lies in no bag");
  BagFamily cost = f;
  cost.costs.push_back({"loss", {z, 3}, 0, 1.0, [](std::span<const std::int64_t>) { return 0.0; }});
  EXPECT_MESSAGE_HAS(error_of([&] { lpnn::validate_family(cost); }), "cost term 'loss'", "bag 'root'", "'z'");
  BagFamily orphan = f;
  orphan.bags.push_back({"orphan", {z}, 7});
  EXPECT_MESSAGE_HAS(error_of([&] { lpnn::validate_family(orphan); }), "bag 'orphan' has parent 7");
  BagFamily partial = f;
  partial.bags.push_back({"second attach", {0, 2}, 0});
  EXPECT_MESSAGE_HAS(error_of([&] { lpnn::validate_family(partial); }), "'second attach' attaches to the root",
                     "'w1' (parameter)");
}

// A determined variable: bag (w0, w1, x0, y0, z) with z = (w0 + x0) mod 2, then a child bag (z, y0) with
// a cost on it. Columns and rows against the definitions, enumerated here.
TEST(Family, DeterminedVariablesAndEdgeRows) {
  BagFamily f = two_parameter_star(1);
  const std::int64_t z = f.add_variable({"z", VariableKind::Node, 2, 0});
  f.bags[1].variables.push_back(z);
  f.steps.push_back({"z-step", {0, 2}, z, [](std::span<const std::int64_t> a) { return (a[0] + a[1]) % 2; }});
  f.add_bag({"loss bag", {z, 3}, 1});
  f.costs.push_back({"loss", {z, 3}, 2, 0.5, [](std::span<const std::int64_t> a) { return a[0] == a[1] ? 0.0 : 1.0; }});
  const lpnn::FamilySizes s = lpnn::family_sizes(f);
  ASSERT_EQ(s.bag_columns, (std::vector<std::int64_t>{4, 24, 4}));
  const lpnn::LinearProgram lp = lpnn::family_lp(f);
  EXPECT_EQ(lp.rows, s.rows);
  EXPECT_EQ(lp.cols, s.cols);
  EXPECT_EQ(static_cast<std::int64_t>(lp.value.size()), s.nnz);
  // Column 4 + k of the sample bag: k = ((w0·2 + w1)·3 + x)·2 + y, z = (w0 + x) mod 2.
  // Edge rows of the loss bag: separator (z, y) in the loss bag's order, code z·2 + y.
  std::map<std::int64_t, std::vector<std::pair<std::int64_t, double>>> expected;
  for (std::int64_t k = 0; k < 24; ++k) {
    const std::int64_t w0 = k / 12, x = (k / 2) % 3, y = k % 2, zz = (w0 + x) % 2;
    expected[zz * 2 + y].push_back({4 + k, -1.0});
  }
  for (std::int64_t k = 0; k < 4; ++k) expected[k].push_back({28 + k, 1.0});
  // Rows: sample convexity, 4 root-edge rows, loss convexity, then the 4 loss-edge rows.
  ASSERT_EQ(lp.rows, 1 + 4 + 1 + 4);
  for (std::int64_t w = 0; w < 4; ++w) {
    const std::int64_t r = 6 + w;
    std::vector<std::pair<std::int64_t, double>> row;
    for (std::int64_t q = lp.row_start[r]; q < lp.row_start[r + 1]; ++q) row.push_back({lp.column[q], lp.value[q]});
    std::sort(expected[w].begin(), expected[w].end());
    EXPECT_EQ(row, expected[w]) << "row " << r;
    EXPECT_EQ(lp.b[r], 0.0);
  }
  EXPECT_EQ(lp.b[5], 1.0);
  for (std::int64_t k = 0; k < 4; ++k) EXPECT_EQ(lp.c[28 + k], (k / 2 == k % 2) ? 0.0 : 0.5) << k;
}

// A separator variable determined in the child too: parent (w0, w1, x0, y0, z) and child (w0, x0, z),
// z = (w0 + x0) mod 2 in both. Only the 2·3 assignments (w0, x0, z) with z consistent occur, so the
// edge has 6 rows, not the 12 of the separator's grid; sizes count them by enumeration.
TEST(Family, SeparatorsWithDeterminedVariablesCountTheirRows) {
  BagFamily f = two_parameter_star(1);
  const std::int64_t z = f.add_variable({"z", VariableKind::Node, 2, 0});
  f.bags[1].variables.push_back(z);
  f.steps.push_back({"z-step", {0, 2}, z, [](std::span<const std::int64_t> a) { return (a[0] + a[1]) % 2; }});
  f.add_bag({"child", {0, 2, z}, 1});
  const lpnn::FamilySizes s = lpnn::family_sizes(f);
  EXPECT_EQ(s.bag_columns[2], 6);
  EXPECT_EQ(s.edge_rows[2], 6);
  const lpnn::LinearProgram lp = lpnn::family_lp(f);
  EXPECT_EQ(lp.rows, s.rows);
  EXPECT_EQ(lp.rows, 1 + 4 + 1 + 6);
  EXPECT_EQ(static_cast<std::int64_t>(lp.value.size()), s.nnz);
  // Each child column (w0, x0) meets the 4 parent columns (w0, w1, x0, ·, y0) with w1, y0 free.
  for (std::int64_t r = 6; r < 12; ++r) EXPECT_EQ(lp.row_start[r + 1] - lp.row_start[r], 1 + 4) << r;
}

// The star family's LP is the layout's, entry for entry: rows from generate_rows, right-hand sides from
// generate_rhs, costs from the cost template (weight 1/D) and the regularizer on X.
TEST(Family, StarFamilyIsTheLayout) {
  struct Case {
    const char* spec;
    lpnn::GridSpec grid;
    std::int64_t samples;
  };
  const Case cases[] = {
      {R"({"input": 2, "layers": [{"units": 2, "activation": "relu"}, {"units": 1, "activation": "identity"}],
           "loss": "squared"})", {2, 2, 2}, 2},
      {R"({"input": 1, "layers": [{"units": 1, "activation": "tanh"}], "loss": "absolute",
           "regularizer": {"kind": "l2", "weight": 0.1}})", {3, 3, 2}, 3},
      {R"({"input": 2, "layers": [{"units": 2, "activation": "identity"}], "bias": false, "loss": "squared"})",
       {3, 2, 3}, 2},
  };
  for (const Case& c : cases) {
    const lpnn::Architecture arch = lpnn::test::arch_of(c.spec);
    const lpnn::PolytopeLayout layout =
        lpnn::PolytopeLayout::make(arch.parameters(), arch.inputs(), arch.outputs(), c.grid, c.samples);
    const lpnn::LinearProgram lp = lpnn::family_lp(lpnn::star_family(arch, c.grid, c.samples));
    ASSERT_EQ(lp.rows, layout.rows) << c.spec;
    ASSERT_EQ(lp.cols, layout.cols) << c.spec;
    lpnn::CsrBlock<std::int64_t> block;
    lpnn::generate_rows(layout, 0, layout.rows, block);
    EXPECT_EQ(lp.row_start, block.row_pointer) << c.spec;
    EXPECT_EQ(lp.column, block.columns) << c.spec;
    EXPECT_EQ(lp.value, block.values) << c.spec;
    std::vector<double> rhs(layout.rows);
    lpnn::generate_rhs(layout, 0, rhs);
    EXPECT_EQ(lp.b, rhs) << c.spec;
    std::vector<double> regularizer(layout.M), cost(layout.B);
    lpnn::compute_regularizer_costs(arch, layout, 0, regularizer);
    lpnn::compute_cost_template(arch, layout, 0, cost);
    for (std::int64_t a = 0; a < layout.M; ++a) EXPECT_DOUBLE_EQ(lp.c[a], regularizer[a]) << c.spec << " X " << a;
    for (std::int64_t d = 0; d < c.samples; ++d)
      for (std::int64_t j = 0; j < layout.B; ++j)
        ASSERT_DOUBLE_EQ(lp.c[layout.lambda_column(d, j)], cost[j] / static_cast<double>(c.samples))
            << c.spec << " d " << d << " j " << j;
    const lpnn::FamilySizes sizes = lpnn::family_sizes(lpnn::star_family(arch, c.grid, c.samples));
    EXPECT_EQ(sizes.nnz, layout.nnz) << c.spec;
  }
}
