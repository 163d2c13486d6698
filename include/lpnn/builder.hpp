// The distributed builder: spec -> cost template -> per-sample bag blocks -> PETSc Mat -> HDF5.
// Samples are split into contiguous balanced ranges (SampleRange); each rank generates the rows of its
// own samples. Rank 0 also owns the shared X columns. The file does not depend on the rank count.
#pragma once

#include <mpi.h>

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "lpnn/architecture.hpp"
#include "lpnn/generator.hpp"
#include "lpnn/petsc.hpp"
#include "lpnn/planner.hpp"

namespace lpnn {

// Rows and columns a rank owns in the distributed matrix.
struct LocalPart {
  SampleRange samples;
  std::int64_t row_begin = 0, row_end = 0;
  std::int64_t column_begin = 0, column_end = 0;  // rank 0 also owns X[0..M)
  static LocalPart of_rank(const PolytopeLayout& layout, int rank, int ranks);
};

// The whole cost template on every rank, each rank computing a balanced share (MPI_Allgatherv).
std::vector<double> build_cost_template(MPI_Comm comm, const Architecture& arch, const PolytopeLayout& layout);

// Assembles the rank's rows into a MATMPIAIJ with exact preallocation and MatSetValues (no mallocs:
// checked, an lpnn::Error otherwise). `block` holds exactly the rows of LocalPart::of_rank. The
// builder uses assemble_in_place; this independent path is the reference the tests compare with.
OwnedMat assemble_matrix(MPI_Comm comm, const PolytopeLayout& layout, const CsrBlock<PetscInt>& block);

// A MATMPIAIJ whose arrays are the generated SplitCsr itself (MatCreateMPIAIJWithSplitArrays uses
// them in place). `storage` must outlive `matrix`: members are destroyed in reverse order.
struct AssembledMatrix {
  SplitCsr<PetscInt> storage;
  OwnedMat matrix;
};

// Collective: assembled.matrix over assembled.storage, the rank's rows from generate_split_rows.
void assemble_in_place(MPI_Comm comm, const PolytopeLayout& layout, AssembledMatrix& assembled);

// Rows [begin, end) of A (owned by this rank, global numbering) as one CSR block with global columns,
// read from the matrix's own storage: what the file is written from in assembled mode.
void extract_rows(Mat A, std::int64_t begin, std::int64_t end, CsrBlock<PetscInt>& out);

struct BuildOptions {
  std::string output;
  bool force = false;
  bool streaming = false;
  std::int64_t chunk_nonzeros = 1 << 24;  // streaming: per rank per write
  bool progress = false;                  // rank 0 prints progress with ETA to stderr
};

struct BuildReport {
  PolytopeLayout layout;
  int ranks = 1;
  bool streaming = false;
  double template_seconds = 0, generate_seconds = 0, assemble_seconds = 0, write_seconds = 0, total_seconds = 0;
  std::int64_t bytes_written = 0;  // all ranks
  PetscLogDouble assembly_mallocs = 0;
  nlohmann::json to_json() const;
  std::string to_text() const;
};

// Collective. Writes the polytope of `plan` to options.output (under a temporary name until every rank
// has finished). Throws lpnn::Error (on every rank) on failure; no complete-looking file is left.
BuildReport build_polytope(MPI_Comm comm, const Architecture& arch, const Plan& plan, const BuildOptions& options);

}  // namespace lpnn
