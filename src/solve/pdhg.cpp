// Restarted PDHG for  min cᵀx  s.t.  Ax = b, 0 ≤ x ≤ u  on the face LP (free columns only), on PETSc's
// distributed Mat/Vec. On the rescaled LP (pdhg_scaling.hpp) with one global step η = 0.995/‖Ã‖_2
// (-lpnn_pdhg_step; the power iteration's estimate of ‖Ã‖_2, from below, has settled to a relative change
// of 1e-6; should it still fall short by more than the 0.5% margin, PDHG fails to converge, never reports
// a wrong optimum, since only the residuals stop it) and the primal weight ω (τ = η/ω, σ = ηω, so τσ‖Ã‖² < 1), the PDHG
// operator T(x, y) = (x⁺, y⁺) is
//   x⁺ = clamp(x − τ(c̃ − Ãᵀy), 0, ũ),   y⁺ = y + σ(b̃ − Ã(2x⁺ − x)).
// Halpern (default; reflected, as cuPDLPx): z_{k+1} = (k+1)/(k+2)·((1+γ)T(z_k) − γz_k) + 1/(k+2)·z_0 with
// γ = 1 (-lpnn_pdhg_reflection), the anchor z_0 the last restart point; the candidate checked is T(z_k),
// which satisfies the bounds. Otherwise z_{k+1} = T(z_k) and the candidate is the better (KKT error) of z
// and the average since the last restart (PDLP). Restarts (PDLP's rule on a measure: the ω-weighted KKT
// error of the scaled LP, or with -lpnn_pdhg_restart fpr the fixed-point residual ‖z − T(z)‖_P as
// cuPDLPx): sufficient decay 0.2, necessary 0.8 with no progress, artificial after 0.36 of all
// iterations; ω is re-balanced there, ω ← exp(½ log(‖Δy‖/‖Δx‖) + ½ log ω). Stopping: relative residuals
// of the unscaled LP. Before all this, dominated duplicate columns are fixed at 0 (pdhg_presolve.hpp) and doubleton
// equalities aggregated (pdhg_aggregate.hpp: a bounds face becomes the simplex over the grid); the
// vector work of a step is two fused passes (pdhg_kernels.hpp) and Ãᵀ is stored, so a step is two
// MatMults and two passes.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <optional>
#include <utility>

#include "lpnn/solve/solver.hpp"
#include "lpnn/util/error.hpp"
#include "lpnn/util/mpi.hpp"
#include "pdhg_aggregate.hpp"
#include "pdhg_kernels.hpp"
#include "pdhg_presolve.hpp"
#include "pdhg_scaling.hpp"

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

struct Residuals {
  double primal = 0, dual = 0, gap = 0;  // relative, of the unscaled LP
  double objective = 0;
  double kkt = 0;  // √(ω²‖Ãx̃ − b̃‖² + ‖(c̃ − Ãᵀỹ)⁻‖²/ω² + gap²): the restart measure, scaled LP
  bool finite() const {
    return std::isfinite(primal) && std::isfinite(dual) && std::isfinite(gap) && std::isfinite(kkt);
  }
  bool within(double tolerance) const { return primal <= tolerance && dual <= tolerance && gap <= tolerance; }
};

// A point with its products: (x, y, Ãx, Ãᵀy).
struct Point {
  Vec x, y, ax, aty;
};

