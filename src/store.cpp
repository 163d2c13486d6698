#include "lpnn/store.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <petscviewerhdf5.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include "lpnn/checksum.hpp"
#include "lpnn/error.hpp"
#include "lpnn/planner.hpp"

namespace lpnn {

namespace fs = std::filesystem;

std::string partial_path(const std::string& path) {
  const fs::path p(path);
  return (p.parent_path() / ("." + p.filename().string() + ".partial")).string();
}

void check_output_path(const std::string& path, bool force, const char* force_flag) {
  if (path.empty()) fail("no output file given (-o FILE)");
  const fs::path p(path);
  const fs::path dir = p.parent_path().empty() ? fs::path(".") : p.parent_path();
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) {
    if (fs::exists(dir, ec))
      fail("the output directory {} is not a directory; choose another -o path", dir.string());
    fail("the output directory {} does not exist; create it first (mkdir -p {})", dir.string(), dir.string());
  }
  if (::access(dir.c_str(), W_OK | X_OK) != 0)
    fail("the output directory {} is not writable ({}); choose another -o path", dir.string(), std::strerror(errno));
  if (fs::is_directory(p, ec)) fail("the output {} is a directory; give a file name", path);
  if (fs::exists(p, ec) && !force)
    fail("the output {} already exists; pass {} to replace it, or choose another path", path, force_flag);
  // access() answers yes to root whatever the permission bits, and knows nothing of file systems that
  // refuse new files (/proc, /sys): creating a file is the only real test.
  const fs::path probe = dir / fmt::format(".lpnn-write-test-{}", ::getpid());
  const int fd = ::open(probe.c_str(), O_WRONLY | O_CREAT | O_EXCL, 0600);
  if (fd < 0)
    fail("the output directory {} is not writable: creating a file there failed ({}); choose another -o path",
         dir.string(), std::strerror(errno));
  ::close(fd);
  ::unlink(probe.c_str());
}

namespace {

// Log events inside the "lpnn: write" stage, so that -log_view separates HDF5's writes from the
// checksums and the syncs lpnn adds to them.
struct WriterEvents {
  PetscLogEvent write = -1, checksum = -1, sync = -1;
  static const WriterEvents& get() {
    static const WriterEvents events = [] {
      WriterEvents e;
      PetscClassId id;
      LPNN_PETSC(PetscClassIdRegister("lpnn store", &id));
      LPNN_PETSC(PetscLogEventRegister("lpnnH5Dwrite", id, &e.write));
      LPNN_PETSC(PetscLogEventRegister("lpnnChecksum", id, &e.checksum));
      LPNN_PETSC(PetscLogEventRegister("lpnnSync", id, &e.sync));
      return e;
    }();
    return events;
  }
};

// A PETSc log event that also adds its wall time to `seconds`.
class LoggedEvent {
 public:
  LoggedEvent(PetscLogEvent event, double& seconds)
      : event_(event), seconds_(seconds), start_(std::chrono::steady_clock::now()) {
    (void)PetscLogEventBegin(event_, 0, 0, 0, 0);
  }
  ~LoggedEvent() {
    (void)PetscLogEventEnd(event_, 0, 0, 0, 0);
    seconds_ += std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  }
  LoggedEvent(const LoggedEvent&) = delete;
  LoggedEvent& operator=(const LoggedEvent&) = delete;

