#include "lpnn/distribute/assembly.hpp"

#include "lpnn/util/error.hpp"

namespace lpnn {

void assemble_in_place(MPI_Comm comm, const PolytopeLayout& layout, AssembledMatrix& assembled) {
  SplitCsr<PetscInt>& s = assembled.storage;
  LPNN_PETSC(MatCreateMPIAIJWithSplitArrays(
      comm, static_cast<PetscInt>(s.rows), static_cast<PetscInt>(s.column_end - s.column_begin), layout.rows,
      layout.cols, s.diagonal_row.get(), s.diagonal_column.get(), s.diagonal_value.get(), s.off_row.get(),
      s.off_column.get(), s.off_value.get(), assembled.matrix.out()));
  LPNN_PETSC(PetscObjectSetName(reinterpret_cast<PetscObject>(assembled.matrix.get()), "A"));
}

namespace {

// MATSEQAIJ (one rank): the whole matrix is one CSR whose column indices are already global.
void sequential_rows(Mat A, PetscInt first, PetscInt last, CsrBlock<PetscInt>& out) {
  const SeqAijCsr csr(A);
  const PetscInt *ia = csr.row_start(), *ja = csr.columns();
  const PetscScalar* a = csr.values();
  out.row_pointer.resize(static_cast<std::size_t>(last - first + 1));
  for (PetscInt r = first; r <= last; ++r) out.row_pointer[r - first] = ia[r] - ia[first];
  out.columns.assign(ja + ia[first], ja + ia[last]);
  out.values.assign(a + ia[first], a + ia[last]);
}

// MATMPIAIJ keeps a rank's rows as two SeqAIJ blocks: owned columns (local indices) and the others
// (compacted indices, mapped back by garray). A global row is: off-diagonal entries left of the
// owned range, the diagonal block's entries, then off-diagonal entries right of it.
void distributed_rows(Mat A, PetscInt first, PetscInt last, CsrBlock<PetscInt>& out) {
  Mat diagonal, off;
  const PetscInt* garray = nullptr;
  LPNN_PETSC(MatMPIAIJGetSeqAIJ(A, &diagonal, &off, &garray));
  PetscInt column_start = 0, column_stop = 0;
  LPNN_PETSC(MatGetOwnershipRangeColumn(A, &column_start, &column_stop));
  PetscInt nd = 0, no = 0;
  const PetscInt *di, *dj, *oi, *oj;
  PetscBool done_d = PETSC_FALSE, done_o = PETSC_FALSE;
  LPNN_PETSC(MatGetRowIJ(diagonal, 0, PETSC_FALSE, PETSC_FALSE, &nd, &di, &dj, &done_d));
  LPNN_PETSC(MatGetRowIJ(off, 0, PETSC_FALSE, PETSC_FALSE, &no, &oi, &oj, &done_o));
  const PetscScalar *dv, *ov;
  LPNN_PETSC(MatSeqAIJGetArrayRead(diagonal, &dv));
  LPNN_PETSC(MatSeqAIJGetArrayRead(off, &ov));
  const std::int64_t nnz = (di[last] - di[first]) + (oi[last] - oi[first]);
  out.row_pointer.resize(static_cast<std::size_t>(last - first + 1));
  out.columns.resize(static_cast<std::size_t>(nnz));
  out.values.resize(static_cast<std::size_t>(nnz));
  std::int64_t k = 0;
  out.row_pointer[0] = 0;
  for (PetscInt r = first; r < last; ++r) {
    PetscInt q = oi[r];
    for (; q < oi[r + 1] && garray[oj[q]] < column_start; ++q) {
      out.columns[k] = garray[oj[q]];
      out.values[k++] = ov[q];
    }
    for (PetscInt p = di[r]; p < di[r + 1]; ++p) {
      out.columns[k] = dj[p] + column_start;
      out.values[k++] = dv[p];
    }
    for (; q < oi[r + 1]; ++q) {
      out.columns[k] = garray[oj[q]];
      out.values[k++] = ov[q];
    }
    out.row_pointer[r - first + 1] = static_cast<PetscInt>(k);
  }
  LPNN_PETSC(MatSeqAIJRestoreArrayRead(diagonal, &dv));
  LPNN_PETSC(MatSeqAIJRestoreArrayRead(off, &ov));
  LPNN_PETSC(MatRestoreRowIJ(diagonal, 0, PETSC_FALSE, PETSC_FALSE, &nd, &di, &dj, &done_d));
  LPNN_PETSC(MatRestoreRowIJ(off, 0, PETSC_FALSE, PETSC_FALSE, &no, &oi, &oj, &done_o));
}

}  // namespace

void extract_rows(Mat A, std::int64_t begin, std::int64_t end, CsrBlock<PetscInt>& out) {
  PetscInt row_start = 0, row_stop = 0;
  LPNN_PETSC(MatGetOwnershipRange(A, &row_start, &row_stop));
  if (begin < row_start || end > row_stop || begin > end)
    fail("extract_rows: rows [{}, {}) are not within this rank's [{}, {})", begin, end, row_start, row_stop);
  PetscBool sequential = PETSC_FALSE;
  LPNN_PETSC(PetscObjectTypeCompare(reinterpret_cast<PetscObject>(A), MATSEQAIJ, &sequential));
  const PetscInt first = static_cast<PetscInt>(begin - row_start), last = static_cast<PetscInt>(end - row_start);
  out.row_begin = begin;
  if (sequential)
    sequential_rows(A, first, last, out);
  else
    distributed_rows(A, first, last, out);
}

}  // namespace lpnn