class Pdhg {
 public:
  // dual_weight: per column, the weight of its term in the dual residual (presolve's multiplicities), or null.
  Pdhg(ReducedLp& face, const PdhgOptions& options, Vec dual_weight = nullptr)
      : face_(face), options_(options), dual_weight_(dual_weight) {
    LPNN_PETSC(VecNorm(face.b, NORM_2, &b_norm_));
    LPNN_PETSC(VecNorm(face.c, NORM_2, &c_norm_));
    if (face.reference_cost_norm >= 0) c_norm_ = face.reference_cost_norm;
    pdhg::rescale(face.A, face.b, face.c, face.upper, options.scaling, options.ruiz_passes, row_scale_, col_scale_);
    // Ãᵀ stored explicitly: Ãᵀy is then a row-oriented MatMult (a streamed pass with the same scatter as
    // Ãx) instead of MatMultTranspose's scattered writes and reverse communication.
    LPNN_PETSC(MatTranspose(face.A, MAT_INITIAL_MATRIX, at_.out()));
    const double norm = pdhg::spectral_norm(face.A);
    eta_ = norm > 0 ? options.step / norm : 1.0;
    double b_scaled = 0, c_scaled = 0;
    LPNN_PETSC(VecNorm(face.b, NORM_2, &b_scaled));
    LPNN_PETSC(VecNorm(face.c, NORM_2, &c_scaled));
    omega_ = (b_scaled > 1e-10 && c_scaled > 1e-10) ? c_scaled / b_scaled : 1.0;
    for (OwnedVec* v : {&x_, &x0_, &xt_, &xa_, &v_, &aty_, &atyt_, &atya_, &x_sum_, &x_out_, &work_c_, &zero_})
      LPNN_PETSC(VecDuplicate(face.c, v->out()));
    for (OwnedVec* v : {&y_, &y0_, &yt_, &ya_, &av_, &axt_, &axa_, &y_sum_, &y_out_, &work_r_, &dy_, &ax_})
      LPNN_PETSC(VecDuplicate(face.b, v->out()));
  }

  LpSolution run();
  // The returned iterate of the unscaled LP: x = D_c x̃.
  Vec unscaled_solution() {
    LPNN_PETSC(VecPointwiseMult(x_out_, x_out_, col_scale_));
    return x_out_;
  }

 private:
  double step(bool keep);
  double adaptive_step(std::int64_t k);
  double fixed_point_residual(double dx2);
  Residuals evaluate(const Point& p);
  void average_into(const Point& out);
  void restart_at(const Point& p);
  void start();

  ReducedLp& face_;
  const PdhgOptions& options_;
  Vec dual_weight_;
  OwnedMat at_;  // Ãᵀ
  OwnedVec row_scale_, col_scale_;
  OwnedVec x_, x0_, xt_, xa_, v_, aty_, atyt_, atya_, x_sum_, x_out_, work_c_, zero_;  // v_ = 2x⁺ − x
  OwnedVec y_, y0_, yt_, ya_, av_, axt_, axa_, y_sum_, y_out_, work_r_, dy_, ax_;  // av_ = Ãv, ax_ = Ãx (adaptive)
  double b_norm_ = 0, c_norm_ = 0, eta_ = 1, omega_ = 1;
  std::int64_t since_restart_ = 0;  // steps since the last restart: Halpern's k and the average's count
  double weight_sum_ = 0;           // the average's total weight (1 a step; η a step with adaptive steps)
  std::int64_t rejected_ = 0;       // adaptive trials thrown away (each cost a step)
};

// One step from z = (x, y) with cached Ãᵀy: T(z) = (x⁺, y⁺), then z ← the Halpern mix w(2T(z) − z) +
// (1 − w)z₀, w = (k+1)/(k+2), or z ← T(z) (kernels in pdhg_kernels.hpp). Two products: Ã(2x⁺ − x) and
// Ãᵀy. keep: T(z) itself to (xt, yt) for the check that follows (Halpern), y⁺ − y to dy_; returns this
// rank's ‖x⁺ − x‖² then (else 0).
double Pdhg::step(bool keep) {
  const double tau = eta_ / omega_, sigma = eta_ * omega_;
  const pdhg::Move move{options_.halpern,
                        static_cast<double>(since_restart_ + 1) / static_cast<double>(since_restart_ + 2), keep,
                        options_.reflection};
  const pdhg::PrimalVecs primal{face_.c, aty_, face_.upper, x0_, xt_, x_, v_, x_sum_};
  const pdhg::DualVecs dual{face_.b, av_, y0_, yt_, y_, y_sum_, dy_};
  const bool fused = options_.kernels == PdhgKernels::Fused;
  const double dx2 =
      fused ? pdhg::primal_half(tau, move, primal) : pdhg::primal_half_vec(tau, move, primal, work_c_, zero_);
  LPNN_PETSC(MatMult(face_.A, v_, av_));
  if (fused)
    pdhg::dual_half(sigma, move, dual);
  else
    pdhg::dual_half_vec(sigma, move, dual, work_r_);
  LPNN_PETSC(MatMult(at_, y_, aty_));
  ++since_restart_;
  weight_sum_ += 1.0;
  return dx2;
}