 private:
  PetscLogEvent event_;
  double& seconds_;
  std::chrono::steady_clock::time_point start_;
};

struct DatasetSpec {
  const char* name;
  hid_t file_type;
  std::int64_t size;
};

std::vector<DatasetSpec> dataset_specs(const PolytopeLayout& l) {
  return {{"/A/jc", H5T_STD_I64LE, l.rows + 1},        {"/A/ir", H5T_STD_I64LE, l.nnz},
          {"/A/data", H5T_IEEE_F64LE, l.nnz},          {"/lp/b", H5T_IEEE_F64LE, l.rows},
          {"/lp/c", H5T_IEEE_F64LE, l.cols},           {"/template/cost", H5T_IEEE_F64LE, l.B},
          {"/grids/param", H5T_IEEE_F64LE, l.grid.param}, {"/grids/input", H5T_IEEE_F64LE, l.grid.input},
          {"/grids/output", H5T_IEEE_F64LE, l.grid.output}};
}

void write_layout_attributes(hid_t file, const PolytopeMetadata& meta) {
  const PolytopeLayout& l = meta.layout;
  h5::write_attribute(file, "format", std::string(kPolytopeFormat));
  h5::write_attribute(file, "format_version", kPolytopeFormatVersion);
  h5::write_attribute(file, "spec", meta.arch.to_json().dump());
  h5::write_attribute(file, "samples", l.D);
  h5::write_attribute(file, "grid_param", l.grid.param);
  h5::write_attribute(file, "grid_input", l.grid.input);
  h5::write_attribute(file, "grid_output", l.grid.output);
  h5::write_attribute(file, "parameters", l.N);
  h5::write_attribute(file, "inputs", l.n);
  h5::write_attribute(file, "outputs", l.m);
  h5::write_attribute(file, "parameter_grid_points", l.M);
  h5::write_attribute(file, "bag_size", l.B);
  h5::write_attribute(file, "rows", l.rows);
  h5::write_attribute(file, "columns", l.cols);
  h5::write_attribute(file, "nonzeros", l.nnz);
  h5::write_attribute(file, "lipschitz_bmp", meta.lipschitz_bmp);
  h5::write_attribute(file, "lipschitz_numeric", meta.lipschitz_numeric);
  h5::write_attribute(file, "complete", std::int64_t{0});
}

}  // namespace

namespace {

// Makes the file behind `fd` at least `bytes` long with its blocks allocated: posix_fallocate uses the
// file system's fallocate and, where there is none (NFS v3, some parallel file systems), glibc writes
// a byte into every block, so the space is really reserved either way. Only where even that is
// refused is the size merely set, which still meets a file-size limit. Returns what went wrong, or an
// empty string.
std::string reserve(int fd, std::int64_t bytes) {
  if (bytes <= 0) return {};
  int code = ::posix_fallocate(fd, 0, static_cast<off_t>(bytes));  // returns the error, not -1
  if (code == EOPNOTSUPP || code == ENOSYS || code == EINVAL) {
    struct stat st {};
    code = ::fstat(fd, &st) != 0 ? errno : 0;
    if (code == 0 && st.st_size < bytes && ::ftruncate(fd, static_cast<off_t>(bytes)) != 0) code = errno;
  }
  if (code == 0) return {};
  if (code == EFBIG) return fmt::format("{} (a file-size limit, ulimit -f, is lower than that)", std::strerror(code));
  if (code == ENOSPC || code == EDQUOT) return fmt::format("{} (free space or write elsewhere)", std::strerror(code));
  return std::strerror(code);
}

std::string reserve_path(const std::string& path, std::int64_t bytes, bool create) {
  const int fd = ::open(path.c_str(), create ? O_WRONLY | O_CREAT | O_TRUNC : O_WRONLY, 0644);
  if (fd < 0) return fmt::format("cannot create {}: {}", path, std::strerror(errno));
  std::string error = reserve(fd, bytes);
  ::close(fd);
  if (!error.empty())
    return fmt::format("cannot reserve {} ({} bytes) for {}: {}", human_bytes(static_cast<double>(bytes)), bytes, path,
                       error);
  return {};
}

// An upper bound of the file size the writer produces: datasets, the padding of the 1 MiB alignment of
// large datasets, and metadata (object headers, attributes with the spec).
std::int64_t file_bytes_bound(const PolytopeMetadata& meta) {
  std::int64_t padding = 0;
  for (const DatasetSpec& d : dataset_specs(meta.layout))
    if (d.size >= (1 << 17)) padding += 1 << 20;  // 8-byte elements: at least 1 MiB
  const std::int64_t metadata = (256 << 10) + 2 * static_cast<std::int64_t>(meta.arch.to_json().dump().size());
  const std::int64_t ledger = meta.layout.D + (meta.layout.D >= (1 << 20) ? (1 << 20) : 0);  // uint8[D], aligned
  return checked_add(polytope_file_bytes(meta.layout), padding + metadata + ledger, "the file size");
}

}  // namespace

