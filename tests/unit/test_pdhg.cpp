// The PDHG solver on small LPs apart from any polytope: optima against Clp (an independent simplex
// code) on random feasible LPs, with fixed columns and degenerate rows, and the iteration-limit path,
// whose reported objective and residuals must be those of the x it returns.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "lpnn/solve/solver.hpp"
#include "lpnn/util/error.hpp"

namespace lpnn {
namespace {

// A dense LP with upper bounds 0 or +inf: the plain data (for Clp and the test's own arithmetic) and
// the same LP as PETSc objects (for PDHG).
struct SmallLp {
  LinearProgram lp;
  OwnedMat A;
  OwnedVec b, c, upper;

  double objective_of(const std::vector<double>& x) const {
    double sum = 0;
    for (std::int64_t j = 0; j < lp.cols; ++j) sum += lp.c[j] * x[j];
    return sum;
  }
  // ||Ax - b||_2 / (1 + ||b||_2), as LpSolution defines the primal residual.
  double primal_residual_of(const std::vector<double>& x) const {
    double r2 = 0, b2 = 0;
    for (std::int64_t i = 0; i < lp.rows; ++i) {
      double ax = 0;
      for (std::int64_t k = lp.row_start[i]; k < lp.row_start[i + 1]; ++k) ax += lp.value[k] * x[lp.column[k]];
      r2 += (ax - lp.b[i]) * (ax - lp.b[i]);
      b2 += lp.b[i] * lp.b[i];
    }
    return std::sqrt(r2) / (1 + std::sqrt(b2));
  }
};

// Random A with entries in {-1, 0, 1}, b = A x0 for a random x0 >= 0 (feasible), c >= 0 (bounded),
// every `fixed_every`-th column fixed at 0, and row 1 repeated as the last row (degenerate).
SmallLp random_lp(std::uint32_t seed, std::int64_t rows, std::int64_t cols, std::int64_t fixed_every) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> entry(-1, 1);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  SmallLp s;
  LinearProgram& lp = s.lp;
  lp.rows = rows;
  lp.cols = cols;
  lp.lower.assign(cols, 0.0);
  lp.upper.assign(cols, INFINITY);
  std::vector<double> x0(cols);
  for (std::int64_t j = 0; j < cols; ++j) {
    if (fixed_every > 0 && j % fixed_every == fixed_every - 1) lp.upper[j] = 0.0;
    x0[j] = lp.upper[j] > 0 ? unit(rng) : 0.0;
    lp.c.push_back(unit(rng));
  }
  std::vector<std::vector<double>> dense(rows, std::vector<double>(cols, 0.0));
  for (std::int64_t i = 0; i + 1 < rows; ++i)
    for (std::int64_t j = 0; j < cols; ++j) dense[i][j] = entry(rng);
  dense[rows - 1] = dense[1];
  lp.row_start.push_back(0);
  for (std::int64_t i = 0; i < rows; ++i) {
    double bi = 0;
    for (std::int64_t j = 0; j < cols; ++j) {
      if (dense[i][j] == 0) continue;
      lp.column.push_back(j);
      lp.value.push_back(dense[i][j]);
      bi += dense[i][j] * x0[j];
    }
    lp.row_start.push_back(static_cast<std::int64_t>(lp.column.size()));
    lp.b.push_back(bi);
  }
  lp.validate();

