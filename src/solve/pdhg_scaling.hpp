// PDHG's preconditioning, internal to the solver: diagonal rescaling of the LP and the step size.
#pragma once

#include "lpnn/solve/solver.hpp"
#include "lpnn/util/petsc.hpp"

namespace lpnn::pdhg {

// Rescales the LP in place to  Ã = D_r A D_c,  b̃ = D_r b,  c̃ = D_c c,  ũ = u / D_c,  so that x = D_c x̃ and
// y = D_r ỹ: the objective, and for each column the product u_j·(c − Aᵀy)_j, are unchanged.
//   Ruiz (l∞):        `passes` times  D_r ← D_r / √max_j|ã_ij|,  D_c ← D_c / √max_i|ã_ij|
//   Pock-Chambolle:   once            D_r ← D_r / √Σ_j|ã_ij|,   D_c ← D_c / √Σ_i|ã_ij|   (α = 1)
// Empty rows and columns keep factor 1. row_scale, col_scale: D_r, D_c (created here).
void rescale(Mat A, Vec b, Vec c, Vec upper, PdhgScaling kind, int ruiz_passes, OwnedVec& row_scale,
             OwnedVec& col_scale);

// ‖A‖_2 from the power iteration on AᵀA (from a fixed start, so every rank count agrees): stops when
// the estimate moves by less than 1e-6 relatively, after at most `max_iterations`.
double spectral_norm(Mat A, int max_iterations = 200);

}  // namespace lpnn::pdhg
