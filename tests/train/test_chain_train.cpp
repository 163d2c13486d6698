// Training on chain polytopes (README, Training on a chain polytope), under mpiexec at 1, 2 and 4 ranks:
// chain files built in-process (the plan of lpnn-build --family chain: the star's guards with
// chain_layout) are trained on with Clp and PDHG, bounds and penalty faces, and --method grid; the LP
// optimum, the chosen grid point (where it is unique), the losses and the model's predictions are
// compared with chain_oracle.hpp's exhaustive search over the rounded network, written independently
// of lpnn's chain, face, grid-search and rounded-network code. D' < D and D' = D; a binarized network on
// the integer node lattice, whose optimum must also be the true binary ERM.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <mpi.h>
#include <petscsys.h>

#include <cmath>
#include <cstdint>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "chain_oracle.hpp"
#include "lpnn/arch/architecture.hpp"
#include "lpnn/bags/block_layout.hpp"
#include "lpnn/bags/family.hpp"
#include "lpnn/bags/planner.hpp"
#include "lpnn/distribute/builder.hpp"
#include "lpnn/solve/load.hpp"
#include "lpnn/solve/model.hpp"
#include "lpnn/solve/trainer.hpp"
#include "mpi_test_helpers.hpp"

namespace {

using namespace lpnn::test;
using lpnn::test::chain::Data;
using std::int64_t;

struct ChainInstance {
  const char* name;
  const char* spec;
  lpnn::GridSpec grid;
  int64_t node_grid;  // 0: the integer lattice
  int64_t samples;    // D
  Data data;          // D' <= D samples
};

const ChainInstance kInstances[] = {
    // Dense 1-2-1, relu hidden units, no bias (N = 4), l1 regularizer: D' = 6 < D = 8.
    {"dense 1-2-1 relu K=3 node grid 5 D=8 D'=6",
     R"({"input": 1, "bias": false, "layers": [{"units": 2, "activation": "relu"}, {"units": 1, "activation": "identity"}],
         "loss": "squared", "regularizer": {"kind": "l1", "weight": 0.05}})",
     {3, 3, 3},
     5,
     8,
     {{{-0.9}, {-0.4}, {0.1}, {0.5}, {1.0}, {-1.0}}, {{0.9}, {0.1}, {0.0}, {0.6}, {1.0}, {0.8}}}},
    // The same network, D' = D = 6, other labels.
    {"dense 1-2-1 relu K=3 node grid 5 D=D'=6",
     R"({"input": 1, "bias": false, "layers": [{"units": 2, "activation": "relu"}, {"units": 1, "activation": "identity"}],
         "loss": "squared", "regularizer": {"kind": "l1", "weight": 0.05}})",
     {3, 3, 3},
     5,
     6,
     {{{-0.9}, {-0.4}, {0.1}, {0.5}, {1.0}, {-1.0}}, {{-0.9}, {-0.5}, {0.0}, {0.4}, {1.0}, {-1.0}}}},
    // A 1-D convolution (kernel 2, relu) then a linear unit, no bias (N = 4), node grid 7, D = 7, D' = 6.
    {"conv1d 3-2-1 K=3 node grid 7 D=7 D'=6",
     R"({"input": 3, "input_shape": [1, 3], "bias": false, "loss": "absolute",
         "layers": [{"type": "conv1d", "channels": 1, "kernel": 2, "activation": "relu"},
                    {"units": 1, "activation": "identity"}]})",
     {3, 3, 3},
     7,
     7,
     {{{0.2, -0.9, 0.7}, {1.0, 0.4, -0.3}, {-0.6, 0.8, 0.9}, {0.9, 0.9, 0.1}, {-1.0, -0.2, 0.5}, {0.3, 1.0, -0.8}},
      {{0.6}, {-0.4}, {1.0}, {0.9}, {0.0}, {-1.0}}}},
    // Binarized 2-2-1 (sign units, hinge), integer nodes: the rounded network is the network.
    {"binary 2-2-1 integer nodes D=6",
     R"({"input": 2, "binary": true, "bias": false, "loss": "hinge",
         "layers": [{"units": 2, "activation": "sign"}, {"units": 1, "activation": "sign"}]})",
     {2, 2, 2},
     0,
     6,
     {{{1, 1}, {1, -1}, {-1, 1}, {-1, -1}, {1, -1}, {1, 1}}, {{-1}, {1}, {1}, {-1}, {-1}, {1}}}},
};

