#include "lpnn/bags/planner.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <vector>

#include "lpnn/arch/lipschitz.hpp"
#include "lpnn/bags/block_layout.hpp"
#include "lpnn/bags/chain_family.hpp"
#include "lpnn/bags/cost_template.hpp"
#include "lpnn/bags/family_record.hpp"
#include "lpnn/util/error.hpp"
#include "lpnn/util/units.hpp"
#include "planner_internal.hpp"

namespace lpnn {

namespace {

// Seconds per evaluation of ℓ∘f, timed on up to 20000 template entries.
double seconds_per_template_entry(const Architecture& arch, const PolytopeLayout& layout) {
  const std::int64_t sample = std::min<std::int64_t>(layout.B, 20000);
  std::vector<double> out(static_cast<std::size_t>(sample));
  const auto start = std::chrono::steady_clock::now();
  compute_cost_template(arch, layout, 0, out);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return seconds / static_cast<double>(sample);
}

}  // namespace

namespace {

// Why the layout's indices do not fit the PetscInt in use, or an empty string.
std::string index_overflow(const PolytopeLayout& l, int petsc_index_bytes) {
  const std::int64_t index_max =
      petsc_index_bytes == 4 ? std::numeric_limits<std::int32_t>::max() : std::numeric_limits<std::int64_t>::max();
  if (l.nnz <= index_max && l.cols <= index_max && l.rows <= index_max) return {};
  return fmt::format(
      "the polytope's indices overflow the {}-bit PetscInt in use (rows {}, columns {}, nonzeros {} > {}); "
      "use the 64-bit PETSc build (LPNN_PETSC_64BIT_INDICES=ON) or a smaller grid K / sample count D",
      8 * petsc_index_bytes, l.rows, l.cols, l.nnz, index_max);
}

// A binarized network lives on the K = 2 grid: parameters, inputs and labels are ±1 (README,
// Architecture spec). A grid given explicitly must be that one; --epsilon is met by it (ε = 0).
GridSpec binary_grid(const BuildRequest& request) {
  const GridSpec& g = request.grid;
  const bool given = g.param != 0 || g.input != 0 || g.output != 0;
  if (given && (g.param != 2 || g.input != 2 || g.output != 2))
    fail(
        "the network is binary (\"binary\": true): its parameters, inputs and labels are ±1, so the grid is "
        "K = 2 for every group, not {} / {} / {}; pass --grid 2 or leave the grid out",
        g.param, g.input, g.output);
  return GridSpec::uniform(2);
}

}  // namespace

namespace {

// BMP's size bound with their grid of 2L/ε + 1 points per coordinate, 2D(2L/ε + 1)^(N+n+m); with
// ε = 2Lh, 2L/ε + 1 = K, and per group it is 2D·K_φ^N·K_x^n·K_y^m = 2D·B >= M + D·B, the column count.
double size_bound(const PolytopeLayout& l) {
  return 2.0 * static_cast<double>(l.D) * std::pow(static_cast<double>(l.grid.param), static_cast<double>(l.N)) *
         std::pow(static_cast<double>(l.grid.input), static_cast<double>(l.n)) *
         std::pow(static_cast<double>(l.grid.output), static_cast<double>(l.m));
}

// The grid on which 2·L·h <= eps, from the smaller of the two Lipschitz bounds; a grid too large for
// 64-bit arithmetic or the PetscInt in use is refused with what it would take and what would fit.
// `rounding` is the sum chain's E (0 for the star): the user's ε is eps + rounding.
GridSpec grid_for_epsilon_or_refuse(const Architecture& arch, const BuildRequest& request, const Plan& plan, double eps,
                                    double rounding = 0.0) {
  const bool numeric = plan.lipschitz_numeric <= plan.lipschitz_bmp;
  const double L = std::min(plan.lipschitz_numeric, plan.lipschitz_bmp);
  // The family planned on K (the star, the chain's sizes, or auto's choice) fits 64-bit sizes and the
  // indices of this build. Sizes grow with K, so fitting is monotone in K.
  const auto fits = [&](std::int64_t K) {
    try {
      Plan sizes;
      detail::plan_family(arch, request, GridSpec::uniform(K), sizes);
      const PolytopeLayout& l = sizes.layout;
      polytope_file_bytes(l);  // the other sizes make_plan computes must fit too
      checked_mul(SampleRange::of_rank(l.D, 0, request.ranks).count, l.nnz_per_sample(), "local nonzeros");
      return index_overflow(l, request.petsc_index_bytes).empty();
    } catch (const Error&) {
      return false;
    }
  };
  if (!std::isfinite(L)) grid_for_epsilon(L, eps);  // throws: sign units are not Lipschitz
  const double needed = std::ceil(2.0 * L / eps) + 1.0;
  if (needed <= 9.0e18 && fits(grid_for_epsilon(L, eps))) return GridSpec::uniform(grid_for_epsilon(L, eps));
  const double N = static_cast<double>(arch.parameters()), V = N + arch.inputs() + arch.outputs();
  std::string message = fmt::format(
      "--epsilon {} needs K = {:.6g} grid points per coordinate (K - 1 >= 2L/{} with L = {:.6g}, the {} bound); ",
      *request.epsilon, needed, rounding > 0 ? fmt::format("(ε - E) = 2L/{:.6g}", eps) : std::string("ε"), L,
      numeric ? "numeric" : "BMP");
  if (request.family == FamilyChoice::Star)
    message += fmt::format(
        "the polytope would have {:.3g} columns and {:.3g} nonzeros (K^N = {:.3g} parameter grid points), beyond "
        "the {}-bit indices of this build",
        static_cast<double>(request.samples) * std::pow(needed, V),
        2.0 * static_cast<double>(request.samples) * std::pow(needed, V), std::pow(needed, N),
        8 * request.petsc_index_bytes);
  else
    message += fmt::format("on that grid the {} sizes (K^N = {:.3g} parameter grid points) are beyond the {}-bit "
                           "indices of this build",
                           request.family == FamilyChoice::Chain ? "sum chain's" : "star's and the sum chain's",
                           std::pow(needed, N), 8 * request.petsc_index_bytes);
  // The largest K <= 10^6 that fits: doubling, then bisection (fits is monotone).
  std::int64_t K = 1, above = 2;
  while (above <= 1000000 && fits(above)) K = above, above *= 2;
  above = std::min<std::int64_t>(above, 1000001);
  while (above - K > 1) {
    const std::int64_t mid = K + (above - K) / 2;
    (fits(mid) ? K : above) = mid;
  }
  if (K < 2)
    message += "; not even K = 2 fits: use fewer samples or a smaller network";
  else
    message += fmt::format("; the largest grid that fits is K = {} (--grid {}), which gives ε = 2L/(K-1){} = {:.6g}", K,
                           K, rounding > 0 ? " + E" : "", 2.0 * L / static_cast<double>(K - 1) + rounding);
  fail("{}", message);
}

// --epsilon for the family asked. The sum chain's rounded network adds its rounding error E
// (chain_rounding_bound: it depends on the node grid, not on K) to 2·L·h, so a chain needs
// 2·L·h <= ε - E; when E alone reaches ε no K helps and the chain is refused, naming the fix. Auto
// plans both families on the chain's grid (the star meets ε there too, with room), or the star alone
// on its own grid when the chain cannot meet ε. Returns the grid; `request` keeps the family to plan.
GridSpec grid_for_epsilon_request(const Architecture& arch, BuildRequest& request, const Plan& plan) {
  const double eps = *request.epsilon;
  if (request.family == FamilyChoice::Star) return grid_for_epsilon_or_refuse(arch, request, plan, eps);
  const std::int64_t node_grid = detail::planned_node_grid(arch, request);
  const double E = chain_rounding_bound(arch, chain_options(GridSpec::uniform(2), node_grid));
  if (E < eps) return grid_for_epsilon_or_refuse(arch, request, plan, eps - E, E);
  if (request.family == FamilyChoice::Chain)
    fail(
        "--epsilon {}: the sum chain's node grid {} alone rounds the network by up to E = {:.6g} >= ε, whatever "
        "the grid K; use a finer --node-grid (E falls about as 1/(K_v - 1)) or the star (--family star)",
        eps, node_grid, E);
  request.family = FamilyChoice::Star;
  return grid_for_epsilon_or_refuse(arch, request, plan, eps);
}

// Why the build does not fit the machine it runs on (memory of the node for the ranks on it, space on
// the output's file system), with what would; empty when it fits or the machine is not known.
std::string machine_refusal(const Plan& plan, const BuildRequest& request, double memory, double streaming_memory) {
  const double ranks_here = static_cast<double>(std::max(request.ranks_per_node, 1));
  if (request.node_memory && memory * ranks_here > *request.node_memory) {
    std::string fix = "use more nodes or a smaller grid K / fewer samples D";
    if (!request.streaming && streaming_memory * ranks_here <= *request.node_memory)
      fix = fmt::format(
          "build it streamed, without --assembled (about {} per rank), use more nodes, or a smaller grid K / fewer "
          "samples D",
          human_bytes(streaming_memory));
    return fmt::format(
        "the build needs about {} per rank, {} for the {} rank(s) on this node, above its {} of "
        "memory; {}",
        human_bytes(memory), human_bytes(memory * ranks_here), request.ranks_per_node,
        human_bytes(*request.node_memory), fix);
  }
  if (request.disk_free && !request.compressed && static_cast<double>(plan.bytes_on_disk) > *request.disk_free)
    return fmt::format(
        "the file needs {} but the output's file system has {} free; write it elsewhere (-o) or "
        "build a smaller polytope",
        human_bytes(static_cast<double>(plan.bytes_on_disk)), human_bytes(*request.disk_free));
  return {};
}

}  // namespace

Plan make_plan(const Architecture& arch, const BuildRequest& request) {
  if (request.ranks < 1) fail("the number of ranks must be at least 1, got {}", request.ranks);
  // Sizes first: the numeric Lipschitz bound costs O(boxes·N²), minutes for a network whose polytope
  // overflows 64-bit arithmetic anyway. The coarsest grid (K = 2) overflows whenever any grid does.
  if (request.epsilon && !(*request.epsilon > 0.0 && std::isfinite(*request.epsilon)))
    fail("--epsilon must be a positive number, got {}", *request.epsilon);
  {
    Plan sizes;  // the family's sizes only (the chain's without enumerating a column)
    detail::plan_family(arch, request, request.epsilon || arch.binary() ? GridSpec::uniform(2) : request.grid, sizes);
  }
  Plan plan;
  plan.ranks = request.ranks;
  plan.streaming = request.streaming;
  plan.lipschitz_bmp = bmp_lipschitz_bound(arch) + regularizer_lipschitz_bound(arch);
  plan.lipschitz_numeric = numeric_lipschitz_bound(arch).bound + regularizer_lipschitz_bound(arch);
  GridSpec grid = request.grid;
  BuildRequest planned = request;  // --epsilon with auto may leave the star alone
  // Both bounds are valid: the smaller gives the coarser grid.
  if (arch.binary())
    grid = binary_grid(request);
  else if (request.epsilon)
    grid = grid_for_epsilon_request(arch, planned, plan);
  detail::plan_family(arch, planned, grid, plan);
  const PolytopeLayout& l = plan.layout;
  plan.exact = arch.binary();
  plan.epsilon_bmp = guaranteed_epsilon(arch, plan.lipschitz_bmp, grid);
  plan.epsilon_numeric = guaranteed_epsilon(arch, plan.lipschitz_numeric, grid);
  plan.bmp_size_bound = size_bound(l);
  // A chain file also records its one-sample family (/family, bags/family_record.hpp).
  plan.bytes_on_disk = l.star() ? polytope_file_bytes(l)
                                : checked_add(polytope_file_bytes(l), family_record_bytes(arch, l), "the file size");

  // The busiest rank holds ceil(D/P) samples (and rank 0 the X columns of c).
  const std::int64_t local_samples = SampleRange::of_rank(l.D, 0, request.ranks).count;
  plan.max_local_nonzeros = checked_mul(local_samples, l.nnz_per_sample(), "local nonzeros");
  const std::int64_t local_rows = local_samples * l.rows_per_sample();
  const std::int64_t idx = request.petsc_index_bytes;
  // Local CSR as generated (int64 columns as written to disk) plus PETSc's copy in the MPIAIJ matrix.
  const double csr = 8.0 * static_cast<double>(local_rows + 1) + 16.0 * static_cast<double>(plan.max_local_nonzeros);
  const double petsc = static_cast<double>(idx + 8) * static_cast<double>(plan.max_local_nonzeros) +
                       2.0 * static_cast<double>(idx) * static_cast<double>(local_rows);
  const double chunk = 16.0 * static_cast<double>(std::min(plan.max_local_nonzeros, request.chunk_nonzeros));
  // Every rank keeps the full template (B doubles) and its share of b. The objective is never held
  // whole: it is computed and written step by step, at most max(2^16, chunk) entries at a time, and in
  // compressed files at the end, 4 HDF5 chunks of at most 2^20 entries at a time.
  const double step_columns = static_cast<double>(std::max<std::int64_t>(1 << 16, request.chunk_nonzeros));
  const double objective_buffer = std::min(static_cast<double>(local_samples * l.B + l.M),
                                           request.compressed ? std::max(step_columns, 4.0 * (1 << 20)) : step_columns);
  const double vectors = 8.0 * static_cast<double>(l.B) + 8.0 * static_cast<double>(local_rows) + 8.0 * objective_buffer;
  // A block layout (the chain) holds its one-sample block on every rank, streaming or not; its
  // "template" (B = c1 doubles above) is the block's sample costs.
  const double block = detail::sample_block_bytes(l);
  plan.sample_block_bytes = static_cast<std::int64_t>(std::min(block, 9e18));
  const double memory = (request.streaming ? chunk : csr + petsc) + vectors + block;
  plan.memory_per_rank = memory > 9e18 ? std::numeric_limits<std::int64_t>::max() : static_cast<std::int64_t>(memory);

  // The chain's costs are evaluated while its block is built (family_lp), not as a template.
  const std::int64_t template_share = (l.B + request.ranks - 1) / request.ranks;
  if (l.star()) plan.template_seconds = seconds_per_template_entry(arch, l) * static_cast<double>(template_share);

  plan.refusal = index_overflow(l, request.petsc_index_bytes);
  // A compressed file keeps one sample's nonzeros in one HDF5 chunk, and chunks stay below 4 GiB.
  if (plan.refusal.empty() && request.compressed && l.nnz_per_sample() > (std::int64_t{1} << 28))
    plan.refusal = fmt::format(
        "--compression stores each sample's {} nonzeros in one HDF5 chunk, at most 2^28; use --compression none",
        l.nnz_per_sample());
  if (plan.refusal.empty() && request.memory_budget && memory > *request.memory_budget) {
    plan.refusal = fmt::format(
        "the build needs about {} per rank, above the memory budget of {}; use more ranks, {}, a smaller grid K "
        "or fewer samples D",
        human_bytes(memory), human_bytes(*request.memory_budget),
        request.streaming ? "a smaller --chunk-nonzeros" : "a streamed build (without --assembled)");
  }
  if (plan.refusal.empty()) plan.refusal = machine_refusal(plan, request, memory, chunk + vectors + block);
  // A chain plan that may be built carries the rows the builder generates: one sample's block, built
  // only now that its memory has been judged.
  if (!l.star() && plan.refusal.empty() && request.sample_block)
    plan.layout = chain_layout(arch, grid, request.samples, detail::planned_node_grid(arch, request));
  return plan;
}

LoadPlan plan_matrix_load(const PolytopeLayout& layout, int ranks, int petsc_index_bytes,
                          std::optional<double> memory_budget) {
  LoadPlan plan;
  // MatLoad splits the rows evenly; the busiest rank holds about nnz/P entries, read into buffers and
  // then copied into its MPIAIJ blocks (two copies at the peak), plus b, c and bound vectors.
  const double p = static_cast<double>(std::max(ranks, 1));
  const double local_nnz = std::ceil(static_cast<double>(layout.nnz) / p);
  const double local_rows = std::ceil(static_cast<double>(layout.rows) / p);
  const double local_cols = std::ceil(static_cast<double>(layout.cols) / p);
  const double memory = 2.0 * static_cast<double>(petsc_index_bytes + 8) * local_nnz +
                        2.0 * static_cast<double>(petsc_index_bytes) * local_rows +
                        8.0 * (2 * local_rows + 4 * local_cols);
  plan.memory_per_rank = memory > 9e18 ? std::numeric_limits<std::int64_t>::max() : static_cast<std::int64_t>(memory);
  plan.refusal = index_overflow(layout, petsc_index_bytes);
  if (plan.refusal.empty() && memory_budget && memory > *memory_budget)
    plan.refusal = fmt::format(
        "loading /A needs about {} per rank on {} rank(s), above the memory budget of {}; use "
        "more ranks or a larger --memory-budget",
        human_bytes(memory), ranks, human_bytes(*memory_budget));
  return plan;
}

FaceLpSizes face_lp_sizes(const PolytopeLayout& l, std::int64_t data_samples, bool penalty_face) {
  // Each used bag keeps its convexity row and its M consistency rows (none is left empty: each keeps
  // X[a]). A bounds face keeps λ^d[(a, s_d, t_d)] alone: M columns per bag, each in the convexity row and
  // in consistency row a beside X[a], so 3M nonzeros; a penalty face keeps the whole bag, B columns and
  // 2B + M nonzeros. Bags d ≥ D' are left out (D' = 0 keeps them all, as the face LP does).
  // A block family (the chain): how many of a sample's c1 columns agree with its data depends on the
  // data (a bag's columns are split by its data variables' values only where the bag holds any), so
  // the whole block is counted, r1 rows, c1 columns and z1 nonzeros per used sample: an upper bound for
  // a bounds face, exact for a penalty face.
  const std::int64_t used = data_samples < 1 ? l.D : std::min(data_samples, l.D);
  const bool whole_sample = penalty_face || !l.star();
  FaceLpSizes f;
  f.rows = used * l.rows_per_sample();
  f.cols = l.M + used * (whole_sample ? l.B : l.M);
  f.nnz = used * (whole_sample ? l.nnz_per_sample() : 3 * l.M);
  return f;
}

namespace {

// Clp's own copies of an LP (solve_with_clp's int indices, the CoinPackedMatrix, ClpSimplex's matrix and
// its presolved model with row and column copies, the factorization): bytes per nonzero and per row or
// column, fitted to the peak RSS of lpnn-train on XOR K = 3 faces (README, Solving a face).
constexpr double kClpBytesPerNonzero = 190.0, kClpBytesPerLine = 120.0;

// Rank 0 solving the face with Clp: the face as gathered (row pointers, column indices and values, b;
// c, both bounds, the column map and the solution), beside first PETSc's sequential copy of it
// (MatCreateSubMatrices) and then Clp's copies.
double clp_on_root(const FaceLpSizes& f, double index_bytes) {
  const double rows = static_cast<double>(f.rows), cols = static_cast<double>(f.cols);
  const double nnz = static_cast<double>(f.nnz);
  const double gathered = 8.0 * (rows + 1) + 16.0 * nnz + 8.0 * rows + 40.0 * cols;
  const double petsc_copy = (index_bytes + 8.0) * nnz + index_bytes * (rows + 1);
  return gathered + std::max(petsc_copy, kClpBytesPerNonzero * nnz + kClpBytesPerLine * (rows + cols));
}

}  // namespace

LoadPlan plan_training(const PolytopeLayout& l, const TrainingRequest& r) {
  LoadPlan plan = plan_matrix_load(l, r.ranks, r.petsc_index_bytes, std::nullopt);
  const double p = static_cast<double>(std::max(r.ranks, 1)), idx = static_cast<double>(r.petsc_index_bytes);
  const double local_nnz = std::ceil(static_cast<double>(l.nnz) / p);
  const double local_rows = std::ceil(static_cast<double>(l.rows) / p);
  const double local_cols = std::ceil(static_cast<double>(l.cols) / p);
  const FaceLpSizes f = face_lp_sizes(l, r.data_samples, r.penalty_face);
  // The face's rows, columns and entries are among the LP's: the busiest rank holds at most its share.
  const double face_nnz = std::min(static_cast<double>(f.nnz), local_nnz);
  const double face_rows = std::min(static_cast<double>(f.rows), local_rows);
  const double face_cols = std::min(static_cast<double>(f.cols), local_cols);
  // Forming the face LP: the loaded LP (one CSR copy, b, c, the upper bounds) beside the two extractions
  // (the free columns of the used rows, then the non-empty rows) and the face's b, c and upper bounds.
  const double loaded = (idx + 8.0) * local_nnz + idx * local_rows + 8.0 * (local_rows + 2.0 * local_cols);
  const double forming =
      loaded + 2.0 * ((idx + 8.0) * face_nnz + idx * face_rows) + 8.0 * (face_rows + 2.0 * face_cols);
  // Solving: Clp on rank 0 (the loaded LP is released first, the distributed face after the gather); or
  // PDHG in place on each rank's share, with its 16 column and 14 row vectors and the full-length
  // vector X is read back through.
  const double solving =
      r.clp ? clp_on_root(f, idx)
            : (idx + 8.0) * face_nnz + idx * face_rows + 8.0 * (16.0 * face_cols + 14.0 * face_rows) + 8.0 * local_cols;
  // Every rank receives X, M doubles, and keeps it to the end.
  const double x_copy = 8.0 * static_cast<double>(l.M);
  const double load = static_cast<double>(plan.memory_per_rank);
  const double memory = std::max({load, forming, solving}) + x_copy;
  plan.memory_per_rank = memory > 9e18 ? std::numeric_limits<std::int64_t>::max() : static_cast<std::int64_t>(memory);
  if (plan.refusal.empty() && r.memory_budget && memory > *r.memory_budget)
    plan.refusal = fmt::format(
        "training on {} sample(s) needs about {} per rank on {} rank(s) (loading /A {}, forming the face LP {}, "
        "{} {}, X on every rank {}), above the memory budget of {}; use {}or a larger --memory-budget",
        r.data_samples, human_bytes(memory), r.ranks, human_bytes(load), human_bytes(forming),
        r.clp ? "Clp on the face LP gathered to rank 0" : "PDHG", human_bytes(solving), human_bytes(x_copy),
        human_bytes(*r.memory_budget), r.clp ? "--solver pdhg (distributed), " : "more ranks, ");
  return plan;
}

void require_buildable(const Plan& plan) {
  if (!plan.refusal.empty()) throw Error("refused: " + plan.refusal);
}

nlohmann::json Plan::to_json() const {
  // No finite bound (sign units) is null, as JSON has no infinity.
  const auto bound = [](double v) { return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(nullptr); };
  nlohmann::json j = layout_to_json(layout);
  j.update({{"bytes_on_disk", bytes_on_disk},
            {"ranks", ranks},
            {"mode", streaming ? "streaming" : "assembled"},
            {"max_local_nonzeros", max_local_nonzeros},
            {"memory_per_rank_bytes", memory_per_rank},
            {"lipschitz_bmp", bound(lipschitz_bmp)},
            {"lipschitz_numeric", bound(lipschitz_numeric)},
            {"epsilon_bmp", bound(epsilon_bmp)},
            {"epsilon_numeric", bound(epsilon_numeric)},
            {"bmp_size_bound", bound(bmp_size_bound)},
            {"exact_size", static_cast<double>(layout.cols)},
            {"template_seconds", template_seconds},
            {"exact", exact},
            {"buildable", refusal.empty()},
            {"refusal", refusal.empty() ? nlohmann::json(nullptr) : nlohmann::json(refusal)}});
  // The star's plan keeps its fields; a plan that compared families names the one planned.
  if (compared) j["family"] = layout.family();
  if (!layout.star()) {
    j["node_grid"] = layout.node_grid == 0 ? nlohmann::json("integers") : nlohmann::json(layout.node_grid);
    j["sample_block_bytes"] = sample_block_bytes;
  }
  return j;
}

std::string Plan::to_text() const {
  const PolytopeLayout& l = layout;
  std::string s;
  s += fmt::format("polytope plan: D = {} samples, N = {} parameters, n = {} inputs, m = {} outputs\n", l.D, l.N, l.n,
                   l.m);
  if (!l.star())
    s += fmt::format("  bag family                   sum chain, node grid {}\n",
                     l.node_grid == 0 ? std::string("integers") : std::to_string(l.node_grid));
  s += fmt::format("  grid K (param/input/output)  {} / {} / {}\n", l.grid.param, l.grid.input, l.grid.output);
  s += fmt::format("  parameter grid points M      {}\n", l.M);
  if (l.star())
    s += fmt::format("  bag size B                   {}\n", l.B);
  else
    s += fmt::format("  columns per sample           {}\n", l.B);
  s += fmt::format("  rows                         {}\n", l.rows);
  s += fmt::format("  columns                      {}\n", l.cols);
  s += fmt::format("  nonzeros                     {}\n", l.nnz);
  s += fmt::format("  bytes on disk                {} ({})\n", bytes_on_disk,
                   human_bytes(static_cast<double>(bytes_on_disk)));
  s += fmt::format("  memory per rank ({} on {})   {}\n", streaming ? "streaming" : "assembled", ranks,
                   human_bytes(static_cast<double>(memory_per_rank)));
  if (exact) {
    s += "  guarantee                    exact: binary network, nothing is rounded (ε = 0)\n";
  } else if (!std::isfinite(lipschitz_numeric)) {
    s += "  guarantee                    none: sign units are not Lipschitz, so no ε bounds the grid's error\n";
  } else {
    s += fmt::format("  Lipschitz L: BMP bound       {:.6g} (ε = 2Lh = {:.6g})\n", lipschitz_bmp, epsilon_bmp);
    s += fmt::format("  Lipschitz L: numeric bound   {:.6g} (ε = 2Lh = {:.6g})\n", lipschitz_numeric, epsilon_numeric);
  }
  if (l.star()) {
    s += fmt::format("  size bound 2D(2L/ε+1)^(N+n+m)  {:.4g} >= exact columns {}\n", bmp_size_bound, l.cols);
    s += fmt::format("  cost template time (est.)    {:.3g} s on {} rank(s)\n", template_seconds, ranks);
  } else {
    s += fmt::format("  size bound 2D(2L/ε+1)^(N+n+m)  {:.4g} (the star's grid; the chain has {} columns)\n",
                     bmp_size_bound, l.cols);
    s += fmt::format("  sample block (every rank)    {} ({} rows, {} nonzeros per sample; its costs included)\n",
                     human_bytes(static_cast<double>(sample_block_bytes)), l.block_rows, l.block_nonzeros);
  }
  s += refusal.empty() ? std::string("  verdict                      buildable\n")
                       : fmt::format("  verdict                      REFUSED: {}\n", refusal);
  return s;
}

}  // namespace lpnn
