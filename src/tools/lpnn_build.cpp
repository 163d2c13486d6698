// lpnn-build: builds the data-independent training polytope and stores it in HDF5.
//
//   lpnn-build --plan --arch net.json --samples 1000 --grid 3 [--ranks 64] [--json] [--family star|chain|auto]
//   mpirun -n 4 lpnn-build --arch net.json --samples 1000 --grid 3 --family chain --node-grid 5 -o chain.h5
//   mpirun -n 4 lpnn-build --arch net.json --samples 1000 --grid 3 --family auto -o poly.h5   # fewer nonzeros
//   mpirun -n 4 lpnn-build --arch net.json --samples 1000 --grid 3 -o poly.h5
//   mpirun -n 4 lpnn-build --arch net.json --samples 1000 --epsilon 0.5 -o poly.h5 --compression deflate
//   mpirun -n 2 lpnn-build ... -o poly.h5 --assembled --petsc -log_view   # through PETSc's MATMPIAIJ
//   mpirun -n 8 lpnn-build ... -o poly.h5 --resume      # finish a crashed or killed build
//
// Samples are split over the ranks (one bag family per data point); the file is identical whatever
// the number of ranks. The plan, and so every refusal, is that of the family built (make_plan).
#include <sys/statvfs.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <charconv>
#include <cstdio>
#include <filesystem>
#include <iostream>

#include "lpnn/bags/block_layout.hpp"
#include "lpnn/bags/chain_family.hpp"
#include "lpnn/bags/planner.hpp"
#include "lpnn/distribute/builder.hpp"
#include "lpnn/hdf5/paths.hpp"
#include "lpnn/util/error.hpp"
#include "lpnn/util/mpi.hpp"
#include "lpnn/util/phase.hpp"
#include "tool_common.hpp"