// PDLP's adaptive step (plain PDHG): the trial T_η(z) is accepted when η ≤ η̄ = ‖Δz‖²_ω / (2|ΔyᵀÃΔx|) with
// ‖Δz‖²_ω = ω‖Δx‖² + ‖Δy‖²/ω, and either way the next trial takes η ← min((1 − (k+1)^−0.3)η̄, (1 + (k+1)^−0.6)η),
// k the number of trials so far + 1. Ãx is carried along (Ãx⁺ = (Ã(2x⁺ − x) + Ãx)/2) for ÃΔx; the
// average weights each step by its η. Vec operations throughout. Returns this rank's ‖Δx‖² of the
// accepted step; rejected_ counts the trials thrown away (after 64 in a row the trial is taken: the
// residuals, not the step rule, decide when to stop).
double Pdhg::adaptive_step(std::int64_t accepted) {
  for (int tries = 0;; ++tries) {
    const double tau = eta_ / omega_, sigma = eta_ * omega_;
    LPNN_PETSC(VecWAXPY(work_c_, -1.0, aty_, face_.c));
    LPNN_PETSC(VecWAXPY(xt_, -tau, work_c_, x_));
    LPNN_PETSC(VecPointwiseMax(xt_, xt_, zero_));
    LPNN_PETSC(VecPointwiseMin(xt_, xt_, face_.upper));
    LPNN_PETSC(VecAXPBYPCZ(v_, 2.0, -1.0, 0.0, xt_, x_));
    LPNN_PETSC(MatMult(face_.A, v_, av_));
    LPNN_PETSC(VecWAXPY(work_r_, -1.0, av_, face_.b));
    LPNN_PETSC(VecWAXPY(yt_, sigma, work_r_, y_));
    LPNN_PETSC(VecWAXPY(work_c_, -1.0, x_, xt_));   // Δx
    LPNN_PETSC(VecWAXPY(dy_, -1.0, y_, yt_));       // Δy
    LPNN_PETSC(VecWAXPY(work_r_, -1.0, ax_, av_));  // Ã(2x⁺ − x) − Ãx = 2ÃΔx
    double dx = 0, dy = 0, cross2 = 0;
    LPNN_PETSC(VecNorm(work_c_, NORM_2, &dx));
    LPNN_PETSC(VecNorm(dy_, NORM_2, &dy));
    LPNN_PETSC(VecDot(dy_, work_r_, &cross2));
    const double k = static_cast<double>(accepted + rejected_ + 1);
    const double limit = cross2 != 0.0 ? (omega_ * dx * dx + dy * dy / omega_) / std::fabs(cross2) : INFINITY;
    const bool accept = eta_ <= limit || tries == 64;
    const double step_taken = eta_;
    eta_ = std::min((1.0 - std::pow(k + 1.0, -0.3)) * limit, (1.0 + std::pow(k + 1.0, -0.6)) * eta_);
    if (!accept) {
      ++rejected_;
      continue;
    }
    LPNN_PETSC(VecAXPBY(ax_, 0.5, 0.5, av_));
    LPNN_PETSC(VecCopy(xt_, x_));
    LPNN_PETSC(VecCopy(yt_, y_));
    LPNN_PETSC(MatMult(at_, y_, aty_));
    LPNN_PETSC(VecAXPY(x_sum_, step_taken, x_));
    LPNN_PETSC(VecAXPY(y_sum_, step_taken, y_));
    weight_sum_ += step_taken;
    ++since_restart_;
    double local = 0;  // fixed_point_residual sums the ranks' shares
    const PetscInt n = pdhg::local_size(work_c_);
    pdhg::ReadArray d(work_c_);
    for (PetscInt j = 0; j < n; ++j) local += d[j] * d[j];
    return local;
  }
}

