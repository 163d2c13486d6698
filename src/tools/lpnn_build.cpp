// lpnn-build: builds the data-independent training polytope and stores it in HDF5.
//
//   lpnn-build --plan --arch net.json --samples 1000 --grid 3 [--ranks 64] [--json] [--family star|chain|auto]
//   mpirun -n 4 lpnn-build --arch net.json --samples 1000 --grid 3 --family chain --node-grid 5 -o chain.h5
//   mpirun -n 4 lpnn-build --arch net.json --samples 1000 --grid 3 -o poly.h5
//   mpirun -n 4 lpnn-build --arch net.json --samples 1000 --epsilon 0.5 -o poly.h5 --streaming
//   mpirun -n 2 lpnn-build ... -o poly.h5 --petsc -log_view
//   mpirun -n 8 lpnn-build ... -o poly.h5 --resume      # finish a crashed or killed build
//
// Samples are split over the ranks (one bag family per data point); the file is identical whatever
// the number of ranks.
#include <sys/statvfs.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <filesystem>
#include <iostream>

#include "lpnn/bags/block_layout.hpp"
#include "lpnn/bags/chain_family.hpp"
#include "lpnn/bags/planner.hpp"
#include "lpnn/distribute/builder.hpp"
#include "lpnn/hdf5/paths.hpp"
#include "lpnn/util/error.hpp"
#include "lpnn/util/phase.hpp"
#include "tool_common.hpp"

namespace {

// Everything the command line says.
struct Arguments {
  std::string arch_path, output, budget, compression = "none", family;
  std::int64_t node_grid = 5;
  std::int64_t samples = 0, grid = 0, grid_param = 0, grid_input = 0, grid_output = 0, chunk = 1 << 24;
  double epsilon = 0, checkpoint = 30;
  int plan_ranks = 0;
  bool plan_only = false, json = false, force = false, streaming = false, progress = false, resume = false;
  bool grid_given = false, groups_given = false, epsilon_given = false;
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
  app.add_flag("--streaming", a.streaming, "write rows in bounded chunks without assembling the PETSc matrix");
  app.add_option("--chunk-nonzeros", a.chunk, "nonzeros per rank per write (and per generated block when streaming)")
      ->check(CLI::PositiveNumber);
  app.add_option("--compression", a.compression,
                 "none (contiguous) or deflate[:LEVEL] (chunked, shuffle + deflate, LEVEL 1-9, default 1); "
                 "MatLoad and h5py read both")
      ->capture_default_str();
  app.add_option("--family", a.family,
                 "the bag family built: star (default) or chain (the sum chain, --node-grid); with --plan the "
                 "families' sizes side by side, auto for both and the smaller")
      ->check(CLI::IsMember({"star", "chain", "auto"}));
  app.add_option("--node-grid", a.node_grid, "--family chain/auto: node grid points K_v (binary networks: the integers)")
      ->check(CLI::Range(std::int64_t{2}, std::int64_t{1} << 20));
  app.add_flag("--progress", a.progress, "show progress with ETA on stderr even when it is not a terminal");
  app.footer("PETSc options (e.g. -log_view) go after --petsc.");
  g->excludes(gp)->excludes(gi)->excludes(go);
  e->excludes(g)->excludes(gp)->excludes(gi)->excludes(go);
  lpnn::tool::parse_arguments(app, argc, argv);
  a.grid_given = g->count() > 0;
  a.groups_given = gp->count() > 0 && gi->count() > 0 && go->count() > 0;
  a.epsilon_given = e->count() > 0;
  return a;
}

// The node this run is on: its physical memory, the ranks sharing it, and the free space where the
// output goes, so that the plan's verdict weighs the machine and not only the polytope.
void add_this_machine(const Arguments& a, lpnn::BuildRequest& request) {
  const long pages = ::sysconf(_SC_PHYS_PAGES), page = ::sysconf(_SC_PAGE_SIZE);
  if (pages > 0 && page > 0) request.node_memory = static_cast<double>(pages) * static_cast<double>(page);
  MPI_Comm node = MPI_COMM_NULL;
  if (MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, 0, MPI_INFO_NULL, &node) == MPI_SUCCESS) {
    MPI_Comm_size(node, &request.ranks_per_node);
    MPI_Comm_free(&node);
  }
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
  if (a.plan_ranks <= 0) add_this_machine(a, request);  // a plan for this very run
  return request;
}

