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
  PetscInt n = 0;
  const PetscInt *ia = nullptr, *ja = nullptr;
  PetscBool done = PETSC_FALSE;
  LPNN_PETSC(MatGetRowIJ(part, 0, PETSC_FALSE, PETSC_FALSE, &n, &ia, &ja, &done));
  if (!done) fail("MatGetRowIJ could not expose the gathered matrix as CSR");
  const PetscScalar* values = nullptr;
  const PetscErrorCode code = MatSeqAIJGetArrayRead(part, &values);
  if (code == 0) {
    lp.rows = rows;
    lp.cols = cols;
    lp.row_start.assign(ia, ia + n + 1);
    lp.column.assign(ja, ja + ia[n]);
    lp.value.assign(values, values + ia[n]);
    LPNN_PETSC(MatSeqAIJRestoreArrayRead(part, &values));
  }
  LPNN_PETSC(MatRestoreRowIJ(part, 0, PETSC_FALSE, PETSC_FALSE, &n, &ia, &ja, &done));
  LPNN_PETSC(code);
}

}  // namespace

LinearProgram gather_to_root(Mat A, Vec b, Vec c, Vec lower, Vec upper) {
  MPI_Comm comm = PetscObjectComm(reinterpret_cast<PetscObject>(A));
  int rank = 0;
  LPNN_MPI(MPI_Comm_rank(comm, &rank));
  PetscInt rows = 0, cols = 0;
  LPNN_PETSC(MatGetSize(A, &rows, &cols));
  OwnedIS row_set, col_set;
  LPNN_PETSC(ISCreateStride(PETSC_COMM_SELF, rank == 0 ? rows : 0, 0, 1, row_set.out()));
  LPNN_PETSC(ISCreateStride(PETSC_COMM_SELF, rank == 0 ? cols : 0, 0, 1, col_set.out()));
  IS rs = row_set.get(), cs = col_set.get();
  LinearProgram lp;
  {
    SubMatrices sub;
    LPNN_PETSC(MatCreateSubMatrices(A, 1, &rs, &cs, MAT_INITIAL_MATRIX, &sub.parts));
    // Rank 0 copies alone (a failed allocation there is likely: it holds the whole LP); the others
    // learn of a failure before the vector gathers below, which they would otherwise wait in.
    std::string error;
    if (rank == 0) error = capture_failure([&] { copy_csr(sub.parts[0], rows, cols, lp); });
    throw_if_root_failed(comm, error, "copying the gathered matrix on rank 0");
  }
  lp.b = gather_vector(b);
  lp.c = gather_vector(c);
  lp.lower = gather_vector(lower);
  lp.upper = gather_vector(upper);
  return lp;
}

}  // namespace lpnn