lpnn::ChainOptions options_of(const ChainInstance& c) {
  return {c.grid, c.node_grid == 0 ? 2 : c.node_grid, c.node_grid == 0};
}

// What lpnn-build --family chain builds: the star's plan (its guards) with the chain's layout.
void build_chain_file(const lpnn::Architecture& arch, const ChainInstance& c, const std::string& path) {
  lpnn::BuildRequest request;
  request.samples = c.samples;
  request.grid = c.grid;
  request.ranks = world_size();
  request.petsc_index_bytes = static_cast<int>(sizeof(PetscInt));
  lpnn::Plan plan = lpnn::make_plan(arch, request);
  plan.layout = lpnn::chain_layout(arch, c.grid, c.samples, c.node_grid);
  lpnn::BuildOptions options;
  options.output = path;
  options.force = true;
  lpnn::build_polytope(MPI_COMM_WORLD, arch, plan, options);
}

std::string write_csv(const Data& data, const std::string& path) {
  if (world_rank() == 0) {
    std::ofstream out(path);
    for (std::size_t d = 0; d < data.x.size(); ++d) {
      for (double v : data.x[d]) out << fmt::format("{:.17g},", v);
      for (std::size_t k = 0; k < data.y[d].size(); ++k) out << (k ? "," : "") << fmt::format("{:.17g}", data.y[d][k]);
      out << "\n";
    }
  }
  MPI_Barrier(MPI_COMM_WORLD);
  return path;
}

// The oracle's network at its optimal point on every (rounded) sample; predictions must equal it.
void expect_predictions(const lpnn::Model& model, const lpnn::Architecture& arch, const ChainInstance& c,
                        const std::vector<double>& theta) {
  lpnn::Dataset data;
  data.samples = static_cast<int64_t>(c.data.x.size());
  data.inputs = arch.inputs();
  for (const auto& row : c.data.x) data.x.insert(data.x.end(), row.begin(), row.end());
  const std::vector<double> z = model.predict(data);
  const Data hat = lpnn::test::chain::rounded(c.data, c.grid);
  const lpnn::ChainOptions o = options_of(c);
  for (std::size_t d = 0; d < hat.x.size(); ++d) {
    const std::vector<double> expected =
        lpnn::test::chain::rounded_network(arch, hat.x[d], theta, o.node_points, o.integer_nodes);
    for (std::size_t k = 0; k < expected.size(); ++k)
      EXPECT_NEAR(z[d * expected.size() + k], expected[k], 1e-12) << "sample " << d;
  }
}

