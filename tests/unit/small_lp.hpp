// Small LPs for the solver tests: the plain data (for Clp and a test's own arithmetic) and the same LP
// as PETSc objects split over the ranks (for PDHG).
#pragma once

#include <mpi.h>

#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

#include "lpnn/solve/lp.hpp"
#include "lpnn/util/petsc.hpp"

namespace lpnn {

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

// The LP  min cᵀx, dense·x = b, 0 ≤ x ≤ upper  as plain data and as PETSc objects (split over the ranks).
inline SmallLp from_dense(const std::vector<std::vector<double>>& dense, const std::vector<double>& b,
                          const std::vector<double>& c, const std::vector<double>& upper) {
  SmallLp s;
  LinearProgram& lp = s.lp;
  lp.rows = static_cast<std::int64_t>(dense.size());
  lp.cols = static_cast<std::int64_t>(c.size());
  lp.lower.assign(lp.cols, 0.0);
  lp.upper = upper;
  lp.c = c;
  lp.b = b;
  lp.row_start.push_back(0);
  for (const auto& row : dense) {
    for (std::int64_t j = 0; j < lp.cols; ++j) {
      if (row[j] == 0) continue;
      lp.column.push_back(j);
      lp.value.push_back(row[j]);
    }
    lp.row_start.push_back(static_cast<std::int64_t>(lp.column.size()));
  }
  lp.validate();
  const PetscInt rows = static_cast<PetscInt>(lp.rows), cols = static_cast<PetscInt>(lp.cols);
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

// Random A with entries in {-1, 0, 1}, b = A x0 for a random x0 >= 0 (feasible), c >= 0 (bounded),
// every `fixed_every`-th column fixed at 0, and row 1 repeated as the last row (degenerate).
inline SmallLp random_lp(std::uint32_t seed, std::int64_t rows, std::int64_t cols, std::int64_t fixed_every) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> entry(-1, 1);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  std::vector<double> x0(cols), c, upper(cols, INFINITY), b;
  for (std::int64_t j = 0; j < cols; ++j) {
    if (fixed_every > 0 && j % fixed_every == fixed_every - 1) upper[j] = 0.0;
    x0[j] = upper[j] > 0 ? unit(rng) : 0.0;
    c.push_back(unit(rng));
  }
  std::vector<std::vector<double>> dense(rows, std::vector<double>(cols, 0.0));
  for (std::int64_t i = 0; i + 1 < rows; ++i)
    for (std::int64_t j = 0; j < cols; ++j) dense[i][j] = entry(rng);
  dense[rows - 1] = dense[1];
  for (std::int64_t i = 0; i < rows; ++i) {
    double bi = 0;
    for (std::int64_t j = 0; j < cols; ++j) bi += dense[i][j] * x0[j];
    b.push_back(bi);
  }
  return from_dense(dense, b, c, upper);
}

}  // namespace lpnn
