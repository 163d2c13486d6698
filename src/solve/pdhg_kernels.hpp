// PDHG's per-iteration vector work as fused passes over the local arrays, internal to the solver. One
// PDHG step touches each local entry once per half step instead of once per PETSc call (the separate
// VecWAXPY/VecAYPX/VecPointwiseMax/... calls each streamed the whole vector: they cost more than the two
// products on the face LPs). Purely local: no communication; the caller does the products.
#pragma once

#include <petscvec.h>

#include <cmath>

#include "lpnn/util/petsc.hpp"

namespace lpnn::pdhg {

// The local array of a Vec for reading, restored when it goes out of scope.
class ReadArray {
 public:
  explicit ReadArray(Vec v) : v_(v) { LPNN_PETSC(VecGetArrayRead(v_, &a_)); }
  ~ReadArray() { (void)VecRestoreArrayRead(v_, &a_); }
  ReadArray(const ReadArray&) = delete;
  ReadArray& operator=(const ReadArray&) = delete;
  const PetscScalar& operator[](PetscInt i) const { return a_[i]; }

 private:
  Vec v_;
  const PetscScalar* a_ = nullptr;
};

// The local array of a Vec for writing, restored (and the Vec's state bumped) out of scope; nothing for a
// null Vec (an output not wanted this time).
class WriteArray {
 public:
  explicit WriteArray(Vec v) : v_(v) {
    if (v_) LPNN_PETSC(VecGetArray(v_, &a_));
  }
  ~WriteArray() {
    if (v_) (void)VecRestoreArray(v_, &a_);
  }
  WriteArray(const WriteArray&) = delete;
  WriteArray& operator=(const WriteArray&) = delete;
  PetscScalar& operator[](PetscInt i) { return a_[i]; }