TEST(ChainTrain, LpAndGridSearchEqualTheRoundedNetworksOracle) {
  TempDir dir("lpnn-chain-train");
  for (const ChainInstance& c : kInstances) {
    SCOPED_TRACE(c.name);
    const lpnn::Architecture arch = lpnn::Architecture::from_json(nlohmann::json::parse(c.spec));
    const std::string polytope = dir.file("chain.h5"), csv = write_csv(c.data, dir.file("data.csv"));
    ASSERT_NO_THROW(build_chain_file(arch, c, polytope));
    const lpnn::test::chain::Optimum oracle = lpnn::test::chain::grid_optimum(arch, options_of(c), c.data, false);
    if (!std::isnan(oracle.at_zero)) {  // the data must matter: the optimum beats the zero network
      EXPECT_LT(oracle.objective, oracle.at_zero - 0.01) << "the face is trivial";
    }
    if (arch.binary()) {  // integer nodes: the LP's optimum is the true binary ERM
      EXPECT_NEAR(oracle.objective, lpnn::test::chain::grid_optimum(arch, options_of(c), c.data, true).objective,
                  1e-12);
    }
    std::vector<double> theta(static_cast<std::size_t>(arch.parameters()));
    lpnn::grid_point(lpnn::Grid(c.grid.param), oracle.point, theta);

    struct Run {
      lpnn::TrainMethod method;
      lpnn::LpSolverKind solver;
      lpnn::FaceMode face;
      const char* name;
    };
    const Run runs[] = {{lpnn::TrainMethod::Lp, lpnn::LpSolverKind::Clp, lpnn::FaceMode::Bounds, "clp bounds"},
                        {lpnn::TrainMethod::Lp, lpnn::LpSolverKind::Clp, lpnn::FaceMode::Penalty, "clp penalty"},
                        {lpnn::TrainMethod::Lp, lpnn::LpSolverKind::Pdhg, lpnn::FaceMode::Bounds, "pdhg bounds"},
                        {lpnn::TrainMethod::Lp, lpnn::LpSolverKind::Pdhg, lpnn::FaceMode::Penalty, "pdhg penalty"},
                        {lpnn::TrainMethod::GridSearch, lpnn::LpSolverKind::Clp, lpnn::FaceMode::Bounds, "grid"}};
    for (const Run& run : runs) {
      SCOPED_TRACE(run.name);
      lpnn::TrainOptions options;
      options.polytope = polytope;
      options.data = csv;
      options.method = run.method;
      options.solver = run.solver;
      options.face = run.face;
      options.pdhg.tolerance = 1e-8;
      lpnn::Model model;
      ASSERT_NO_THROW(model = lpnn::train(MPI_COMM_WORLD, options));
      const nlohmann::json j = model.to_json();
      EXPECT_EQ(j.at("semantics"), "rounded");
      EXPECT_EQ(j.at("node_grid"), c.node_grid);
      const double tolerance = run.solver == lpnn::LpSolverKind::Pdhg && run.method == lpnn::TrainMethod::Lp
                                   ? 1e-5 * (1.0 + std::fabs(oracle.objective))
                                   : 1e-9;
      if (run.method == lpnn::TrainMethod::Lp) {
        EXPECT_NEAR(j.at("losses").at("lp_objective").get<double>(), oracle.objective, tolerance);
      }
      // The recovered network attains the optimum on the grid data, exactly.
      EXPECT_NEAR(j.at("losses").at("grid_loss").get<double>(), oracle.objective, 1e-9);
      if (oracle.optimal_points == 1) {
        EXPECT_EQ(model.parameters, theta);
      }
      expect_same_on_every_rank(j.at("losses").at("grid_loss").get<double>(), "the grid loss");
      // Written and read back, the model predicts with the rounded network at its own parameters.
      if (world_rank() == 0) model.write(dir.file("model.json"));
      MPI_Barrier(MPI_COMM_WORLD);
      const lpnn::Model read = lpnn::Model::from_file(dir.file("model.json"));
      ASSERT_TRUE(read.rounded_node_grid.has_value());
      expect_predictions(read, arch, c, read.parameters);
      MPI_Barrier(MPI_COMM_WORLD);
    }
  }
}

