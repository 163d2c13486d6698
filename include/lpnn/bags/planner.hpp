// The size planner: what a build would cost, decided before anything is built.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "lpnn/arch/architecture.hpp"
#include "lpnn/bags/layout.hpp"

namespace lpnn {

// The bag family a build makes (README, Bag families): the star, the sum chain, or the smaller of the
// two, `Auto`: fewer nonzeros (the matrix is most of the file, the memory and the build time), ties to
// the star (the family lpnn-train reads); a family whose sizes overflow 64 bits is never the smaller.
enum class FamilyChoice { Star, Chain, Auto };

// Nonzeros a rank generates and writes per write step unless told otherwise (--chunk-nonzeros): 4 Mi,
// 64 MiB of columns and values, so a step's buffers stay few and warm and the kernel's write-out of one
// step overlaps the next; per-step overhead stays small (measured: 16 Mi steps made an uncompressed
// streamed build of 34.6 M nonzeros 1.7x slower, 2 Mi steps left a compressed rank's threads short of chunks).
inline constexpr std::int64_t kDefaultChunkNonzeros = std::int64_t{1} << 22;

struct BuildRequest {
  std::int64_t samples = 0;
  GridSpec grid;                  // all groups set, or derived from epsilon
  std::optional<double> epsilon;  // when set, grid is derived from the smaller Lipschitz bound
  int ranks = 1;
  bool streaming = false;
  std::int64_t chunk_nonzeros = kDefaultChunkNonzeros;  // streaming: nonzeros generated and written per chunk, per rank
  std::optional<double> memory_budget;    // bytes per rank
  int petsc_index_bytes = 8;              // sizeof(PetscInt) of the PETSc in use
  // The machine the build runs on, when known (lpnn-build fills them in when it plans its own run):
  // the node's physical memory in bytes and how many of the ranks share it, the free bytes of the
  // output's file system.
  std::optional<double> node_memory;
  int ranks_per_node = 1;
  std::optional<double> disk_free;
  // A compressed file's size is known only once written: the disk check then happens at every write
  // step of the build (its space guard), not in the plan.
  bool compressed = false;
  FamilyChoice family = FamilyChoice::Star;
  // The chain's node grid K_v (at least 2); a binary network's chain always uses the integer lattice.
  std::int64_t node_grid = 5;
  // A chain plan that may be built carries the one-sample block the builder generates rows from (built
  // in memory here, counted in memory_per_rank). false: the plan is only printed, and its layout
  // carries the block's sizes without its rows (chain_layout_sizes), so planning enumerates nothing.
  bool sample_block = true;
};

// One family's sizes in a comparison; `overflow` says why they do not fit 64 bits (then the counts are 0).
struct FamilyCount {
  std::int64_t rows = 0, cols = 0, nnz = 0;
  std::string overflow;
  bool fits() const { return overflow.empty(); }
};

struct Plan {
  PolytopeLayout layout;
  double lipschitz_bmp = 0.0;
  double lipschitz_numeric = 0.0;
  bool exact = false;            // a binary network: the LP is exact, ε = 0
  double epsilon_bmp = 0.0;      // 2·L·h from the BMP bound (infinite with sign units: no guarantee)
  double epsilon_numeric = 0.0;  // 2·L·h from the numeric bound
  double bmp_size_bound = 0.0;   // 2D(2L/ε+1)^{N+n+m} = 2D·K_φ^N·K_x^n·K_y^m >= the column count
  std::int64_t bytes_on_disk = 0;
  std::int64_t max_local_nonzeros = 0;  // the busiest rank's share
  std::int64_t memory_per_rank = 0;     // bytes, busiest rank
  double template_seconds = 0.0;        // estimated wall time of the cost template on `ranks` ranks
  std::int64_t ranks = 1;
  bool streaming = false;
  // Empty when the build may go ahead; otherwise why it is refused.
  std::string refusal;
  // Chain plans: bytes of the one-sample block every rank holds (in memory_per_rank).
  std::int64_t sample_block_bytes = 0;
  // A request for the chain or auto compares both families (compared); the layout above is the one
  // planned, built and judged: the chain's, or with auto the smaller (auto_choice).
  bool compared = false, auto_choice = false;
  FamilyCount star_count, chain_count;
  std::int64_t chain_bags_per_sample = 0;
  std::int64_t chain_node_grid = 0;     // K_v, or 0: the integer lattice
  double chain_rounding_bound = 0.0;    // E, beside 2·L·h (chain_rounding_bound)

  // The star's plan prints as it always has; a chain plan names its family and node grid, columns
  // per sample and its sample block.
  nlohmann::json to_json() const;
  std::string to_text() const;
  // The comparison (null / empty unless compared): both families' sizes, the chain's error bound, and
  // the family chosen.
  nlohmann::json families_json() const;
  std::string families_text() const;
  std::string choice_reason() const;  // "requested", or why auto chose the family planned
};

// Throws lpnn::Error for invalid requests (K < 2, D < 1, a node grid below 2, 64-bit overflow of the
// family planned); a request that is valid but too big for PetscInt or the memory budget comes back
// with `refusal` set. Every size, the memory, disk and index verdicts are those of the family planned:
// a chain whose star would overflow or exceed the budget is planned and built on its own sizes.
Plan make_plan(const Architecture& arch, const BuildRequest& request);

// Loading a stored polytope's matrix (MatLoad of /A, as lpnn-info and lpnn-train do) on `ranks`
// ranks: its memory on the busiest rank, and the same guards a build plan applies (indices that
// overflow the PetscInt in use, memory above the budget). `refusal` is empty when it may go ahead.
struct LoadPlan {
  std::int64_t memory_per_rank = 0;
  std::string refusal;
};
LoadPlan plan_matrix_load(const PolytopeLayout& layout, int ranks, int petsc_index_bytes,
                          std::optional<double> memory_budget);

// Training on a stored polytope with the LP (lpnn-train): the whole run on the busiest rank, decided once
// the data's sample count D' is known. Beside loading /A (plan_matrix_load) it counts forming the face
// LP next to the loaded one, the face LP gathered to rank 0 with Clp's copies of it (clp), or PDHG's
// iterates on it (otherwise), and the X weights every rank receives (M doubles).
struct TrainingRequest {
  std::int64_t data_samples = 1;  // D' ≤ D
  bool clp = true;                // false: PDHG
  bool penalty_face = false;      // a penalty face keeps the used bags' off-face columns
  int ranks = 1;
  int petsc_index_bytes = 8;
  std::optional<double> memory_budget;
};
// The face LP the solvers see (the used bags' free columns and non-empty rows), in closed form.
struct FaceLpSizes {
  std::int64_t rows = 0, cols = 0, nnz = 0;
};
FaceLpSizes face_lp_sizes(const PolytopeLayout& layout, std::int64_t data_samples, bool penalty_face);
LoadPlan plan_training(const PolytopeLayout& layout, const TrainingRequest& request);

// Throws lpnn::Error carrying plan.refusal when the plan is refused.
void require_buildable(const Plan& plan);

}  // namespace lpnn