 private:
  Vec v_;
  PetscScalar* a_ = nullptr;
};

inline PetscInt local_size(Vec v) {
  PetscInt n = 0;
  LPNN_PETSC(VecGetLocalSize(v, &n));
  return n;
}

// How the iterate z moves after T(z): Halpern's mix z ← w(2T(z) − z) + (1 − w)z₀, or z ← T(z) with the
// running sum for the average. keep: also store T(z) itself (the candidate, on check iterations).
struct Move {
  bool halpern = true;
  double w = 0.5;  // Halpern's weight (k+1)/(k+2)
  bool keep = false;
  double reflection = 1.0;  // γ: Halpern mixes (1 + γ)T(z) − γz (γ = 1: the reflection 2T − I)
};

// Primal half step, one pass over the columns: x⁺ = clamp(x − τ(c̃ − Ãᵀy), 0, ũ) and the direction the dual
// step needs, v = 2x⁺ − x (so Ãv = Ã(2x⁺ − x) is one product); then x moves: Halpern's mix is
// w((1 + γ)x⁺ − γx) + (1 − w)x₀ (γ = 1: wv + (1 − w)x₀). x⁺ goes to xt when move.keep. The clamp is
// written with comparisons so that a NaN passes through (the residuals then report it). Returns this
// rank's ‖x⁺ − x‖² when move.keep (the fixed-point residual's primal part), else 0.
struct PrimalVecs {
  Vec c, aty, upper, x0, xt, x, v, x_sum;
};
inline double primal_half(double tau, const Move& move, const PrimalVecs& p) {
  const PetscInt n = local_size(p.x);
  ReadArray cc(p.c), g(p.aty), u(p.upper), z0(p.x0);
  WriteArray z(p.x), dir(p.v);
  const double w = move.w, gamma = move.reflection;
  double moved2 = 0.0;
  if (move.halpern) {
    WriteArray t(move.keep ? p.xt : nullptr);
    for (PetscInt j = 0; j < n; ++j) {
      double next = z[j] - tau * (cc[j] - g[j]);
      next = next < 0.0 ? 0.0 : next;
      next = next > u[j] ? u[j] : next;
      if (move.keep) {
        t[j] = next;
        moved2 += (next - z[j]) * (next - z[j]);
      }
      dir[j] = 2.0 * next - z[j];
      z[j] = w * ((1.0 + gamma) * next - gamma * z[j]) + (1.0 - w) * z0[j];
    }
    return moved2;
  }
  WriteArray s(p.x_sum);
  for (PetscInt j = 0; j < n; ++j) {
    double next = z[j] - tau * (cc[j] - g[j]);
    next = next < 0.0 ? 0.0 : next;
    next = next > u[j] ? u[j] : next;
    if (move.keep) moved2 += (next - z[j]) * (next - z[j]);
    dir[j] = 2.0 * next - z[j];
    z[j] = next;
    s[j] += next;
  }
  return moved2;
}

// Dual half step, one pass over the rows: y⁺ = y + σ(b̃ − Ãv), then y moves (Move). When move.keep, y⁺
// goes to yt and y⁺ − y to dy (for the fixed-point residual's cross term).
struct DualVecs {
  Vec b, av, y0, yt, y, y_sum, dy;
};
inline void dual_half(double sigma, const Move& move, const DualVecs& d) {
  const PetscInt n = local_size(d.y);
  ReadArray bb(d.b), av(d.av), v0(d.y0);
  WriteArray v(d.y), delta(move.keep ? d.dy : nullptr);
  const double w = move.w, gamma = move.reflection;
  if (move.halpern) {
    WriteArray t(move.keep ? d.yt : nullptr);
    for (PetscInt i = 0; i < n; ++i) {
      const double next = v[i] + sigma * (bb[i] - av[i]);
      if (move.keep) {
        t[i] = next;
        delta[i] = next - v[i];
      }
      v[i] = w * ((1.0 + gamma) * next - gamma * v[i]) + (1.0 - w) * v0[i];
    }
    return;
  }
  WriteArray s(d.y_sum);
  for (PetscInt i = 0; i < n; ++i) {
    const double next = v[i] + sigma * (bb[i] - av[i]);
    if (move.keep) delta[i] = next - v[i];
    v[i] = next;
    s[i] += next;
  }
}

// The same two half steps as a sequence of PETSc Vec operations (VecWAXPY, VecPointwiseMax/Min,
// VecAXPBYPCZ, ...), for Vec types whose arrays do not live on the host (-vec_type cuda/kokkos builds
// of PETSc run them on the device unchanged); on the host each call streams its vectors once, so the
// fused passes above are the default. Scratch: work (laid out like x or y) and zero (columns, all 0).
// x⁺ and y⁺ always go to xt and yt here. The return value is as primal_half's.
inline double primal_half_vec(double tau, const Move& move, const PrimalVecs& p, Vec work, Vec zero) {
  LPNN_PETSC(VecWAXPY(work, -1.0, p.aty, p.c));   // c̃ − Ãᵀy
  LPNN_PETSC(VecWAXPY(p.xt, -tau, work, p.x));    // x − τ(c̃ − Ãᵀy)
  LPNN_PETSC(VecPointwiseMax(p.xt, p.xt, zero));  // clamp to [0, ũ]
  LPNN_PETSC(VecPointwiseMin(p.xt, p.xt, p.upper));
  double moved2 = 0.0;
  if (move.keep) {  // this rank's ‖x⁺ − x‖²
    LPNN_PETSC(VecWAXPY(work, -1.0, p.x, p.xt));
    const PetscInt n = local_size(work);
    ReadArray d(work);
    for (PetscInt j = 0; j < n; ++j) moved2 += d[j] * d[j];
  }
  LPNN_PETSC(VecAXPBYPCZ(p.v, 2.0, -1.0, 0.0, p.xt, p.x));  // v = 2x⁺ − x
  if (move.halpern) {                                       // x ← w(1 + γ)x⁺ + (1 − w)x₀ − wγx
    const double w = move.w, gamma = move.reflection;
    LPNN_PETSC(VecAXPBYPCZ(p.x, w * (1.0 + gamma), 1.0 - w, -w * gamma, p.xt, p.x0));
  } else {
    LPNN_PETSC(VecCopy(p.xt, p.x));
    LPNN_PETSC(VecAXPY(p.x_sum, 1.0, p.xt));
  }
  return moved2;
}

inline void dual_half_vec(double sigma, const Move& move, const DualVecs& d, Vec work) {
  LPNN_PETSC(VecWAXPY(work, -1.0, d.av, d.b));   // b̃ − Ãv
  LPNN_PETSC(VecWAXPY(d.yt, sigma, work, d.y));  // y⁺
  if (move.keep) LPNN_PETSC(VecWAXPY(d.dy, -1.0, d.y, d.yt));
  if (move.halpern) {
    const double w = move.w, gamma = move.reflection;
    LPNN_PETSC(VecAXPBYPCZ(d.y, w * (1.0 + gamma), 1.0 - w, -w * gamma, d.yt, d.y0));
  } else {
    LPNN_PETSC(VecCopy(d.yt, d.y));
    LPNN_PETSC(VecAXPY(d.y_sum, 1.0, d.yt));
  }
}

// This rank's share of ‖Δy‖² and Δyᵀ Ã Δx for the fixed-point residual, with ÃΔx = Ã(2x⁺ − x) − Ãx⁺
// (both products at hand on a check: av and Ãx⁺).
inline void fixed_point_sums(Vec dy, Vec av, Vec axt, double& dy2, double& cross) {
  const PetscInt m = local_size(dy);
  ReadArray d(dy), a(av), t(axt);
  dy2 = cross = 0.0;
  for (PetscInt i = 0; i < m; ++i) {
    dy2 += d[i] * d[i];
    cross += d[i] * (a[i] - t[i]);
  }
}

// This rank's share of the sums the residuals need (Pdhg::evaluate), in one pass over the rows and one
// over the columns: r = Ãx̃ − b̃ and its unscaled D_r⁻¹r; d = (c̃ − Ãᵀỹ)⁻ on the columns without a finite
// upper bound and its unscaled D_c⁻¹d; c̃ᵀx̃, b̃ᵀỹ and Σ_j ũ_j min(0, c̃ − Ãᵀỹ)_j over the finite ũ_j.
struct ResidualSums {
  double primal_scaled2 = 0, primal2 = 0, dual_scaled2 = 0, dual2 = 0, cx = 0, by = 0, uy = 0;
};
struct RowVecs {
  Vec ax, b, y, row_scale;
};
struct ColVecs {
  Vec aty, c, x, col_scale, upper;
  Vec weight = nullptr;  // the dual residual's weight per column (presolve's multiplicities), or 1
};
inline ResidualSums local_residual_sums(const RowVecs& rows, const ColVecs& cols) {
  ResidualSums s;
  {
    const PetscInt m = local_size(rows.b);
    ReadArray ax(rows.ax), b(rows.b), y(rows.y), dr(rows.row_scale);
    for (PetscInt i = 0; i < m; ++i) {
      const double r = ax[i] - b[i], unscaled = r / dr[i];
      s.primal_scaled2 += r * r;
      s.primal2 += unscaled * unscaled;
      s.by += b[i] * y[i];
    }
  }
  const PetscInt n = local_size(cols.c);
  ReadArray aty(cols.aty), c(cols.c), x(cols.x), dc(cols.col_scale), u(cols.upper);
  const PetscScalar* weight = nullptr;
  if (cols.weight) LPNN_PETSC(VecGetArrayRead(cols.weight, &weight));
  for (PetscInt j = 0; j < n; ++j) {
    const double reduced = c[j] - aty[j], negative = reduced >= 0.0 ? 0.0 : reduced;  // NaN stays NaN
    s.cx += c[j] * x[j];
    if (std::isinf(u[j])) {
      const double unscaled = negative / dc[j], times = weight ? weight[j] : 1.0;
      s.dual_scaled2 += times * negative * negative;
      s.dual2 += times * unscaled * unscaled;
    } else {
      s.uy += u[j] * negative;
    }
  }
  if (cols.weight) LPNN_PETSC(VecRestoreArrayRead(cols.weight, &weight));
  return s;
}

}  // namespace lpnn::pdhg
