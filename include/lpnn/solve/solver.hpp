// LP solvers for the face LP. Two real paths, each checked against the exhaustive grid-search oracle:
//   Clp     exact primal/dual simplex with presolve, on the LP gathered to one rank;
//   PDHG    restarted primal-dual hybrid gradient (PDLP, Applegate et al. 2021; reflected Halpern as in
//           cuPDLPx) on PETSc's distributed Mat/Vec over the face LP, never gathering it: a presolve
//           (dominated duplicate columns fixed at 0, doubleton equalities aggregated), Ruiz and
//           Pock-Chambolle scaling, one global step 0.995/‖Ã‖_2, primal weight and adaptive restarts;
//           primal/dual residuals and the duality gap of the unscaled LP are its stopping test.
#pragma once

#include <mpi.h>

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "lpnn/solve/lp.hpp"
#include "lpnn/solve/reduced_lp.hpp"
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
  double dual_residual = 0.0;    // ||(c - Aᵀy)⁻ on columns without finite upper bound||_2 / (1 + ||c||_2)
  double gap = 0.0;              // |cᵀx - d| / (1 + |cᵀx| + |d|), d = bᵀy + Σ_j u_j·min(0, (c - Aᵀy)_j)
  // PDHG's presolve (-1: the step did not run): dominated duplicate columns fixed at 0, and doubleton
  // equalities aggregated (each removes a row and a column).
  std::int64_t duplicates_fixed = -1, doubletons_aggregated = -1;
  nlohmann::json to_json() const;
};

// Rank 0 only. Throws lpnn::Error if the LP has more than 2^31-1 nonzeros (Clp's CoinBigIndex).
LpSolution solve_with_clp(const LinearProgram& lp, double tolerance = 1e-9);

enum class PdhgScaling { RuizPockChambolle, PockChambolle, Ruiz, None };
// Restart measure: Kkt, the ω-weighted KKT error; FixedPoint, ‖z − T(z)‖ in PDHG's metric (cuPDLPx).
enum class PdhgRestart { Kkt, None, FixedPoint };

// The vector work of a step: Fused, one pass over the local columns and one over the rows (host arrays);
// Vec, PETSc Vec operations only (for device-resident Vec types; slower on the host).
enum class PdhgKernels { Fused, Vec };

struct PdhgOptions {
  double tolerance = 1e-6;  // relative residuals and gap, see LpSolution
  std::int64_t max_iterations = 200000;
  std::int64_t check_every = 16;  // residuals and restart test frequency (a check costs ~1.5 iterations)
  bool verbose = false;           // rank 0 prints the residual history to stderr
  PdhgScaling scaling = PdhgScaling::RuizPockChambolle;
  int ruiz_passes = 10;
  PdhgRestart restart = PdhgRestart::Kkt;
  bool primal_weight = true;  // re-balance ω at restarts (smoothing 1/2); off: ω stays ‖c̃‖/‖b̃‖
  bool halpern = true;        // reflected Halpern iteration; off: plain PDHG with averaging
  bool presolve = true;       // fix dominated duplicate columns at 0 (a penalty face's off-face λ) first
  bool aggregate = true;      // then substitute x_k = α x_j for doubleton rows a_j x_j + a_k x_k = 0
  double step = 0.995;        // η = step/‖Ã‖_2, in (0, 1)
  double reflection = 1.0;    // Halpern's γ in [0, 1]: z ← w((1 + γ)T(z) − γz) + (1 − w)z₀
  PdhgKernels kernels = PdhgKernels::Fused;
  // PDLP's adaptive step (plain PDHG only, halpern = false): a trial step is accepted when η ≤
  // ‖Δz‖²_ω/(2|ΔyᵀÃΔx|), else retried smaller; `iterations` then counts the rejected trials too.
  bool adaptive_step = false;

  // PETSc's options database over these values (called after the command line's own flags, so that
  // the database wins as PETSc's *SetFromOptions do): -lpnn_pdhg_tolerance, -lpnn_pdhg_max_it,
  // -lpnn_pdhg_check_every, -lpnn_pdhg_verbose, -lpnn_pdhg_scaling ruiz_pc|pc|ruiz|none,
  // -lpnn_pdhg_ruiz_passes, -lpnn_pdhg_restart kkt|none|fpr, -lpnn_pdhg_primal_weight 0|1,
  // -lpnn_pdhg_halpern 0|1, -lpnn_pdhg_presolve 0|1, -lpnn_pdhg_aggregate 0|1, -lpnn_pdhg_step,
  // -lpnn_pdhg_reflection, -lpnn_pdhg_kernels fused|vec, -lpnn_pdhg_adaptive_step 0|1. Throws
  // lpnn::Error for a malformed value.
  void set_from_options();
};

// Collective on the face's communicator. Rescales the face in place (it is consumed). `keep`: how many
// leading columns of the full LP's x to return (gathered on every rank).
LpSolution solve_with_pdhg(ReducedLp& face, const PdhgOptions& options, std::int64_t keep);

// The same on a full LP (lower 0, upper entries 0 or +inf or finite): its face (make_reduced_lp) is built
// first, so A, b, c and upper are left untouched.
LpSolution solve_with_pdhg(Mat A, Vec b, Vec c, Vec upper, const PdhgOptions& options, std::int64_t keep);

}  // namespace lpnn