PolytopeWriter::PolytopeWriter(MPI_Comm comm, const std::string& path, const PolytopeMetadata& meta, WriterMode mode)
    : comm_(comm), path_(path), partial_(partial_path(path)), layout_(meta.layout) {
  LPNN_MPI(MPI_Comm_rank(comm, &rank_));
  h5::quiet_errors();
  if (mode == WriterMode::Resume) {
    open_for_resume(meta);
    write_grids();
    return;
  }
  try {
    create(meta);
    write_grids();
  } catch (...) {
    // The destructor never runs for a constructor that throws: remove the temporary file here.
    file_.close();
    if (rank_ == 0) std::remove(partial_.c_str());
    throw;
  }
}

void PolytopeWriter::write_grids() {
  // Grids are tiny: rank 0 writes them, the others take part with empty selections.
  const GridSpec& g = layout_.grid;
  const std::pair<const char*, std::int64_t> grids[] = {
      {"/grids/param", g.param}, {"/grids/input", g.input}, {"/grids/output", g.output}};
  for (const auto& [name, k] : grids) {
    const std::vector<double> values = Grid(k).values();
    write_slab(name, H5T_NATIVE_DOUBLE, 0, rank_ == 0 ? k : 0, values.data(), sizeof(double));
  }
}

namespace {

h5::Handle open_parallel(MPI_Comm comm, const std::string& path, bool create) {
  h5::Handle fapl(H5Pcreate(H5P_FILE_ACCESS), H5Pclose, "H5Pcreate");
  h5::check(H5Pset_fapl_mpio(fapl, comm, MPI_INFO_NULL), "H5Pset_fapl_mpio");
  // Large datasets start on 1 MiB boundaries: the MPI-IO layer writes whole stripes/pages.
  h5::check(H5Pset_alignment(fapl, 1 << 20, 1 << 20), "H5Pset_alignment");
  const hid_t file = create ? H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, fapl)
                            : H5Fopen(path.c_str(), H5F_ACC_RDWR, fapl);
  return h5::Handle(file, H5Fclose, (create ? "creating " : "opening ") + path + " (is the directory writable?)");
}

constexpr const char* kLedger = "/build/samples_done";

}  // namespace

