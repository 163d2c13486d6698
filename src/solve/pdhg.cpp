// Restarted PDHG for  min cᵀx  s.t.  Ax = b, 0 ≤ x ≤ u, on PETSc's distributed Mat/Vec.
//   x⁺ = clamp(x − T(c − Aᵀy), 0, u),   y⁺ = y + Σ(b − A(2x⁺ − x))
// T = diag(τ_j/ω), Σ = diag(σ_i·ω) with τ_j = 1/Σ_i|a_ij|, σ_i = 1/Σ_j|a_ij| (Pock-Chambolle, α = 1:
// convergent without a norm estimate) and ω the primal weight. Adaptive restarts to the better of the
// current and the average iterate, as in PDLP; ω is re-balanced at each restart.
#include <chrono>
#include <cmath>
#include <cstdio>

#include "lpnn/solve/solver.hpp"
#include "lpnn/util/error.hpp"
#include "lpnn/util/mpi.hpp"

namespace lpnn {

namespace {

// One log event per kernel so that -log_view attributes the solve.
PetscLogEvent pdhg_event() {
  static PetscLogEvent event = -1;
  if (event < 0) {
    PetscClassId id;
    LPNN_PETSC(PetscClassIdRegister("lpnn PDHG", &id));
    LPNN_PETSC(PetscLogEventRegister("lpnnPdhgIter", id, &event));
  }
  return event;
}

void absolute_values(Mat seq) {
  MatInfo info;
  LPNN_PETSC(MatGetInfo(seq, MAT_LOCAL, &info));
  PetscScalar* v = nullptr;
  LPNN_PETSC(MatSeqAIJGetArray(seq, &v));
  for (PetscInt k = 0; k < static_cast<PetscInt>(info.nz_used); ++k) v[k] = std::fabs(v[k]);
  LPNN_PETSC(MatSeqAIJRestoreArray(seq, &v));
}

// Row sums of |A| over the columns that can move (upper > 0) and column sums of |A|, through a copy of A
// with absolute values. Columns fixed at 0 (the face's off-face λ in bounds mode) never leave 0, so the
// iteration is PDHG on the LP without them, and Pock-Chambolle's σ_i must count only the others: with
// them, σ is smaller by up to K_x^n·K_y^m on the convexity rows and PDHG needs many more iterations.
void absolute_sums(Mat A, Vec upper, Vec row_sums, Vec col_sums) {
  OwnedMat abs_a;
  LPNN_PETSC(MatDuplicate(A, MAT_COPY_VALUES, abs_a.out()));
  PetscBool is_mpi = PETSC_FALSE;
  LPNN_PETSC(PetscObjectTypeCompare(reinterpret_cast<PetscObject>(A), MATMPIAIJ, &is_mpi));
  if (is_mpi) {
    Mat diag, off;
    const PetscInt* colmap;
    LPNN_PETSC(MatMPIAIJGetSeqAIJ(abs_a, &diag, &off, &colmap));
    absolute_values(diag);
    absolute_values(off);
  } else {
    absolute_values(abs_a);
  }
  OwnedVec ones_cols, ones_rows;
  LPNN_PETSC(VecDuplicate(col_sums, ones_cols.out()));
  LPNN_PETSC(VecDuplicate(row_sums, ones_rows.out()));
  {
    PetscScalar* a;
    const PetscScalar* u;
    PetscInt n;
    LPNN_PETSC(VecGetLocalSize(ones_cols, &n));
    LPNN_PETSC(VecGetArray(ones_cols, &a));
    LPNN_PETSC(VecGetArrayRead(upper, &u));
    for (PetscInt j = 0; j < n; ++j) a[j] = u[j] > 0 ? 1.0 : 0.0;
    LPNN_PETSC(VecRestoreArray(ones_cols, &a));
    LPNN_PETSC(VecRestoreArrayRead(upper, &u));
  }
  LPNN_PETSC(VecSet(ones_rows, 1.0));
  LPNN_PETSC(MatMult(abs_a, ones_cols, row_sums));
  LPNN_PETSC(MatMultTranspose(abs_a, ones_rows, col_sums));
}

void invert_or_one(Vec v) {
  PetscScalar* a;
  PetscInt n;
  LPNN_PETSC(VecGetLocalSize(v, &n));
  LPNN_PETSC(VecGetArray(v, &a));
  for (PetscInt i = 0; i < n; ++i) a[i] = a[i] > 0 ? 1.0 / a[i] : 1.0;
  LPNN_PETSC(VecRestoreArray(v, &a));
}

struct Residuals {
  double primal = 0, dual = 0, gap = 0;  // relative
  double primal_abs = 0, dual_abs = 0, gap_abs = 0;
  double objective = 0;
  double kkt() const { return std::sqrt(primal_abs * primal_abs + dual_abs * dual_abs + gap_abs * gap_abs); }
};

// The first `keep` entries of x, on every rank.
std::vector<double> leading_entries(Vec x, std::int64_t keep) {
  std::vector<double> out(static_cast<std::size_t>(keep));
  OwnedIS from;
  LPNN_PETSC(ISCreateStride(PETSC_COMM_SELF, static_cast<PetscInt>(keep), 0, 1, from.out()));
  OwnedVec local;
  LPNN_PETSC(VecCreateSeqWithArray(PETSC_COMM_SELF, 1, static_cast<PetscInt>(keep), out.data(), local.out()));
  VecScatter scatter;
  LPNN_PETSC(VecScatterCreate(x, from, local, nullptr, &scatter));
  LPNN_PETSC(VecScatterBegin(scatter, x, local, INSERT_VALUES, SCATTER_FORWARD));
  LPNN_PETSC(VecScatterEnd(scatter, x, local, INSERT_VALUES, SCATTER_FORWARD));
  LPNN_PETSC(VecScatterDestroy(&scatter));
  return out;
}

class Pdhg {
 public:
  Pdhg(Mat A, Vec b, Vec c, Vec upper) : A_(A), b_(b), c_(c), upper_(upper) {
    auto col_vec = [&](OwnedVec& v) { LPNN_PETSC(VecDuplicate(c, v.out())); };
    auto row_vec = [&](OwnedVec& v) { LPNN_PETSC(VecDuplicate(b, v.out())); };
    for (OwnedVec* v : {&x_, &tau_, &x_sum_, &x_last_, &aty_, &work_c_, &work_c2_}) col_vec(*v);
    for (OwnedVec* v : {&y_, &sigma_, &y_sum_, &y_last_, &ax_, &work_r_, &work_r2_}) row_vec(*v);
    absolute_sums(A, upper, sigma_, tau_);
    invert_or_one(sigma_);
    invert_or_one(tau_);
    LPNN_PETSC(VecNorm(b, NORM_2, &b_norm_));
    LPNN_PETSC(VecNorm(c, NORM_2, &c_norm_));
    omega_ = (b_norm_ > 1e-10 && c_norm_ > 1e-10) ? c_norm_ / b_norm_ : 1.0;
  }

