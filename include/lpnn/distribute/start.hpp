// How a build starts (fresh, resumed, or nothing to do), decided once by rank 0 from what is at the
// output path, and the fault injection the tests use to kill or fail a build mid-write.
#pragma once

#include <mpi.h>
#include <petscsys.h>

#include <cstdint>
#include <string>

#include "lpnn/arch/architecture.hpp"
#include "lpnn/bags/layout.hpp"

namespace lpnn {

enum class BuildStart { Fresh, Resume, AlreadyComplete, OnlyRename };

// Collective; the same answer on every rank. Refuses (lpnn::CollectiveError on every rank) a bad
// output path, an unfinished build without --resume or --force, and --resume onto a finished file of
// another polytope. AlreadyComplete: --resume found this very polytope complete at `output`.
// OnlyRename: --resume found the unfinished build complete (a run stopped inside its commit, between
// marking the file complete and renaming it): its checksums are verified, then it is renamed.
BuildStart decide_start(MPI_Comm comm, const Architecture& arch, const PolytopeLayout& layout,
                        const std::string& output, bool force, bool resume);

// Through the PETSc options database: -lpnn_fault kill|error with -lpnn_fault_rank R and
// -lpnn_fault_step S makes rank R SIGKILL itself, or fail as a write error would, right after write
// step S (and its ledger update, if one was due).
struct FaultInjection {
  enum class Kind { None, Kill, Error } kind = Kind::None;
  PetscInt rank = 0, step = 0;
  static FaultInjection from_options();
  // After step `step_now` on `rank_now`: dies, or returns the error a failed write would give
  // (empty: no fault here).
  std::string after_step(int rank_now, std::int64_t step_now, const std::string& path) const;
};

}  // namespace lpnn