// Parallel HDF5 1.10 cannot survive a failed write: H5Fclose then fails on some ranks and not others
// (a deadlock in the close's collectives) or leaves a dangling file ID that crashes the library's
// clean-up in MPI_Finalize. So the space is reserved before HDF5 opens the file (disk full and
// file-size limits fail here, cleanly, on every rank) and again, exactly, once the datasets exist.
void PolytopeWriter::create(const PolytopeMetadata& meta) {
  // 1. Reserve an upper bound of the file's size under the temporary name, before HDF5 touches it.
  throw_if_root_failed(comm_, rank_ == 0 ? reserve_path(partial_, file_bytes_bound(meta), true) : std::string());

  // 2. Create the file, its groups, datasets and attributes (collective metadata operations).
  std::string error;
  try {
    file_ = open_parallel(comm_, partial_, true);
  } catch (const Error& e) {
    error = e.what();
  }
  throw_if_any_failed(comm_, error, "creating " + partial_);
  try {
    transfer_ = h5::Handle(H5Pcreate(H5P_DATASET_XFER), H5Pclose, "H5Pcreate");
    h5::check(H5Pset_dxpl_mpio(transfer_, H5FD_MPIO_COLLECTIVE), "H5Pset_dxpl_mpio");
    for (const char* group : {"/A", "/lp", "/template", "/grids", "/provenance", "/build"})
      h5::Handle(H5Gcreate2(file_, group, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), H5Gclose,
                 std::string("creating group ") + group);
    // Every element is written exactly once, so fill values would only double the I/O.
    h5::Handle dcpl(H5Pcreate(H5P_DATASET_CREATE), H5Pclose, "H5Pcreate");
    h5::check(H5Pset_fill_time(dcpl, H5D_FILL_TIME_NEVER), "H5Pset_fill_time");
    std::vector<DatasetSpec> specs = dataset_specs(layout_);
    specs.push_back({kLedger, H5T_STD_U8LE, layout_.D});
    for (const DatasetSpec& d : specs) {
      const hsize_t size = static_cast<hsize_t>(d.size);
      h5::Handle space(H5Screate_simple(1, &size, nullptr), H5Sclose, "H5Screate_simple");
      h5::Handle(H5Dcreate2(file_, d.name, d.file_type, space, H5P_DEFAULT, dcpl, H5P_DEFAULT), H5Dclose,
                 std::string("creating dataset ") + d.name);
    }
    {
      h5::Handle a(H5Gopen2(file_, "/A", H5P_DEFAULT), H5Gclose, "opening /A");
      h5::write_attribute(a, "MATLAB_sparse", layout_.cols);
    }
    write_layout_attributes(file_, meta);
  } catch (const Error& e) {
    error = e.what();
  }
  throw_if_any_failed(comm_, error, "creating the datasets of " + partial_);

  // 3. The datasets are allocated now (parallel HDF5 allocates early): reserve the exact end of the
  // file, so that the close never has to extend it and, where fallocate works, no write runs out of
  // space.
  {
    // H5Fget_filesize is max(end of file, end of allocation); H5Fget_eoa wants a SWMR-capable driver.
    hsize_t eoa = 0;
    if (H5Fget_filesize(file_, &eoa) < 0) error = "HDF5: H5Fget_filesize failed";
    else if (rank_ == 0) error = reserve_path(partial_, static_cast<std::int64_t>(eoa), false);
    throw_if_any_failed(comm_, error, "reserving space for " + partial_);
  }

  // 4. An empty ledger (no sample done), then every piece of metadata to disk: from here on only raw
  // data is written until commit(), so a build killed at any moment leaves a file HDF5 can reopen.
  const std::vector<std::uint8_t> zeros(static_cast<std::size_t>(rank_ == 0 ? layout_.D : 0));
  write_slab(kLedger, H5T_NATIVE_UINT8, 0, rank_ == 0 ? layout_.D : 0, zeros.data(), 1);
  pieces_.erase(kLedger);
  if (H5Fflush(file_, H5F_SCOPE_GLOBAL) < 0) error = "HDF5: H5Fflush failed";
  throw_if_any_failed(comm_, error, "flushing " + partial_);
}