  LpSolution run(const PdhgOptions& options) {
    const auto start = std::chrono::steady_clock::now();
    int rank = 0;
    LPNN_MPI(MPI_Comm_rank(PetscObjectComm(reinterpret_cast<PetscObject>(A_)), &rank));
    const PetscLogEvent event = pdhg_event();
    LPNN_PETSC(VecSet(x_, 0.0));
    LPNN_PETSC(VecSet(y_, 0.0));
    LPNN_PETSC(VecSet(ax_, 0.0));
    LPNN_PETSC(VecSet(aty_, 0.0));
    LPNN_PETSC(VecCopy(x_, x_last_));
    LPNN_PETSC(VecCopy(y_, y_last_));
    reset_average();
    double kkt_last_restart = evaluate(x_, y_, nullptr).kkt(), kkt_previous_candidate = INFINITY;
    std::int64_t since_restart = 0, iteration = 0;
    LpSolution solution;
    Residuals best;
    bool converged = false, holding_average = false;
    while (iteration < options.max_iterations && !converged) {
      LPNN_PETSC(PetscLogEventBegin(event, 0, 0, 0, 0));
      step();
      LPNN_PETSC(PetscLogEventEnd(event, 0, 0, 0, 0));
      ++iteration;
      ++since_restart;
      if (iteration % options.check_every != 0 && iteration != options.max_iterations) continue;

      // Candidate: the better of the current and the average iterate.
      const Residuals current = evaluate(x_, y_, ax_);
      average_into(work_c2_, work_r2_);
      const Residuals average = evaluate(work_c2_, work_r2_, nullptr);
      const bool use_average = average.kkt() < current.kkt();
      const Residuals& candidate = use_average ? average : current;
      best = candidate;
      holding_average = use_average;
      if (options.verbose && rank == 0)
        std::fprintf(stderr, "[pdhg] it %lld  primal %.3e  dual %.3e  gap %.3e  obj %.10g  omega %.3g\n",
                     static_cast<long long>(iteration), candidate.primal, candidate.dual, candidate.gap,
                     candidate.objective, omega_);
      if (candidate.primal <= options.tolerance && candidate.dual <= options.tolerance &&
          candidate.gap <= options.tolerance) {
        if (use_average) adopt(work_c2_, work_r2_);
        converged = true;
        break;
      }
      const double k = candidate.kkt();
      const bool restart = k <= 0.2 * kkt_last_restart || (k <= 0.8 * kkt_last_restart && k > kkt_previous_candidate) ||
                           static_cast<double>(since_restart) >= 0.36 * static_cast<double>(iteration);
      kkt_previous_candidate = k;
      if (restart) {
        if (use_average) adopt(work_c2_, work_r2_);
        update_primal_weight();
        LPNN_PETSC(VecCopy(x_, x_last_));
        LPNN_PETSC(VecCopy(y_, y_last_));
        reset_average();
        holding_average = false;
        kkt_last_restart = k;
        kkt_previous_candidate = INFINITY;
        since_restart = 0;
      }
    }
    // The iterate returned is the one whose residuals are reported: at the iteration limit the last
    // candidate may be the average, which no restart adopted yet (work_c2_/work_r2_ still hold it; no
    // step ran since). Without any check (max_iterations = 0) the residuals are those of x = y = 0.
    if (!converged) {
      if (holding_average) adopt(work_c2_, work_r2_);
      best = evaluate(x_, y_, nullptr);
    }
    solution.optimal = converged;
    solution.status = converged ? "optimal (within tolerance)" : "iteration limit";
    solution.iterations = iteration;
    solution.objective = best.objective;
    solution.primal_residual = best.primal;
    solution.dual_residual = best.dual;
    solution.gap = best.gap;
    solution.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return solution;
  }

