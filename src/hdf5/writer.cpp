// The writer's data side: options, the slab and chunk writes with their checksums and write-back,
// and the commit that renames a finished build into place (creation: writer_create.cpp; resume and
// the ledger: ledger.cpp).
#include "lpnn/hdf5/writer.hpp"

#include <petscsys.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <exception>
#include <future>
#include <optional>
#include <system_error>

#include "lpnn/hdf5/paths.hpp"
#include "lpnn/util/error.hpp"
#include "lpnn/util/files.hpp"
#include "lpnn/util/log.hpp"
#include "lpnn/util/mpi.hpp"
#include "lpnn/util/petsc.hpp"
#include "lpnn/util/phase.hpp"
#include "lpnn/util/workers.hpp"

namespace lpnn {

namespace {

// The CRC-32 of the bytes a write is given, on a second thread when one can be started. A process that
// cannot start one (address space at its ulimit -v, threads at their ulimit -u) still builds: the
// checksum is then taken when the caller asks for it, after the write.
std::future<std::uint32_t> checksum_beside(const void* data, std::int64_t bytes, double& seconds) {
  const auto checksum = [data, bytes, &seconds] {
    WallTimer timer(seconds);
    return bytes > 0 ? crc32_of(data, bytes) : 0u;
  };
  try {
    return std::async(std::launch::async, checksum);
  } catch (const std::system_error&) {
    return std::async(std::launch::deferred, checksum);
  }
}

}  // namespace

h5::Handle PolytopeWriter::transfer_property(const StorageOptions& storage) {
  // Filtered (chunked) datasets must be written collectively in parallel HDF5 1.10. Contiguous ones are
  // written independently: each rank's slab is one contiguous range, which MPI-IO then writes directly
  // instead of through the two-phase collective buffering (a copy of every byte, and a collective per
  // write).
  h5::Handle transfer(H5Pcreate(H5P_DATASET_XFER), H5Pclose, "H5Pcreate");
  h5::check(H5Pset_dxpl_mpio(transfer, storage.compressed() ? H5FD_MPIO_COLLECTIVE : H5FD_MPIO_INDEPENDENT),
            "H5Pset_dxpl_mpio");
  return transfer;
}

PolytopeWriter::PolytopeWriter(MPI_Comm comm, const std::string& path, const PolytopeMetadata& meta, WriterMode mode,
                               StorageOptions storage)
    : comm_(comm), path_(path), partial_(partial_path(path)), layout_(meta.layout), storage_(storage) {
  LPNN_MPI(MPI_Comm_rank(comm, &rank_));
  h5::quiet_errors();
  direct_chunks_ = petsc_option_or("-lpnn_direct_chunks", true);
  // The chunk filter's threads: this rank's share of the cores it may run on (collective), unless set.
  if (storage_.compressed() && direct_chunks_)
    chunk_writer_.set_threads(threads_per_rank(comm_, "-lpnn_filter_threads"));
  // Each rank starts the write-out of the pages it wrote, unless -lpnn_early_writeback 0 (paths.hpp).
  const bool early_writeback = petsc_option_or("-lpnn_early_writeback", true);
  if (mode == WriterMode::Resume) {
    open_for_resume(meta);
    if (early_writeback) writeback_ = EarlyWriteback(partial_);
    write_grids();
    return;
  }
  try {
    // Every rank computes the same record (a pure function of the spec and grids).
    if (!layout_.star()) family_ = family_record(meta.arch, layout_);
    create(meta);
    if (early_writeback) writeback_ = EarlyWriteback(partial_);
    write_grids();
  } catch (const CollectiveError&) {
    // The destructor never runs for a constructor that throws: remove the temporary file here.
    close_agreed();
    if (rank_ == 0) std::remove(partial_.c_str());
    throw;
  } catch (...) {
    file_.release();  // this rank alone failed: no collective close (the tool aborts the job)
    throw;
  }
}

void PolytopeWriter::close_agreed() {
  // Every rank unwinds the same error here, but creation may have failed on some ranks only: close
  // collectively only when every rank holds the file open.
  int open = file_.get() >= 0 ? 1 : 0, all_open = 0;
  if (MPI_Allreduce(&open, &all_open, 1, MPI_INT, MPI_MIN, comm_) != MPI_SUCCESS || !all_open) {
    file_.release();
    return;
  }
  file_.close();
}

PolytopeWriter::~PolytopeWriter() {
  if (committed_) return;
  // H5Fclose is collective under MPI-IO: never while this rank unwinds a failure its peers do not
  // share (they may wait in another collective); the tool then aborts the job, leaving the temporary
  // file, which is never taken for a complete one.
  if (std::uncaught_exceptions() > 0 && !agreed_error_in_flight) {
    file_.release();
    return;
  }
  close_agreed();
  if (rank_ == 0 && !resumable_) std::remove(partial_.c_str());
}

void PolytopeWriter::write_slab(const char* dataset, hid_t memory_type, std::int64_t offset, std::int64_t count,
                                const void* data, std::size_t element_bytes, Emit emit) {
  const std::int64_t bytes = count * static_cast<std::int64_t>(element_bytes);
  // The memory bytes are the file bytes (little-endian int64/float64): checksum them as written.
  const auto record = [&](std::uint32_t crc) {
    if (count > 0) pieces_[dataset].push_back({offset * static_cast<std::int64_t>(element_bytes), bytes, crc});
  };
  if (emit == Emit::ChecksumOnly) {
    EventScope event(log_event("lpnnChecksum"), seconds_.checksum);
    record(count > 0 ? crc32_of(data, bytes) : 0);
    return;
  }
  // Every rank runs the same sequence of collective calls; failures are agreed on afterwards so that
  // all ranks throw together instead of some waiting in the next collective.
  run_phase(comm_, dataset, fmt::format("writing {} to {}", dataset, partial_), [&] {
    h5::Handle set(H5Dopen2(file_, dataset, H5P_DEFAULT), H5Dclose, std::string("opening ") + dataset);
    h5::Handle filespace(H5Dget_space(set), H5Sclose, "H5Dget_space");
    const hsize_t start = static_cast<hsize_t>(offset), n = static_cast<hsize_t>(count), one = 1;
    h5::Handle memspace(H5Screate_simple(1, count > 0 ? &n : &one, nullptr), H5Sclose, "H5Screate_simple");
    if (count > 0) {
      h5::check(H5Sselect_hyperslab(filespace, H5S_SELECT_SET, &start, nullptr, &n, nullptr), "H5Sselect_hyperslab");
    } else {
      h5::check(H5Sselect_none(filespace), "H5Sselect_none");
      h5::check(H5Sselect_none(memspace), "H5Sselect_none");
    }
    const double dummy = 0.0;
    // Whole chunks skip HDF5's filter pipeline (the same decision on every rank: a collective path), and
    // the chunk writer takes their CRC-32 as it shuffles them.
    const h5::ChunkPipeline* pipeline = nullptr;
    if (direct_chunks_ && storage_.compressed()) {
      const auto key = std::make_pair(std::string(dataset), memory_type);
      auto known = pipelines_.find(key);
      if (known == pipelines_.end()) known = pipelines_.emplace(key, h5::chunk_pipeline(set, memory_type)).first;
      if (known->second.applicable) pipeline = &known->second;
    }
    bool written = false;
    if (pipeline) {
      EventScope event(log_event("lpnnH5Dwrite"), seconds_.hdf5_write);
      const double crc_before = chunk_writer_.crc_seconds();
      written = chunk_writer_.write(comm_, set, *pipeline, offset, count, data);
      seconds_.checksum += chunk_writer_.crc_seconds() - crc_before;
      if (written) record(chunk_writer_.range_crc());
    }
    if (!written) {
      // The CRC-32 runs on a second thread beside the write (both only read the buffer; the thread calls
      // neither MPI nor PETSc nor HDF5): the checksum costs no extra pass over the data in wall time.
      double crc_seconds = 0.0;
      std::future<std::uint32_t> crc = checksum_beside(data, bytes, crc_seconds);
      {
        EventScope event(log_event("lpnnH5Dwrite"), seconds_.hdf5_write);
        written = H5Dwrite(set, memory_type, memspace, filespace, transfer_, count > 0 ? data : &dummy) >= 0;
      }
      record(crc.get());
      seconds_.checksum += crc_seconds;
    }
    if (!written)
      fail("writing {} elements of {} to {} failed (disk full or file-size limit?)", count, dataset, partial_);
    bytes_written_ += bytes;
    // Contiguous datasets only (chunked ones have no single address, and their few bytes can wait).
    if (writeback_.active() && count > 0 && !pipeline)
      if (const haddr_t address = H5Dget_offset(set); address != HADDR_UNDEF)
        writeback_.start(static_cast<std::int64_t>(address) + offset * static_cast<std::int64_t>(element_bytes), bytes);
  });
}

template <typename Index>
void PolytopeWriter::write_rows(const CsrBlock<Index>& block, Emit emit) {
  write_rows(CsrRowsView<Index>{block.row_begin, std::max<std::int64_t>(block.rows(), 0), block.row_pointer.data(),
                                block.columns.data(), block.values.data()},
             emit);
}

template <typename Index>
void PolytopeWriter::write_rows(const CsrRowsView<Index>& view, Emit emit) {
  const std::int64_t rows = view.rows;
  const std::int64_t first = rows > 0 ? static_cast<std::int64_t>(view.row_pointer[0]) : 0;
  const std::int64_t nnz = rows > 0 ? static_cast<std::int64_t>(view.row_pointer[rows]) - first : 0;
  const std::int64_t nnz_offset = rows > 0 ? layout_.nnz_before_row(view.row_begin) : 0;
  // The row pointers are the one array the file stores differently (global offsets): rows entries, a
  // small fraction of the step; the columns and values go out as they are.
  row_pointers_.resize(static_cast<std::size_t>(rows));
  for (std::int64_t r = 0; r < rows; ++r)
    row_pointers_[r] = nnz_offset + (static_cast<std::int64_t>(view.row_pointer[r]) - first);
  write_slab("/A/jc", h5::native_type<std::int64_t>(), view.row_begin, rows, row_pointers_.data(), 8, emit);
  if constexpr (sizeof(Index) == 8) {
    write_slab("/A/ir", h5::native_type<std::int64_t>(), nnz_offset, nnz, view.columns + first, 8, emit);
  } else {  // 32-bit PetscInt: widen, so that the checksummed bytes are the stored int64 bytes
    const std::vector<std::int64_t> wide(view.columns + first, view.columns + first + nnz);
    write_slab("/A/ir", h5::native_type<std::int64_t>(), nnz_offset, nnz, wide.data(), 8, emit);
  }
  write_slab("/A/data", H5T_NATIVE_DOUBLE, nnz_offset, nnz, view.values + first, sizeof(double), emit);
}
template void PolytopeWriter::write_rows<std::int32_t>(const CsrBlock<std::int32_t>&, Emit);
template void PolytopeWriter::write_rows<std::int64_t>(const CsrBlock<std::int64_t>&, Emit);
template void PolytopeWriter::write_rows<std::int32_t>(const CsrRowsView<std::int32_t>&, Emit);
template void PolytopeWriter::write_rows<std::int64_t>(const CsrRowsView<std::int64_t>&, Emit);

void PolytopeWriter::write_rhs(std::int64_t first_row, std::span<const double> values, Emit emit) {
  write_slab("/lp/b", H5T_NATIVE_DOUBLE, first_row, static_cast<std::int64_t>(values.size()), values.data(), 8, emit);
}
void PolytopeWriter::write_objective(std::int64_t first_column, std::span<const double> values, Emit emit) {
  std::optional<h5::ZlibDeflate> zlib;  // unshuffled costs: zlib's lazy matching
  if (zlib_deflated("/lp/c")) zlib.emplace();
  std::optional<h5::RepeatedChunks> repeated;  // whole periods of c per chunk (chunk_elements)
  if (storage_.compressed()) repeated.emplace();
  write_slab("/lp/c", H5T_NATIVE_DOUBLE, first_column, static_cast<std::int64_t>(values.size()), values.data(), 8,
             emit);
}
void PolytopeWriter::write_template(std::int64_t first, std::span<const double> values) {
  write_slab("/template/cost", H5T_NATIVE_DOUBLE, first, static_cast<std::int64_t>(values.size()), values.data(), 8);
}

void PolytopeWriter::commit(const nlohmann::json& provenance) {
  // The last row pointer (= nnz) closes /A/jc.
  const std::int64_t nnz = layout_.nnz;
  write_slab("/A/jc", h5::native_type<std::int64_t>(), layout_.rows, rank_ == 0 ? 1 : 0, &nnz, 8);
  // Attribute writes are collective and must carry the same values on every rank: rank 0's.
  std::string text = provenance.dump();
  broadcast_string(comm_, text);
  run_phase(comm_, "commit", "writing the provenance of " + partial_,
            [&] { write_provenance(nlohmann::json::parse(text)); });
  // Each dataset's CRC-32 from the pieces every rank wrote, combined in order (the same on every rank).
  std::vector<std::pair<std::string, std::uint32_t>> crcs;
  run_phase(comm_, "checksums", "combining the checksums of " + partial_, [&] {
    for (const DatasetSpec& d : polytope_datasets(layout_))
      crcs.emplace_back(d.name, combine_pieces(comm_, pieces_[d.name], d.size * 8));
  });
  run_phase(comm_, "complete", "marking " + partial_ + " complete", [&] {
    // From here the ledger goes: a failure leaves nothing to resume, and the file is removed.
    resumable_ = false;
    for (const auto& [name, crc] : crcs) {
      h5::Handle set(H5Dopen2(file_, name.c_str(), H5P_DEFAULT), H5Dclose, "opening " + name);
      h5::write_attribute(set, "crc32", static_cast<std::int64_t>(crc));
    }
    // The ledger has served its purpose; the finished file holds the polytope only.
    if (h5::exists(file_, "/build") && H5Ldelete(file_, "/build", H5P_DEFAULT) < 0)
      fail("removing the build ledger from {} failed", partial_);
    h5::write_attribute(file_, "complete", std::int64_t{1});
  });
  run_phase(comm_, "close", "closing " + partial_, [&] {
    if (file_.close() < 0) fail("closing {} failed (disk full?)", partial_);
  });
  std::string error;
  if (rank_ == 0 && std::rename(partial_.c_str(), path_.c_str()) != 0)
    error = fmt::format("renaming {} to {} failed: {}", partial_, path_, std::strerror(errno));
  committed_ = true;
  throw_if_root_failed(comm_, error);
}

void PolytopeWriter::write_provenance(const nlohmann::json& provenance) {
  h5::Handle group(H5Gopen2(file_, "/provenance", H5P_DEFAULT), H5Gclose, "opening /provenance");
  for (const auto& item : provenance.items()) {
    if (item.value().is_number_integer())
      h5::write_attribute(group, item.key(), item.value().get<std::int64_t>());
    else if (item.value().is_number())
      h5::write_attribute(group, item.key(), item.value().get<double>());
    else
      h5::write_attribute(group, item.key(),
                          item.value().is_string() ? item.value().get<std::string>() : item.value().dump());
  }
}

}  // namespace lpnn
