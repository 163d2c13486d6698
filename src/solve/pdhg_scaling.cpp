#include "pdhg_scaling.hpp"

#include <cmath>
#include <vector>

#include "lpnn/util/error.hpp"

namespace lpnn::pdhg {

namespace {

// v_i ← 1/√v_i, or 1 where v_i = 0 (an empty row or column).
void inverse_square_root(Vec v) {
  PetscScalar* a = nullptr;
  PetscInt n = 0;
  LPNN_PETSC(VecGetLocalSize(v, &n));
  LPNN_PETSC(VecGetArray(v, &a));
  for (PetscInt i = 0; i < n; ++i) a[i] = a[i] > 0 ? 1.0 / std::sqrt(a[i]) : 1.0;
  LPNN_PETSC(VecRestoreArray(v, &a));
}

// Σ_j|a_ij| of the local rows (MatGetRow: no copy of A).
void row_abs_sums(Mat A, Vec out) {
  PetscInt first = 0, last = 0;
  LPNN_PETSC(MatGetOwnershipRange(A, &first, &last));
  PetscScalar* o = nullptr;
  LPNN_PETSC(VecGetArray(out, &o));
  for (PetscInt i = first; i < last; ++i) {
    PetscInt n = 0;
    const PetscScalar* values = nullptr;
    LPNN_PETSC(MatGetRow(A, i, &n, nullptr, &values));
    double sum = 0.0;
    for (PetscInt k = 0; k < n; ++k) sum += std::fabs(values[k]);
    LPNN_PETSC(MatRestoreRow(A, i, &n, nullptr, &values));
    o[i - first] = sum;
  }
  LPNN_PETSC(VecRestoreArray(out, &o));
}

// Column norms (NORM_1: Σ_i|a_ij|, NORM_INFINITY: max_i|a_ij|) into the local part of `out`.
void column_norms(Mat A, NormType type, Vec out) {
  PetscInt cols = 0, rows = 0, first = 0, last = 0;
  LPNN_PETSC(MatGetSize(A, &rows, &cols));
  LPNN_PETSC(VecGetOwnershipRange(out, &first, &last));
  std::vector<PetscReal> norms(static_cast<std::size_t>(cols));
  LPNN_PETSC(MatGetColumnNorms(A, type, norms.data()));
  PetscScalar* o = nullptr;
  LPNN_PETSC(VecGetArray(out, &o));
  for (PetscInt j = first; j < last; ++j) o[j - first] = norms[static_cast<std::size_t>(j)];
  LPNN_PETSC(VecRestoreArray(out, &o));
}

// One pass: A ← diag(r) A diag(s) with r, s from the row and column measures; D_r ∘= r, D_c ∘= s.
void scale_pass(Mat A, bool ruiz, Vec row_scale, Vec col_scale, Vec r, Vec s) {
  if (ruiz) {
    LPNN_PETSC(MatGetRowMaxAbs(A, r, nullptr));
    column_norms(A, NORM_INFINITY, s);
  } else {
    row_abs_sums(A, r);
    column_norms(A, NORM_1, s);
  }
  inverse_square_root(r);
  inverse_square_root(s);
  LPNN_PETSC(MatDiagonalScale(A, r, s));
  LPNN_PETSC(VecPointwiseMult(row_scale, row_scale, r));
  LPNN_PETSC(VecPointwiseMult(col_scale, col_scale, s));
}

}  // namespace

void rescale(Mat A, Vec b, Vec c, Vec upper, PdhgScaling kind, int ruiz_passes, OwnedVec& row_scale,
             OwnedVec& col_scale) {
  LPNN_PETSC(VecDuplicate(b, row_scale.out()));
  LPNN_PETSC(VecDuplicate(c, col_scale.out()));
  LPNN_PETSC(VecSet(row_scale, 1.0));
  LPNN_PETSC(VecSet(col_scale, 1.0));
  OwnedVec r, s;
  LPNN_PETSC(VecDuplicate(b, r.out()));
  LPNN_PETSC(VecDuplicate(c, s.out()));
  if (kind == PdhgScaling::RuizPockChambolle || kind == PdhgScaling::Ruiz)
    for (int pass = 0; pass < ruiz_passes; ++pass) scale_pass(A, true, row_scale, col_scale, r, s);
  if (kind == PdhgScaling::RuizPockChambolle || kind == PdhgScaling::PockChambolle)
    scale_pass(A, false, row_scale, col_scale, r, s);
  LPNN_PETSC(VecPointwiseMult(b, b, row_scale));
  LPNN_PETSC(VecPointwiseMult(c, c, col_scale));
  LPNN_PETSC(VecPointwiseDivide(upper, upper, col_scale));  // +inf stays +inf, 0 stays 0
}

double spectral_norm(Mat A, int max_iterations) {
  OwnedVec v, w, av;
  LPNN_PETSC(MatCreateVecs(A, v.out(), av.out()));
  LPNN_PETSC(VecDuplicate(v, w.out()));
  {  // a fixed, not too symmetric start, by global index
    PetscInt first = 0, last = 0;
    LPNN_PETSC(VecGetOwnershipRange(v, &first, &last));
    PetscScalar* a = nullptr;
    LPNN_PETSC(VecGetArray(v, &a));
    for (PetscInt j = first; j < last; ++j) a[j - first] = 1.0 + static_cast<double>((j * 7919) % 101) / 101.0;
    LPNN_PETSC(VecRestoreArray(v, &a));
  }
  PetscReal norm = 0.0;
  LPNN_PETSC(VecNormalize(v, &norm));
  if (norm == 0.0) return 0.0;
  double estimate = 0.0;
  for (int it = 0; it < max_iterations; ++it) {
    LPNN_PETSC(MatMult(A, v, av));
    LPNN_PETSC(MatMultTranspose(A, av, w));
    PetscReal lambda = 0.0;  // ‖AᵀA v‖ for ‖v‖ = 1: converges up to σ_max²
    LPNN_PETSC(VecNorm(w, NORM_2, &lambda));
    if (lambda == 0.0) return 0.0;
    LPNN_PETSC(VecAXPBY(v, 1.0 / lambda, 0.0, w));
    const double next = std::sqrt(lambda);
    const bool settled = std::fabs(next - estimate) <= 1e-6 * next;
    estimate = next;
    if (settled) break;
  }
  return estimate;
}

}  // namespace lpnn::pdhg
