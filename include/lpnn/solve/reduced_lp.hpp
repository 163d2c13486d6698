// The face LP reduced to what can move, as its own distributed object, built once from the full LP (A, b, c, 0 ≤ x ≤ u):
// columns fixed at 0 (u_j = 0: a bounds face's off-face λ) never move and contribute nothing to Ax, so
// they are left out, and rows left without any entry (with b_i = 0) are dropped; the LP over the rest has
// the same optimum. A caller may also keep only a leading block of rows and columns (LpPrefix): the
// trainer drops the bags of a polytope that no data point uses (Face::used_rows says why that is
// exact). A keeps every rank's own rows and columns on that rank (MatCreateSubMatrix with ISs of
// locally owned indices), so nothing is gathered.
// Singleton rows are not eliminated: on a face of the polytope none arises (every kept consistency row
// holds X[a] beside a kept λ, every kept convexity row M ≥ 2 λ; train.unused_bags checks the row
// lengths), and on another LP the solvers treat one as an ordinary row (Clp's presolve turns it into a
// column bound).
#pragma once

#include <mpi.h>

#include <cstdint>
#include <vector>

#include "lpnn/solve/lp.hpp"
#include "lpnn/util/petsc.hpp"

namespace lpnn {

struct ReducedLp {
  OwnedMat A;             // kept rows × free columns
  OwnedVec b;             // laid out like A's rows
  OwnedVec c, upper;      // laid out like A's columns; lower bounds are 0
  OwnedIS columns;        // the full LP's index of each column of A (ascending, distributed like c)
  OwnedIS rows;           // the full LP's index of each row of A
  PetscInt full_rows = 0, full_cols = 0, full_local_cols = 0;  // the full LP's sizes (local: this rank's columns)
  // ≥ 0: the ‖c‖ the relative dual residual is measured against instead of ‖c‖_2 (penalty faces: the
  // off-face penalties would otherwise loosen the test by orders of magnitude).
  double reference_cost_norm = -1.0;

  // x (laid out like c) back on the full LP's columns: the first `keep` of them, on every rank
  // (fixed columns are 0). Collective.
  std::vector<double> leading_columns(Vec x, std::int64_t keep) const;

  // This LP as plain data on rank 0 (lower bounds 0; original_column = the full LP's index of each
  // column), for a solver that runs on one rank. Other ranks get an empty LinearProgram. Collective.
  LinearProgram gathered_to_root() const;
};

// The leading rows [0, rows) and columns [0, columns) of an LP; a negative count keeps all of them.
// The caller vouches that leaving the rest out keeps the optimum (the rows left out must not involve
// the columns kept in a way the kept rows do not already imply).
struct LpPrefix {
  std::int64_t rows = -1, columns = -1;
};

// Collective on A's communicator. b, c and upper are laid out like A's rows and columns. Only the
// rows and columns of `prefix` are considered; of those, the fixed columns and the rows left empty
// are dropped as above.
ReducedLp make_reduced_lp(Mat A, Vec b, Vec c, Vec upper, LpPrefix prefix = {});

// ‖c_j‖_2 over the columns with c_j ≠ `penalty` (the on-face columns of a penalty face). Collective.
double norm_without_penalty(Vec c, double penalty);

}  // namespace lpnn