// The fixed-point residual ‖z − T(z)‖_P of the step just taken, in PDHG's own metric
//   ‖(Δx, Δy)‖_P² = ‖Δx‖²/τ + ‖Δy‖²/σ − 2ΔyᵀÃΔx = (ω‖Δx‖² + ‖Δy‖²/ω)/η − 2ΔyᵀÃΔx,
// positive definite since τσ‖Ã‖² < 1; Halpern's O(1/k) rate is on this quantity. Needs Ãx⁺ in axt_.
double Pdhg::fixed_point_residual(double dx2) {
  double sums[3] = {dx2, 0.0, 0.0};
  pdhg::fixed_point_sums(dy_, av_, axt_, sums[1], sums[2]);
  LPNN_MPI(MPI_Allreduce(MPI_IN_PLACE, sums, 3, MPI_DOUBLE, MPI_SUM,
                         PetscObjectComm(reinterpret_cast<PetscObject>(face_.A.get()))));
  const double r2 = (omega_ * sums[0] + sums[1] / omega_) / eta_ - 2.0 * sums[2];
  return std::sqrt(std::max(r2, 0.0));
}

// Residuals of p (its products given), reported on the unscaled LP: Ax − b = D_r⁻¹(Ãx̃ − b̃),
// c − Aᵀy = D_c⁻¹(c̃ − Ãᵀỹ), and the objectives are invariant. One reduction of 7 sums.
Residuals Pdhg::evaluate(const Point& p) {
  const pdhg::ResidualSums local = pdhg::local_residual_sums(
      {p.ax, face_.b, p.y, row_scale_}, {p.aty, face_.c, p.x, col_scale_, face_.upper, dual_weight_});
  double sums[7] = {local.primal_scaled2, local.primal2, local.dual_scaled2, local.dual2, local.cx, local.by, local.uy};
  LPNN_MPI(MPI_Allreduce(MPI_IN_PLACE, sums, 7, MPI_DOUBLE, MPI_SUM,
                         PetscObjectComm(reinterpret_cast<PetscObject>(face_.A.get()))));
  const double primal_scaled = std::sqrt(sums[0]), primal = std::sqrt(sums[1]), dual_scaled = std::sqrt(sums[2]),
               dual = std::sqrt(sums[3]), cx = sums[4], dual_objective = sums[5] + sums[6];
  const double gap = std::fabs(cx - dual_objective);
  Residuals r;
  r.objective = cx;
  r.primal = primal / (1.0 + b_norm_);
  r.dual = dual / (1.0 + c_norm_);
  r.gap = gap / (1.0 + std::fabs(cx) + std::fabs(dual_objective));
  r.kkt = std::sqrt(omega_ * omega_ * primal_scaled * primal_scaled + dual_scaled * dual_scaled / (omega_ * omega_) +
                    gap * gap);
  return r;
}

// The average of the iterates since the last restart, with its products.
void Pdhg::average_into(const Point& out) {
  const double w = weight_sum_ > 0 ? 1.0 / weight_sum_ : 1.0;
  LPNN_PETSC(VecAXPBY(out.x, w, 0.0, x_sum_));
  LPNN_PETSC(VecAXPBY(out.y, w, 0.0, y_sum_));
  LPNN_PETSC(MatMult(face_.A, out.x, out.ax));
  LPNN_PETSC(MatMult(at_, out.y, out.aty));
}

// Continue from p: ω re-balanced on the move since the last restart, p the new anchor, average reset.
void Pdhg::restart_at(const Point& p) {
  if (p.x != x_.get()) {
    LPNN_PETSC(VecCopy(p.x, x_));
    LPNN_PETSC(VecCopy(p.y, y_));
    LPNN_PETSC(VecCopy(p.aty, aty_));
  }
  if (options_.adaptive_step) LPNN_PETSC(MatMult(face_.A, x_, ax_));
  if (options_.primal_weight) {
    double dx = 0, dy = 0;
    LPNN_PETSC(VecWAXPY(work_c_, -1.0, x0_, x_));
    LPNN_PETSC(VecNorm(work_c_, NORM_2, &dx));
    LPNN_PETSC(VecWAXPY(work_r_, -1.0, y0_, y_));
    LPNN_PETSC(VecNorm(work_r_, NORM_2, &dy));
    if (dx > 1e-10 && dy > 1e-10) omega_ = std::exp(0.5 * std::log(dy / dx) + 0.5 * std::log(omega_));
  }
  start();
}

