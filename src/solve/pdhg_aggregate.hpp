// PDHG's second presolve step, internal to the solver: aggregation of doubleton equalities.
//
// A row  a_ij x_j + a_ik x_k = 0  with exactly two entries of opposite signs, j < k, says x_k = α x_j
// with α = −a_ij/a_ik > 0. If x_k has no upper bound, x_k ≥ 0 follows from x_j ≥ 0, so x_k and the row
// can be removed and x_k replaced by α x_j everywhere: x = P z, where P keeps every other column
// (P_jj = 1) and maps k to α·(its j). The aggregated LP is
//     min (Pᵀc)ᵀz   s.t.  (A_R P) z = b_R,  0 ≤ z ≤ u_kept,
// R the rows left. A column k is eliminated only when exactly one such row has it as its larger index
// and that row's j is not eliminated itself, so P is well defined (one round; new doubletons a round
// creates are aggregated by the next, up to `rounds`).
//
// Exactness. For any (z, y_R), x = P z and the eliminated row's multiplier
//     y_i = (c_k − Σ_{r≠i} a_rk y_r)/a_ik   (which makes x_k's reduced cost 0)
// give the unaggregated LP the same residuals and objectives: its eliminated rows hold exactly; its other
// rows are A_R P z; a kept column's reduced cost is c_j + αc_k − Σ_r (a_rj + α a_rk) y_r = ((Pᵀc) − (A_R P)ᵀy)_j,
// an eliminated one's is 0; bᵀy gains nothing (b_i = 0) and the bounded columns are the same. So the
// solver's stopping test on the aggregated LP is its test on the face, and only x needs mapping back.
//
// On a bounds face every consistency row  λ^d[a] − X[a] = 0  is such a row: all of them go, each bag's
// convexity row becomes Σ_a X[a] = 1, and the face shrinks to the simplex over the parameter grid with the
// summed costs, the reduction a simplex code's presolve makes before its first pivot.
#pragma once

#include <mpi.h>
#include <petscmat.h>

#include "lpnn/solve/reduced_lp.hpp"
#include "lpnn/util/petsc.hpp"

namespace lpnn::pdhg {

struct Aggregated {
  ReducedLp lp;             // the aggregated LP (A_R P, b_R, Pᵀc, upper on kept columns; reference_cost_norm kept)
  OwnedMat P;               // columns of the unaggregated LP × columns of lp: x = P z
  OwnedVec multiplicity;    // the dual-residual weights restricted to the kept columns (null if none given)
  PetscInt eliminated = 0;  // columns (and rows) removed, over all ranks and rounds
};

// Aggregates doubleton equalities of `lp` for up to `rounds` rounds; lp.A is released (consumed).
// `multiplicity`: per column of lp, the dual-residual weight, or null. Collective.
Aggregated aggregate_doubletons(ReducedLp& lp, Vec multiplicity, int rounds = 4);

}  // namespace lpnn::pdhg
