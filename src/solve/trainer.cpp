#include "lpnn/solve/trainer.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <ctime>
#include <optional>

#include "lpnn/arch/lipschitz.hpp"
#include "lpnn/bags/block_layout.hpp"
#include "lpnn/bags/cost_template.hpp"
#include "lpnn/bags/planner.hpp"
#include "lpnn/hdf5/checksum.hpp"
#include "lpnn/hdf5/reader.hpp"
#include "lpnn/solve/evaluate.hpp"
#include "lpnn/solve/grid_search.hpp"
#include "lpnn/solve/load.hpp"
#include "lpnn/solve/rounded.hpp"
#include "lpnn/util/error.hpp"
#include "lpnn/util/log.hpp"
#include "lpnn/util/mpi.hpp"
#include "lpnn/util/phase.hpp"
#include "lpnn/util/provenance.hpp"
#include "lpnn/util/units.hpp"

namespace lpnn {

namespace {

std::string to_string(TrainMethod m) {
  switch (m) {
    case TrainMethod::Lp:
      return "lp";
    case TrainMethod::GridSearch:
      return "grid";
    case TrainMethod::Adam:
      return "sgd";
  }
  return "?";
}

struct LpOutcome {
  LpSolution solution;
  std::vector<double> x_weights;  // X[a], a < M, on every rank
};

// The face LP's data on `comm`: A and b from the file, c and the upper bounds from the face.
struct FaceLpData {
  OwnedMat A;
  OwnedVec c, b, upper;  // lower bounds are 0
  double penalty = NAN;  // penalty faces: the off-face columns' cost
};

FaceLpData load_face_lp(MPI_Comm comm, const TrainOptions& options, const PolytopeMetadata& meta, const Face& face,
                        std::span<const double> cost_template, std::span<const double> x_costs) {
  // A and b from the file, as load_polytope loads them; c is then overwritten by the face's objective.
  Polytope loaded;
  load_lp_objects(comm, options.polytope, meta.layout, loaded);
  FaceLpData lp;
  lp.A = std::move(loaded.A);
  lp.b = std::move(loaded.b);
  lp.c = std::move(loaded.c);
  LPNN_PETSC(VecDuplicate(lp.c, lp.upper.out()));
  const FaceObjective objective = FaceObjective::make(options.face, cost_template, x_costs);
  if (options.face == FaceMode::Penalty) lp.penalty = objective.penalty;
  fill_face_columns(meta.layout, face, objective, cost_template, x_costs, lp.c, lp.upper);
  return lp;
}

// Clp on rank 0 over the gathered face LP (only its free columns and non-empty rows travel; the full LP
// is released before); the others wait for the result. A Clp failure is reported by
// status; an exception on rank 0 (e.g. more nonzeros than Clp can index) is shared so that every rank
// throws it together instead of the others waiting forever in the broadcasts below.
LpOutcome solve_with_clp_on_root(MPI_Comm comm, const TrainOptions& options, const PolytopeLayout& layout,
                                 ReducedLp& face_lp) {
  LinearProgram lp;
  run_logged_phase(comm, "gather", "gathering the LP on rank 0", [&] {
    lp = face_lp.gathered_to_root();
    face_lp = ReducedLp{};
  });
  int rank = 0;
  LPNN_MPI(MPI_Comm_rank(comm, &rank));
  LpOutcome outcome;
  run_logged_phase(comm, "solve", "solving the LP with Clp", [&] {
    if (rank == 0) outcome.solution = solve_with_clp(lp, options.clp_tolerance);
  });
  LpSolution& solution = outcome.solution;
  double scalars[6] = {solution.objective,     static_cast<double>(solution.iterations),
                       solution.seconds,       solution.primal_residual,
                       solution.dual_residual, solution.optimal ? 1.0 : 0.0};
  LPNN_MPI(MPI_Bcast(scalars, 6, MPI_DOUBLE, 0, comm));
  solution.objective = scalars[0];
  solution.iterations = static_cast<std::int64_t>(scalars[1]);
  solution.seconds = scalars[2];
  solution.primal_residual = scalars[3];
  solution.dual_residual = scalars[4];
  solution.optimal = scalars[5] != 0.0;
  broadcast_string(comm, solution.status);
  outcome.x_weights.resize(static_cast<std::size_t>(layout.M));
  if (rank == 0) {
    // X[a] is column a; the face keeps every X column, but map through original_column regardless.
    for (std::size_t k = 0; k < solution.x.size(); ++k) {
      const std::int64_t j = lp.original_column.empty() ? static_cast<std::int64_t>(k) : lp.original_column[k];
      if (j < layout.M) outcome.x_weights[static_cast<std::size_t>(j)] = solution.x[k];
    }
  }
  LPNN_MPI(
      MPI_Bcast(outcome.x_weights.data(), checked_int(layout.M, "the parameter grid size M"), MPI_DOUBLE, 0, comm));
  solution.x.clear();
  return outcome;
}

// The face LP on the loaded matrix, solved by the chosen path.
LpOutcome solve_face_lp(MPI_Comm comm, const TrainOptions& options, const PolytopeMetadata& meta, const Face& face,
                        std::span<const double> cost_template, std::span<const double> x_costs) {
  FaceLpData data;
  run_logged_phase(comm, "load", "loading the LP of " + options.polytope,
                   [&] { data = load_face_lp(comm, options, meta, face, cost_template, x_costs); });
  // Both solvers see the face LP alone (the used bags' free columns and non-empty rows: Face::used_rows
  // says why leaving the bags d ≥ D' out is exact), built once and distributed; the full LP is released
  // before the solve. PDHG iterates on it in place, Clp receives it on rank 0.
  ReducedLp face_lp;
  run_logged_phase(comm, "face_lp", "forming the face LP", [&] {
    const LpPrefix used{face.used_rows(meta.layout), face.used_columns(meta.layout)};
    face_lp = make_reduced_lp(data.A, data.b, data.c, data.upper, used);
    if (options.face == FaceMode::Penalty) face_lp.reference_cost_norm = norm_without_penalty(data.c, data.penalty);
    data = FaceLpData{};
  });
  if (options.solver == LpSolverKind::Clp) return solve_with_clp_on_root(comm, options, meta.layout, face_lp);
  LpOutcome outcome;
  run_logged_phase(comm, "solve", "solving the LP with PDHG",
                   [&] { outcome.solution = solve_with_pdhg(face_lp, options.pdhg, meta.layout.M); });
  outcome.x_weights = std::move(outcome.solution.x);
  return outcome;
}

// φ from X (README, The polytope / Rows and columns: φ = Σ_a θ(a) X[a]). A vertex (Clp) has X = e_a; a first-order
// solution may spread X over ties or carry small noise, so among the points holding at least half of the largest weight
// the one with the lowest face objective is taken: with ties, any optimal grid point is correct. The star's face
// objective comes from its cost template; a chain's is the rounded network's loss on the grid data (solve/rounded.hpp).
std::int64_t recover_grid_point(const PolytopeMetadata& meta, const Face& face, std::span<const double> weights,
                                std::span<const double> cost_template, std::span<const double> x_costs,
                                const RoundedNetwork* rounded, const Dataset& grid_data) {
  const PolytopeLayout& layout = meta.layout;
  const double top = *std::max_element(weights.begin(), weights.end());
  std::int64_t best = -1;
  double best_value = INFINITY;
  std::vector<double> theta(static_cast<std::size_t>(meta.arch.parameters()));
  const Grid gp(layout.grid.param);
  for (std::int64_t a = 0; a < layout.M; ++a) {
    if (weights[a] < 0.5 * top) continue;
    if (rounded) grid_point(gp, a, theta);
    const double value =
        rounded ? rounded->losses(theta, grid_data).total() : face.objective_of(layout, cost_template, x_costs[a], a);
    if (value < best_value) {
      best_value = value;
      best = a;
    }
  }
  return best;
}

// --memory-budget once D' is known: the whole LP run on the busiest rank (plan_training: the load, the
// face LP beside it, Clp's gather to rank 0 or PDHG's iterates, X on every rank), not only the load of /A
// checked before the data are read.
void check_training_memory(const TrainOptions& options, const PolytopeLayout& layout, std::int64_t samples, int ranks) {
  if (options.method != TrainMethod::Lp || !options.memory_budget) return;
  TrainingRequest request;
  request.data_samples = samples;
  request.clp = options.solver == LpSolverKind::Clp;
  request.penalty_face = options.face == FaceMode::Penalty;
  request.ranks = ranks;
  request.petsc_index_bytes = static_cast<int>(sizeof(PetscInt));
  request.memory_budget = options.memory_budget;
  const LoadPlan plan = plan_training(layout, request);
  if (!plan.refusal.empty()) fail("refused: {}", plan.refusal);
}

}  // namespace

double verification_tolerance(const TrainOptions& options, double oracle_objective) {
  const bool exact = options.method != TrainMethod::Lp || options.solver == LpSolverKind::Clp;
  const double relative = exact ? std::max(options.clp_tolerance, 1e-9) : 10.0 * options.pdhg.tolerance;
  return relative * (1.0 + std::fabs(oracle_objective));
}

namespace {

// What the chosen method found: a grid point (LP, grid search) or φ itself (Adam).
struct MethodOutcome {
  nlohmann::json solver_report;
  double lp_objective = NAN;
  std::int64_t grid_point_index = -1;
  std::vector<double> parameters;  // Adam only
};

MethodOutcome run_lp(MPI_Comm comm, const TrainOptions& options, const PolytopeMetadata& meta, const Face& face,
                     const RoundedNetwork* rounded, const Dataset& data) {
  const PolytopeLayout& layout = meta.layout;
  std::vector<double> cost_template, x_costs;
  run_logged_phase(comm, "read", "reading the cost template of " + options.polytope, [&] {
    cost_template = read_double_dataset(options.polytope, "/template/cost");
    x_costs.resize(static_cast<std::size_t>(layout.M));
    compute_regularizer_costs(meta.arch, layout, 0, x_costs);
  });
  const LpOutcome outcome = solve_face_lp(comm, options, meta, face, cost_template, x_costs);
  if (!outcome.solution.optimal)
    throw CollectiveError(
        fmt::format("the LP solver stopped without an optimum ({}, {} iterations){}", outcome.solution.status,
                    outcome.solution.iterations,
                    options.solver == LpSolverKind::Pdhg ? "; raise --max-iterations or --tolerance" : ""));
  MethodOutcome result;
  result.lp_objective = outcome.solution.objective;
  result.grid_point_index = recover_grid_point(meta, face, outcome.x_weights, cost_template, x_costs, rounded,
                                               round_to_grid(data, layout.grid));
  result.solver_report = outcome.solution.to_json();
  result.solver_report["name"] = options.solver == LpSolverKind::Clp ? "clp" : "pdhg";
  result.solver_report["face"] = options.face == FaceMode::Bounds ? "bounds" : "penalty";
  if (options.solver == LpSolverKind::Pdhg) result.solver_report["tolerance"] = options.pdhg.tolerance;
  return result;
}

MethodOutcome run_method(MPI_Comm comm, const TrainOptions& options, const PolytopeMetadata& meta, const Face& face,
                         const Dataset& data, const RoundedNetwork* rounded) {
  if (options.method == TrainMethod::Lp) return run_lp(comm, options, meta, face, rounded, data);
  MethodOutcome result;
  if (options.method == TrainMethod::GridSearch) {
    GridSearchResult search;
    run_logged_phase(comm, "solve", "searching the parameter grid",
                     [&] { search = grid_search(comm, meta.arch, meta.layout.grid, data, rounded); });
    result.grid_point_index = search.best_point;
    result.solver_report = {{"name", "grid"}, {"evaluations", search.evaluations}, {"seconds", search.seconds}};
    return result;
  }
  // Adam is cheap and deterministic: rank 0 runs it and shares φ.
  int rank = 0;
  LPNN_MPI(MPI_Comm_rank(comm, &rank));
  AdamResult adam;
  result.parameters.resize(static_cast<std::size_t>(meta.arch.parameters()));
  run_logged_phase(comm, "solve", "training with Adam", [&] {
    if (rank != 0) return;
    adam = train_adam(meta.arch, data, options.adam);
    result.parameters = adam.best_parameters;
  });
  LPNN_MPI(MPI_Bcast(result.parameters.data(),
                     checked_int(static_cast<std::int64_t>(result.parameters.size()), "the parameter count"),
                     MPI_DOUBLE, 0, comm));
  result.solver_report = {{"name", "adam"},
                          {"starts", options.adam.starts},
                          {"iterations", options.adam.iterations},
                          {"learning_rate", options.adam.learning_rate},
                          {"seed", options.adam.seed},
                          {"start_losses", adam.start_losses},
                          {"seconds", adam.seconds}};
  return result;
}

// --verify: the oracle beside the LP; throws when the LP optimum or the recovered network's grid loss
// differs from exhaustive grid search by more than the solver's tolerance.
void verify_against_oracle(MPI_Comm comm, const TrainOptions& options, const PolytopeMetadata& meta,
                           const Dataset& data, const RoundedNetwork* rounded, double lp_objective, double achieved,
                           nlohmann::json& losses) {
  GridSearchResult oracle;
  run_logged_phase(comm, "verify", "searching the parameter grid for --verify",
                   [&] { oracle = grid_search(comm, meta.arch, meta.layout.grid, data, rounded); });
  const double tolerance = verification_tolerance(options, oracle.objective);
  losses["oracle_objective"] = oracle.objective;
  if (!std::isnan(lp_objective) && std::fabs(lp_objective - oracle.objective) > tolerance)
    throw CollectiveError(
        fmt::format("verification FAILED: LP optimum {:.12g} but exhaustive grid search gives "
                    "{:.12g} (difference {:.3g} > tolerance {:.3g})",
                    lp_objective, oracle.objective, lp_objective - oracle.objective, tolerance));
  if (options.method != TrainMethod::Adam && std::fabs(achieved - oracle.objective) > tolerance)
    throw CollectiveError(
        fmt::format("verification FAILED: the recovered network's grid loss {:.12g} differs from "
                    "the grid optimum {:.12g} by more than {:.3g}",
                    achieved, oracle.objective, tolerance));
  losses["verified"] = true;
  losses["verify_tolerance"] = tolerance;
}

// The model's losses: on the grid data (what the LP optimizes) and on the data as given, of the network,
// or of the rounded network for a chain polytope; the error bound and the guarantee that apply.
nlohmann::json loss_report(const TrainOptions& options, const PolytopeMetadata& meta, const Model& model,
                           const Dataset& data, const RoundedNetwork* rounded, double lp_objective) {
  const PolytopeLayout& layout = meta.layout;
  const auto losses_on = [&](const Dataset& d) {
    return rounded ? rounded->losses(model.parameters, d) : evaluate_losses(meta.arch, model.parameters, d);
  };
  const Losses grid_losses = losses_on(round_to_grid(data, layout.grid));
  const Losses train_losses = losses_on(data);
  nlohmann::json losses{{"grid_loss", grid_losses.total()},
                        {"train_loss", train_losses.data_loss},
                        {"regularization", train_losses.regularization},
                        {"epsilon_bound", nullptr},
                        {"lipschitz_numeric", meta.lipschitz_numeric},
                        {"lipschitz_bmp", meta.lipschitz_bmp}};
  if (!std::isnan(lp_objective)) losses["lp_objective"] = lp_objective;
  // A chain's rounded network adds its rounding error E (chain_family.hpp's chain_rounding_bound).
  const double rounding = rounded ? chain_rounding_bound(meta.arch, chain_options(layout.grid, layout.node_grid)) : 0.0;
  if (rounded) losses["rounding_bound"] = std::isfinite(rounding) ? nlohmann::json(rounding) : nlohmann::json(nullptr);
  // null: no guarantee (sign units are not Lipschitz; a chain's E is infinite with sign units off the
  // integer node grids).
  const double epsilon =
      guaranteed_epsilon(meta.arch, std::min(meta.lipschitz_numeric, meta.lipschitz_bmp), layout.grid) + rounding;
  if (std::isfinite(epsilon)) losses["epsilon_bound"] = epsilon;
  // The LP and the grid search find the optimum over the grid; for a binary network that grid is the
  // whole (binary) parameter space and the data are not rounded (a chain's too when E = 0: its rounded
  // network is then the network).
  if (meta.arch.binary() && options.method != TrainMethod::Adam && rounding == 0.0)
    losses["guarantee"] = "exact: the trained network is the ERM optimum over binary parameters";
  return losses;
}

}  // namespace

Model train(MPI_Comm comm, const TrainOptions& options) {
  const auto start = std::chrono::steady_clock::now();
  int ranks = 1;
  LPNN_MPI(MPI_Comm_size(comm, &ranks));

  // 1. The polytope's metadata and the data set, checked against each other. Each step reads files
  // on every rank alone, so a failure may be one rank's: each is agreed on before what follows.
  PolytopeMetadata meta;
  run_logged_phase(comm, "metadata", "reading the metadata of " + options.polytope, [&] {
    meta = read_polytope_metadata(options.polytope, Families::Any);
    if (options.method == TrainMethod::Lp) {  // only the LP loads /A
      const LoadPlan load =
          plan_matrix_load(meta.layout, ranks, static_cast<int>(sizeof(PetscInt)), options.memory_budget);
      if (!load.refusal.empty()) fail("refused: {}", load.refusal);
    }
  });
  const PolytopeLayout& layout = meta.layout;
  if (options.verify_checksums) {  // its own agreement; in a stage for -log_view
    double seconds = 0.0;
    const StageScope stage(log_stage("lpnn: checksums"), seconds);
    verify_polytope_checksums(comm, options.polytope);
  }
  Dataset data;
  Model model;
  model.arch = meta.arch;
  model.grid = layout.grid;
  std::optional<Face> face_of_data;
  run_logged_phase(comm, "face", "reading " + options.data + " and forming its face", [&] {
    data = read_dataset(options.data, layout.n, layout.m);
    if (options.scale_minmax) {
      model.scaling = MinMaxScaling::fit(data);
      data = model.scaling->apply(data);
    } else {
      require_in_box(data);
    }
    if (meta.arch.binary()) require_binary(data);
    face_of_data = Face::of(layout, data);
    check_training_memory(options, layout, data.samples, ranks);
  });
  const Face& face = *face_of_data;
  // A chain polytope's LP and grid search optimize the rounded network (solve/rounded.hpp); Adam trains
  // the network itself whatever the file.
  std::optional<RoundedNetwork> rounded_net;
  if (!layout.star() && options.method != TrainMethod::Adam) {
    rounded_net.emplace(meta.arch, layout.grid, layout.node_grid);
    model.rounded_node_grid = layout.node_grid;
  }
  const RoundedNetwork* const rounded = rounded_net ? &*rounded_net : nullptr;

  // 2. The method.
  MethodOutcome outcome = run_method(comm, options, meta, face, data, rounded);
  model.parameters = std::move(outcome.parameters);
  if (outcome.grid_point_index >= 0) {
    model.parameters.resize(static_cast<std::size_t>(meta.arch.parameters()));
    grid_point(Grid(layout.grid.param), outcome.grid_point_index, model.parameters);
  }

  // 3. Losses.
  nlohmann::json losses = loss_report(options, meta, model, data, rounded, outcome.lp_objective);

  // 4. --verify: the oracle beside the LP.
  if (options.verify)
    verify_against_oracle(comm, options, meta, data, rounded, outcome.lp_objective,
                          losses.at("grid_loss").get<double>(), losses);

  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  model.report = {{"method", to_string(options.method)},
                  {"losses", losses},
                  {"solver", outcome.solver_report},
                  {"provenance",
                   {{"lpnn_version", LPNN_VERSION},
                    {"polytope", options.polytope},
                    {"data", options.data},
                    {"samples", data.samples},
                    {"polytope_samples", layout.D},
                    {"ranks", ranks},
                    {"created_utc", utc_timestamp()},
                    {"seconds", seconds}}}};
  return model;
}

}  // namespace lpnn