// The families' sizes for the plan's grid and samples: the star's from the layout, the chain's from one
// sample's family (and its rounding error bound beside 2·L·h). `auto` names the one with fewer columns.
nlohmann::json family_sizes_json(const Arguments& a, const lpnn::Architecture& arch, const lpnn::Plan& plan) {
  const lpnn::PolytopeLayout& l = plan.layout;
  nlohmann::json out = {{"star", {{"rows", l.rows}, {"columns", l.cols}, {"nonzeros", l.nnz}}}};
  if (a.family == "star") return out;
  const lpnn::ChainOptions options{l.grid, a.node_grid, arch.binary()};
  const lpnn::FamilySizes chain = lpnn::chain_family_sizes(arch, options, l.D);
  const double two_lh = plan.exact ? 0.0 : std::min(plan.epsilon_bmp, plan.epsilon_numeric);
  const double rounding = lpnn::chain_rounding_bound(arch, options);
  out["chain"] = {{"rows", chain.rows},          {"columns", chain.cols},
                  {"nonzeros", chain.nnz},       {"bags_per_sample", chain.bag_columns.size() - 1},
                  {"node_grid", arch.binary() ? "integers" : std::to_string(a.node_grid)},
                  {"rounding_bound", rounding},  {"two_L_h", two_lh},
                  {"epsilon", two_lh + rounding}};
  if (a.family == "auto") out["smallest"] = chain.cols < l.cols ? "chain" : "star";
  return out;
}

std::string family_sizes_text(const nlohmann::json& f) {
  std::string text = fmt::format("bag families:\n  {:<8}{:>22}{:>22}{:>22}\n", "family", "rows", "columns", "nonzeros");
  for (const char* name : {"star", "chain"})
    if (f.contains(name))
      text += fmt::format("  {:<8}{:>22}{:>22}{:>22}\n", name, f[name]["rows"].get<std::int64_t>(),
                          f[name]["columns"].get<std::int64_t>(), f[name]["nonzeros"].get<std::int64_t>());
  if (f.contains("chain")) {
    const auto& c = f["chain"];
    text += fmt::format("  chain: {} bags per sample, node grid {}; rounding error bound {:.4g} beside 2·L·h = {:.4g} "
                        "(ε = {:.4g})\n",
                        c["bags_per_sample"].get<std::int64_t>(), c["node_grid"].get<std::string>(),
                        c["rounding_bound"].get<double>(), c["two_L_h"].get<double>(), c["epsilon"].get<double>());
  }
  if (f.contains("smallest")) text += fmt::format("  smallest: {}\n", f["smallest"].get<std::string>());
  return text;
}

// A chain build: the plan's layout becomes the chain's (binary networks: the integer node lattice, as
// --plan reports it). The plan's memory and disk verdicts stay the star's, an upper bound wherever the
// chain is the smaller family.
void use_chain(const Arguments& a, const lpnn::Architecture& arch, lpnn::Plan& plan) {
  plan.layout = lpnn::chain_layout(arch, plan.layout.grid, plan.layout.D, arch.binary() ? 0 : a.node_grid);
  plan.bytes_on_disk = lpnn::polytope_file_bytes(plan.layout);
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
    std::cout << j.dump(2) << std::endl;
  } else {
    std::cout << report.to_text();
    if (!report.already_complete) std::cout << "  wrote " << a.output;
    std::cout << std::endl;
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
    nlohmann::json families;
    lpnn::run_phase(MPI_COMM_WORLD, "spec", "reading the spec and planning the build", [&] {
      arch = lpnn::Architecture::from_file(a.arch_path);
      plan = lpnn::make_plan(arch, request_of(a, arch, ranks));
      if (!a.plan_only && a.output.empty()) lpnn::fail("no output file given: add -o FILE.h5 (or --plan to only plan)");
      if (!a.plan_only && a.family == "auto")
        lpnn::fail("--family auto is for --plan only: build with --family star or --family chain");
      if (a.plan_only && !a.family.empty()) families = family_sizes_json(a, arch, plan);
      if (!a.plan_only && a.family == "chain") use_chain(a, arch, plan);
    });

    // 3. Plan only: print and stop; a refused plan is an error exit.
    if (a.plan_only) {
      if (lpnn::tool::is_root()) {
        if (a.json) {
          nlohmann::json out = plan.to_json();
          if (!families.is_null()) out["families"] = families;
          std::cout << out.dump(2) << std::endl;
        } else {
          std::cout << plan.to_text();
          if (!families.is_null()) std::cout << family_sizes_text(families);
        }
      }
      return plan.refusal.empty() ? 0 : 3;
    }

    // 4. Build.
    return build(a, arch, plan);
  });
}
