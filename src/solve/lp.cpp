#include "lpnn/solve/lp.hpp"

#include <cmath>

#include "lpnn/util/error.hpp"
#include "lpnn/util/mpi.hpp"
#include "lpnn/util/phase.hpp"

namespace lpnn {

void LinearProgram::validate() const {
  if (static_cast<std::int64_t>(row_start.size()) != rows + 1)
    fail("LP: row_start has {} entries, expected {}", row_start.size(), rows + 1);
  if (row_start.front() != 0 || row_start.back() != static_cast<std::int64_t>(column.size()) ||
      column.size() != value.size())
    fail("LP: row_start does not match the {} stored entries", column.size());
  for (std::int64_t r = 0; r < rows; ++r)
    for (std::int64_t k = row_start[r]; k < row_start[r + 1]; ++k) {
      if (column[k] < 0 || column[k] >= cols)
        fail("LP: row {} has column index {} outside [0, {})", r, column[k], cols);
      if (k > row_start[r] && column[k] <= column[k - 1]) fail("LP: row {} has unsorted or repeated columns", r);
    }
  if (static_cast<std::int64_t>(b.size()) != rows) fail("LP: b has {} entries for {} rows", b.size(), rows);
  if (static_cast<std::int64_t>(c.size()) != cols || static_cast<std::int64_t>(lower.size()) != cols ||
      static_cast<std::int64_t>(upper.size()) != cols)
    fail("LP: c, lower and upper need {} entries", cols);
  for (std::int64_t j = 0; j < cols; ++j)
    if (!(lower[j] <= upper[j]) || std::isnan(c[j]))
      fail("LP: column {} has bounds [{}, {}] and cost {}", j, lower[j], upper[j], c[j]);
}

namespace {

std::vector<double> gather_vector(Vec v) {
  PetscOwner<VecScatter, VecScatterDestroy> scatter;
  OwnedVec gathered;
  LPNN_PETSC(VecScatterCreateToZero(v, scatter.out(), gathered.out()));
  LPNN_PETSC(VecScatterBegin(scatter, v, gathered, INSERT_VALUES, SCATTER_FORWARD));
  LPNN_PETSC(VecScatterEnd(scatter, v, gathered, INSERT_VALUES, SCATTER_FORWARD));
  PetscInt n = 0;
  LPNN_PETSC(VecGetLocalSize(gathered, &n));
  const PetscScalar* data = nullptr;
  LPNN_PETSC(VecGetArrayRead(gathered, &data));
  std::vector<double> out(data, data + n);
  LPNN_PETSC(VecRestoreArrayRead(gathered, &data));
  return out;
}

}  // namespace

namespace {

// The array MatCreateSubMatrices returns, destroyed on every path (rank 0's copy may throw).
struct SubMatrices {
  Mat* parts = nullptr;
  SubMatrices() = default;
  SubMatrices(const SubMatrices&) = delete;
  SubMatrices& operator=(const SubMatrices&) = delete;
  ~SubMatrices() {
    if (parts) (void)MatDestroySubMatrices(1, &parts);
  }
};

// Rank 0's gathered block as CSR (local: no communication).
void copy_csr(Mat part, PetscInt rows, PetscInt cols, LinearProgram& lp) {
  const SeqAijCsr csr(part);
  const PetscInt n = csr.rows(), *ia = csr.row_start();
  lp.rows = rows;
  lp.cols = cols;
  lp.row_start.assign(ia, ia + n + 1);
  lp.column.assign(csr.columns(), csr.columns() + ia[n]);
  lp.value.assign(csr.values(), csr.values() + ia[n]);
}

// Restricts rank 0's gathered vectors to the columns not fixed at 0 and records which they are.
void keep_unfixed_columns(LinearProgram& lp, std::vector<PetscInt>& kept) {
  for (std::size_t j = 0; j < lp.c.size(); ++j)
    if (!(lp.lower[j] == 0.0 && lp.upper[j] == 0.0)) kept.push_back(static_cast<PetscInt>(j));
  auto restrict_to_kept = [&](std::vector<double>& v) {
    std::vector<double> out(kept.size());
    for (std::size_t k = 0; k < kept.size(); ++k) out[k] = v[static_cast<std::size_t>(kept[k])];
    v = std::move(out);
  };
  for (std::vector<double>* v : {&lp.c, &lp.lower, &lp.upper}) restrict_to_kept(*v);
  lp.original_column.assign(kept.begin(), kept.end());
}

}  // namespace

LinearProgram gather_to_root(Mat A, Vec b, Vec c, Vec lower, Vec upper, bool drop_fixed_zero_columns) {
  MPI_Comm comm = PetscObjectComm(reinterpret_cast<PetscObject>(A));
  int rank = 0;
  LPNN_MPI(MPI_Comm_rank(comm, &rank));
  PetscInt rows = 0, cols = 0;
  LPNN_PETSC(MatGetSize(A, &rows, &cols));
  LinearProgram lp;
  lp.b = gather_vector(b);
  lp.c = gather_vector(c);
  lp.lower = gather_vector(lower);
  lp.upper = gather_vector(upper);
  // Rank 0 chooses the columns to fetch (ascending, so the submatrix keeps their order).
  std::vector<PetscInt> kept;
  std::string error;
  if (rank == 0 && drop_fixed_zero_columns)
    error = capture_failure([&] { keep_unfixed_columns(lp, kept); });
  throw_if_root_failed(comm, error, "choosing the face's columns on rank 0");
  OwnedIS row_set, col_set;
  LPNN_PETSC(ISCreateStride(PETSC_COMM_SELF, rank == 0 ? rows : 0, 0, 1, row_set.out()));
  if (rank == 0 && drop_fixed_zero_columns)
    LPNN_PETSC(ISCreateGeneral(PETSC_COMM_SELF, static_cast<PetscInt>(kept.size()), kept.data(), PETSC_USE_POINTER,
                               col_set.out()));
  else
    LPNN_PETSC(ISCreateStride(PETSC_COMM_SELF, rank == 0 ? cols : 0, 0, 1, col_set.out()));
  IS rs = row_set.get(), cs = col_set.get();
  SubMatrices sub;
  LPNN_PETSC(MatCreateSubMatrices(A, 1, &rs, &cs, MAT_INITIAL_MATRIX, &sub.parts));
  // Rank 0 copies alone (a failed allocation there is likely: it holds the whole LP); the others
  // learn of a failure here instead of waiting in a later collective.
  if (rank == 0) {
    PetscInt sub_cols = 0;
    LPNN_PETSC(ISGetLocalSize(cs, &sub_cols));
    error = capture_failure([&] { copy_csr(sub.parts[0], rows, sub_cols, lp); });
  }
  throw_if_root_failed(comm, error, "copying the gathered matrix on rank 0");
  return lp;
}

}  // namespace lpnn