void PolytopeWriter::open_for_resume(const PolytopeMetadata& meta) {
  const std::string how = "pass --force without --resume to start over (this discards it)";
  std::string error;
  try {
    std::error_code ec;
    if (!fs::exists(partial_, ec)) fail("there is no unfinished build of {} to resume ({} does not exist)", path_, partial_);
    if (H5Fis_hdf5(partial_.c_str()) <= 0)
      fail("the unfinished build {} cannot be resumed: it was interrupted before its structure was written; {}",
           partial_, how);
    file_ = open_parallel(comm_, partial_, false);
    transfer_ = h5::Handle(H5Pcreate(H5P_DATASET_XFER), H5Pclose, "H5Pcreate");
    h5::check(H5Pset_dxpl_mpio(transfer_, H5FD_MPIO_COLLECTIVE), "H5Pset_dxpl_mpio");
    const bool ours = H5Aexists(file_, "format") > 0 && h5::read_string_attribute(file_, "format") == kPolytopeFormat &&
                      H5Aexists(file_, "format_version") > 0 &&
                      h5::read_int_attribute(file_, "format_version") == kPolytopeFormatVersion;
    if (!ours)
      fail("the unfinished build {} is not an lpnn polytope of format version {}; {}", partial_,
           kPolytopeFormatVersion, how);
    if (!h5::exists(file_, kLedger))
      fail("the unfinished build {} has no {} ledger (it was interrupted while being created); {}", partial_, kLedger,
           how);
    // The same polytope: spec, D and grids decide every byte of the file.
    const std::string spec = meta.arch.to_json().dump();
    if (h5::read_string_attribute(file_, "spec") != spec)
      fail("the unfinished build {} is of another architecture spec than the one given; {}", partial_, how);
    const std::pair<const char*, std::int64_t> sizes[] = {{"samples", layout_.D},
                                                          {"grid_param", layout_.grid.param},
                                                          {"grid_input", layout_.grid.input},
                                                          {"grid_output", layout_.grid.output}};
    for (const auto& [name, expected] : sizes) {
      const std::int64_t stored = h5::read_int_attribute(file_, name);
      if (stored != expected)
        fail("the unfinished build {} has {} = {}, this build asks for {}; resume with the same --samples and grid, "
             "or {}", partial_, name, stored, expected, how);
    }
  } catch (const Error& e) {
    error = e.what();
  }
  throw_if_any_failed(comm_, error, "resuming " + partial_);
  resumable_ = true;  // whatever happens now, the file keeps the samples it already holds
}

PolytopeWriter::~PolytopeWriter() {
  if (committed_) return;
  file_.close();
  if (rank_ == 0 && !resumable_) std::remove(partial_.c_str());
}

std::vector<std::uint8_t> PolytopeWriter::samples_done() const {
  std::vector<std::uint8_t> done(static_cast<std::size_t>(layout_.D));
  h5::Handle set(H5Dopen2(file_, kLedger, H5P_DEFAULT), H5Dclose, std::string("opening ") + kLedger);
  if (H5Dread(set, H5T_NATIVE_UINT8, H5S_ALL, H5S_ALL, H5P_DEFAULT, done.data()) < 0)
    fail("reading {} of {} failed", kLedger, partial_);
  for (std::uint8_t& flag : done) flag = flag == 1 ? 1 : 0;
  return done;
}

void PolytopeWriter::record_samples_done(const std::vector<std::pair<std::int64_t, std::int64_t>>& ranges) {
  std::string error;
  std::int64_t count = 0;
  try {
    // Data before the ledger: the flags must never reach the disk ahead of the bytes they vouch for.
    {
      LoggedEvent event(WriterEvents::get().sync, seconds_.sync);
      if (H5Fflush(file_, H5F_SCOPE_GLOBAL) < 0) fail("syncing {} to disk failed (H5Fflush)", partial_);
    }
    h5::Handle set(H5Dopen2(file_, kLedger, H5P_DEFAULT), H5Dclose, std::string("opening ") + kLedger);
    h5::Handle filespace(H5Dget_space(set), H5Sclose, "H5Dget_space");
    h5::check(H5Sselect_none(filespace), "H5Sselect_none");
    for (const auto& [first, end] : ranges) {
      if (end <= first) continue;
      const hsize_t start = static_cast<hsize_t>(first), n = static_cast<hsize_t>(end - first);
      h5::check(H5Sselect_hyperslab(filespace, H5S_SELECT_OR, &start, nullptr, &n, nullptr), "H5Sselect_hyperslab");
      count += end - first;
    }
    const hsize_t n = static_cast<hsize_t>(std::max<std::int64_t>(count, 1));
    h5::Handle memspace(H5Screate_simple(1, &n, nullptr), H5Sclose, "H5Screate_simple");
    if (count == 0) h5::check(H5Sselect_none(memspace), "H5Sselect_none");
    const std::vector<std::uint8_t> ones(static_cast<std::size_t>(n), 1);
    if (H5Dwrite(set, H5T_NATIVE_UINT8, memspace, filespace, transfer_, ones.data()) < 0)
      fail("writing the ledger {} of {} failed", kLedger, partial_);
  } catch (const Error& e) {
    error = e.what();
  }
  throw_if_any_failed(comm_, error, "recording progress in " + partial_);
  std::int64_t total = 0;
  LPNN_MPI(MPI_Allreduce(&count, &total, 1, MPI_INT64_T, MPI_SUM, comm_));
  if (total > 0) resumable_ = true;
}