  Vec solution() const { return x_; }

 private:
  void step() {
    // x⁺ = clamp(x − (τ/ω)(c − Aᵀy), 0, u); the extrapolation below uses the cached A x.
    {
      PetscScalar* x;
      const PetscScalar *c, *aty, *tau, *u;
      PetscInt n;
      LPNN_PETSC(VecGetLocalSize(x_, &n));
      LPNN_PETSC(VecGetArray(x_, &x));
      LPNN_PETSC(VecGetArrayRead(c_, &c));
      LPNN_PETSC(VecGetArrayRead(aty_, &aty));
      LPNN_PETSC(VecGetArrayRead(tau_, &tau));
      LPNN_PETSC(VecGetArrayRead(upper_, &u));
      const double inv_omega = 1.0 / omega_;
      for (PetscInt j = 0; j < n; ++j) {
        const double v = x[j] - tau[j] * inv_omega * (c[j] - aty[j]);
        x[j] = std::min(std::max(v, 0.0), u[j]);
      }
      LPNN_PETSC(VecRestoreArray(x_, &x));
      LPNN_PETSC(VecRestoreArrayRead(c_, &c));
      LPNN_PETSC(VecRestoreArrayRead(aty_, &aty));
      LPNN_PETSC(VecRestoreArrayRead(tau_, &tau));
      LPNN_PETSC(VecRestoreArrayRead(upper_, &u));
    }
    // y⁺ = y + σω(b − (2Ax⁺ − Ax))
    LPNN_PETSC(MatMult(A_, x_, work_r_));  // A x⁺
    {
      PetscScalar* y;
      const PetscScalar *b, *ax_new, *ax_old, *sigma;
      PetscInt m;
      LPNN_PETSC(VecGetLocalSize(y_, &m));
      LPNN_PETSC(VecGetArray(y_, &y));
      LPNN_PETSC(VecGetArrayRead(b_, &b));
      LPNN_PETSC(VecGetArrayRead(work_r_, &ax_new));
      LPNN_PETSC(VecGetArrayRead(ax_, &ax_old));
      LPNN_PETSC(VecGetArrayRead(sigma_, &sigma));
      for (PetscInt i = 0; i < m; ++i) y[i] += sigma[i] * omega_ * (b[i] - (2.0 * ax_new[i] - ax_old[i]));
      LPNN_PETSC(VecRestoreArray(y_, &y));
      LPNN_PETSC(VecRestoreArrayRead(b_, &b));
      LPNN_PETSC(VecRestoreArrayRead(work_r_, &ax_new));
      LPNN_PETSC(VecRestoreArrayRead(ax_, &ax_old));
      LPNN_PETSC(VecRestoreArrayRead(sigma_, &sigma));
    }
    LPNN_PETSC(VecCopy(work_r_, ax_));
    LPNN_PETSC(MatMultTranspose(A_, y_, aty_));
    LPNN_PETSC(VecAXPY(x_sum_, 1.0, x_));
    LPNN_PETSC(VecAXPY(y_sum_, 1.0, y_));
    ++average_count_;
  }

