// The writer's creation side: the space reserved before HDF5 opens the file, the groups and datasets
// (their layout, chunks and filters), the family record, the grids, and the first flush.
#include <algorithm>

#include "lpnn/hdf5/checksum.hpp"
#include "lpnn/hdf5/writer.hpp"
#include "lpnn/util/error.hpp"
#include "lpnn/util/files.hpp"
#include "lpnn/util/mpi.hpp"
#include "lpnn/util/phase.hpp"
#include "lpnn/util/units.hpp"

namespace lpnn {

namespace {

// Unshuffled chunks (shuffled()) deflate at zlib's level 3 at least: on XOR's costs at D = 100 zlib's
// lazy matching stores them in 276 KB per Mi entries at 0.3 GB/s, ISA-L's level 1 in 489 KB at 1.3 GB/s.
constexpr int kUnshuffledDeflateLevel = 3;

// An upper bound of the file size the writer produces: datasets, the padding of the 1 MiB alignment of
// large datasets, and metadata (object headers, attributes with the spec).
std::int64_t file_bytes_bound(const PolytopeMetadata& meta, bool compressed, const FamilyRecord& family) {
  std::int64_t padding = 0;
  for (const DatasetSpec& d : polytope_datasets(meta.layout))
    if (d.size >= (1 << 17)) padding += 1 << 20;  // 8-byte elements: at least 1 MiB
  const std::int64_t family_bytes =
      static_cast<std::int64_t>(family.description.size() + 4 * family.assignments.size());
  const std::int64_t metadata =
      (256 << 10) + 2 * static_cast<std::int64_t>(meta.arch.to_json().dump().size()) + family_bytes;
  const std::int64_t ledger = meta.layout.D + (meta.layout.D >= (1 << 20) ? (1 << 20) : 0);  // uint8[D], aligned
  // Compressed sizes are unknown before the data: the metadata is reserved now, and each write step
  // checks the free space for its uncompressed bytes first (the build's space guard).
  if (compressed) return metadata + ledger + (1 << 20);
  return checked_add(polytope_file_bytes(meta.layout), padding + metadata + ledger, "the file size");
}

}  // namespace

bool PolytopeWriter::zlib_deflated(const std::string& dataset) const {
  return storage_.compressed() && !shuffled(layout_, dataset);
}

h5::Handle PolytopeWriter::dataset_creation(const std::string& dataset) const {
  h5::Handle dcpl(H5Pcreate(H5P_DATASET_CREATE), H5Pclose, "H5Pcreate");
  const std::int64_t chunk = storage_.compressed() ? chunk_elements(layout_, dataset) : 0;
  if (chunk == 0) {
    // Every element is written exactly once, so fill values would only double the I/O.
    h5::check(H5Pset_fill_time(dcpl, H5D_FILL_TIME_NEVER), "H5Pset_fill_time");
    return dcpl;
  }
  const hsize_t dims = static_cast<hsize_t>(chunk);
  h5::check(H5Pset_chunk(dcpl, 1, &dims), "H5Pset_chunk");
  const bool zlib = zlib_deflated(dataset);
  if (!zlib) h5::check(H5Pset_shuffle(dcpl), "H5Pset_shuffle");
  const int level = zlib ? std::max(storage_.deflate_level, kUnshuffledDeflateLevel) : storage_.deflate_level;
  h5::check(H5Pset_deflate(dcpl, static_cast<unsigned>(level)), "H5Pset_deflate");
  return dcpl;
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

// Parallel HDF5 1.10 cannot survive a failed write: H5Fclose then fails on some ranks and not others
// (a deadlock in the close's collectives) or leaves a dangling file ID that crashes the library's
// clean-up in MPI_Finalize. So the space is reserved before HDF5 opens the file (disk full and
// file-size limits fail here, cleanly, on every rank) and again, exactly, once the datasets exist.
void PolytopeWriter::create(const PolytopeMetadata& meta) {
  // 1. Reserve an upper bound of the file's size under the temporary name, before HDF5 touches it.
  std::string error;
  if (rank_ == 0)
    error = capture_failure([&] {
      const std::int64_t bound = file_bytes_bound(meta, storage_.compressed(), family_);
      const std::string reserved = reserve_file_space(partial_, bound, true);
      if (!reserved.empty()) throw Error(reserved);
    });
  throw_if_root_failed(comm_, error);
  // The name is this build's regular file now; HDF5 truncates it, so make sure it was not swapped for
  // a link in between (in a sticky shared directory no other user can).
  if (rank_ == 0 && is_symlink(partial_)) error = fmt::format("{} was replaced by a symbolic link; refusing", partial_);
  throw_if_root_failed(comm_, error);

  // 2. Create the file, its groups, datasets and attributes (collective metadata operations).
  run_phase(comm_, "create", "creating " + partial_,
            [&] { file_ = h5::open_parallel(comm_, partial_, true, storage_.compressed()); });
  run_phase(comm_, "datasets", "creating the datasets of " + partial_, [&] {
    transfer_ = transfer_property(storage_);
    for (const char* group : {"/A", "/lp", "/template", "/grids", "/provenance", "/build"})
      h5::Handle(H5Gcreate2(file_, group, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), H5Gclose,
                 std::string("creating group ") + group);
    std::vector<DatasetSpec> specs = polytope_datasets(layout_);
    specs.push_back({kLedger, H5T_STD_U8LE, layout_.D});
    for (const DatasetSpec& d : specs) {
      const hsize_t size = static_cast<hsize_t>(d.size);
      h5::Handle space(H5Screate_simple(1, &size, nullptr), H5Sclose, "H5Screate_simple");
      const h5::Handle dcpl = dataset_creation(d.name);
      h5::Handle(H5Dcreate2(file_, d.name.c_str(), d.file_type, space, H5P_DEFAULT, dcpl, H5P_DEFAULT), H5Dclose,
                 std::string("creating dataset ") + d.name);
    }
    h5::write_attribute(file_, "storage", storage_.to_string());
    {
      h5::Handle a(H5Gopen2(file_, "/A", H5P_DEFAULT), H5Gclose, "opening /A");
      h5::write_attribute(a, "MATLAB_sparse", layout_.cols);
    }
    write_polytope_attributes(file_, meta);
    create_family();
  });

  // 3. The datasets are allocated now (parallel HDF5 allocates early): reserve the exact end of the
  // file, so that the close never has to extend it and, where fallocate works, no write runs out of
  // space.
  // Compressed datasets are allocated chunk by chunk as they are written: the build's space guard
  // checks each write step instead.
  if (!storage_.compressed())
    run_phase(comm_, "reserve", "reserving space for " + partial_, [&] {
      // H5Fget_filesize is max(end of file, end of allocation); H5Fget_eoa wants a SWMR-capable driver.
      hsize_t eoa = 0;
      if (H5Fget_filesize(file_, &eoa) < 0) fail("HDF5: H5Fget_filesize failed");
      if (rank_ != 0) return;
      const std::string reserved = reserve_file_space(partial_, static_cast<std::int64_t>(eoa), false);
      if (!reserved.empty()) throw Error(reserved);
    });

  // 4. An empty ledger (no sample done), then every piece of metadata to disk: from here on only raw
  // data is written until commit(), so a build killed at any moment leaves a file HDF5 can reopen.
  const std::vector<std::uint8_t> zeros(static_cast<std::size_t>(rank_ == 0 ? layout_.D : 0));
  write_slab(kLedger, H5T_NATIVE_UINT8, 0, rank_ == 0 ? layout_.D : 0, zeros.data(), 1);
  pieces_.erase(kLedger);
  if (!layout_.star()) {  // rank 0 writes /family whole; the others take part with empty selections
    const auto n = [&](std::size_t size) { return rank_ == 0 ? static_cast<std::int64_t>(size) : 0; };
    write_slab(kFamilyDescription, H5T_NATIVE_UINT8, 0, n(family_.description.size()), family_.description.data(), 1);
    write_slab(kFamilyAssignments, H5T_NATIVE_INT32, 0, n(family_.assignments.size()), family_.assignments.data(), 4);
    pieces_.erase(kFamilyDescription);
    pieces_.erase(kFamilyAssignments);
  }
  run_phase(comm_, "flush", "flushing " + partial_, [&] {
    if (H5Fflush(file_, H5F_SCOPE_GLOBAL) < 0) fail("HDF5: H5Fflush failed");
  });
}

// Collective (inside the datasets phase): the /family group, its two contiguous datasets and their crc32
// attributes, which every rank computes from its own identical record.
void PolytopeWriter::create_family() {
  if (layout_.star()) return;
  h5::Handle(H5Gcreate2(file_, "/family", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), H5Gclose, "creating group /family");
  const std::int64_t description_bytes = static_cast<std::int64_t>(family_.description.size());
  const std::int64_t assignment_bytes = 4 * static_cast<std::int64_t>(family_.assignments.size());
  const struct {
    const char* name;
    hid_t type;
    std::int64_t size;
    std::uint32_t crc;
  } sets[] = {
      {kFamilyDescription, H5T_STD_U8LE, description_bytes, crc32_of(family_.description.data(), description_bytes)},
      {kFamilyAssignments, H5T_STD_I32LE, assignment_bytes / 4,
       crc32_of(family_.assignments.data(), assignment_bytes)}};
  for (const auto& d : sets) {
    // Neither is ever empty: a description is JSON text, and every bag has a column and a variable.
    const hsize_t size = static_cast<hsize_t>(d.size);
    h5::Handle space(H5Screate_simple(1, &size, nullptr), H5Sclose, "H5Screate_simple");
    h5::Handle dcpl(H5Pcreate(H5P_DATASET_CREATE), H5Pclose, "H5Pcreate");
    h5::check(H5Pset_fill_time(dcpl, H5D_FILL_TIME_NEVER), "H5Pset_fill_time");
    h5::Handle set(H5Dcreate2(file_, d.name, d.type, space, H5P_DEFAULT, dcpl, H5P_DEFAULT), H5Dclose,
                   std::string("creating dataset ") + d.name);
    h5::write_attribute(set, "crc32", static_cast<std::int64_t>(d.crc));
  }
}

}  // namespace lpnn