void PolytopeWriter::write_slab(const char* dataset, hid_t memory_type, std::int64_t offset, std::int64_t count,
                                const void* data, std::size_t element_bytes, Emit emit) {
  const std::int64_t bytes = count * static_cast<std::int64_t>(element_bytes);
  // The memory bytes are the file bytes (little-endian int64/float64): checksum them as written.
  const auto checksum = [&] {
    if (count <= 0) return;
    LoggedEvent event(WriterEvents::get().checksum, seconds_.checksum);
    pieces_[dataset].push_back({offset * static_cast<std::int64_t>(element_bytes), bytes, crc32_of(data, bytes)});
  };
  if (emit == Emit::ChecksumOnly) {
    checksum();
    return;
  }
  // Every rank runs the same sequence of collective calls; failures are agreed on afterwards so that
  // all ranks throw together instead of some waiting in the next collective.
  std::string error;
  try {
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
    {
      LoggedEvent event(WriterEvents::get().write, seconds_.hdf5_write);
      if (H5Dwrite(set, memory_type, memspace, filespace, transfer_, count > 0 ? data : &dummy) < 0)
        fail("writing {} elements of {} to {} failed (disk full or file-size limit?)", count, dataset, partial_);
    }
    bytes_written_ += bytes;
    checksum();
  } catch (const Error& e) {
    error = e.what();
  }
  throw_if_any_failed(comm_, error, fmt::format("writing {} to {}", dataset, partial_));
}

template <typename Index>
void PolytopeWriter::write_rows(const CsrBlock<Index>& block, Emit emit) {
  const std::int64_t rows = block.rows(), nnz = block.nonzeros();
  const std::int64_t nnz_offset = rows > 0 ? layout_.nnz_before_row(block.row_begin) : 0;
  std::vector<std::int64_t> jc(static_cast<std::size_t>(std::max<std::int64_t>(rows, 0)));
  for (std::int64_t r = 0; r < rows; ++r) jc[r] = nnz_offset + static_cast<std::int64_t>(block.row_pointer[r]);
  write_slab("/A/jc", h5::native_type<std::int64_t>(), block.row_begin, rows, jc.data(), 8, emit);
  if constexpr (sizeof(Index) == 8) {
    write_slab("/A/ir", h5::native_type<std::int64_t>(), nnz_offset, nnz, block.columns.data(), 8, emit);
  } else {  // 32-bit PetscInt: widen, so that the checksummed bytes are the stored int64 bytes
    const std::vector<std::int64_t> wide(block.columns.begin(), block.columns.end());
    write_slab("/A/ir", h5::native_type<std::int64_t>(), nnz_offset, nnz, wide.data(), 8, emit);
  }
  write_slab("/A/data", H5T_NATIVE_DOUBLE, nnz_offset, nnz, block.values.data(), sizeof(double), emit);
}
template void PolytopeWriter::write_rows<std::int32_t>(const CsrBlock<std::int32_t>&, Emit);
template void PolytopeWriter::write_rows<std::int64_t>(const CsrBlock<std::int64_t>&, Emit);

