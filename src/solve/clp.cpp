#include <ClpSimplex.hpp>
#include <CoinPackedMatrix.hpp>
#include <chrono>
#include <cmath>
#include <limits>

#include "lpnn/solve/solver.hpp"
#include "lpnn/util/error.hpp"
#include "lpnn/util/units.hpp"

namespace lpnn {

nlohmann::json LpSolution::to_json() const {
  nlohmann::json out = {{"optimal", optimal},
                        {"status", status},
                        {"objective", objective},
                        {"iterations", iterations},
                        {"seconds", seconds},
                        {"primal_residual", primal_residual},
                        {"dual_residual", dual_residual},
                        {"gap", gap}};
  if (duplicates_fixed >= 0) out["duplicates_fixed"] = duplicates_fixed;
  if (doubletons_aggregated >= 0) out["doubletons_aggregated"] = doubletons_aggregated;
  return out;
}

LpSolution solve_with_clp(const LinearProgram& lp, double tolerance) {
  lp.validate();
  if (lp.value.size() > static_cast<std::size_t>(std::numeric_limits<int>::max()))
    fail("the LP has {} nonzeros, beyond Clp's limit of 2^31-1; use --solver pdhg", lp.value.size());
  const auto start = std::chrono::steady_clock::now();
  // Clp's index types are int: the checks above make the narrowing safe.
  std::vector<int> index(lp.column.begin(), lp.column.end());
  std::vector<CoinBigIndex> starts(lp.row_start.begin(), lp.row_start.end());
  std::vector<int> lengths(static_cast<std::size_t>(lp.rows));
  for (std::int64_t r = 0; r < lp.rows; ++r) lengths[r] = static_cast<int>(lp.row_start[r + 1] - lp.row_start[r]);
  const CoinPackedMatrix matrix(false, checked_int(lp.cols, "the LP's column count (Clp's limit)"),
                                checked_int(lp.rows, "the LP's row count (Clp's limit)"),
                                static_cast<CoinBigIndex>(lp.value.size()), lp.value.data(), index.data(),
                                starts.data(), lengths.data());
  std::vector<double> upper(lp.upper);
  for (double& u : upper)
    if (std::isinf(u)) u = COIN_DBL_MAX;
  ClpSimplex model;
  model.setLogLevel(0);
  model.loadProblem(matrix, lp.lower.data(), upper.data(), lp.c.data(), lp.b.data(), lp.b.data());
  model.setPrimalTolerance(tolerance);
  model.setDualTolerance(tolerance);
  ClpSolve how;  // default: presolve on, dual simplex; removes the face's fixed columns
  model.initialSolve(how);

  LpSolution s;
  s.optimal = model.isProvenOptimal();
  const char* statuses[] = {"optimal", "primal infeasible", "dual infeasible", "stopped on limits", "errors"};
  const int st = model.status();
  s.status = st >= 0 && st <= 4 ? statuses[st] : "unknown";
  s.objective = model.objectiveValue();
  s.iterations = model.numberIterations();
  s.x.assign(model.primalColumnSolution(), model.primalColumnSolution() + lp.cols);
  // Residuals of the returned point, measured here rather than trusted.
  double r2 = 0, b2 = 0;
  for (std::int64_t r = 0; r < lp.rows; ++r) {
    double ax = 0;
    for (std::int64_t k = lp.row_start[r]; k < lp.row_start[r + 1]; ++k) ax += lp.value[k] * s.x[lp.column[k]];
    r2 += (ax - lp.b[r]) * (ax - lp.b[r]);
    b2 += lp.b[r] * lp.b[r];
  }
  s.primal_residual = std::sqrt(r2) / (1.0 + std::sqrt(b2));
  s.dual_residual = model.sumDualInfeasibilities();
  s.gap = 0.0;  // simplex optimality: primal and dual objectives coincide at a basis
  s.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return s;
}

}  // namespace lpnn