// The current z becomes the anchor z₀; the average starts over.
void Pdhg::start() {
  LPNN_PETSC(VecCopy(x_, x0_));
  LPNN_PETSC(VecCopy(y_, y0_));
  LPNN_PETSC(VecSet(x_sum_, 0.0));
  LPNN_PETSC(VecSet(y_sum_, 0.0));
  since_restart_ = 0;
  weight_sum_ = 0;
}

LpSolution Pdhg::run() {
  int rank = 0;
  LPNN_MPI(MPI_Comm_rank(PetscObjectComm(reinterpret_cast<PetscObject>(face_.A.get())), &rank));
  const PetscLogEvent event = pdhg_event();
  for (Vec v : {x_.get(), y_.get(), axt_.get(), aty_.get(), zero_.get(), ax_.get()}) LPNN_PETSC(VecSet(v, 0.0));
  start();
  // Invariant: (x_out_, y_out_) is the iterate `reported` describes (x = y = 0 before any check).
  Residuals reported = evaluate({x_, y_, axt_, aty_});
  LPNN_PETSC(VecCopy(x_, x_out_));
  LPNN_PETSC(VecCopy(y_, y_out_));
  // The restart measure: the KKT error, or the fixed-point residual (known from the first check on).
  const bool on_fpr = options_.restart == PdhgRestart::FixedPoint;
  double measure_last_restart = on_fpr ? INFINITY : reported.kkt, measure_previous = INFINITY;
  std::int64_t iteration = 0;
  std::string status = "iteration limit";
  bool converged = false;
  while (iteration < options_.max_iterations) {
    LPNN_PETSC(PetscLogEventBegin(event, 0, 0, 0, 0));
    const bool check = (iteration + 1) % options_.check_every == 0 || iteration + 1 == options_.max_iterations;
    const double dx2 = options_.adaptive_step ? adaptive_step(iteration) : step(check);
    LPNN_PETSC(PetscLogEventEnd(event, 0, 0, 0, 0));
    ++iteration;
    if (!check) continue;
    Point candidate{x_, y_, axt_, aty_};
    Residuals r;
    if (options_.halpern) {  // T(z), which satisfies the bounds (z itself need not), with its products
      LPNN_PETSC(MatMult(face_.A, xt_, axt_));
      LPNN_PETSC(MatMult(at_, yt_, atyt_));
      candidate = {xt_, yt_, axt_, atyt_};
      r = evaluate(candidate);
    } else {
      LPNN_PETSC(MatMult(face_.A, x_, axt_));
      r = evaluate(candidate);
      const Point average{xa_, ya_, axa_, atya_};
      average_into(average);
      const Residuals ra = evaluate(average);
      if (ra.finite() && ra.kkt < r.kkt) {
        candidate = average;
        r = ra;
      }
    }
    if (!r.finite()) {  // keep the last finite candidate as the answer
      status = "diverged (non-finite residuals)";
      break;
    }
    reported = r;
    LPNN_PETSC(VecCopy(candidate.x, x_out_));
    LPNN_PETSC(VecCopy(candidate.y, y_out_));
    const double measure = on_fpr ? fixed_point_residual(dx2) : r.kkt;
    if (options_.verbose && rank == 0)
      std::fprintf(stderr, "[pdhg] it %lld  primal %.3e  dual %.3e  gap %.3e  obj %.10g  omega %.3g  measure %.3e\n",
                   static_cast<long long>(iteration), r.primal, r.dual, r.gap, r.objective, omega_, measure);
    if (r.within(options_.tolerance)) {
      converged = true;
      status = "optimal (within tolerance)";
      break;
    }
    if (!std::isfinite(measure_last_restart)) measure_last_restart = measure;  // the first check (fpr)
    const bool restart = options_.restart != PdhgRestart::None &&
                         (measure <= 0.2 * measure_last_restart ||
                          (measure <= 0.8 * measure_last_restart && measure > measure_previous) ||
                          static_cast<double>(since_restart_) >= 0.36 * static_cast<double>(iteration));
    measure_previous = measure;
    if (restart) {
      restart_at(candidate);
      measure_last_restart = measure;
      measure_previous = INFINITY;
    }
  }
  LpSolution solution;
  solution.optimal = converged;
  solution.status = status;
  solution.iterations = iteration + rejected_;
  solution.objective = reported.objective;
  solution.primal_residual = reported.primal;
  solution.dual_residual = reported.dual;
  solution.gap = reported.gap;
  return solution;
}

}  // namespace