  // Residuals of (x, y). `ax`: A x if already known. Uses work_r_ and work_c_ as scratch.
  Residuals evaluate(Vec x, Vec y, Vec ax) {
    Residuals r;
    if (ax)
      LPNN_PETSC(VecCopy(ax, work_r_));
    else
      LPNN_PETSC(MatMult(A_, x, work_r_));
    LPNN_PETSC(VecAXPY(work_r_, -1.0, b_));
    LPNN_PETSC(VecNorm(work_r_, NORM_2, &r.primal_abs));
    LPNN_PETSC(MatMultTranspose(A_, y, work_c_));  // Aᵀy
    double local[2] = {0, 0};                      // Σ dual residual², and nothing else (objective via VecDot below)
    {
      const PetscScalar *c, *aty, *u;
      PetscInt n;
      LPNN_PETSC(VecGetLocalSize(work_c_, &n));
      LPNN_PETSC(VecGetArrayRead(c_, &c));
      LPNN_PETSC(VecGetArrayRead(work_c_, &aty));
      LPNN_PETSC(VecGetArrayRead(upper_, &u));
      for (PetscInt j = 0; j < n; ++j) {
        const double reduced = c[j] - aty[j];
        // Columns fixed at 0 (u = 0) take any reduced cost; free-above columns need it >= 0.
        if (u[j] > 0 && reduced < 0) local[0] += reduced * reduced;
      }
      LPNN_PETSC(VecRestoreArrayRead(c_, &c));
      LPNN_PETSC(VecRestoreArrayRead(work_c_, &aty));
      LPNN_PETSC(VecRestoreArrayRead(upper_, &u));
    }
    double global[2];
    LPNN_MPI(MPI_Allreduce(local, global, 2, MPI_DOUBLE, MPI_SUM, PetscObjectComm(reinterpret_cast<PetscObject>(A_))));
    r.dual_abs = std::sqrt(global[0]);
    double primal_objective = 0, dual_objective = 0;
    LPNN_PETSC(VecDot(c_, x, &primal_objective));
    LPNN_PETSC(VecDot(b_, y, &dual_objective));
    r.objective = primal_objective;
    r.gap_abs = std::fabs(primal_objective - dual_objective);
    r.primal = r.primal_abs / (1.0 + b_norm_);
    r.dual = r.dual_abs / (1.0 + c_norm_);
    r.gap = r.gap_abs / (1.0 + std::fabs(primal_objective) + std::fabs(dual_objective));
    return r;
  }

  void reset_average() {
    LPNN_PETSC(VecSet(x_sum_, 0.0));
    LPNN_PETSC(VecSet(y_sum_, 0.0));
    average_count_ = 0;
  }

  void average_into(Vec x, Vec y) {
    const double w = average_count_ > 0 ? 1.0 / static_cast<double>(average_count_) : 0.0;
    if (average_count_ == 0) {
      LPNN_PETSC(VecCopy(x_, x));
      LPNN_PETSC(VecCopy(y_, y));
      return;
    }
    LPNN_PETSC(VecAXPBY(x, w, 0.0, x_sum_));
    LPNN_PETSC(VecAXPBY(y, w, 0.0, y_sum_));
  }

  // Continue from (x, y): refresh the cached products.
  void adopt(Vec x, Vec y) {
    LPNN_PETSC(VecCopy(x, x_));
    LPNN_PETSC(VecCopy(y, y_));
    LPNN_PETSC(MatMult(A_, x_, ax_));
    LPNN_PETSC(MatMultTranspose(A_, y_, aty_));
  }

