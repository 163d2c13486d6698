// LP solvers for the face LP. Two real paths, each checked against the exhaustive grid-search oracle:
//   Clp     exact primal/dual simplex with presolve, on the LP gathered to one rank;
//   PDHG    restarted primal-dual hybrid gradient (PDLP, Applegate et al. 2021) on PETSc's distributed
//           Mat/Vec, never gathering the LP: Pock-Chambolle diagonal step sizes, primal weight and
//           adaptive restarts; primal/dual residuals and the duality gap are its stopping test.
#pragma once

#include <mpi.h>

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "lpnn/solve/lp.hpp"
#include "lpnn/util/petsc.hpp"

namespace lpnn {

struct LpSolution {
  bool optimal = false;
  std::string status;
  double objective = 0.0;
  std::vector<double> x;  // Clp: all columns, rank 0 only. PDHG: the first `keep` columns, every rank.
  std::int64_t iterations = 0;
  double seconds = 0.0;
  double primal_residual = 0.0;  // ||Ax - b||_2 / (1 + ||b||_2)
  double dual_residual = 0.0;    // ||(c - Aᵀy)⁻ on free-above columns||_2 / (1 + ||c||_2)
  double gap = 0.0;              // |cᵀx - bᵀy| / (1 + |cᵀx| + |bᵀy|)
  nlohmann::json to_json() const;
};

// Rank 0 only. Throws lpnn::Error if the LP has more than 2^31-1 nonzeros (Clp's CoinBigIndex).
LpSolution solve_with_clp(const LinearProgram& lp, double tolerance = 1e-9);

struct PdhgOptions {
  double tolerance = 1e-6;  // relative residuals and gap, see LpSolution
  std::int64_t max_iterations = 200000;
  std::int64_t check_every = 64;  // residuals and restart test frequency
  bool verbose = false;           // rank 0 prints the residual history to stderr

  // PETSc's options database over these values (called after the command line's own flags, so that
  // the database wins as PETSc's *SetFromOptions do): -lpnn_pdhg_tolerance, -lpnn_pdhg_max_it,
  // -lpnn_pdhg_check_every, -lpnn_pdhg_verbose. Throws lpnn::Error for a malformed value.
  void set_from_options();
};

// Collective on A's communicator. lower is 0; upper entries are 0 or +inf. `keep`: how many leading
// columns of x to return (gathered on every rank).
LpSolution solve_with_pdhg(Mat A, Vec b, Vec c, Vec upper, const PdhgOptions& options, std::int64_t keep);

}  // namespace lpnn
