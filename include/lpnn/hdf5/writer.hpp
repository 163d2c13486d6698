// The parallel writer of a polytope file (the format is in hdf5/format.hpp), with the ledger of
// samples on disk that makes a killed build resumable.
#pragma once

#include <mpi.h>

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "lpnn/bags/family_record.hpp"
#include "lpnn/bags/generator.hpp"
#include "lpnn/hdf5/checksum.hpp"
#include "lpnn/hdf5/chunk_writer.hpp"
#include "lpnn/hdf5/fast_deflate.hpp"
#include "lpnn/hdf5/format.hpp"
#include "lpnn/hdf5/handles.hpp"
#include "lpnn/hdf5/paths.hpp"

namespace lpnn {

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
// Rows [row_begin, row_begin + rows) of the matrix as CSR arrays owned by someone else: row r's entries
// are columns[k], values[k] for k in [row_pointer[r], row_pointer[r + 1]) (global columns; the offsets
// need not start at 0).
template <typename Index>
struct CsrRowsView {
  std::int64_t row_begin = 0, rows = 0;
  const Index* row_pointer = nullptr;  // rows + 1 offsets
  const Index* columns = nullptr;
  const double* values = nullptr;
};

class PolytopeWriter {
 public:
  PolytopeWriter(MPI_Comm comm, const std::string& path, const PolytopeMetadata& meta,
                 WriterMode mode = WriterMode::Create, StorageOptions storage = {});
  ~PolytopeWriter();
  PolytopeWriter(const PolytopeWriter&) = delete;
  PolytopeWriter& operator=(const PolytopeWriter&) = delete;

  template <typename Index>
  void write_rows(const CsrBlock<Index>& block, Emit emit = Emit::Write);  // jc, ir, data for block's rows
  // The same from arrays held elsewhere (the assembled matrix's own storage), written without a copy.
  template <typename Index>
  void write_rows(const CsrRowsView<Index>& rows, Emit emit = Emit::Write);
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
  // Chunks this rank filtered itself and HDF5 stored as they were (chunk_writer.hpp).
  std::int64_t direct_chunks() const { return chunk_writer_.chunks_written(); }
  int filter_threads() const { return chunk_writer_.threads(); }
  // Where this rank's write time went: H5Dwrite calls, CRC-32 of the written bytes, syncs to disk.
  struct Seconds {
    double hdf5_write = 0, checksum = 0, sync = 0;
  };
  const Seconds& seconds() const { return seconds_; }
  const std::string& temporary_path() const { return partial_; }
  // The storage in use: the requested one, or, when resuming, the unfinished file's own.
  const StorageOptions& storage() const { return storage_; }

 private:
  void create(const PolytopeMetadata& meta);
  void open_for_resume(const PolytopeMetadata& meta);
  void write_grids();
  void create_family();  // version 2: /family's datasets with their checksums, written whole
  h5::Handle dataset_creation(const std::string& dataset) const;  // layout, chunks and filters
  // Unshuffled chunks (format.hpp's shuffled()) are deflated by zlib, at level 3 at least.
  bool zlib_deflated(const std::string& dataset) const;
  void write_provenance(const nlohmann::json& provenance);
  void close_agreed();  // collective: closes the file if every rank has it open, else gives it up
  void write_slab(const char* dataset, hid_t memory_type, std::int64_t offset, std::int64_t count, const void* data,
                  std::size_t element_bytes, Emit emit = Emit::Write);

  static constexpr const char* kLedger = "/build/samples_done";
  static h5::Handle transfer_property(const StorageOptions& storage);

  MPI_Comm comm_;
  int rank_ = 0;
  std::string path_, partial_;
  PolytopeLayout layout_;
  FamilyRecord family_;  // version 2 only (empty for the star)
  StorageOptions storage_;
  h5::FastDeflate fast_deflate_;  // HDF5's deflate runs ISA-L for this writer's chunks (fast_deflate.hpp)
  h5::ChunkWriter chunk_writer_;  // whole chunks filtered by lpnn (chunk_writer.hpp)
  bool direct_chunks_ = true;     // -lpnn_direct_chunks: false sends every chunk through HDF5's filters
  std::map<std::pair<std::string, hid_t>, h5::ChunkPipeline> pipelines_;  // per dataset and memory type
  h5::Handle file_;
  EarlyWriteback writeback_;  // pages of contiguous datasets start for the disk as they are written
  h5::Handle transfer_;  // MPI-IO transfer property list: collective for chunked files, else independent
  bool committed_ = false, resumable_ = false;
  std::int64_t bytes_written_ = 0;
  Seconds seconds_;
  std::map<std::string, std::vector<CrcPiece>> pieces_;  // per dataset, what this rank wrote
  std::vector<std::int64_t> row_pointers_;               // /A/jc of a write step, kept from step to step
};

}  // namespace lpnn