  void update_primal_weight() {
    double dx = 0, dy = 0;
    LPNN_PETSC(VecWAXPY(work_c_, -1.0, x_last_, x_));
    LPNN_PETSC(VecNorm(work_c_, NORM_2, &dx));
    LPNN_PETSC(VecWAXPY(work_r_, -1.0, y_last_, y_));
    LPNN_PETSC(VecNorm(work_r_, NORM_2, &dy));
    if (dx > 1e-10 && dy > 1e-10) omega_ = std::exp(0.5 * std::log(dy / dx) + 0.5 * std::log(omega_));
  }

  Mat A_;
  Vec b_, c_, upper_;
  OwnedVec x_, tau_, x_sum_, x_last_, aty_, work_c_, work_c2_;
  OwnedVec y_, sigma_, y_sum_, y_last_, ax_, work_r_, work_r2_;
  double b_norm_ = 0, c_norm_ = 0, omega_ = 1;
  std::int64_t average_count_ = 0;
};

}  // namespace

void PdhgOptions::set_from_options() {
  PetscReal t = tolerance;
  PetscInt it = static_cast<PetscInt>(max_iterations), every = static_cast<PetscInt>(check_every);
  PetscBool v = verbose ? PETSC_TRUE : PETSC_FALSE;
  LPNN_PETSC(PetscOptionsGetReal(nullptr, "lpnn_", "-pdhg_tolerance", &t, nullptr));
  LPNN_PETSC(PetscOptionsGetInt(nullptr, "lpnn_", "-pdhg_max_it", &it, nullptr));
  LPNN_PETSC(PetscOptionsGetInt(nullptr, "lpnn_", "-pdhg_check_every", &every, nullptr));
  LPNN_PETSC(PetscOptionsGetBool(nullptr, "lpnn_", "-pdhg_verbose", &v, nullptr));
  tolerance = t;
  max_iterations = it;
  check_every = every;
  verbose = v == PETSC_TRUE;
}

LpSolution solve_with_pdhg(Mat A, Vec b, Vec c, Vec upper, const PdhgOptions& options, std::int64_t keep) {
  if (options.tolerance <= 0) fail("the PDHG tolerance must be positive, got {}", options.tolerance);
  if (options.check_every < 1) fail("the PDHG check interval must be at least 1");
  // Columns fixed at 0 (upper = 0: the face's off-face λ) never move: iterate on the others only,
  // a distributed submatrix (MatCreateSubMatrix keeps every rank's own columns on that rank).
  PetscInt first = 0, last = 0;
  LPNN_PETSC(VecGetOwnershipRange(c, &first, &last));
  std::vector<PetscInt> free_columns;
  {
    const PetscScalar* u;
    LPNN_PETSC(VecGetArrayRead(upper, &u));
    for (PetscInt j = first; j < last; ++j)
      if (u[j - first] > 0) free_columns.push_back(j);
    LPNN_PETSC(VecRestoreArrayRead(upper, &u));
  }
  MPI_Comm comm = PetscObjectComm(reinterpret_cast<PetscObject>(A));
  OwnedIS columns, rows;
  LPNN_PETSC(ISCreateGeneral(comm, static_cast<PetscInt>(free_columns.size()), free_columns.data(), PETSC_COPY_VALUES,
                             columns.out()));
  PetscInt row_first = 0, row_last = 0;
  LPNN_PETSC(MatGetOwnershipRange(A, &row_first, &row_last));
  LPNN_PETSC(ISCreateStride(comm, row_last - row_first, row_first, 1, rows.out()));
  OwnedMat reduced;
  LPNN_PETSC(MatCreateSubMatrix(A, rows, columns, MAT_INITIAL_MATRIX, reduced.out()));
  OwnedVec c_free, upper_free;
  LPNN_PETSC(MatCreateVecs(reduced, c_free.out(), nullptr));
  LPNN_PETSC(VecDuplicate(c_free, upper_free.out()));
  LPNN_PETSC(VecISCopy(c, columns, SCATTER_REVERSE, c_free));
  LPNN_PETSC(VecISCopy(upper, columns, SCATTER_REVERSE, upper_free));

  Pdhg solver(reduced, b, c_free, upper_free);
  LpSolution solution = solver.run(options);
  OwnedVec x;
  LPNN_PETSC(VecDuplicate(c, x.out()));
  LPNN_PETSC(VecSet(x, 0.0));
  LPNN_PETSC(VecISCopy(x, columns, SCATTER_FORWARD, solver.solution()));
  solution.x = leading_entries(x, keep);
  return solution;
}

}  // namespace lpnn