namespace {

// Everything the command line says.
struct Arguments {
  std::string arch_path, output, budget, compression = "none", family, node_grid = "5";
  std::int64_t samples = 0, grid = 0, grid_param = 0, grid_input = 0, grid_output = 0,
               chunk = lpnn::kDefaultChunkNonzeros;
  double epsilon = 0, checkpoint = 30;
  int plan_ranks = 0;
  bool plan_only = false, json = false, force = false, streaming = true, assembled = false, progress = false,
       resume = false;
  bool grid_given = false, groups_given = false, epsilon_given = false, node_grid_given = false;
};

Arguments parse(int argc, char** argv) {
  Arguments a;
  CLI::App app{"Build the data-independent training polytope of a network (BMP) and store it in HDF5."};
  app.add_option("--arch", a.arch_path, "architecture spec (JSON)")->required()->check(CLI::ExistingFile);
  app.add_option("--samples,-D", a.samples, "number of samples D the polytope serves")->required();
  auto* g = app.add_option("--grid,-K", a.grid, "grid points K for parameters, inputs and outputs");
  auto* gp = app.add_option("--grid-param", a.grid_param, "grid points for the parameters");
  auto* gi = app.add_option("--grid-input", a.grid_input, "grid points for the inputs");
  auto* go = app.add_option("--grid-output", a.grid_output, "grid points for the outputs");
  auto* e = app.add_option("--epsilon", a.epsilon, "target accuracy ε; derives K from the numeric Lipschitz bound");
  app.add_option("-o,--output", a.output, "output polytope file (.h5)");
  app.add_flag("--force", a.force, "replace an existing output file (and discard an unfinished build of it)");
  app.add_flag("--resume", a.resume,
               "finish the unfinished build of the output (any rank count); starts one if there is none, and "
               "does nothing if the output is already this polytope");
  app.add_option("--checkpoint-seconds", a.checkpoint,
                 "at most this long between records of the samples on disk (0: after every write)")
      ->check(CLI::NonNegativeNumber);
  app.add_flag("--plan", a.plan_only, "print the size plan and exit without building");
  app.add_flag("--json", a.json, "print the plan / build summary as one JSON object");
  app.add_option("--ranks", a.plan_ranks, "ranks to plan for (default: the ranks of this run)");
  app.add_option("--memory-budget", a.budget, "refuse builds needing more memory per rank (e.g. 8G)");
  // Streaming is the default: the file is the build's product, and streaming writes the same bytes as
  // the assembled mode with a bounded part of the memory, faster. --streaming stays accepted.
  bool streaming_flag = false;
  auto* streaming = app.add_flag("--streaming", streaming_flag,
                                 "write rows in bounded write steps without assembling the PETSc "
                                 "matrix (the default)");
  auto* assembled = app.add_flag("--assembled", a.assembled,
                                 "first assemble each rank's rows into PETSc's MATMPIAIJ matrix, then write the file "
                                 "from it (the same file; the whole matrix held in memory)");
  streaming->excludes(assembled);
  app.add_option("--chunk-nonzeros", a.chunk, "nonzeros per rank per write (and per generated block when streaming)")
      ->check(CLI::PositiveNumber);
  app.add_option("--compression", a.compression,
                 "none (contiguous) or deflate[:LEVEL] (chunked, shuffle + deflate, LEVEL 1-9, default 1); "
                 "MatLoad and h5py read both")
      ->capture_default_str();
  app.add_option("--family", a.family,
                 "the bag family built: star (default), chain (the sum chain, --node-grid) or auto (the one with "
                 "fewer nonzeros, ties to the star); chain and auto plans print both families' sizes")
      ->check(CLI::IsMember({"star", "chain", "auto"}));
  auto* ng = app.add_option("--node-grid", a.node_grid,
                            "--family chain/auto: node grid points K_v, 2 to 2^20 (default 5), or exact: the integer "
                            "lattice K_v = 2U_v + 1 (needs integer node bounds; binary networks always use it)");
  app.add_flag("--progress", a.progress, "show progress with ETA on stderr even when it is not a terminal");
  app.footer("PETSc options (e.g. -log_view) go after --petsc.");
  g->excludes(gp)->excludes(gi)->excludes(go);
  e->excludes(g)->excludes(gp)->excludes(gi)->excludes(go);
  lpnn::tool::parse_arguments(app, argc, argv);
  a.grid_given = g->count() > 0;
  a.groups_given = gp->count() > 0 && gi->count() > 0 && go->count() > 0;
  a.epsilon_given = e->count() > 0;
  a.node_grid_given = ng->count() > 0;
  a.streaming = !a.assembled;
  return a;
}

// The node this run is on: its physical memory, the ranks sharing it, and the free space where the
// output goes, so that the plan's verdict weighs the machine and not only the polytope.
void add_this_machine(const Arguments& a, lpnn::BuildRequest& request) {
  const long pages = ::sysconf(_SC_PHYS_PAGES), page = ::sysconf(_SC_PAGE_SIZE);
  if (pages > 0 && page > 0) request.node_memory = static_cast<double>(pages) * static_cast<double>(page);
  request.ranks_per_node = lpnn::node_comm(MPI_COMM_WORLD).size();
  // A resumed or replaced build already holds (or frees) its space: the writer's reservation decides.
  std::error_code ec;
  if (a.output.empty() || a.resume || std::filesystem::exists(a.output, ec) ||
      std::filesystem::exists(lpnn::partial_path(a.output), ec))
    return;
  const std::filesystem::path dir = std::filesystem::path(a.output).parent_path();
  struct statvfs fs {};
  // Pseudo file systems (/proc) report no blocks at all: the output check says what is wrong there.
  if (::statvfs(dir.empty() ? "." : dir.c_str(), &fs) == 0 && fs.f_blocks > 0)
    request.disk_free = static_cast<double>(fs.f_bavail) * static_cast<double>(fs.f_frsize);
}

// The family of the arguments, and the node grid checked against it: --node-grid belongs to the chain
// (a star has no node grids; a binary network's chain uses the integer lattice, `exact`), and a node
// grid has 2 to 2^20 points. Throws lpnn::Error saying what to change.
lpnn::FamilyChoice family_of(const Arguments& a, const lpnn::Architecture& arch) {
  const lpnn::FamilyChoice family = a.family == "chain"  ? lpnn::FamilyChoice::Chain
                                    : a.family == "auto" ? lpnn::FamilyChoice::Auto
                                                         : lpnn::FamilyChoice::Star;
  if (!a.node_grid_given) return family;
  if (family == lpnn::FamilyChoice::Star)
    lpnn::fail(
        "--node-grid {} applies to the sum chain only, and the star{} has no node grids: add --family chain (or "
        "--family auto) to build the chain, or drop --node-grid",
        a.node_grid, a.family.empty() ? " (the default family)" : "");
  if (arch.binary() && a.node_grid != "exact")
    lpnn::fail(
        "--node-grid {}: a binary network's chain uses the integer node lattice, which rounds nothing (the LP is "
        "the exact binary ERM); drop --node-grid or give --node-grid exact",
        a.node_grid);
  return family;
}

// --node-grid as the planner takes it: K_v, or 0 for the integer lattice (`exact`). Throws
// lpnn::Error for anything else.
std::int64_t node_grid_of(const Arguments& a) {
  if (a.node_grid == "exact") return 0;
  std::int64_t points = 0;
  const char* const end = a.node_grid.data() + a.node_grid.size();
  const auto [last, error] = std::from_chars(a.node_grid.data(), end, points);
  if (error != std::errc{} || last != end || points < 2 || points > (std::int64_t{1} << 20))
    lpnn::fail(
        "--node-grid must be exact or between 2 and 2^20 points per neuron's node grid, got {}; use an odd K_v "
        "such as 5 (the default), which puts 0 on the grid",
        a.node_grid);
  return points;
}

// The build request of the arguments; throws lpnn::Error for an incomplete grid.
lpnn::BuildRequest request_of(const Arguments& a, const lpnn::Architecture& arch, int ranks) {
  lpnn::BuildRequest request;
  request.samples = a.samples;
  if (a.epsilon_given) {
    request.epsilon = a.epsilon;
  } else if (a.grid_given) {
    request.grid = lpnn::GridSpec::uniform(a.grid);
  } else if (a.groups_given) {
    request.grid = {a.grid_param, a.grid_input, a.grid_output};
  } else if (!arch.binary()) {  // a binary network's grid is K = 2
    lpnn::fail("give the grid as --grid K, as all of --grid-param/--grid-input/--grid-output, or as --epsilon E");
  }
  request.ranks = a.plan_ranks > 0 ? a.plan_ranks : ranks;
  request.streaming = a.streaming;
  request.chunk_nonzeros = a.chunk;
  request.compressed = lpnn::StorageOptions::parse(a.compression).compressed();
  if (!a.budget.empty()) request.memory_budget = lpnn::tool::parse_bytes(a.budget, "--memory-budget");
  request.petsc_index_bytes = static_cast<int>(sizeof(PetscInt));
  request.family = family_of(a, arch);
  request.node_grid = node_grid_of(a);
  request.sample_block = !a.plan_only;  // a printed plan counts the chain without building its block
  if (a.plan_ranks <= 0) add_this_machine(a, request);  // a plan for this very run
  return request;
}

int build(const Arguments& a, const lpnn::Architecture& arch, const lpnn::Plan& plan) {
  lpnn::BuildOptions options;
  options.output = a.output;
  options.force = a.force;
  options.resume = a.resume;
  options.checkpoint_seconds = a.checkpoint;
  options.streaming = a.streaming;
  options.chunk_nonzeros = a.chunk;
  options.progress = a.progress || isatty(STDERR_FILENO);
  options.storage = lpnn::StorageOptions::parse(a.compression);
  const lpnn::BuildReport report = lpnn::build_polytope(MPI_COMM_WORLD, arch, plan, options);
  if (!lpnn::tool::is_root()) return 0;
  if (a.json) {
    nlohmann::json j = report.to_json();
    j["output"] = a.output;
    if (plan.compared) j["families"] = plan.families_json();
    std::cout << j.dump(2) << std::endl;
  } else {
    std::cout << report.to_text();
    if (!report.already_complete) std::cout << "  wrote " << a.output;
    std::cout << std::endl;
    if (plan.auto_choice) std::cout << plan.families_text();
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  return lpnn::tool::run(argc, argv, "lpnn-build", [](int ac, char** av) {
    int ranks = 1;
    MPI_Comm_size(MPI_COMM_WORLD, &ranks);

    // 1. Arguments.
    const Arguments a = parse(ac, av);

    // 2. Validate spec and sizes (each rank alone, then agreed).
    lpnn::Plan plan;
    lpnn::Architecture arch;
    lpnn::run_phase(MPI_COMM_WORLD, "spec", "reading the spec and planning the build", [&] {
      arch = lpnn::Architecture::from_file(a.arch_path);
      if (!a.plan_only && a.output.empty()) lpnn::fail("no output file given: add -o FILE.h5 (or --plan to only plan)");
      // The plan is the family's own (a chain's sizes, memory and disk): its verdict is the build's.
      plan = lpnn::make_plan(arch, request_of(a, arch, ranks));
    });

    // 3. Plan only: print and stop; a refused plan is an error exit.
    if (a.plan_only) {
      if (lpnn::tool::is_root()) {
        // --family star names the one family: its table has the star's row alone, as it always had.
        const lpnn::PolytopeLayout& l = plan.layout;
        const bool star_named = a.family == "star";
        if (a.json) {
          nlohmann::json out = plan.to_json();
          if (plan.compared) out["families"] = plan.families_json();
          if (star_named) out["families"] = {{"star", {{"rows", l.rows}, {"columns", l.cols}, {"nonzeros", l.nnz}}}};
          std::cout << out.dump(2) << std::endl;
        } else {
          std::cout << plan.to_text() << plan.families_text();
          if (star_named)
            std::cout << fmt::format("bag families:\n  {:<8}{:>22}{:>22}{:>22}\n  {:<8}{:>22}{:>22}{:>22}\n", "family",
                                     "rows", "columns", "nonzeros", "star", l.rows, l.cols, l.nnz);
        }
      }
      return plan.refusal.empty() ? 0 : 3;
    }

    // 4. Build.
    return build(a, arch, plan);
  });
}