void PdhgOptions::set_from_options() {
  PetscReal t = tolerance, step_factor = step, gamma = reflection;
  PetscInt it = static_cast<PetscInt>(max_iterations), every = static_cast<PetscInt>(check_every), passes = ruiz_passes;
  PetscBool v = verbose ? PETSC_TRUE : PETSC_FALSE, weight = primal_weight ? PETSC_TRUE : PETSC_FALSE,
            halp = halpern ? PETSC_TRUE : PETSC_FALSE, pre = presolve ? PETSC_TRUE : PETSC_FALSE,
            agg = aggregate ? PETSC_TRUE : PETSC_FALSE, adaptive = adaptive_step ? PETSC_TRUE : PETSC_FALSE;
  LPNN_PETSC(PetscOptionsGetReal(nullptr, "lpnn_", "-pdhg_tolerance", &t, nullptr));
  LPNN_PETSC(PetscOptionsGetInt(nullptr, "lpnn_", "-pdhg_max_it", &it, nullptr));
  LPNN_PETSC(PetscOptionsGetInt(nullptr, "lpnn_", "-pdhg_check_every", &every, nullptr));
  LPNN_PETSC(PetscOptionsGetBool(nullptr, "lpnn_", "-pdhg_verbose", &v, nullptr));
  LPNN_PETSC(PetscOptionsGetInt(nullptr, "lpnn_", "-pdhg_ruiz_passes", &passes, nullptr));
  LPNN_PETSC(PetscOptionsGetBool(nullptr, "lpnn_", "-pdhg_primal_weight", &weight, nullptr));
  LPNN_PETSC(PetscOptionsGetBool(nullptr, "lpnn_", "-pdhg_halpern", &halp, nullptr));
  LPNN_PETSC(PetscOptionsGetBool(nullptr, "lpnn_", "-pdhg_presolve", &pre, nullptr));
  LPNN_PETSC(PetscOptionsGetBool(nullptr, "lpnn_", "-pdhg_aggregate", &agg, nullptr));
  LPNN_PETSC(PetscOptionsGetBool(nullptr, "lpnn_", "-pdhg_adaptive_step", &adaptive, nullptr));
  LPNN_PETSC(PetscOptionsGetReal(nullptr, "lpnn_", "-pdhg_step", &step_factor, nullptr));
  LPNN_PETSC(PetscOptionsGetReal(nullptr, "lpnn_", "-pdhg_reflection", &gamma, nullptr));
  const char* scalings[] = {"ruiz_pc", "pc", "ruiz", "none"};
  const char* restarts[] = {"kkt", "none", "fpr"};
  const char* kernel_names[] = {"fused", "vec"};
  PetscInt kernel_index = static_cast<PetscInt>(kernels);
  LPNN_PETSC(PetscOptionsGetEList(nullptr, "lpnn_", "-pdhg_kernels", kernel_names, 2, &kernel_index, nullptr));
  kernels = static_cast<PdhgKernels>(kernel_index);
  PetscInt scaling_index = static_cast<PetscInt>(scaling), restart_index = static_cast<PetscInt>(restart);
  LPNN_PETSC(PetscOptionsGetEList(nullptr, "lpnn_", "-pdhg_scaling", scalings, 4, &scaling_index, nullptr));
  LPNN_PETSC(PetscOptionsGetEList(nullptr, "lpnn_", "-pdhg_restart", restarts, 3, &restart_index, nullptr));
  tolerance = t;
  step = step_factor;
  reflection = gamma;
  max_iterations = it;
  check_every = every;
  verbose = v == PETSC_TRUE;
  ruiz_passes = static_cast<int>(passes);
  primal_weight = weight == PETSC_TRUE;
  halpern = halp == PETSC_TRUE;
  presolve = pre == PETSC_TRUE;
  aggregate = agg == PETSC_TRUE;
  adaptive_step = adaptive == PETSC_TRUE;
  scaling = static_cast<PdhgScaling>(scaling_index);
  restart = static_cast<PdhgRestart>(restart_index);
}

