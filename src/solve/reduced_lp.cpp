#include "lpnn/solve/reduced_lp.hpp"

#include <algorithm>
#include <cmath>

#include "lpnn/util/error.hpp"
#include "lpnn/util/mpi.hpp"
#include "lpnn/util/units.hpp"

namespace lpnn {

namespace {

// Indices in [first, last) where keep(local index) holds, as an IS on comm.
template <typename Keep>
void owned_subset(MPI_Comm comm, PetscInt first, PetscInt last, Keep keep, OwnedIS& out) {
  std::vector<PetscInt> kept;
  for (PetscInt i = first; i < last; ++i)
    if (keep(i - first)) kept.push_back(i);
  LPNN_PETSC(
      ISCreateGeneral(comm, static_cast<PetscInt>(kept.size()), kept.data(), PETSC_COPY_VALUES, out.out()));
}

// Local rows of `m` (an AIJ matrix) holding at least one nonzero value.
std::vector<char> nonempty_rows(Mat m) {
  PetscInt first = 0, last = 0;
  LPNN_PETSC(MatGetOwnershipRange(m, &first, &last));
  std::vector<char> nonempty(static_cast<std::size_t>(last - first), 0);
  for (PetscInt i = first; i < last; ++i) {
    PetscInt n = 0;
    const PetscScalar* values = nullptr;
    LPNN_PETSC(MatGetRow(m, i, &n, nullptr, &values));
    for (PetscInt k = 0; k < n && !nonempty[i - first]; ++k) nonempty[i - first] = values[k] != 0.0;
    LPNN_PETSC(MatRestoreRow(m, i, &n, nullptr, &values));
  }
  return nonempty;
}

}  // namespace

ReducedLp make_reduced_lp(Mat A, Vec b, Vec c, Vec upper, LpPrefix prefix) {
  MPI_Comm comm = PetscObjectComm(reinterpret_cast<PetscObject>(A));
  ReducedLp face;
  LPNN_PETSC(MatGetSize(A, &face.full_rows, &face.full_cols));
  LPNN_PETSC(VecGetLocalSize(c, &face.full_local_cols));
  const PetscInt row_end = prefix.rows < 0 ? face.full_rows : std::min<PetscInt>(prefix.rows, face.full_rows);
  const PetscInt col_end =
      prefix.columns < 0 ? face.full_cols : std::min<PetscInt>(prefix.columns, face.full_cols);
  PetscInt col_first = 0, col_last = 0, row_first = 0, row_last = 0;
  LPNN_PETSC(VecGetOwnershipRange(c, &col_first, &col_last));
  LPNN_PETSC(MatGetOwnershipRange(A, &row_first, &row_last));
  {
    const PetscScalar* u = nullptr;
    LPNN_PETSC(VecGetArrayRead(upper, &u));
    owned_subset(
        comm, col_first, col_last, [&](PetscInt j) { return col_first + j < col_end && u[j] > 0; }, face.columns);
    LPNN_PETSC(VecRestoreArrayRead(upper, &u));
  }
  // Columns first; then the rows of the prefix with an entry left (an empty row with b_i ≠ 0 is kept:
  // the LP is then infeasible, and the solver must see it).
  OwnedIS all_rows;
  const PetscInt prefix_rows = std::clamp<PetscInt>(row_end - row_first, 0, row_last - row_first);
  LPNN_PETSC(ISCreateStride(comm, prefix_rows, row_first, 1, all_rows.out()));
  OwnedMat by_columns;
  LPNN_PETSC(MatCreateSubMatrix(A, all_rows, face.columns, MAT_INITIAL_MATRIX, by_columns.out()));
  const std::vector<char> nonempty = nonempty_rows(by_columns);
  {
    const PetscScalar* bb = nullptr;
    LPNN_PETSC(VecGetArrayRead(b, &bb));
    owned_subset(
        comm, row_first, row_first + prefix_rows, [&](PetscInt i) { return nonempty[i] || bb[i] != 0.0; },
        face.rows);
    LPNN_PETSC(VecRestoreArrayRead(b, &bb));
  }
  // The second extraction indexes by_columns: its rows are A's rows (a leading block of each rank's
  // rows, and the ranks' blocks follow one another, so their indices are A's), its columns 0..free-1
  // in order.
  PetscInt sub_first = 0, sub_last = 0;
  LPNN_PETSC(MatGetOwnershipRangeColumn(by_columns, &sub_first, &sub_last));
  OwnedIS sub_columns;
  LPNN_PETSC(ISCreateStride(comm, sub_last - sub_first, sub_first, 1, sub_columns.out()));
  LPNN_PETSC(MatCreateSubMatrix(by_columns, face.rows, sub_columns, MAT_INITIAL_MATRIX, face.A.out()));
  LPNN_PETSC(MatCreateVecs(face.A, face.c.out(), face.b.out()));
  LPNN_PETSC(VecDuplicate(face.c, face.upper.out()));
  LPNN_PETSC(VecISCopy(c, face.columns, SCATTER_REVERSE, face.c));
  LPNN_PETSC(VecISCopy(upper, face.columns, SCATTER_REVERSE, face.upper));
  LPNN_PETSC(VecISCopy(b, face.rows, SCATTER_REVERSE, face.b));
  return face;
}

std::vector<double> ReducedLp::leading_columns(Vec x, std::int64_t keep) const {
  MPI_Comm comm = PetscObjectComm(reinterpret_cast<PetscObject>(x));
  // The full LP's column layout (the one `columns` was cut from, so its indices are locally owned).
  OwnedVec full;
  LPNN_PETSC(VecCreateMPI(comm, full_local_cols, full_cols, full.out()));
  LPNN_PETSC(VecSet(full, 0.0));
  LPNN_PETSC(VecISCopy(full, columns, SCATTER_FORWARD, x));
  OwnedIS leading;
  LPNN_PETSC(ISCreateStride(PETSC_COMM_SELF, static_cast<PetscInt>(keep), 0, 1, leading.out()));
  return values_at(full, leading);
}

LinearProgram ReducedLp::gathered_to_root() const {
  MPI_Comm comm = PetscObjectComm(reinterpret_cast<PetscObject>(A.get()));
  int rank = 0, size = 1;
  LPNN_MPI(MPI_Comm_rank(comm, &rank));
  LPNN_MPI(MPI_Comm_size(comm, &size));
  OwnedVec lower;
  LPNN_PETSC(VecDuplicate(c, lower.out()));
  LPNN_PETSC(VecSet(lower, 0.0));
  LinearProgram lp = gather_to_root(A, b, c, lower, upper, false);
  // The column map: every rank's part of `columns`, in rank order (the IS ascends across ranks).
  PetscInt local = 0;
  LPNN_PETSC(ISGetLocalSize(columns, &local));
  const int count = checked_int(local, "the face columns of one rank");
  std::vector<int> counts(rank == 0 ? size : 0), offsets(rank == 0 ? size : 0);
  LPNN_MPI(MPI_Gather(&count, 1, MPI_INT, counts.data(), 1, MPI_INT, 0, comm));
  std::vector<PetscInt> all;
  if (rank == 0) {
    std::int64_t total = 0;
    for (int r = 0; r < size; ++r) {
      offsets[r] = checked_int(total, "the face's column count");
      total += counts[r];
    }
    all.resize(static_cast<std::size_t>(total));
  }
  const PetscInt* mine = nullptr;
  LPNN_PETSC(ISGetIndices(columns, &mine));
  const int code = MPI_Gatherv(mine, count, MPIU_INT, all.data(), counts.data(), offsets.data(), MPIU_INT, 0, comm);
  LPNN_PETSC(ISRestoreIndices(columns, &mine));
  LPNN_MPI(code);
  lp.original_column.assign(all.begin(), all.end());
  return lp;
}

double norm_without_penalty(Vec c, double penalty) {
  const PetscScalar* v = nullptr;
  PetscInt n = 0;
  LPNN_PETSC(VecGetLocalSize(c, &n));
  LPNN_PETSC(VecGetArrayRead(c, &v));
  double local = 0.0;
  for (PetscInt j = 0; j < n; ++j)
    if (v[j] != penalty) local += v[j] * v[j];
  LPNN_PETSC(VecRestoreArrayRead(c, &v));
  double global = 0.0;
  LPNN_MPI(MPI_Allreduce(&local, &global, 1, MPI_DOUBLE, MPI_SUM, PetscObjectComm(reinterpret_cast<PetscObject>(c))));
  return std::sqrt(global);
}

}  // namespace lpnn
