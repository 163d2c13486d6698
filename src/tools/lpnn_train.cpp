// lpnn-train: a data set becomes a face of a prebuilt polytope; the LP is solved; a network comes out.
//
//   mpirun -n 2 lpnn-train --polytope poly.h5 --data train.csv -o model.json
//   mpirun -n 4 lpnn-train --polytope poly.h5 --data train.h5 --solver pdhg --tolerance 1e-7 -o model.json
//   lpnn-train --polytope poly.h5 --data train.csv --method grid -o oracle.json   (exhaustive search)
//   lpnn-train --polytope poly.h5 --data train.csv --method sgd --starts 20 -o adam.json
//   lpnn-train ... --verify          (fails unless the LP optimum equals exhaustive grid search)
//   lpnn-train --polytope poly.h5 --data reduced.csv --basis basis.json -o model.json
//                                    (data from lpnn-reduce; the model then predicts from raw inputs)
#include <CLI/CLI.hpp>
#include <iostream>

#include "lpnn/hdf5/paths.hpp"
#include "lpnn/hdf5/reader.hpp"
#include "lpnn/solve/trainer.hpp"
#include "lpnn/util/error.hpp"
#include "lpnn/util/phase.hpp"
#include "tool_common.hpp"

namespace {

// The human-readable summary of a trained model.
void print_summary(const nlohmann::json& j, const lpnn::Model& model, const std::string& output) {
  const auto& losses = j.at("losses");
  std::cout << fmt::format("trained with {} ({}) on {} samples; model written to {}\n",
                           j.at("method").get<std::string>(), j.at("solver").value("name", "?"),
                           j.at("provenance").at("samples").get<std::int64_t>(), output);
  std::cout << "  parameters  " << j.at("parameters").dump() << "\n";
  if (losses.contains("lp_objective"))
    std::cout << fmt::format("  LP objective        {:.10g}\n", losses.at("lp_objective").get<double>());
  std::cout << fmt::format("  grid-data loss      {:.10g}\n", losses.at("grid_loss").get<double>())
            << fmt::format("  training loss       {:.10g} (unrounded data{})\n", losses.at("train_loss").get<double>(),
                           model.scaling ? ", scaled into the box" : "")
            << (losses.contains("guarantee")
                    ? fmt::format("  guarantee           {}\n", losses.at("guarantee").get<std::string>())
                : losses.at("epsilon_bound").is_null()
                    ? std::string("  ε bound             none: sign units are not Lipschitz\n")
                    : fmt::format("  {}{:.6g}\n",
                                  model.rounded_node_grid ? "ε bound (2·L·h + E) " : "ε bound (2·L·h)     ",
                                  losses.at("epsilon_bound").get<double>()));
  if (losses.contains("oracle_objective"))
    std::cout << fmt::format("  verified            grid search optimum {:.10g} (tolerance {:.3g})\n",
                             losses.at("oracle_objective").get<double>(), losses.at("verify_tolerance").get<double>());
  if (model.rounded_node_grid)  // a chain polytope: the losses and predictions are the rounded network's
    std::cout << fmt::format("  semantics           the rounded network ({})\n",
                             *model.rounded_node_grid == 0 ? std::string("integer node grids")
                                                           : fmt::format("node grid {}", *model.rounded_node_grid));
  if (model.reduction)
    std::cout << fmt::format("  reduction           {} inputs reduced to {} (the model reads raw inputs)\n",
                             model.reduction->dimension, model.reduction->rank());
  std::cout << "  solver              " << j.at("solver").dump() << std::endl;
}

}  // namespace