LpSolution solve_with_pdhg(ReducedLp& face, const PdhgOptions& options, std::int64_t keep) {
  if (options.tolerance <= 0) fail("the PDHG tolerance must be positive, got {}", options.tolerance);
  if (options.check_every < 1) fail("the PDHG check interval must be at least 1");
  if (options.ruiz_passes < 0) fail("the number of Ruiz passes must not be negative");
  if (!(options.step > 0 && options.step < 1)) fail("the PDHG step factor must lie in (0, 1), got {}", options.step);
  if (options.adaptive_step && options.halpern)
    fail("PDLP's adaptive steps are for plain PDHG: with -lpnn_pdhg_adaptive_step 1 also give -lpnn_pdhg_halpern 0");
  if (!(options.reflection >= 0 && options.reflection <= 1))
    fail("the Halpern reflection must lie in [0, 1], got {}", options.reflection);
  const auto clock = std::chrono::steady_clock::now();  // the solve's seconds include presolve and scaling
  // The presolve steps, each consuming the LP before it; x is mapped back through them in reverse.
  std::optional<pdhg::Presolved> duplicates;
  std::optional<pdhg::Aggregated> aggregated;
  ReducedLp* lp = &face;
  Vec weight = nullptr;
  int rank = 0;
  LPNN_MPI(MPI_Comm_rank(PetscObjectComm(reinterpret_cast<PetscObject>(face.c.get())), &rank));
  const bool say = options.verbose && rank == 0;
  if (options.presolve) {
    duplicates = pdhg::drop_dominated_duplicates(face);
    lp = &duplicates->lp;
    weight = duplicates->multiplicity;
    if (say)
      std::fprintf(stderr, "[pdhg] presolve: %lld dominated duplicate columns fixed at 0\n",
                   static_cast<long long>(duplicates->dropped));
  }
  if (options.aggregate) {
    aggregated = pdhg::aggregate_doubletons(*lp, weight);
    lp = &aggregated->lp;
    weight = aggregated->multiplicity;
    if (say)
      std::fprintf(stderr, "[pdhg] presolve: %lld doubleton equalities aggregated\n",
                   static_cast<long long>(aggregated->eliminated));
  }
  Pdhg solver(*lp, options, weight);
  LpSolution solution = solver.run();
  Vec x = solver.unscaled_solution();
  OwnedVec before_aggregation, before_duplicates;
  if (aggregated && aggregated->P) {  // x = P z
    LPNN_PETSC(MatCreateVecs(aggregated->P, nullptr, before_aggregation.out()));
    LPNN_PETSC(MatMult(aggregated->P, x, before_aggregation));
    x = before_aggregation;
  }
  if (duplicates) {  // the dropped columns at 0
    LPNN_PETSC(VecDuplicate(face.c, before_duplicates.out()));
    LPNN_PETSC(VecSet(before_duplicates, 0.0));
    LPNN_PETSC(VecISCopy(before_duplicates, duplicates->kept, SCATTER_FORWARD, x));
    x = before_duplicates;
  }
  solution.x = face.leading_columns(x, keep);
  if (duplicates) solution.duplicates_fixed = duplicates->dropped;
  if (aggregated) solution.doubletons_aggregated = aggregated->eliminated;
  solution.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - clock).count();
  return solution;
}

LpSolution solve_with_pdhg(Mat A, Vec b, Vec c, Vec upper, const PdhgOptions& options, std::int64_t keep) {
  ReducedLp face = make_reduced_lp(A, b, c, upper);
  return solve_with_pdhg(face, options, keep);
}

}  // namespace lpnn
