// PDHG's presolve on small LPs, each answer against an independent oracle (Clp, or a closed form):
// dominated duplicate columns, and doubleton equalities x_k = αx_j aggregated, including chains of them
// that take several rounds, rows that must not be aggregated, and a hand-built bounds face of the
// training polytope, where every consistency row goes and the LP optimum is the best grid point.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "lpnn/solve/solver.hpp"
#include "unit/small_lp.hpp"

namespace lpnn {
namespace {

double clp_objective_of(const SmallLp& s) {
  int rank = 0;
  MPI_Comm_rank(PETSC_COMM_WORLD, &rank);
  double objective = NAN;
  if (rank == 0) {
    const LpSolution clp = solve_with_clp(s.lp);
    if (clp.optimal) objective = clp.objective;
  }
  MPI_Bcast(&objective, 1, MPI_DOUBLE, 0, PETSC_COMM_WORLD);
  return objective;
}

LpSolution pdhg_of(const SmallLp& s, bool aggregate, double tolerance = 1e-9) {
  PdhgOptions options;
  options.tolerance = tolerance;
  options.aggregate = aggregate;
  return solve_with_pdhg(s.A, s.b, s.c, s.upper, options, s.lp.cols);
}

// Dominated duplicate columns (the presolve): random LPs with copies of some columns at a higher, equal or
// lower cost, some copies with a finite upper bound (never dropped). With and without the presolve the
// optimum must be Clp's; with it, a copy costlier than its original must come back exactly 0, and x must
// be feasible with the reported objective.
TEST(Pdhg, DuplicateColumnsKeepClpsOptimum) {
  int rank = 0;
  MPI_Comm_rank(PETSC_COMM_WORLD, &rank);
  for (std::uint32_t seed = 40; seed < 46; ++seed) {
    std::mt19937 rng(seed);
    std::uniform_int_distribution<int> entry(-1, 1);
    std::uniform_real_distribution<double> unit(0.0, 1.0);
    const std::int64_t rows = 5, originals = 8;
    std::vector<std::vector<double>> dense(rows, std::vector<double>(originals));
    std::vector<double> c, upper, x0;
    for (std::int64_t j = 0; j < originals; ++j) {
      c.push_back(unit(rng));
      upper.push_back(INFINITY);
      x0.push_back(unit(rng));
      for (std::int64_t i = 0; i < rows; ++i) dense[i][j] = entry(rng);
    }
    // Copies of columns 0..5: +1 (dominated), +0 (tie), −0.5 (dominates its original), +2 with u = 1.
    const double shift[] = {1.0, 0.0, -0.5, 2.0, 1.0, 3.0};
    std::vector<std::int64_t> costlier;
    for (std::int64_t k = 0; k < 6; ++k) {
      for (std::int64_t i = 0; i < rows; ++i) dense[i].push_back(dense[i][k]);
      c.push_back(c[k] + shift[k]);
      upper.push_back(k == 3 ? 1.0 : INFINITY);
      if (shift[k] > 0 && k != 3) costlier.push_back(originals + k);
    }
    std::vector<double> b(rows, 0.0);
    for (std::int64_t i = 0; i < rows; ++i)
      for (std::int64_t j = 0; j < originals; ++j) b[i] += dense[i][j] * x0[j];
    double clp_objective = 0;
    const SmallLp plain = from_dense(dense, b, c, upper);  // collective: every rank builds it
    if (rank == 0) {
      const LpSolution clp = solve_with_clp(plain.lp);
      ASSERT_TRUE(clp.optimal) << clp.status;
      clp_objective = clp.objective;
    }
    MPI_Bcast(&clp_objective, 1, MPI_DOUBLE, 0, PETSC_COMM_WORLD);
    for (bool presolve : {true, false}) {
      SmallLp s = from_dense(dense, b, c, upper);
      PdhgOptions options;
      options.tolerance = 1e-9;
      options.presolve = presolve;
      const LpSolution out = solve_with_pdhg(s.A, s.b, s.c, s.upper, options, s.lp.cols);
      const std::string what = "seed " + std::to_string(seed) + (presolve ? " presolved" : " plain");
      ASSERT_TRUE(out.optimal) << what << ": " << out.status;
      EXPECT_NEAR(out.objective, clp_objective, 1e-6 * (1 + std::fabs(clp_objective))) << what;
      EXPECT_NEAR(s.objective_of(out.x), out.objective, 1e-12 * (1 + std::fabs(out.objective))) << what;
      EXPECT_LT(s.primal_residual_of(out.x), 1e-7) << what;
      if (presolve) {
        for (std::int64_t k : costlier) EXPECT_EQ(out.x[k], 0.0) << what << ", dominated column " << k;
      }
    }
  }
}

// x0 − 2x1 = 0 (x1 = x0/2), 3x1 − x2 = 0 (x2 = 1.5x0), x0 + x3 = 1, c = (1, 1, 1, 4): cost 4 − t at
// x0 = t, so the optimum is x = (1, 0.5, 1.5, 0) with objective 3. The second row names x1, which the
// first eliminates: it is aggregated in a second round, as x2 = 1.5x0.
TEST(Aggregation, ChainsTakeRoundsAndKeepTheOptimum) {
  const SmallLp s = from_dense({{1, -2, 0, 0}, {0, 3, -1, 0}, {1, 0, 0, 1}}, {0, 0, 1}, {1, 1, 1, 4},
                               {INFINITY, INFINITY, INFINITY, INFINITY});
  for (bool aggregate : {true, false}) {
    const LpSolution out = pdhg_of(s, aggregate);
    ASSERT_TRUE(out.optimal) << out.status;
    EXPECT_EQ(out.doubletons_aggregated, aggregate ? 2 : -1);
    EXPECT_NEAR(out.objective, 3.0, 1e-7);
    const std::vector<double> expected = {1, 0.5, 1.5, 0};
    for (std::size_t j = 0; j < expected.size(); ++j) EXPECT_NEAR(out.x[j], expected[j], 1e-6) << "x" << j;
    if (aggregate) {  // the eliminated columns are exact multiples of x0
      EXPECT_DOUBLE_EQ(out.x[1], 0.5 * out.x[0]);
      EXPECT_DOUBLE_EQ(out.x[2], 1.5 * out.x[0]);
    }
  }
}

// Rows that must stay: a right-hand side ≠ 0, equal signs (x_k = −αx_j would drop x_k ≥ 0), the larger
// column bounded (x_k ≤ u_k would be lost), three entries. None is aggregated; the optimum is Clp's.
TEST(Aggregation, LeavesRowsItMayNotSubstitute) {
  const double inf = INFINITY;
  const SmallLp s = from_dense({{1, -1, 0, 0, 0, 0, 0},
                                {0, 0, 1, 1, 0, 0, 0},
                                {0, 0, 0, 1, -1, 0, 0},
                                {1, 0, 0, 0, 0, 1, -1},
                                {1, 1, 1, 1, 1, 1, 1}},
                               {0.25, 0.5, 0, 0, 3}, {1, 2, 0.5, 1, 3, 0.1, 0.2}, {inf, inf, inf, inf, 0.3, inf, inf});
  const double clp = clp_objective_of(s);
  ASSERT_TRUE(std::isfinite(clp));
  const LpSolution out = pdhg_of(s, true);
  ASSERT_TRUE(out.optimal) << out.status;
  EXPECT_EQ(out.doubletons_aggregated, 0);
  EXPECT_NEAR(out.objective, clp, 1e-6 * (1 + std::fabs(clp)));
}

// Random feasible LPs with planted doubletons: columns x_k = α·x_parent (α ∈ [0.5, 2], the parent any
// earlier column, so chains occur), each also in the random rows. The optimum must be Clp's with and
// without aggregation, x feasible with the reported objective, and some rows must be aggregated.
TEST(Aggregation, PlantedDoubletonsKeepClpsOptimum) {
  for (std::uint32_t seed = 60; seed < 68; ++seed) {
    std::mt19937 rng(seed);
    std::uniform_int_distribution<int> entry(-1, 1);
    std::uniform_real_distribution<double> unit(0.0, 1.0), factor(0.5, 2.0);
    const std::int64_t base = 6, planted = 6, random_rows = 4, cols = base + planted;
    std::vector<double> x0(cols), c(cols), upper(cols, INFINITY);
    std::vector<std::vector<double>> dense(random_rows, std::vector<double>(cols));
    for (std::int64_t j = 0; j < cols; ++j) c[j] = unit(rng);
    for (std::int64_t j = 0; j < base; ++j) x0[j] = unit(rng);
    for (std::int64_t k = base; k < cols; ++k) {
      const std::int64_t parent = std::uniform_int_distribution<std::int64_t>(0, k - 1)(rng);
      const double alpha = factor(rng);
      x0[k] = alpha * x0[parent];
      std::vector<double> row(cols, 0.0);
      row[parent] = alpha;
      row[k] = -1.0;
      dense.push_back(row);
    }
    for (std::int64_t i = 0; i < random_rows; ++i)
      for (std::int64_t j = 0; j < cols; ++j) dense[i][j] = entry(rng);
    std::vector<double> b;
    for (const auto& row : dense) {
      double sum = 0;
      for (std::int64_t j = 0; j < cols; ++j) sum += row[j] * x0[j];
      b.push_back(row[0] == 0 && sum == 0 ? 0.0 : sum);
    }
    for (std::int64_t i = random_rows; i < static_cast<std::int64_t>(b.size()); ++i) b[i] = 0.0;
    const SmallLp s = from_dense(dense, b, c, upper);
    const double clp = clp_objective_of(s);
    ASSERT_TRUE(std::isfinite(clp)) << "seed " << seed;
    for (bool aggregate : {true, false}) {
      const std::string what = "seed " + std::to_string(seed) + (aggregate ? " aggregated" : " plain");
      const LpSolution out = pdhg_of(s, aggregate);
      ASSERT_TRUE(out.optimal) << what << ": " << out.status;
      EXPECT_NEAR(out.objective, clp, 1e-6 * (1 + std::fabs(clp))) << what;
      EXPECT_NEAR(s.objective_of(out.x), out.objective, 1e-9 * (1 + std::fabs(out.objective))) << what;
      EXPECT_LT(s.primal_residual_of(out.x), 1e-7) << what;
      if (aggregate) {
        EXPECT_GE(out.doubletons_aggregated, 1) << what;
        EXPECT_LE(out.doubletons_aggregated, planted) << what;
      }
    }
  }
}

// A bounds face of the training polytope written by hand: X[a] for M grid points, then for each of D
// samples the on-face λ^d[a]; rows per sample: Σ_a λ^d[a] = 1 and λ^d[a] − X[a] = 0. Its optimum is the
// best grid point, min_a Σ_d c_d[a] + r[a]. Aggregation removes exactly the D·M consistency rows, and the
// answer puts X = λ^d on that grid point.
TEST(Aggregation, BoundsFaceBecomesTheSimplexOverTheGrid) {
  const std::int64_t M = 9, D = 3, cols = M + D * M;
  std::mt19937 rng(5);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  std::vector<double> c(cols);
  for (double& v : c) v = unit(rng);
  std::vector<std::vector<double>> dense;
  for (std::int64_t d = 0; d < D; ++d) {
    std::vector<double> convexity(cols, 0.0);
    for (std::int64_t a = 0; a < M; ++a) convexity[M + d * M + a] = 1.0;
    dense.push_back(convexity);
    for (std::int64_t a = 0; a < M; ++a) {
      std::vector<double> consistency(cols, 0.0);
      consistency[M + d * M + a] = 1.0;
      consistency[a] = -1.0;
      dense.push_back(consistency);
    }
  }
  std::vector<double> b;
  for (std::int64_t d = 0; d < D; ++d) {
    b.push_back(1.0);
    b.insert(b.end(), M, 0.0);
  }
  std::vector<double> grid_loss(M);  // the oracle: every grid point's objective
  for (std::int64_t a = 0; a < M; ++a) {
    grid_loss[a] = c[a];
    for (std::int64_t d = 0; d < D; ++d) grid_loss[a] += c[M + d * M + a];
  }
  const auto best = std::min_element(grid_loss.begin(), grid_loss.end());
  const std::int64_t a_best = best - grid_loss.begin();
  const SmallLp s = from_dense(dense, b, c, std::vector<double>(cols, INFINITY));
  for (bool aggregate : {true, false}) {
    const LpSolution out = pdhg_of(s, aggregate);
    ASSERT_TRUE(out.optimal) << out.status;
    EXPECT_NEAR(out.objective, *best, 1e-7);
    EXPECT_NEAR(out.x[a_best], 1.0, 1e-6);
    if (!aggregate) continue;
    EXPECT_EQ(out.doubletons_aggregated, D * M);
    for (std::int64_t d = 0; d < D; ++d)
      for (std::int64_t a = 0; a < M; ++a) EXPECT_EQ(out.x[M + d * M + a], out.x[a]) << "d " << d << ", a " << a;
  }
}

}  // namespace
}  // namespace lpnn