  LPNN_PETSC(
      MatCreateAIJ(PETSC_COMM_WORLD, PETSC_DECIDE, PETSC_DECIDE, rows, cols, cols, nullptr, cols, nullptr, s.A.out()));
  PetscInt first = 0, last = 0;
  LPNN_PETSC(MatGetOwnershipRange(s.A, &first, &last));
  for (PetscInt i = first; i < last; ++i)
    for (std::int64_t k = lp.row_start[i]; k < lp.row_start[i + 1]; ++k)
      LPNN_PETSC(MatSetValue(s.A, i, static_cast<PetscInt>(lp.column[k]), lp.value[k], INSERT_VALUES));
  LPNN_PETSC(MatAssemblyBegin(s.A, MAT_FINAL_ASSEMBLY));
  LPNN_PETSC(MatAssemblyEnd(s.A, MAT_FINAL_ASSEMBLY));
  LPNN_PETSC(MatCreateVecs(s.A, s.c.out(), s.b.out()));
  LPNN_PETSC(VecDuplicate(s.c, s.upper.out()));
  auto fill = [](Vec v, const std::vector<double>& values) {
    PetscInt lo = 0, hi = 0;
    LPNN_PETSC(VecGetOwnershipRange(v, &lo, &hi));
    for (PetscInt i = lo; i < hi; ++i) LPNN_PETSC(VecSetValue(v, i, values[i], INSERT_VALUES));
    LPNN_PETSC(VecAssemblyBegin(v));
    LPNN_PETSC(VecAssemblyEnd(v));
  };
  fill(s.b, lp.b);
  fill(s.c, lp.c);
  fill(s.upper, lp.upper);
  return s;
}

TEST(Pdhg, OptimaEqualClpOnRandomFeasibleLps) {
  int rank = 0;
  MPI_Comm_rank(PETSC_COMM_WORLD, &rank);
  for (std::uint32_t seed = 1; seed <= 12; ++seed) {
    SmallLp s = random_lp(seed, 6, 14, seed % 2 == 0 ? 4 : 0);
    PdhgOptions options;
    options.tolerance = 1e-9;
    const LpSolution pdhg = solve_with_pdhg(s.A, s.b, s.c, s.upper, options, s.lp.cols);
    ASSERT_TRUE(pdhg.optimal) << "seed " << seed << ": " << pdhg.status << " after " << pdhg.iterations;
    // PDHG's x itself: feasible to the tolerance, within bounds, and as good as Clp's optimum.
    EXPECT_LT(s.primal_residual_of(pdhg.x), 1e-7) << "seed " << seed;
    for (std::int64_t j = 0; j < s.lp.cols; ++j) {
      EXPECT_GE(pdhg.x[j], 0.0);
      if (s.lp.upper[j] == 0) {
        EXPECT_EQ(pdhg.x[j], 0.0) << "fixed column " << j << " moved, seed " << seed;
      }
    }
    double clp_objective = 0;
    if (rank == 0) {
      const LpSolution clp = solve_with_clp(s.lp);
      ASSERT_TRUE(clp.optimal) << clp.status;
      clp_objective = clp.objective;
    }
    MPI_Bcast(&clp_objective, 1, MPI_DOUBLE, 0, PETSC_COMM_WORLD);
    EXPECT_NEAR(pdhg.objective, clp_objective, 1e-6 * (1 + std::fabs(clp_objective))) << "seed " << seed;
    EXPECT_NEAR(s.objective_of(pdhg.x), pdhg.objective, 1e-12 * (1 + std::fabs(pdhg.objective)));
  }
}

// Stopped early, the solver must return the iterate its numbers describe, whichever of the current or
// the average iterate was the last candidate.
TEST(Pdhg, IterationLimitReportsTheReturnedIterate) {
  SmallLp s = random_lp(7, 6, 14, 5);
  for (std::int64_t limit = 0; limit <= 160; ++limit) {
    PdhgOptions options;
    options.tolerance = 1e-12;
    options.max_iterations = limit;
    options.check_every = 7;
    const LpSolution out = solve_with_pdhg(s.A, s.b, s.c, s.upper, options, s.lp.cols);
    ASSERT_FALSE(out.optimal) << "limit " << limit;
    EXPECT_EQ(out.status, "iteration limit");
    EXPECT_EQ(out.iterations, limit);
    const double objective = s.objective_of(out.x), primal = s.primal_residual_of(out.x);
    EXPECT_NEAR(out.objective, objective, 1e-12 * (1 + std::fabs(objective))) << "limit " << limit;
    EXPECT_NEAR(out.primal_residual, primal, 1e-12 * (1 + primal)) << "limit " << limit;
  }
}

// Clp's input: the gathered face without its fixed columns has the full LP's optimum, and maps back.
TEST(GatherToRoot, DroppingFixedColumnsKeepsTheOptimum) {
  int rank = 0;
  MPI_Comm_rank(PETSC_COMM_WORLD, &rank);
  for (std::uint32_t seed = 20; seed < 26; ++seed) {
    SmallLp s = random_lp(seed, 7, 15, 3);
    OwnedVec lower;
    LPNN_PETSC(VecDuplicate(s.c, lower.out()));
    LPNN_PETSC(VecSet(lower, 0.0));
    const LinearProgram full = gather_to_root(s.A, s.b, s.c, lower, s.upper);
    const LinearProgram face = gather_to_root(s.A, s.b, s.c, lower, s.upper, true);
    if (rank != 0) continue;
    std::int64_t free_columns = 0;
    for (double u : s.lp.upper) free_columns += u > 0;
    ASSERT_EQ(face.cols, free_columns);
    ASSERT_EQ(static_cast<std::int64_t>(face.original_column.size()), face.cols);
    EXPECT_EQ(full.cols, s.lp.cols);
    EXPECT_EQ(face.rows, s.lp.rows);
    for (std::int64_t k = 0; k < face.cols; ++k) {
      const std::int64_t j = face.original_column[k];
      EXPECT_GT(s.lp.upper[j], 0.0);
      EXPECT_EQ(face.c[k], s.lp.c[j]);
    }
    const LpSolution on_full = solve_with_clp(full), on_face = solve_with_clp(face);
    ASSERT_TRUE(on_full.optimal && on_face.optimal);
    EXPECT_NEAR(on_face.objective, on_full.objective, 1e-9 * (1 + std::fabs(on_full.objective))) << "seed " << seed;
    EXPECT_NEAR(on_full.objective, solve_with_clp(s.lp).objective, 1e-9 * (1 + std::fabs(on_full.objective)));
  }
}

TEST(Pdhg, RefusesMeaninglessOptions) {
  SmallLp s = random_lp(3, 4, 6, 0);
  PdhgOptions options;
  options.tolerance = 0;
  EXPECT_THROW(solve_with_pdhg(s.A, s.b, s.c, s.upper, options, s.lp.cols), Error);
  options.tolerance = 1e-6;
  options.check_every = 0;
  EXPECT_THROW(solve_with_pdhg(s.A, s.b, s.c, s.upper, options, s.lp.cols), Error);
}

}  // namespace
}  // namespace lpnn
