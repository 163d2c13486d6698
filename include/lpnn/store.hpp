// The polytope file (HDF5), format version 1. Written in parallel by all ranks, read by PETSc's
// MatLoad, h5py or lpnn's own loader. The full format is documented in README.md ("File format").
//
//   /A               group, attribute MATLAB_sparse = columns (MatLoad's CSR layout)
//     jc             int64[rows + 1]  row pointers
//     ir             int64[nnz]       0-based column indices, ascending within a row
//     data           float64[nnz]     values (+1 / -1)
//   /lp/b            float64[rows]    right-hand sides (every row is an equality)
//   /lp/c            float64[cols]    full-data objective: λ_R·R(θ(a)) on X, c[j]/D on λ^d
//   /template/cost   float64[B]       the cost template c[j]
//   /grids/param, /grids/input, /grids/output   float64[K] grid values
//   every dataset    attribute crc32: zlib CRC-32 of its stored bytes (verify_polytope_checksums)
//   root attributes  format, format_version, complete, spec (JSON), samples, grid_*, sizes, Lipschitz
//   /provenance      attributes: lpnn_version, ranks, mode, created_utc, build_seconds, resumed_samples
//
// While a build runs, its temporary file also holds /build/samples_done (uint8[D]): 1 for every sample
// whose rows, right-hand sides and objective entries are on disk (written after an fsync of them).
// `lpnn-build --resume` reads it to finish a crashed or killed build; commit() removes it.
//
// A file is complete only when it carries complete = 1; the writer works under a temporary name and
// renames after every rank has finished, so a crashed build never leaves a file that looks complete.
#pragma once

#include <mpi.h>

#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "lpnn/architecture.hpp"
#include "lpnn/checksum.hpp"
#include "lpnn/generator.hpp"
#include "lpnn/hdf5.hpp"
#include "lpnn/layout.hpp"
#include "lpnn/petsc.hpp"

namespace lpnn {

inline constexpr const char* kPolytopeFormat = "lpnn-polytope";
inline constexpr std::int64_t kPolytopeFormatVersion = 1;

struct PolytopeMetadata {
  Architecture arch;
  PolytopeLayout layout;
  double lipschitz_bmp = 0.0;
  double lipschitz_numeric = 0.0;
};

// The temporary name a build of `path` writes under: ".<name>.partial" in the same directory.
std::string partial_path(const std::string& path);

// How a writer treats the temporary file: start it afresh, or continue the unfinished build in it.
enum class WriterMode { Create, Resume };

// Write = a collective write (ranks with nothing to write pass an empty range); ChecksumOnly = no I/O,
// no communication: the bytes only join the dataset's checksum (samples a resumed build finds on disk
// are regenerated for that, so the checksum vouches for what the file must hold, not for what it holds).
enum class Emit { Write, ChecksumOnly };

// Collective on `comm`. Creates the datasets under the temporary name (or, with WriterMode::Resume,
// opens the unfinished build there after checking it is of the same polytope). Destroyed without
// commit(), it removes the temporary file unless samples were recorded as done (resumable()). Create
// reserves the file's whole size first (fallocate where the file system has it), so a full disk or a
// file-size limit is an error, on every rank, before any data is written: parallel HDF5 1.10 cannot
// close a file cleanly after a failed write.
class PolytopeWriter {
 public:
  PolytopeWriter(MPI_Comm comm, const std::string& path, const PolytopeMetadata& meta,
                 WriterMode mode = WriterMode::Create);
  ~PolytopeWriter();
  PolytopeWriter(const PolytopeWriter&) = delete;
  PolytopeWriter& operator=(const PolytopeWriter&) = delete;

  template <typename Index>
  void write_rows(const CsrBlock<Index>& block, Emit emit = Emit::Write);  // jc, ir, data for block's rows
  void write_rhs(std::int64_t first_row, std::span<const double> values, Emit emit = Emit::Write);
  void write_objective(std::int64_t first_column, std::span<const double> values, Emit emit = Emit::Write);
  void write_template(std::int64_t first, std::span<const double> values);

  // The ledger: which samples are fully on disk (every rank gets all D flags; no communication).
  std::vector<std::uint8_t> samples_done() const;
  // Collective: syncs everything written so far to disk (MPI_File_sync through H5Fflush), then marks
  // this rank's `ranges` of samples [first, end) as done. A crash at any point leaves a ledger that
  // claims only samples whose bytes are on disk.
  void record_samples_done(const std::vector<std::pair<std::int64_t, std::int64_t>>& ranges);
  bool resumable() const { return resumable_; }  // some samples are recorded done: keep the file

  // Closes the file, then rank 0 renames it into place. provenance: string/number attributes.
  void commit(const nlohmann::json& provenance);
  std::int64_t bytes_written() const { return bytes_written_; }  // by this rank
  // Where this rank's write time went: H5Dwrite calls, CRC-32 of the written bytes, syncs to disk.
  struct Seconds {
    double hdf5_write = 0, checksum = 0, sync = 0;
  };
  const Seconds& seconds() const { return seconds_; }
  const std::string& temporary_path() const { return partial_; }

 private:
  void create(const PolytopeMetadata& meta);
  void open_for_resume(const PolytopeMetadata& meta);
  void write_grids();
  void write_slab(const char* dataset, hid_t memory_type, std::int64_t offset, std::int64_t count, const void* data,
                  std::size_t element_bytes, Emit emit = Emit::Write);

  MPI_Comm comm_;
  int rank_ = 0;
  std::string path_, partial_;
  PolytopeLayout layout_;
  h5::Handle file_;
  h5::Handle transfer_;  // collective MPI-IO transfer property list
  bool committed_ = false, resumable_ = false;
  std::int64_t bytes_written_ = 0;
  Seconds seconds_;
  std::map<std::string, std::vector<CrcPiece>> pieces_;  // per dataset, what this rank wrote
};

// Every dataset of the layout with its length in elements (all are 8-byte elements).
std::vector<std::pair<std::string, std::int64_t>> polytope_datasets(const PolytopeLayout& layout);

// Checks `path` is a complete lpnn polytope file of this format version whose sizes agree with its
// spec and datasets; throws lpnn::Error saying what is wrong otherwise. Any rank, no communication.
PolytopeMetadata read_polytope_metadata(const std::string& path);

// A whole 1-D dataset (e.g. "/template/cost") read on the calling rank.
std::vector<double> read_double_dataset(const std::string& path, const std::string& dataset);

// /A loaded with PETSc's MatLoad on `comm` (any number of ranks), checked against the metadata sizes.
OwnedMat load_constraint_matrix(MPI_Comm comm, const std::string& path, const PolytopeLayout& layout);

// Checks that `path` can be created: its directory exists and is writable, and it does not exist
// unless `force`. Throws lpnn::Error naming the path and the fix.
void check_output_path(const std::string& path, bool force, const char* force_flag = "--force");

}  // namespace lpnn
