#include "lpnn/distribute/start.hpp"

#include <csignal>
#include <filesystem>

#include "lpnn/hdf5/paths.hpp"
#include "lpnn/hdf5/reader.hpp"
#include "lpnn/util/error.hpp"
#include "lpnn/util/files.hpp"
#include "lpnn/util/mpi.hpp"
#include "lpnn/util/petsc.hpp"

namespace lpnn {

namespace {

// The file's polytope is this very spec, D and grid.
bool same_polytope(const PolytopeMetadata& meta, const Architecture& arch, const PolytopeLayout& layout) {
  return meta.arch.to_json() == arch.to_json() && meta.layout.D == layout.D &&
         meta.layout.grid.param == layout.grid.param && meta.layout.grid.input == layout.grid.input &&
         meta.layout.grid.output == layout.grid.output && meta.layout.star() == layout.star() &&
         meta.layout.node_grid == layout.node_grid;
}

// A partial file that reads as a complete polytope of this very spec, D and grid.
bool partial_is_complete(const Architecture& arch, const PolytopeLayout& layout, const std::string& partial) {
  try {
    return same_polytope(read_polytope_metadata(partial, Families::Any), arch, layout);
  } catch (const Error&) {
    return false;  // unfinished (no complete = 1) or not readable: the resume path decides
  }
}

}  // namespace

BuildStart decide_start(MPI_Comm comm, const Architecture& arch, const PolytopeLayout& layout,
                        const std::string& output, bool force, bool resume) {
  int rank = 0;
  LPNN_MPI(MPI_Comm_rank(comm, &rank));
  std::string error;
  int start = static_cast<int>(BuildStart::Fresh);
  if (rank == 0) {
    try {
      namespace fs = std::filesystem;
      std::error_code ec;
      const std::string partial = partial_path(output);
      // A link at the temporary name is never followed: refused unless --force replaces the link.
      if (is_symlink(partial) && !force)
        fail(
            "{} is a symbolic link, not an unfinished build; lpnn never writes through links at its temporary "
            "names. Remove it, or pass --force to replace the link (its target is left alone)",
            partial);
      const bool partial_exists = fs::exists(fs::symlink_status(partial, ec));
      if (resume && !partial_exists && fs::exists(output, ec) && !force) {
        // Rerunning a finished build (e.g. a requeued job whose build had completed): nothing to do if
        // the file there is this very polytope.
        PolytopeMetadata meta;
        try {
          meta = read_polytope_metadata(output, Families::Any);
        } catch (const Error& e) {
          fail("{} exists but is not a complete polytope ({}); pass --force to replace it", output, e.what());
        }
        if (!same_polytope(meta, arch, layout))
          fail(
              "{} already exists and holds another polytope (spec, samples, grid or family differ); pass --force to "
              "replace it, or choose another path",
              output);
        start = static_cast<int>(BuildStart::AlreadyComplete);
      } else {
        check_output_path(output, force);
        if (resume && partial_exists) {
          start = static_cast<int>(partial_is_complete(arch, layout, partial) ? BuildStart::OnlyRename
                                                                              : BuildStart::Resume);
        } else if (partial_exists && !force) {
          fail("an unfinished build of {} is at {}; pass --resume to finish it, or --force to start over", output,
               partial);
        }
      }
    } catch (const Error& e) {
      error = e.what();
    }
  }
  throw_if_root_failed(comm, error);
  LPNN_MPI(MPI_Bcast(&start, 1, MPI_INT, 0, comm));
  return static_cast<BuildStart>(start);
}

FaultInjection FaultInjection::from_options() {
  FaultInjection f;
  char kind[16] = "";
  PetscBool set = PETSC_FALSE, phase = PETSC_FALSE;
  LPNN_PETSC(PetscOptionsHasName(nullptr, nullptr, "-lpnn_fault_phase", &phase));
  if (phase) return f;  // a fault at a named phase (util/phase.hpp), not after a write step
  LPNN_PETSC(PetscOptionsGetString(nullptr, nullptr, "-lpnn_fault", kind, sizeof kind, &set));
  if (!set) return f;
  const std::string k = kind;
  if (k != "kill" && k != "error") fail("-lpnn_fault must be kill or error, not \"{}\"", k);
  f.kind = k == "kill" ? Kind::Kill : Kind::Error;
  LPNN_PETSC(PetscOptionsGetInt(nullptr, nullptr, "-lpnn_fault_rank", &f.rank, nullptr));
  LPNN_PETSC(PetscOptionsGetInt(nullptr, nullptr, "-lpnn_fault_step", &f.step, nullptr));
  return f;
}

std::string FaultInjection::after_step(int rank_now, std::int64_t step_now, const std::string& path) const {
  if (kind == Kind::None || rank_now != rank || step_now != step) return {};
  if (kind == Kind::Kill) std::raise(SIGKILL);
  return fmt::format("writing to {} failed: No space left on device (injected by -lpnn_fault error after step {})",
                     path, step_now);
}

}  // namespace lpnn