void PolytopeWriter::write_rhs(std::int64_t first_row, std::span<const double> values, Emit emit) {
  write_slab("/lp/b", H5T_NATIVE_DOUBLE, first_row, static_cast<std::int64_t>(values.size()), values.data(), 8, emit);
}
void PolytopeWriter::write_objective(std::int64_t first_column, std::span<const double> values, Emit emit) {
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
  {
    h5::Handle group(H5Gopen2(file_, "/provenance", H5P_DEFAULT), H5Gclose, "opening /provenance");
    for (const auto& item : provenance.items()) {
      if (item.value().is_number_integer()) h5::write_attribute(group, item.key(), item.value().get<std::int64_t>());
      else if (item.value().is_number()) h5::write_attribute(group, item.key(), item.value().get<double>());
      else h5::write_attribute(group, item.key(), item.value().is_string() ? item.value().get<std::string>()
                                                                           : item.value().dump());
    }
  }
  // Each dataset's CRC-32 from the pieces every rank wrote, combined in order.
  for (const DatasetSpec& d : dataset_specs(layout_)) {
    const std::uint32_t crc = combine_pieces(comm_, pieces_[d.name], d.size * 8);
    h5::Handle set(H5Dopen2(file_, d.name, H5P_DEFAULT), H5Dclose, std::string("opening ") + d.name);
    h5::write_attribute(set, "crc32", static_cast<std::int64_t>(crc));
  }
  // The ledger has served its purpose; the finished file holds the polytope only.
  if (h5::exists(file_, "/build") && H5Ldelete(file_, "/build", H5P_DEFAULT) < 0)
    fail("removing the build ledger from {} failed", partial_);
  h5::write_attribute(file_, "complete", std::int64_t{1});
  if (file_.close() < 0) fail("closing {} failed (disk full?)", partial_);
  LPNN_MPI(MPI_Barrier(comm_));
  int renamed = 1;
  std::string error;
  if (rank_ == 0 && std::rename(partial_.c_str(), path_.c_str()) != 0) {
    renamed = 0;
    error = std::strerror(errno);
  }
  LPNN_MPI(MPI_Bcast(&renamed, 1, MPI_INT, 0, comm_));
  committed_ = true;
  if (!renamed) throw CollectiveError(fmt::format("renaming {} to {} failed: {}", partial_, path_, error.empty() ? "see rank 0" : error));
}

namespace {

std::int64_t dataset_size(hid_t file, const std::string& path, const std::string& name) {
  if (!h5::exists(file, name)) fail("{}: the dataset {} is missing; the file is damaged, rebuild it", path, name);
  h5::Handle set(H5Dopen2(file, name.c_str(), H5P_DEFAULT), H5Dclose, "opening " + name);
  h5::Handle space(H5Dget_space(set), H5Sclose, "H5Dget_space");
  if (H5Sget_simple_extent_ndims(space) != 1) fail("{}: the dataset {} is not one-dimensional", path, name);
  hsize_t size = 0;
  H5Sget_simple_extent_dims(space, &size, nullptr);
  return static_cast<std::int64_t>(size);
}

h5::Handle open_readonly(const std::string& path) {
  h5::quiet_errors();
  std::error_code ec;
  if (!fs::exists(path, ec)) fail("the polytope file {} does not exist", path);
  if (H5Fis_hdf5(path.c_str()) <= 0) fail("{} is not an HDF5 file, so not an lpnn polytope file", path);
  const hid_t file = H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  if (file < 0) fail("{} looks like an HDF5 file but HDF5 cannot open it (truncated or damaged?); rebuild it", path);
  return h5::Handle(file, H5Fclose, "opening " + path);
}

}  // namespace

std::vector<std::pair<std::string, std::int64_t>> polytope_datasets(const PolytopeLayout& layout) {
  std::vector<std::pair<std::string, std::int64_t>> out;
  for (const DatasetSpec& d : dataset_specs(layout)) out.emplace_back(d.name, d.size);
  return out;
}

