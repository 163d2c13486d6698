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

// Samples [first, end).
struct SampleInterval {
  std::int64_t first = 0, end = 0;
  std::int64_t count() const { return end - first; }
};

// This rank's balanced share of the samples whose flag in `done` equals `want`: the matching samples
// in order, cut into `ranks` contiguous pieces of the same size (±1). A resumed build splits what is
// left this way, whatever the rank count of the run that started it.
std::vector<SampleInterval> share_of_samples(const std::vector<std::uint8_t>& done, std::uint8_t want, int rank,
                                             int ranks);

// One lockstep step of a rank's writing: rows [row_begin, row_end) of /A and /lp/b, entries
// [column_begin, column_end) of /lp/c, and the samples that are complete on disk once the step is
// written. Every rank runs the same number of steps (collective writes), padding with empty ones.
struct WriteStep {
  std::int64_t row_begin = 0, row_end = 0;
  std::int64_t column_begin = 0, column_end = 0;
  SampleInterval completes;
};

// Steps covering exactly the rows and λ columns of `samples` (plus the X columns [0, M) first when
// `with_x_columns`), at most `chunk_rows` rows and `chunk_columns` columns per step. A sample
// completes in the step that writes its last objective entry, which comes after its last row.
std::vector<WriteStep> plan_write_steps(const PolytopeLayout& layout, const std::vector<SampleInterval>& samples,
                                        bool with_x_columns, std::int64_t chunk_rows, std::int64_t chunk_columns);

struct BuildOptions {
  std::string output;
  bool force = false;
  bool resume = false;  // finish the unfinished build of `output` (or start one if there is none)
  bool streaming = false;
  std::int64_t chunk_nonzeros = 1 << 24;  // per rank per write
  double checkpoint_seconds = 30;         // at most this long between ledger updates (0: every step)
  bool progress = false;                  // rank 0 prints progress with ETA to stderr
};

struct BuildReport {
  PolytopeLayout layout;
  int ranks = 1;
  bool streaming = false;
  double template_seconds = 0, generate_seconds = 0, assemble_seconds = 0, write_seconds = 0, total_seconds = 0;
  // Parts of write_seconds (slowest rank each): H5Dwrite calls, CRC-32s, fsyncs (H5Fflush).
  double hdf5_write_seconds = 0, checksum_seconds = 0, sync_seconds = 0;
  std::int64_t bytes_written = 0;  // all ranks
  PetscLogDouble assembly_mallocs = 0;
  std::int64_t resumed_samples = 0;  // samples a resumed build found on disk
  bool resumed = false, already_complete = false;
  nlohmann::json to_json() const;
  std::string to_text() const;
};

// Collective. Writes the polytope of `plan` to options.output (under a temporary name until every rank
// has finished). Throws lpnn::Error (on every rank) on failure; no complete-looking file is left, and
// once some samples are recorded on disk the temporary file is kept for --resume (the message says so).
// A resumed build writes the missing samples in streaming mode (its ranks' shares of what is left need
// not match the matrix's row ownership) and yields the same datasets as a clean build.
//
// Fault injection for the tests, through the PETSc options database: -lpnn_fault kill|error with
// -lpnn_fault_rank R and -lpnn_fault_step S makes rank R SIGKILL itself, or fail as a write error
// would, right after write step S (and its ledger update, if one was due).
BuildReport build_polytope(MPI_Comm comm, const Architecture& arch, const Plan& plan, const BuildOptions& options);

}  // namespace lpnn
