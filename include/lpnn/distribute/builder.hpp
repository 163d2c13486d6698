// The distributed builder: spec -> cost template -> per-sample bag blocks -> PETSc Mat -> HDF5.
// Each rank generates the rows of its own samples (distribute/distribution.hpp); the file does not depend
// on the rank count.
#pragma once

#include <mpi.h>

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

#include "lpnn/arch/architecture.hpp"
#include "lpnn/bags/planner.hpp"
#include "lpnn/hdf5/format.hpp"
#include "lpnn/util/petsc.hpp"

namespace lpnn {

struct BuildOptions {
  std::string output;
  bool force = false;
  bool resume = false;  // finish the unfinished build of `output` (or start one if there is none)
  // false: the rows are assembled into PETSc's MATMPIAIJ first and written from it (lpnn-build
  // --assembled); true: generated and written step by step (lpnn-build's default). The same file.
  bool streaming = false;
  std::int64_t chunk_nonzeros = kDefaultChunkNonzeros;  // per rank per write
  double checkpoint_seconds = 30;         // at most this long between ledger updates (0: every step)
  bool progress = false;                  // rank 0 prints progress with ETA to stderr
  StorageOptions storage;                 // none, or deflate (hdf5/format.hpp); --resume keeps the file's
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
  std::string storage = "none";  // as written (a resumed build keeps its file's)
  std::int64_t isal_chunks = 0;  // chunks deflated by ISA-L, all ranks (hdf5/fast_deflate.hpp)
  std::int64_t direct_chunks = 0;  // chunks filtered by lpnn, stored by H5Dwrite_chunk (hdf5/chunk_writer.hpp)
  std::int64_t filter_threads = 1;  // threads filtering them on each rank (the most on any rank)
  std::int64_t generate_threads = 1;  // threads generating the rows on each rank (the most on any rank)
  std::int64_t step_rows = 0;         // rows per write step on each rank (its last step may hold fewer)
  nlohmann::json to_json() const;
  std::string to_text() const;
};

// Collective. Writes the polytope of `plan` to options.output (under a temporary name until every rank
// has finished). Throws lpnn::Error (on every rank) on failure; no complete-looking file is left, and
// once some samples are recorded on disk the temporary file is kept for --resume (the message says so).
// A resumed build writes the missing samples in streaming mode (its ranks' shares of what is left need
// not match the matrix's row ownership) and yields the same datasets as a clean build. The tests'
// fault injection (-lpnn_fault, distribute/start.hpp) is read from the PETSc options database.
BuildReport build_polytope(MPI_Comm comm, const Architecture& arch, const Plan& plan, const BuildOptions& options);

}  // namespace lpnn
