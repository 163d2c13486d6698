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

// The local array of a Vec for writing, restored (and the Vec's state bumped) out of scope.
class WriteArray {
 public:
  explicit WriteArray(Vec v) : v_(v) { LPNN_PETSC(VecGetArray(v_, &a_)); }
  ~WriteArray() { (void)VecRestoreArray(v_, &a_); }
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
// running sum for the average.
struct Move {
  bool halpern = true;
  double w = 0.5;  // Halpern's weight (k+1)/(k+2)
};

// Primal half step, one pass over the columns: xt = clamp(x − τ(c̃ − Ãᵀy), 0, ũ), then x moves (Move).
// The clamp is written with comparisons so that a NaN passes through (the residuals then report it).
inline void primal_half(double tau, const Move& move, Vec c, Vec aty, Vec upper, Vec x0, Vec xt, Vec x, Vec x_sum) {
  const PetscInt n = local_size(x);
  ReadArray cc(c), g(aty), u(upper), z0(x0);
  WriteArray t(xt), z(x);
  const double w = move.w;
  if (move.halpern) {
    for (PetscInt j = 0; j < n; ++j) {
      double v = z[j] - tau * (cc[j] - g[j]);
      v = v < 0.0 ? 0.0 : v;
      v = v > u[j] ? u[j] : v;
      t[j] = v;
      z[j] = 2.0 * w * v - w * z[j] + (1.0 - w) * z0[j];
    }
    return;
  }
  WriteArray s(x_sum);
  for (PetscInt j = 0; j < n; ++j) {
    double v = z[j] - tau * (cc[j] - g[j]);
    v = v < 0.0 ? 0.0 : v;
    v = v > u[j] ? u[j] : v;
    t[j] = v;
    z[j] = v;
    s[j] += v;
  }
}

// Dual half step, one pass over the rows: yt = y + σ(b̃ − 2Ãxt + Ãx), then y and its cached Ãx move
// alike (Move; Ãx by linearity, no product).
struct DualVecs {
  Vec b, axt, y0, ax0, yt, y, ax, y_sum;
};
inline void dual_half(double sigma, const Move& move, const DualVecs& d) {
  const PetscInt n = local_size(d.y);
  ReadArray bb(d.b), at(d.axt), v0(d.y0), a0(d.ax0);
  WriteArray t(d.yt), v(d.y), a(d.ax);
  const double w = move.w;
  if (move.halpern) {
    for (PetscInt i = 0; i < n; ++i) {
      const double next = v[i] + sigma * (bb[i] - 2.0 * at[i] + a[i]);
      t[i] = next;
      v[i] = 2.0 * w * next - w * v[i] + (1.0 - w) * v0[i];
      a[i] = 2.0 * w * at[i] - w * a[i] + (1.0 - w) * a0[i];
    }
    return;
  }
  WriteArray s(d.y_sum);
  for (PetscInt i = 0; i < n; ++i) {
    const double next = v[i] + sigma * (bb[i] - 2.0 * at[i] + a[i]);
    t[i] = next;
    v[i] = next;
    a[i] = at[i];
    s[i] += next;
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
