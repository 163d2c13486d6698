// PDHG's presolve, internal to the solver: dominated duplicate columns. If columns j and k of A are equal
// (same rows, same values), both have no upper bound and c_j ≤ c_k, then any feasible x with x_k > 0 stays
// feasible with x_j += x_k, x_k = 0, and costs no more: some optimum has x_k = 0, so k is fixed at 0 and
// left out. Exactness of the answer on the unpresolved LP (x_k = 0, the same y):
//   Ax and cᵀx are unchanged; k has no upper bound, so the dual objective bᵀy + Σ u·min(0, c − Aᵀy) is too;
//   (c − Aᵀy)_k = (c − Aᵀy)_j + (c_k − c_j) ≥ (c − Aᵀy)_j, so |(c − Aᵀy)_k⁻| ≤ |(c − Aᵀy)_j⁻|: weighting j's
//   term in the dual residual by its multiplicity 1 + (columns dropped for it) bounds the full LP's.
// A penalty face's off-face λ are such columns (each is a copy of its on-face λ, at a higher cost), so the
// presolved penalty face is the bounds face. Duplicates are found among each rank's own columns (rows of
// Aᵀ); one split over two ranks is kept twice, which is still exact.
#pragma once

#include <mpi.h>
#include <petscmat.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <numeric>
#include <vector>

#include "lpnn/distribute/assembly.hpp"
#include "lpnn/solve/reduced_lp.hpp"
#include "lpnn/util/error.hpp"
#include "lpnn/util/mpi.hpp"
#include "lpnn/util/petsc.hpp"

namespace lpnn::pdhg {

struct Presolved {
  ReducedLp lp;           // the kept columns (A, b, c, upper; reference_cost_norm of the unpresolved LP)
  OwnedIS kept;           // the kept columns' indices in the unpresolved LP (locally owned, ascending)
  OwnedVec multiplicity;  // per kept column: 1 + the number of columns dropped as its duplicates
  PetscInt dropped = 0;   // over all ranks
};

namespace detail {

// This rank's columns of A as rows of Aᵀ (CSR with global, ascending indices, read from the matrix's own
// storage), with a hash of each column's pattern and values.
struct LocalColumns {
  CsrBlock<PetscInt> csr;
  std::vector<std::uint64_t> hash;

