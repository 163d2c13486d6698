// The reference assembly the builder's in-place assembly is checked against: exact preallocation
// from the CSR, then MatSetValues row by row (no mallocs: checked). `block` holds exactly the rows
// LocalPart::of_rank gives this rank.
#pragma once

#include <mpi.h>

#include <vector>

#include "lpnn/bags/generator.hpp"
#include "lpnn/distribute/distribution.hpp"
#include "lpnn/util/error.hpp"
#include "lpnn/util/mpi.hpp"
#include "lpnn/util/petsc.hpp"

namespace lpnn::testing {

inline OwnedMat assemble_matrix(MPI_Comm comm, const PolytopeLayout& layout, const CsrBlock<PetscInt>& block) {
  int rank = 0, ranks = 1;
  LPNN_MPI(MPI_Comm_rank(comm, &rank));
  LPNN_MPI(MPI_Comm_size(comm, &ranks));
  const LocalPart part = LocalPart::of_rank(layout, rank, ranks);
  if (block.row_begin != part.row_begin || block.rows() != part.row_end - part.row_begin)
    fail("assemble_matrix: the block holds rows [{}, {}) but rank {} owns [{}, {})", block.row_begin,
         block.row_begin + block.rows(), rank, part.row_begin, part.row_end);
  const PetscInt local_rows = static_cast<PetscInt>(part.row_end - part.row_begin);
  // Exact preallocation from the CSR itself: entries inside the owned column range are "diagonal".
  std::vector<PetscInt> diagonal(local_rows), off_diagonal(local_rows);
  for (PetscInt r = 0; r < local_rows; ++r) {
    PetscInt d = 0;
    for (PetscInt k = block.row_pointer[r]; k < block.row_pointer[r + 1]; ++k)
      d += (block.columns[k] >= part.column_begin && block.columns[k] < part.column_end) ? 1 : 0;
    diagonal[r] = d;
    off_diagonal[r] = block.row_pointer[r + 1] - block.row_pointer[r] - d;
  }
  OwnedMat A;
  LPNN_PETSC(MatCreate(comm, A.out()));
  LPNN_PETSC(PetscObjectSetName(reinterpret_cast<PetscObject>(A.get()), "A"));
  LPNN_PETSC(
      MatSetSizes(A, local_rows, static_cast<PetscInt>(part.column_end - part.column_begin), layout.rows, layout.cols));
  LPNN_PETSC(MatSetType(A, MATMPIAIJ));
  LPNN_PETSC(MatMPIAIJSetPreallocation(A, 0, diagonal.data(), 0, off_diagonal.data()));
  LPNN_PETSC(MatSetOption(A, MAT_NO_OFF_PROC_ENTRIES, PETSC_TRUE));
  LPNN_PETSC(MatSetOption(A, MAT_NEW_NONZERO_ALLOCATION_ERR, PETSC_TRUE));
  LPNN_PETSC(MatSetOption(A, MAT_SORTED_FULL, PETSC_TRUE));
  for (PetscInt r = 0; r < local_rows; ++r) {
    const PetscInt row = static_cast<PetscInt>(part.row_begin) + r;
    const PetscInt begin = block.row_pointer[r];
    LPNN_PETSC(MatSetValues(A, 1, &row, block.row_pointer[r + 1] - begin, block.columns.data() + begin,
                            block.values.data() + begin, INSERT_VALUES));
  }
  LPNN_PETSC(MatAssemblyBegin(A, MAT_FINAL_ASSEMBLY));
  LPNN_PETSC(MatAssemblyEnd(A, MAT_FINAL_ASSEMBLY));
  MatInfo info;
  LPNN_PETSC(MatGetInfo(A, MAT_GLOBAL_SUM, &info));
  if (info.mallocs != 0) fail("internal: assembly needed {} mallocs despite exact preallocation", info.mallocs);
  return A;
}

}  // namespace lpnn::testing
