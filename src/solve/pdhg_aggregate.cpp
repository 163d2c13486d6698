#include "pdhg_aggregate.hpp"

#include <algorithm>
#include <cmath>
#include <utility>
#include <vector>

#include "lpnn/util/error.hpp"
#include "lpnn/util/mpi.hpp"

namespace lpnn::pdhg {

namespace {

MPI_Comm comm_of(PetscObject o) { return PetscObjectComm(o); }

// A row x_k = α x_j (global column indices, j < k) that may eliminate x_k.
struct Doubleton {
  PetscInt row, j, k;
  double alpha;
};

// This rank's rows of the form a_ij x_j + a_ik x_k = 0 with a_ij·a_ik < 0, whose larger column k has
// no upper bound.
std::vector<Doubleton> local_doubletons(const ReducedLp& lp) {
  std::vector<Doubleton> found;
  PetscInt first = 0, last = 0;
  LPNN_PETSC(MatGetOwnershipRange(lp.A, &first, &last));
  const PetscScalar* b = nullptr;
  LPNN_PETSC(VecGetArrayRead(lp.b, &b));
  for (PetscInt i = first; i < last; ++i) {
    PetscInt n = 0;
    const PetscInt* cols = nullptr;
    const PetscScalar* vals = nullptr;
    LPNN_PETSC(MatGetRow(lp.A, i, &n, &cols, &vals));
    if (n == 2 && b[i - first] == 0.0 && vals[0] * vals[1] < 0.0) {
      const bool ascending = cols[0] < cols[1];
      const PetscInt j = ascending ? cols[0] : cols[1], k = ascending ? cols[1] : cols[0];
      const double a_j = ascending ? vals[0] : vals[1], a_k = ascending ? vals[1] : vals[0];
      found.push_back({i, j, k, -a_j / a_k});
    }
    LPNN_PETSC(MatRestoreRow(lp.A, i, &n, &cols, &vals));
  }
  LPNN_PETSC(VecRestoreArrayRead(lp.b, &b));
  std::vector<PetscInt> larger;
  for (const Doubleton& d : found) larger.push_back(d.k);
  const std::vector<double> upper = values_at(lp.upper, larger);
  std::vector<Doubleton> unbounded;
  for (std::size_t t = 0; t < found.size(); ++t)
    if (std::isinf(upper[t]) && upper[t] > 0) unbounded.push_back(found[t]);
  return unbounded;
}

// Of `rows`, those that may all be applied at once: k is the larger column of no other such row and j
// of none at all. Collective.
std::vector<Doubleton> compatible(const ReducedLp& lp, const std::vector<Doubleton>& rows) {
  OwnedVec larger_of;  // per column: how many rows have it as their larger column
  LPNN_PETSC(VecDuplicate(lp.c, larger_of.out()));
  LPNN_PETSC(VecSet(larger_of, 0.0));
  for (const Doubleton& d : rows) LPNN_PETSC(VecSetValue(larger_of, d.k, 1.0, ADD_VALUES));
  LPNN_PETSC(VecAssemblyBegin(larger_of));
  LPNN_PETSC(VecAssemblyEnd(larger_of));
  std::vector<PetscInt> ends;
  for (const Doubleton& d : rows) {
    ends.push_back(d.j);
    ends.push_back(d.k);
  }
  const std::vector<double> count = values_at(larger_of, ends);
  std::vector<Doubleton> out;
  for (std::size_t t = 0; t < rows.size(); ++t)
    if (count[2 * t] == 0.0 && count[2 * t + 1] == 1.0) out.push_back(rows[t]);
  return out;
}

// The new LP's vector of `v`'s entries at the locally owned `indices`, laid out like `like`.
OwnedVec restricted(Vec v, IS indices, Vec like) {
  OwnedVec out;
  LPNN_PETSC(VecDuplicate(like, out.out()));
  LPNN_PETSC(VecISCopy(v, indices, SCATTER_REVERSE, out));
  return out;
}

struct Round {
  OwnedMat P;
  PetscInt eliminated = 0;
};

// x = P z for one round, and P's one entry per row (x_j = f_j·z_{t_j}) as two vectors over the old
// columns: t_j (as a double) and f_j.
struct Substitution {
  OwnedMat P;
  OwnedVec target, factor;
};

// The substitution for the eliminations `apply` (this rank's rows), and the kept columns' IS.
Substitution substitution(const ReducedLp& lp, const std::vector<Doubleton>& apply, OwnedIS& kept_columns) {
  MPI_Comm comm = comm_of(reinterpret_cast<PetscObject>(lp.c.get()));
  OwnedVec eliminated;  // 1 at every eliminated column
  LPNN_PETSC(VecDuplicate(lp.c, eliminated.out()));
  LPNN_PETSC(VecSet(eliminated, 0.0));
  for (const Doubleton& d : apply) LPNN_PETSC(VecSetValue(eliminated, d.k, 1.0, INSERT_VALUES));
  LPNN_PETSC(VecAssemblyBegin(eliminated));
  LPNN_PETSC(VecAssemblyEnd(eliminated));
  PetscInt first = 0, last = 0;
  LPNN_PETSC(VecGetOwnershipRange(lp.c, &first, &last));
  std::vector<PetscInt> kept;
  {
    const PetscScalar* e = nullptr;
    LPNN_PETSC(VecGetArrayRead(eliminated, &e));
    for (PetscInt j = first; j < last; ++j)
      if (e[j - first] == 0.0) kept.push_back(j);
    LPNN_PETSC(VecRestoreArrayRead(eliminated, &e));
  }
  const PetscInt local_kept = static_cast<PetscInt>(kept.size());
  const PetscInt offset = static_cast<PetscInt>(exclusive_prefix_sum(comm, local_kept));
  OwnedVec new_index;  // per kept column: its index in the aggregated LP
  LPNN_PETSC(VecDuplicate(lp.c, new_index.out()));
  LPNN_PETSC(VecSet(new_index, -1.0));
  for (PetscInt t = 0; t < local_kept; ++t)
    LPNN_PETSC(VecSetValue(new_index, kept[t], static_cast<double>(offset + t), INSERT_VALUES));
  LPNN_PETSC(VecAssemblyBegin(new_index));
  LPNN_PETSC(VecAssemblyEnd(new_index));
  std::vector<PetscInt> targets;
  for (const Doubleton& d : apply) targets.push_back(d.j);
  const std::vector<double> target_index = values_at(new_index, targets);

  Substitution out;
  LPNN_PETSC(MatCreateAIJ(comm, last - first, local_kept, PETSC_DETERMINE, PETSC_DETERMINE, 1, nullptr, 1, nullptr,
                          out.P.out()));
  LPNN_PETSC(MatSetOption(out.P, MAT_NEW_NONZERO_ALLOCATION_ERR, PETSC_FALSE));
  LPNN_PETSC(VecDuplicate(lp.c, out.target.out()));
  LPNN_PETSC(VecDuplicate(lp.c, out.factor.out()));
  auto entry = [&](PetscInt row, double target, double factor) {  // x_row = factor·z_target
    LPNN_PETSC(MatSetValue(out.P, row, static_cast<PetscInt>(target), factor, INSERT_VALUES));
    LPNN_PETSC(VecSetValue(out.target, row, target, INSERT_VALUES));
    LPNN_PETSC(VecSetValue(out.factor, row, factor, INSERT_VALUES));
  };
  for (PetscInt t = 0; t < local_kept; ++t) entry(kept[t], static_cast<double>(offset + t), 1.0);
  for (std::size_t t = 0; t < apply.size(); ++t)  // x_k = α x_j; k may be another rank's column
    entry(apply[t].k, target_index[t], apply[t].alpha);
  LPNN_PETSC(MatAssemblyBegin(out.P, MAT_FINAL_ASSEMBLY));
  LPNN_PETSC(MatAssemblyEnd(out.P, MAT_FINAL_ASSEMBLY));
  for (Vec v : {out.target.get(), out.factor.get()}) {
    LPNN_PETSC(VecAssemblyBegin(v));
    LPNN_PETSC(VecAssemblyEnd(v));
  }
  LPNN_PETSC(ISCreateGeneral(comm, local_kept, kept.data(), PETSC_COPY_VALUES, kept_columns.out()));
  return out;
}

// A_R·P for this round's P, which has one entry per row (x_j = f_j·z_{t_j}): the kept rows' entries with
// their columns renamed to t_j and scaled by f_j, entries meeting on one column summed. A general
// MatMatMult's symbolic phase took seconds at 2 ranks on a bounds face; this is one pass. Collective.
OwnedMat substituted(Mat A, const std::vector<PetscInt>& rows, const Substitution& s) {
  MPI_Comm comm = comm_of(reinterpret_cast<PetscObject>(A));
  std::vector<PetscInt> start{0}, column;
  std::vector<double> value;
  for (PetscInt i : rows) {
    PetscInt n = 0;
    const PetscInt* cols = nullptr;
    const PetscScalar* vals = nullptr;
    LPNN_PETSC(MatGetRow(A, i, &n, &cols, &vals));
    column.insert(column.end(), cols, cols + n);
    value.insert(value.end(), vals, vals + n);
    LPNN_PETSC(MatRestoreRow(A, i, &n, &cols, &vals));
    start.push_back(static_cast<PetscInt>(column.size()));
  }
  std::vector<PetscInt> referenced = column;
  std::sort(referenced.begin(), referenced.end());
  referenced.erase(std::unique(referenced.begin(), referenced.end()), referenced.end());
  const std::vector<double> t = values_at(s.target, referenced), f = values_at(s.factor, referenced);
  PetscInt new_first = 0, new_last = 0;
  LPNN_PETSC(MatGetOwnershipRangeColumn(s.P, &new_first, &new_last));
  const std::size_t m = rows.size();
  std::vector<PetscInt> new_start{0}, new_column, diagonal(m, 0), off(m, 0);
  std::vector<double> new_value;
  std::vector<std::pair<PetscInt, double>> entries;
  for (std::size_t r = 0; r < m; ++r) {
    entries.clear();
    for (PetscInt k = start[r]; k < start[r + 1]; ++k) {
      const std::size_t at = static_cast<std::size_t>(
          std::lower_bound(referenced.begin(), referenced.end(), column[k]) - referenced.begin());
      entries.emplace_back(static_cast<PetscInt>(t[at]), value[k] * f[at]);
    }
    std::sort(entries.begin(), entries.end());
    for (std::size_t e = 0; e < entries.size(); ++e) {
      if (e > 0 && entries[e].first == entries[e - 1].first) {
        new_value.back() += entries[e].second;
        continue;
      }
      new_column.push_back(entries[e].first);
      new_value.push_back(entries[e].second);
      ++(entries[e].first >= new_first && entries[e].first < new_last ? diagonal[r] : off[r]);
    }
    new_start.push_back(static_cast<PetscInt>(new_column.size()));
  }
  const PetscInt local_rows = static_cast<PetscInt>(m);
  const PetscInt row_offset = static_cast<PetscInt>(exclusive_prefix_sum(comm, local_rows));
  OwnedMat C;
  LPNN_PETSC(MatCreateAIJ(comm, local_rows, new_last - new_first, PETSC_DETERMINE, PETSC_DETERMINE, 0, diagonal.data(),
                          0, off.data(), C.out()));
  for (std::size_t r = 0; r < m; ++r) {
    const PetscInt row = row_offset + static_cast<PetscInt>(r), n = new_start[r + 1] - new_start[r];
    LPNN_PETSC(
        MatSetValues(C, 1, &row, n, new_column.data() + new_start[r], new_value.data() + new_start[r], INSERT_VALUES));
  }
  LPNN_PETSC(MatAssemblyBegin(C, MAT_FINAL_ASSEMBLY));
  LPNN_PETSC(MatAssemblyEnd(C, MAT_FINAL_ASSEMBLY));
  return C;
}

// One round on lp (replaced in place by the aggregated LP; weight likewise). Collective.
Round aggregate_once(ReducedLp& lp, OwnedVec& weight) {
  MPI_Comm comm = comm_of(reinterpret_cast<PetscObject>(lp.A.get()));
  const std::vector<Doubleton> apply = compatible(lp, local_doubletons(lp));
  Round round;
  const PetscInt mine = static_cast<PetscInt>(apply.size());
  LPNN_MPI(MPI_Allreduce(&mine, &round.eliminated, 1, MPIU_INT, MPI_SUM, comm));
  if (round.eliminated == 0) return round;
  OwnedIS kept_columns, kept_rows;
  Substitution s = substitution(lp, apply, kept_columns);
  PetscInt first = 0, last = 0;
  LPNN_PETSC(MatGetOwnershipRange(lp.A, &first, &last));
  std::vector<PetscInt> rows;
  {
    std::size_t t = 0;  // `apply` ascends by row
    for (PetscInt i = first; i < last; ++i) {
      if (t < apply.size() && apply[t].row == i) {
        ++t;
        continue;
      }
      rows.push_back(i);
    }
    LPNN_PETSC(
        ISCreateGeneral(comm, static_cast<PetscInt>(rows.size()), rows.data(), PETSC_COPY_VALUES, kept_rows.out()));
  }
  ReducedLp next;
  next.A = substituted(lp.A, rows, s);
  round.P = std::move(s.P);
  lp.A.reset();
  LPNN_PETSC(MatCreateVecs(next.A, next.c.out(), next.b.out()));
  LPNN_PETSC(VecISCopy(lp.b, kept_rows, SCATTER_REVERSE, next.b));
  LPNN_PETSC(MatMultTranspose(round.P, lp.c, next.c));
  next.upper = restricted(lp.upper, kept_columns, next.c);
  if (weight) weight = restricted(weight, kept_columns, next.c);
  next.reference_cost_norm = lp.reference_cost_norm;
  next.full_rows = lp.full_rows;
  next.full_cols = lp.full_cols;
  next.full_local_cols = lp.full_local_cols;
  lp = std::move(next);
  return round;
}

}  // namespace

Aggregated aggregate_doubletons(ReducedLp& lp, Vec multiplicity, int rounds) {
  Aggregated out;
  // The relative dual test stays that of the LP given: aggregation changes c.
  if (lp.reference_cost_norm < 0) LPNN_PETSC(VecNorm(lp.c, NORM_2, &lp.reference_cost_norm));
  if (multiplicity) {
    LPNN_PETSC(VecDuplicate(multiplicity, out.multiplicity.out()));
    LPNN_PETSC(VecCopy(multiplicity, out.multiplicity));
  }
  out.lp = std::move(lp);
  for (int r = 0; r < rounds; ++r) {
    Round round = aggregate_once(out.lp, out.multiplicity);
    if (round.eliminated == 0) break;
    out.eliminated += round.eliminated;
    if (!out.P) {
      out.P = std::move(round.P);
    } else {
      OwnedMat composed;
      LPNN_PETSC(MatMatMult(out.P, round.P, MAT_INITIAL_MATRIX, PETSC_DEFAULT, composed.out()));
      out.P = std::move(composed);
    }
  }
  return out;
}

}  // namespace lpnn::pdhg