PolytopeMetadata read_polytope_metadata(const std::string& path) {
  h5::Handle file = open_readonly(path);
  std::string format;
  try {
    if (H5Aexists(file, "format") > 0) format = h5::read_string_attribute(file, "format");
  } catch (const Error&) {
    format.clear();  // not a string: not lpnn's either
  }
  if (format != kPolytopeFormat)
    fail("{} is an HDF5 file but not an lpnn polytope file (no format = \"{}\" attribute)", path, kPolytopeFormat);
  const std::int64_t version = h5::read_int_attribute(file, "format_version");
  if (version != kPolytopeFormatVersion)
    fail("{} has polytope format version {}, but this lpnn reads version {}; rebuild it with this lpnn-build", path,
         version, kPolytopeFormatVersion);
  if (H5Aexists(file, "complete") <= 0 || h5::read_int_attribute(file, "complete") != 1)
    fail("{} is an incomplete build (its writer did not finish); rebuild it", path);

  PolytopeMetadata meta{Architecture::from_json_text(h5::read_string_attribute(file, "spec"), path + ":spec"), {}, 0, 0};
  const GridSpec grid{h5::read_int_attribute(file, "grid_param"), h5::read_int_attribute(file, "grid_input"),
                      h5::read_int_attribute(file, "grid_output")};
  meta.layout = PolytopeLayout::make(meta.arch.parameters(), meta.arch.inputs(), meta.arch.outputs(), grid,
                                     h5::read_int_attribute(file, "samples"));
  meta.lipschitz_bmp = h5::read_double_attribute(file, "lipschitz_bmp");
  meta.lipschitz_numeric = h5::read_double_attribute(file, "lipschitz_numeric");
  const PolytopeLayout& l = meta.layout;
  const std::pair<const char*, std::int64_t> sizes[] = {
      {"rows", l.rows}, {"columns", l.cols}, {"nonzeros", l.nnz}, {"parameter_grid_points", l.M}, {"bag_size", l.B}};
  for (const auto& [name, expected] : sizes) {
    const std::int64_t stored = h5::read_int_attribute(file, name);
    if (stored != expected)
      fail("{}: attribute {} = {} disagrees with the spec and grid, which give {}; the file is damaged", path, name,
           stored, expected);
  }
  for (const DatasetSpec& d : dataset_specs(l)) {
    const std::int64_t size = dataset_size(file, path, d.name);
    if (size != d.size)
      fail("{}: the dataset {} has {} entries but the layout needs {}; the file is damaged or truncated", path,
           d.name, size, d.size);
  }
  {
    h5::Handle a(H5Gopen2(file, "/A", H5P_DEFAULT), H5Gclose, "opening /A");
    if (h5::read_int_attribute(a, "MATLAB_sparse") != l.cols)
      fail("{}: /A's MATLAB_sparse attribute disagrees with the column count {}", path, l.cols);
  }
  return meta;
}

std::vector<double> read_double_dataset(const std::string& path, const std::string& dataset) {
  h5::Handle file = open_readonly(path);
  const std::int64_t size = dataset_size(file, path, dataset);
  std::vector<double> values(static_cast<std::size_t>(size));
  h5::Handle set(H5Dopen2(file, dataset.c_str(), H5P_DEFAULT), H5Dclose, "opening " + dataset);
  if (H5Dread(set, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data()) < 0)
    fail("{}: reading {} failed; the file is damaged or truncated", path, dataset);
  return values;
}

OwnedMat load_constraint_matrix(MPI_Comm comm, const std::string& path, const PolytopeLayout& layout) {
  OwnedViewer viewer;
  LPNN_PETSC(PetscViewerHDF5Open(comm, path.c_str(), FILE_MODE_READ, viewer.out()));
  OwnedMat A;
  LPNN_PETSC(MatCreate(comm, A.out()));
  LPNN_PETSC(PetscObjectSetName(reinterpret_cast<PetscObject>(A.get()), "A"));
  LPNN_PETSC(MatSetType(A, MATAIJ));
  LPNN_PETSC(MatLoad(A, viewer));
  PetscInt rows = 0, cols = 0;
  LPNN_PETSC(MatGetSize(A, &rows, &cols));
  if (rows != layout.rows || cols != layout.cols)
    fail("{}: MatLoad gave a {} x {} matrix, the layout says {} x {}", path, rows, cols, layout.rows, layout.cols);
  return A;
}

}  // namespace lpnn
