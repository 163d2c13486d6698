// The writer's resume side: reopening an unfinished build, and the ledger of samples on disk.
#include <filesystem>

#include "lpnn/hdf5/writer.hpp"
#include "lpnn/util/error.hpp"
#include "lpnn/util/files.hpp"
#include "lpnn/util/log.hpp"
#include "lpnn/util/mpi.hpp"
#include "lpnn/util/phase.hpp"

namespace lpnn {

void PolytopeWriter::open_for_resume(const PolytopeMetadata& meta) {
  const std::string how = "pass --force without --resume to start over (this discards it)";
  const std::string error = capture_failure([&] {
    std::error_code ec;
    if (is_symlink(partial_))
      fail("{} is a symbolic link, not an unfinished build; lpnn never writes through links. Remove it", partial_);
    if (!std::filesystem::exists(partial_, ec))
      fail("there is no unfinished build of {} to resume ({} does not exist)", path_, partial_);
    if (H5Fis_hdf5(partial_.c_str()) <= 0)
      fail("the unfinished build {} cannot be resumed: it was interrupted before its structure was written; {}",
           partial_, how);
    file_ = h5::open_parallel(comm_, partial_, false);
    const std::int64_t version = polytope_format_version(layout_);
    const bool ours = H5Aexists(file_, "format") > 0 && h5::read_string_attribute(file_, "format") == kPolytopeFormat &&
                      H5Aexists(file_, "format_version") > 0 &&
                      h5::read_int_attribute(file_, "format_version") == version;
    if (!ours)
      fail("the unfinished build {} is not an lpnn {} polytope (format version {}); {}", partial_, layout_.family(),
           version, how);
    if (!layout_.star() &&
        (H5Aexists(file_, "node_grid") <= 0 || h5::read_int_attribute(file_, "node_grid") != layout_.node_grid))
      fail(
          "the unfinished build {} has another node grid than this build's {}; resume with the same --node-grid, or {}",
          partial_, layout_.node_grid, how);
    if (!layout_.star() && !h5::exists(file_, "/family"))
      fail("the unfinished build {} has no /family group (an older lpnn-build's?); {}", partial_, how);
    // A resumed build continues in the storage the unfinished file was created with.
    storage_ = H5Aexists(file_, "storage") > 0 ? StorageOptions::parse(h5::read_string_attribute(file_, "storage"))
                                               : StorageOptions{};
    transfer_ = transfer_property(storage_);
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
        fail(
            "the unfinished build {} has {} = {}, this build asks for {}; resume with the same --samples and grid, "
            "or {}",
            partial_, name, stored, expected, how);
    }
  });
  throw_if_any_failed(comm_, error, "resuming " + partial_);
  resumable_ = true;  // whatever happens now, the file keeps the samples it already holds
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
  std::int64_t count = 0;
  run_phase(comm_, "ledger", "recording progress in " + partial_, [&] {
    // Data before the ledger: the flags must never reach the disk ahead of the bytes they vouch for.
    {
      EventScope event(log_event("lpnnSync"), seconds_.sync);
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
  });
  std::int64_t total = 0;
  LPNN_MPI(MPI_Allreduce(&count, &total, 1, MPI_INT64_T, MPI_SUM, comm_));
  if (total > 0) resumable_ = true;
}

}  // namespace lpnn