int main(int argc, char** argv) {
  return lpnn::tool::run(argc, argv, "lpnn-train", [](int ac, char** av) {
    // 1. Arguments.
    CLI::App app{"Train a network with a prebuilt lpnn polytope: the data set's face, solved as an LP."};
    lpnn::TrainOptions options;
    std::string output, method = "lp", solver = "clp", face = "bounds", scale = "none";
    bool json = false;
    app.add_option("--polytope,-p", options.polytope, "polytope file from lpnn-build")->required();
    app.add_option("--data,-d", options.data, "training data: CSV (n inputs then m outputs) or HDF5 (X, Y)")
        ->required();
    app.add_option("-o,--output", output, "model file to write (JSON)")->required();
    app.add_option("--method", method, "lp (default), grid (exhaustive search oracle) or sgd (Adam baseline)")
        ->check(CLI::IsMember({"lp", "grid", "sgd"}));
    app.add_option("--solver", solver, "LP path: clp (exact, gathered to rank 0) or pdhg (distributed)")
        ->check(CLI::IsMember({"clp", "pdhg"}));
    app.add_option("--face", face, "bounds (fix off-face columns to 0) or penalty (Farkas objective)")
        ->check(CLI::IsMember({"bounds", "penalty"}));
    app.add_option("--scale", scale, "none (data must lie in [-1,1]) or minmax (rescale, recorded in the model)")
        ->check(CLI::IsMember({"none", "minmax"}));
    app.add_flag("--verify", options.verify, "run exhaustive grid search beside the LP; fail if they disagree");
    app.add_option("--tolerance", options.pdhg.tolerance, "pdhg: relative residual and gap tolerance")
        ->check(CLI::PositiveNumber);
    app.add_option("--max-iterations", options.pdhg.max_iterations, "pdhg: iteration limit")
        ->check(CLI::PositiveNumber);
    app.add_flag("--pdhg-verbose", options.pdhg.verbose, "pdhg: print residuals while iterating");
    app.add_option("--starts", options.adam.starts, "sgd: random starts")->check(CLI::PositiveNumber);
    app.add_option("--iterations", options.adam.iterations, "sgd: Adam steps per start")->check(CLI::PositiveNumber);
    app.add_option("--learning-rate", options.adam.learning_rate, "sgd: Adam step size")->check(CLI::PositiveNumber);
    app.add_option("--seed", options.adam.seed, "sgd: random seed");
    bool skip_checksums = false;
    app.add_flag("--skip-checksums", skip_checksums, "do not verify the polytope's dataset checksums (on by default)");
    std::string budget, basis;
    app.add_option("--basis", basis,
                   "basis file from lpnn-reduce: recorded in the model, which then takes the raw inputs");
    app.add_option("--memory-budget", budget, "refuse to load a matrix needing more memory per rank (e.g. 8G)");
    app.add_flag("--json", json, "print the model summary as JSON");
    app.footer(
        "PETSc options go after --petsc: -log_view (a stage per phase), -mat_type (the loaded matrix's storage),\n"
        "-lpnn_pdhg_tolerance, -lpnn_pdhg_max_it, -lpnn_pdhg_check_every, -lpnn_pdhg_verbose (override the flags),\n"
        "-lpnn_pdhg_scaling ruiz_pc|pc|ruiz|none, -lpnn_pdhg_ruiz_passes N, -lpnn_pdhg_restart kkt|none|fpr,\n"
        "-lpnn_pdhg_primal_weight 0|1, -lpnn_pdhg_halpern 0|1, -lpnn_pdhg_presolve 0|1, -lpnn_pdhg_aggregate 0|1,\n"
        "-lpnn_pdhg_step F, -lpnn_pdhg_reflection G, -lpnn_pdhg_kernels fused|vec, -lpnn_pdhg_adaptive_step 0|1\n"
        "(the solver's ingredients).");
    lpnn::tool::parse_arguments(app, ac, av);
    options.method = method == "lp"     ? lpnn::TrainMethod::Lp
                     : method == "grid" ? lpnn::TrainMethod::GridSearch
                                        : lpnn::TrainMethod::Adam;
    options.solver = solver == "clp" ? lpnn::LpSolverKind::Clp : lpnn::LpSolverKind::Pdhg;
    options.face = face == "bounds" ? lpnn::FaceMode::Bounds : lpnn::FaceMode::Penalty;
    options.scale_minmax = scale == "minmax";
    options.verify_checksums = !skip_checksums;
    options.pdhg.set_from_options();  // -lpnn_pdhg_* after --petsc win over the flags above

    // 2. Refuse an unwritable output or a bad basis before any work; train() agrees on each of its phases.
    std::optional<lpnn::Reduction> reduction;
    lpnn::run_phase(MPI_COMM_WORLD, "output", "checking the options and the output " + output, [&] {
      if (!budget.empty()) options.memory_budget = lpnn::tool::parse_bytes(budget, "--memory-budget");
      lpnn::check_output_path(output, /*force=*/true);
      if (!basis.empty()) {
        reduction = lpnn::Reduction::from_file(basis);
        lpnn::Model probe;  // the basis must fit the polytope's network: refused before any training
        probe.arch = lpnn::read_polytope_metadata(options.polytope, lpnn::Families::Any).arch;
        probe.attach_reduction(*reduction, basis);
      }
    });
    lpnn::Model model = lpnn::train(MPI_COMM_WORLD, options);
    if (reduction)  // the same check on every rank: no agreement needed
      lpnn::run_phase(MPI_COMM_WORLD, "basis", "recording the basis " + basis,
                      [&] { model.attach_reduction(*reduction, basis); });

    // 3. Rank 0 writes the model and reports.
    lpnn::run_phase(MPI_COMM_WORLD, "model", "writing the model " + output, [&] {
      if (lpnn::tool::is_root()) model.write(output);
    });
    if (!lpnn::tool::is_root()) return 0;
    const nlohmann::json j = model.to_json();
    if (json) {
      std::cout << j.dump(2) << std::endl;
      return 0;
    }
    print_summary(j, model, output);
    return 0;
  });
}