// The public entry points on a chain file: load_polytope reads it, load_face sets the face on every
// rank's columns of c and the upper bounds. Expected values from the D-sample family itself
// (bag_assignments, family_lp, whose columns the file holds, mpi.chain_build): sample d < D' columns
// whose inputs or labels differ from d's rounded data have upper bound 0 and cost 0, the others
// cost D/D' times family_lp's (1/D)·ℓ; samples d ≥ D' are free with cost 0; X keeps λ_R·R.
TEST(ChainTrain, LoadFaceFixesTheColumnsThatDisagreeWithTheData) {
  TempDir dir("lpnn-chain-face");
  const ChainInstance& c = kInstances[0];
  const lpnn::Architecture arch = lpnn::Architecture::from_json(nlohmann::json::parse(c.spec));
  const std::string polytope = dir.file("chain.h5"), csv = write_csv(c.data, dir.file("data.csv"));
  ASSERT_NO_THROW(build_chain_file(arch, c, polytope));
  const lpnn::Polytope p = lpnn::load_polytope(MPI_COMM_WORLD, polytope);
  const lpnn::FaceLp f = lpnn::load_face(p, lpnn::read_dataset(csv, 1, 1));

  const lpnn::BagFamily family = lpnn::chain_family(arch, options_of(c), c.samples);
  const lpnn::FamilySizes sizes = lpnn::family_sizes(family);
  const lpnn::LinearProgram lp = lpnn::family_lp(family);
  const double inf = std::numeric_limits<double>::infinity();
  const double used = static_cast<double>(c.data.x.size());
  std::vector<double> cost(lp.c), upper(lp.cols, inf);
  const lpnn::Grid gx(c.grid.input), gy(c.grid.output);
  for (int64_t t = 1; t < static_cast<int64_t>(family.bags.size()); ++t) {
    const auto columns = lpnn::bag_assignments(family, t);
    const int64_t first = lpnn::bag_first_column(sizes, t);
    const int64_t d = family.variables[family.bags[t].variables.back()].sample;  // every bag holds sample values
    for (std::size_t k = 0; k < columns.size(); ++k) {
      const int64_t column = first + static_cast<int64_t>(k);
      if (d >= static_cast<int64_t>(used)) {
        cost[column] = 0.0;
        continue;
      }
      cost[column] *= static_cast<double>(c.samples) / used;
      for (std::size_t q = 0; q < columns[k].size(); ++q) {
        const lpnn::FamilyVariable& v = family.variables[family.bags[t].variables[q]];
        const bool off =
            (v.kind == lpnn::VariableKind::Input && columns[k][q] != gx.round(c.data.x[d][v.coordinate])) ||
            (v.kind == lpnn::VariableKind::Label && columns[k][q] != gy.round(c.data.y[d][v.coordinate]));
        if (off) cost[column] = upper[column] = 0.0;
      }
    }
  }
  PetscInt begin = 0, end = 0;
  ASSERT_EQ(VecGetOwnershipRange(f.c, &begin, &end), 0);
  const PetscScalar *fc = nullptr, *fu = nullptr;
  ASSERT_EQ(VecGetArrayRead(f.c, &fc), 0);
  ASSERT_EQ(VecGetArrayRead(f.upper, &fu), 0);
  std::string problems;
  int64_t fixed = 0;
  for (PetscInt j = begin; j < end; ++j) {
    if (std::fabs(fc[j - begin] - cost[j]) > 1e-12 || fu[j - begin] != upper[j])
      problems += fmt::format("column {}: cost {} upper {}, expected {} and {}; ", j, fc[j - begin], fu[j - begin],
                              cost[j], upper[j]);
    fixed += upper[j] == 0.0 ? 1 : 0;
  }
  ASSERT_EQ(VecRestoreArrayRead(f.c, &fc), 0);
  ASSERT_EQ(VecRestoreArrayRead(f.upper, &fu), 0);
  expect_no_problems(MPI_COMM_WORLD, problems.substr(0, 2000), "the chain face of load_face");
  int64_t all_fixed = 0;
  MPI_Allreduce(&fixed, &all_fixed, 1, MPI_INT64_T, MPI_SUM, MPI_COMM_WORLD);
  EXPECT_GT(all_fixed, 0);  // the face fixes something
}

// A model file without "semantics" (written before the field existed) is the network's.
TEST(ChainTrain, ModelWithoutSemanticsIsTheNetworks) {
  lpnn::Model model;
  model.arch = lpnn::Architecture::from_json(nlohmann::json::parse(kInstances[0].spec));
  model.parameters.assign(static_cast<std::size_t>(model.arch.parameters()), 0.5);
  model.grid = {3, 3, 3};
  nlohmann::json j = model.to_json();
  EXPECT_EQ(j.at("semantics"), "network");
  j.erase("semantics");
  EXPECT_FALSE(lpnn::Model::from_json(j, "old.json").rounded_node_grid.has_value());
  j["semantics"] = "rounded";  // rounded needs its node grid
  EXPECT_THROW(lpnn::Model::from_json(j, "bad.json"), lpnn::Error);
  j["node_grid"] = 5;
  EXPECT_EQ(lpnn::Model::from_json(j, "rounded.json").rounded_node_grid, 5);
  j["semantics"] = "other";
  EXPECT_THROW(lpnn::Model::from_json(j, "bad.json"), lpnn::Error);
}

}  // namespace
