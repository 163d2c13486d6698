// The distributed constraint matrix: a rank's generated rows become PETSc's MATMPIAIJ in place, and
// rows are read back out of it for writing.
#pragma once

#include <mpi.h>

#include <cstdint>

#include "lpnn/bags/generator.hpp"
#include "lpnn/bags/layout.hpp"
#include "lpnn/util/petsc.hpp"

namespace lpnn {

// A MATMPIAIJ whose arrays are the generated SplitCsr itself (MatCreateMPIAIJWithSplitArrays uses
// them in place). `storage` must outlive `matrix`: members are destroyed in reverse order.
struct AssembledMatrix {
  SplitCsr<PetscInt> storage;
  OwnedMat matrix;
};

// Collective: assembled.matrix over assembled.storage, the rank's rows from generate_split_rows.
void assemble_in_place(MPI_Comm comm, const PolytopeLayout& layout, AssembledMatrix& assembled);

// Rows [begin, end) of A (owned by this rank, global numbering) as one CSR block with global columns,
// read from the matrix's own storage: what the file is written from in assembled mode. A is MATMPIAIJ
// or MATSEQAIJ.
void extract_rows(Mat A, std::int64_t begin, std::int64_t end, CsrBlock<PetscInt>& out);

}  // namespace lpnn