  bool same(std::size_t a, std::size_t b) const {
    const auto& p = csr.row_pointer;
    const std::size_t n = static_cast<std::size_t>(p[a + 1] - p[a]);
    return n == static_cast<std::size_t>(p[b + 1] - p[b]) &&
           std::equal(csr.columns.begin() + p[a], csr.columns.begin() + p[a + 1], csr.columns.begin() + p[b]) &&
           std::equal(csr.values.begin() + p[a], csr.values.begin() + p[a + 1], csr.values.begin() + p[b]);
  }
};

inline std::uint64_t mix(std::uint64_t h, std::uint64_t v) {
  h ^= v + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
  return h * 0xbf58476d1ce4e5b9ULL;
}

inline LocalColumns local_columns(Mat at) {
  LocalColumns out;
  PetscInt first = 0, last = 0;
  LPNN_PETSC(MatGetOwnershipRange(at, &first, &last));
  extract_rows(at, first, last, out.csr);
  const auto& p = out.csr.row_pointer;
  out.hash.resize(static_cast<std::size_t>(last - first));
  for (std::size_t r = 0; r < out.hash.size(); ++r) {
    std::uint64_t h = static_cast<std::uint64_t>(p[r + 1] - p[r]);
    for (PetscInt k = p[r]; k < p[r + 1]; ++k) {
      std::uint64_t bits = 0;
      std::memcpy(&bits, &out.csr.values[k], sizeof bits);
      h = mix(mix(h, static_cast<std::uint64_t>(out.csr.columns[k])), bits);
    }
    out.hash[r] = h;
  }
  return out;
}

// keep[j] = -1 for a kept column, else the local index of the column it duplicates (and is dominated by).
inline std::vector<std::int64_t> dominated(const LocalColumns& cols, const PetscScalar* c, const PetscScalar* u) {
  const std::size_t n = cols.hash.size();
  std::vector<std::int64_t> by(n, -1);
  // Equal hashes together, cheapest first (ties: lowest index), so each run's first equal column is its keeper.
  struct Key {
    std::uint64_t hash;
    double cost;
    std::size_t index;
    bool operator<(const Key& o) const {
      if (hash != o.hash) return hash < o.hash;
      return cost != o.cost ? cost < o.cost : index < o.index;
    }
  };
  std::vector<Key> order(n);
  for (std::size_t j = 0; j < n; ++j) order[j] = {cols.hash[j], c[j], j};
  std::sort(order.begin(), order.end());
  for (std::size_t s = 0; s < n;) {
    std::size_t e = s + 1;
    while (e < n && order[e].hash == order[s].hash) ++e;
    for (std::size_t i = s + 1; i < e; ++i) {
      const std::size_t k = order[i].index;
      if (!std::isinf(u[k]) || !std::isfinite(c[k])) continue;
      for (std::size_t p = s; p < i; ++p) {
        const std::size_t j = order[p].index;
        if (by[j] < 0 && std::isinf(u[j]) && c[j] <= c[k] && cols.same(j, k)) {
          by[k] = static_cast<std::int64_t>(j);
          break;
        }
      }
    }
    s = e;
  }
  return by;
}

}  // namespace detail

// The LP without its dominated duplicate columns. face.A is released (the face is consumed); face.c
// keeps the unpresolved column layout, for mapping x back (VecISCopy over `kept`). Collective.
inline Presolved drop_dominated_duplicates(ReducedLp& face) {
  MPI_Comm comm = PetscObjectComm(reinterpret_cast<PetscObject>(face.A.get()));
  Presolved out;
  std::vector<PetscInt> kept;
  std::vector<double> c, u, count;
  {
    OwnedMat at;
    LPNN_PETSC(MatTranspose(face.A, MAT_INITIAL_MATRIX, at.out()));
    const detail::LocalColumns cols = detail::local_columns(at);
    const PetscScalar *cc = nullptr, *uu = nullptr;
    PetscInt first = 0, last = 0;
    LPNN_PETSC(VecGetOwnershipRange(face.c, &first, &last));
    LPNN_PETSC(VecGetArrayRead(face.c, &cc));
    LPNN_PETSC(VecGetArrayRead(face.upper, &uu));
    const std::vector<std::int64_t> by = detail::dominated(cols, cc, uu);
    std::vector<double> multiplicity(by.size(), 1.0);
    for (std::int64_t j : by)
      if (j >= 0) multiplicity[static_cast<std::size_t>(j)] += 1.0;
    for (std::size_t j = 0; j < by.size(); ++j) {
      if (by[j] >= 0) continue;
      kept.push_back(first + static_cast<PetscInt>(j));
      c.push_back(cc[j]);
      u.push_back(uu[j]);
      count.push_back(multiplicity[j]);
    }
    LPNN_PETSC(VecRestoreArrayRead(face.upper, &uu));
    LPNN_PETSC(VecRestoreArrayRead(face.c, &cc));
    const PetscInt dropped = (last - first) - static_cast<PetscInt>(kept.size());
    LPNN_MPI(MPI_Allreduce(&dropped, &out.dropped, 1, MPIU_INT, MPI_SUM, comm));
  }
  const PetscInt n = static_cast<PetscInt>(kept.size());
  LPNN_PETSC(ISCreateGeneral(comm, n, kept.data(), PETSC_COPY_VALUES, out.kept.out()));
  PetscInt row_first = 0, row_last = 0;
  LPNN_PETSC(MatGetOwnershipRange(face.A, &row_first, &row_last));
  OwnedIS rows;
  LPNN_PETSC(ISCreateStride(comm, row_last - row_first, row_first, 1, rows.out()));
  LPNN_PETSC(MatCreateSubMatrix(face.A, rows, out.kept, MAT_INITIAL_MATRIX, out.lp.A.out()));
  face.A.reset();
  out.lp.b = std::move(face.b);
  auto vec_of = [&](const std::vector<double>& values, OwnedVec& v) {
    LPNN_PETSC(VecCreateMPI(comm, n, PETSC_DETERMINE, v.out()));
    PetscScalar* a = nullptr;
    LPNN_PETSC(VecGetArray(v, &a));
    std::copy(values.begin(), values.end(), a);
    LPNN_PETSC(VecRestoreArray(v, &a));
  };
  vec_of(c, out.lp.c);
  vec_of(u, out.lp.upper);
  vec_of(count, out.multiplicity);
  // The relative dual test keeps the unpresolved LP's ‖c‖ (or the face's own reference norm).
  out.lp.reference_cost_norm = face.reference_cost_norm;
  if (out.lp.reference_cost_norm < 0) LPNN_PETSC(VecNorm(face.c, NORM_2, &out.lp.reference_cost_norm));
  return out;
}

}  // namespace lpnn::pdhg
