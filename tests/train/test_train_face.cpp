// Training is exact on the grid (README, The polytope / Faces and exactness): on a suite of small instances the face
// LP's optimum equals exhaustive grid search, and the returned φ attains it, for both LP paths (Clp, PDHG), both face
// modes (bounds, penalty), D' < D and D' = D, at whatever rank count this runs on.
//
// The polytope is built in-process (lpnn::make_plan + lpnn::build_polytope, collective) into a
// temporary directory chosen by rank 0, then lpnn::train runs on it. The oracle is computed here,
// independently of lpnn's trainer, face and grid search code: every parameter grid point θ(a)
// (lpnn::grid_point) is evaluated with Architecture::sample_loss on the data rounded by the formula of
// README, The polytope / ERM and grids, plus λ_R·R(θ) computed from the spec.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <mpi.h>
#include <petscsys.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <ostream>
#include <string>
#include <vector>

#include "lpnn/arch/architecture.hpp"
#include "lpnn/arch/grid.hpp"
#include "lpnn/bags/planner.hpp"
#include "lpnn/distribute/builder.hpp"
#include "lpnn/solve/dataset.hpp"
#include "lpnn/solve/grid_search.hpp"
#include "lpnn/solve/trainer.hpp"
#include "lpnn/util/error.hpp"
#include "mpi_test_helpers.hpp"

namespace {

using nlohmann::json;
using namespace lpnn::test;

// A temporary directory shared by all ranks for the whole run.
std::unique_ptr<lpnn::test::TempDir>& shared_temp_dir() {
  static std::unique_ptr<lpnn::test::TempDir> dir;
  return dir;
}
const std::string& shared_dir() { return shared_temp_dir()->path(); }

class SharedTempDir : public ::testing::Environment {
 public:
  void SetUp() override { shared_temp_dir() = std::make_unique<lpnn::test::TempDir>("lpnn-train"); }
  void TearDown() override { shared_temp_dir().reset(); }
};

const auto* const kTempDirEnvironment = ::testing::AddGlobalTestEnvironment(new SharedTempDir);

// ---------------------------------------------------------------------------------------------
// The instance suite.

struct Instance {
  std::string name;
  json spec;
  lpnn::GridSpec grid;
  std::int64_t polytope_samples;  // D
  std::int64_t data_samples;      // D' <= D
  std::uint64_t seed;
  bool pdhg = true;  // small enough for the first-order path
};

json dense(std::int64_t inputs, std::vector<std::pair<std::int64_t, std::string>> layers, bool bias,
           const std::string& loss, const std::string& regularizer = "none", double weight = 0.0, double slope = -1.0) {
  json spec{{"input", inputs}, {"layers", json::array()}, {"bias", bias}, {"loss", loss}};
  for (const auto& [units, activation] : layers) {
    json layer{{"units", units}, {"activation", activation}};
    if (activation == "leaky_relu" && slope >= 0) layer["slope"] = slope;
    spec["layers"].push_back(layer);
  }
  if (regularizer != "none") spec["regularizer"] = {{"kind", regularizer}, {"weight", weight}};
  return spec;
}

// Columns M + D·B of each: all in the low thousands at most, so PDHG converges in seconds.
std::vector<Instance> suite() {
  using G = lpnn::GridSpec;
  return {
      // 1-1 identity, squared loss, K = 2..5; D' < D and D' = D.
      {"id11_sq_K2", dense(1, {{1, "identity"}}, true, "squared"), G::uniform(2), 5, 5, 11},
      {"id11_sq_K3_sub", dense(1, {{1, "identity"}}, true, "squared"), G::uniform(3), 6, 4, 12},
      {"id11_abs_l1_K4", dense(1, {{1, "identity"}}, true, "absolute", "l1", 0.05), G::uniform(4), 5, 5, 13},
      {"id11_sq_l2_K5_sub", dense(1, {{1, "identity"}}, true, "squared", "l2", 0.1), G::uniform(5), 6, 5, 14},
      // 1-2 identity without bias: two outputs, absolute loss.
      {"id12_nobias_abs_K3", dense(1, {{2, "identity"}}, false, "absolute"), G::uniform(3), 4, 4, 15},
      // 1-2-1 ReLU: 7 parameters at K = 2 and K = 3 (Clp only: 79k columns), 4 without biases at K = 3.
      {"relu121_sq_K2_sub", dense(1, {{2, "relu"}, {1, "identity"}}, true, "squared"), G::uniform(2), 6, 5, 16},
      {"relu121_sq_l2_K3", dense(1, {{2, "relu"}, {1, "identity"}}, true, "squared", "l2", 0.01), G::uniform(3), 4, 4,
       25,
       /*pdhg=*/false},
      {"relu121_nobias_hinge_l2_K3", dense(1, {{2, "relu"}, {1, "identity"}}, false, "hinge", "l2", 0.05),
       G::uniform(3), 4, 4, 17},
      // 2-1 tanh and leaky ReLU.
      {"tanh21_abs_K3", dense(2, {{1, "tanh"}}, true, "absolute"), G::uniform(3), 5, 5, 18},
      {"tanh21_sq_l1_K4_sub", dense(2, {{1, "tanh"}}, true, "squared", "l1", 0.02), G::uniform(4), 3, 2, 23},
      {"leaky21_hinge_l1_K3_sub", dense(2, {{1, "leaky_relu"}}, true, "hinge", "l1", 0.02, 0.1), G::uniform(3), 5, 4,
       19},
      {"leaky21_sq_K2", dense(2, {{1, "leaky_relu"}}, true, "squared"), G::uniform(2), 6, 6, 20},
      // Different grids per coordinate group: K_φ = 4, K_x = 5, K_y = 3.
      {"tanh11_sq_mixedK", dense(1, {{1, "tanh"}}, true, "squared"), G{4, 5, 3}, 5, 5, 21},
      // Beyond dense: a 1-D and a 2-D CNN (tied kernels), average pooling, a residual skip, a binarized
      // network (exact), elu, and the logistic and cross-entropy losses.
      {"cnn1d_sq", json::parse(R"({"input": 4, "input_shape": [1, 4], "bias": false, "loss": "squared",
         "layers": [{"type": "conv1d", "channels": 1, "kernel": 2, "activation": "relu"},
                    {"units": 1, "activation": "identity"}]})"),
       G{3, 2, 3}, 3, 3, 31},
      {"cnn2d_abs", json::parse(R"({"input": 6, "input_shape": [1, 2, 3], "bias": false, "loss": "absolute",
         "layers": [{"type": "conv2d", "channels": 1, "kernel": [2, 2], "activation": "relu"},
                    {"units": 1, "activation": "identity"}]})"),
       G{2, 2, 3}, 3, 3, 32},
      {"pool1d_sq", json::parse(R"({"input": 4, "input_shape": [1, 4], "loss": "squared",
         "layers": [{"type": "conv1d", "channels": 1, "kernel": 2, "activation": "relu"},
                    {"type": "avgpool1d", "size": 2}, {"units": 1, "activation": "identity"}]})"),
       G{3, 2, 3}, 3, 2, 33},
      {"resnet_sq", json::parse(R"({"input": 2, "bias": false, "loss": "squared",
         "layers": [{"units": 2, "activation": "relu"},
                    {"units": 2, "activation": "identity", "skip": "input"}]})"),
       G{2, 3, 2}, 3, 3, 34},
      {"binary_hinge", json::parse(R"({"input": 3, "binary": true, "bias": false, "loss": "hinge",
         "layers": [{"units": 2, "activation": "sign"}, {"units": 1, "activation": "sign"}]})"),
       G::uniform(2), 4, 4, 35},
      {"elu21_abs", dense(2, {{1, "elu"}}, true, "absolute"), G::uniform(3), 4, 4, 36},
      {"logistic21", dense(2, {{1, "identity"}}, true, "logistic"), G::uniform(3), 4, 4, 37},
      {"cross_entropy22", dense(2, {{2, "identity"}}, false, "cross_entropy"), G{3, 3, 2}, 4, 4, 38},
  };
}

// Deterministic data in the box, the same on every rank. Hinge and logistic labels are mostly ±1;
// a binary network's data are ±1.
struct Data {
  std::vector<double> x, y;
};

Data make_data(const Instance& inst, std::int64_t n, std::int64_t m) {
  std::uint64_t state = inst.seed * 6364136223846793005ULL + 1442695040888963407ULL;
  auto uniform = [&state]() {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    return static_cast<double>(state >> 11) / static_cast<double>(1ULL << 53) * 2.0 - 1.0;  // [-1, 1)
  };
  const std::string loss = inst.spec.at("loss");
  const bool hinge = loss == "hinge" || loss == "logistic", binary = inst.spec.value("binary", false);
  const auto sign = [](double u) { return u < 0 ? -1.0 : 1.0; };
  Data data;
  for (std::int64_t d = 0; d < inst.data_samples; ++d) {
    for (std::int64_t i = 0; i < n; ++i) data.x.push_back(binary ? sign(uniform()) : uniform());
    // Cross-entropy labels are one-hot: +1 for the class, -1 elsewhere.
    const std::int64_t label =
        loss == "cross_entropy" ? static_cast<std::int64_t>((uniform() + 1.0) / 2.0 * static_cast<double>(m)) : -1;
    for (std::int64_t k = 0; k < m; ++k) {
      const double u = uniform();
      if (binary)
        data.y.push_back(sign(u));
      else if (loss == "cross_entropy")
        data.y.push_back(k == label ? 1.0 : -1.0);
      else
        data.y.push_back(hinge ? (d % 3 == 2 ? 0.3 * u : sign(u)) : u);
    }
  }
  return data;
}

// ---------------------------------------------------------------------------------------------
// The independent oracle.

double round_to(double r, std::int64_t K) {  // README, ERM and grids: written out again here on purpose
  double k = std::floor((r + 1.0) * static_cast<double>(K - 1) / 2.0 + 0.5);
  k = std::clamp(k, 0.0, static_cast<double>(K - 1));
  return -1.0 + 2.0 * k / static_cast<double>(K - 1);
}

double regularizer_of(const json& spec, const std::vector<double>& phi) {
  if (!spec.contains("regularizer")) return 0.0;
  const std::string kind = spec.at("regularizer").at("kind");
  const double weight = spec.at("regularizer").at("weight");
  double r = 0.0;
  for (double p : phi) r += kind == "l1" ? std::fabs(p) : p * p;
  return weight * r;
}

struct Oracle {
  double best = std::numeric_limits<double>::infinity();
  std::int64_t points = 0;
  std::int64_t optimal_points = 0;  // grid points within 1e-12 of the best (ties)
};

class Problem {
 public:
  Problem(const Instance& inst) : inst_(inst), arch_(lpnn::Architecture::from_json(inst.spec)) {
    raw_ = make_data(inst, arch_.inputs(), arch_.outputs());
    for (double v : raw_.x) rounded_.x.push_back(round_to(v, inst.grid.input));
    for (double v : raw_.y) rounded_.y.push_back(round_to(v, inst.grid.output));
  }

  const lpnn::Architecture& arch() const { return arch_; }

  // (1/D') Σ_d ℓ(f(x̄_d, φ), ȳ_d) + λ_R R(φ) on the rounded data.
  double objective(const std::vector<double>& phi) const {
    const std::int64_t n = arch_.inputs(), m = arch_.outputs();
    double total = 0.0;
    for (std::int64_t d = 0; d < inst_.data_samples; ++d)
      total += arch_.sample_loss(std::span<const double>(rounded_.x.data() + d * n, n), phi,
                                 std::span<const double>(rounded_.y.data() + d * m, m));
    return total / static_cast<double>(inst_.data_samples) + regularizer_of(inst_.spec, phi);
  }

  Oracle exhaustive() const {
    Oracle oracle;
    const lpnn::Grid gp(inst_.grid.param);
    std::int64_t M = 1;
    for (std::int64_t i = 0; i < arch_.parameters(); ++i) M *= inst_.grid.param;
    std::vector<double> theta(arch_.parameters());
    std::vector<double> values(static_cast<std::size_t>(M));
    for (std::int64_t a = 0; a < M; ++a) {
      lpnn::grid_point(gp, a, theta);
      values[a] = objective(theta);
      oracle.best = std::min(oracle.best, values[a]);
    }
    oracle.points = M;
    for (double v : values) oracle.optimal_points += v <= oracle.best + 1e-12 ? 1 : 0;
    return oracle;
  }

  // Writes the data CSV (rank 0) and returns its path on every rank.
  std::string write_csv() const {
    static std::map<std::string, bool> written;
    const std::string path = shared_dir() + "/" + inst_.name + ".csv";
    if (written[inst_.name]) return path;
    written[inst_.name] = true;
    if (world_rank() == 0) {
      std::ofstream out(path);
      const std::int64_t n = arch_.inputs(), m = arch_.outputs();
      for (std::int64_t i = 0; i < n; ++i) out << "x" << i + 1 << ",";
      for (std::int64_t k = 0; k < m; ++k) out << "y" << k + 1 << (k + 1 < m ? "," : "\n");
      for (std::int64_t d = 0; d < inst_.data_samples; ++d) {
        for (std::int64_t i = 0; i < n; ++i) out << fmt::format("{:.17g},", raw_.x[d * n + i]);
        for (std::int64_t k = 0; k < m; ++k) out << fmt::format("{:.17g}{}", raw_.y[d * m + k], k + 1 < m ? "," : "\n");
      }
    }
    MPI_Barrier(MPI_COMM_WORLD);
    return path;
  }

  // Builds the polytope collectively (once per instance and process) and returns its path.
  std::string polytope() const {
    static std::map<std::string, std::string> built;
    if (auto it = built.find(inst_.name); it != built.end()) return it->second;
    lpnn::BuildRequest request;
    request.samples = inst_.polytope_samples;
    request.grid = inst_.grid;
    request.ranks = world_size();
    request.petsc_index_bytes = static_cast<int>(sizeof(PetscInt));
    const lpnn::Plan plan = lpnn::make_plan(arch_, request);
    EXPECT_TRUE(plan.refusal.empty()) << plan.refusal;
    lpnn::BuildOptions options;
    options.output = shared_dir() + "/" + inst_.name + ".h5";
    options.force = true;
    lpnn::build_polytope(MPI_COMM_WORLD, arch_, plan, options);
    built[inst_.name] = options.output;
    return options.output;
  }

 private:
  Instance inst_;
  lpnn::Architecture arch_;
  Data raw_, rounded_;
};

// ---------------------------------------------------------------------------------------------

struct Case {
  Instance instance;
  lpnn::LpSolverKind solver;
  lpnn::FaceMode face;
};

// gtest prints a failing parameter with this instead of a byte dump.
void PrintTo(const Case& c, std::ostream* os) {
  *os << c.instance.name << (c.solver == lpnn::LpSolverKind::Clp ? " clp " : " pdhg ")
      << (c.face == lpnn::FaceMode::Bounds ? "bounds" : "penalty") << " (D = " << c.instance.polytope_samples
      << ", D' = " << c.instance.data_samples << ")";
}

std::string case_name(const ::testing::TestParamInfo<Case>& info) {
  return info.param.instance.name + (info.param.solver == lpnn::LpSolverKind::Clp ? "_clp" : "_pdhg") +
         (info.param.face == lpnn::FaceMode::Bounds ? "_bounds" : "_penalty");
}

std::vector<Case> cases() {
  std::vector<Case> out;
  for (const Instance& inst : suite())
    for (auto solver : {lpnn::LpSolverKind::Clp, lpnn::LpSolverKind::Pdhg})
      for (auto face : {lpnn::FaceMode::Bounds, lpnn::FaceMode::Penalty})
        if (solver == lpnn::LpSolverKind::Clp || inst.pdhg) out.push_back({inst, solver, face});
  return out;
}

class FaceLp : public ::testing::TestWithParam<Case> {};

TEST_P(FaceLp, OptimumEqualsExhaustiveGridSearchAndPhiAttainsIt) {
  const Case& c = GetParam();
  const Instance& inst = c.instance;
  const Problem problem(inst);
  const std::string polytope = problem.polytope();
  const std::string data = problem.write_csv();

  lpnn::TrainOptions options;
  options.polytope = polytope;
  options.data = data;
  options.method = lpnn::TrainMethod::Lp;
  options.solver = c.solver;
  options.face = c.face;
  options.clp_tolerance = 1e-9;
  options.pdhg.tolerance = 1e-6;
  options.verify = false;  // the independent oracle below decides (TrainerVerify covers --verify)

  lpnn::Model model;
  ASSERT_NO_THROW(model = lpnn::train(MPI_COMM_WORLD, options));

  const Oracle oracle = problem.exhaustive();
  const double tolerance = c.solver == lpnn::LpSolverKind::Clp ? 1e-9 * (1.0 + std::fabs(oracle.best))
                                                               : lpnn::verification_tolerance(options, oracle.best);
  ASSERT_TRUE(model.report.contains("losses"));
  const json& losses = model.report.at("losses");
  ASSERT_TRUE(losses.contains("lp_objective"));
  const double lp = losses.at("lp_objective").get<double>();
  EXPECT_NEAR(lp, oracle.best, tolerance) << "LP optimum vs exhaustive grid search over " << oracle.points << " points";

  // φ is a parameter grid point, and it attains the optimum on the rounded data.
  ASSERT_EQ(static_cast<std::int64_t>(model.parameters.size()), problem.arch().parameters());
  const lpnn::Grid gp(inst.grid.param);
  for (double p : model.parameters) {
    const double nearest = gp.value(gp.round(p));
    EXPECT_EQ(p, nearest) << "parameter " << p << " is not a grid value";
  }
  const double attained = problem.objective(model.parameters);
  EXPECT_NEAR(attained, oracle.best, tolerance) << "the returned φ does not attain the grid optimum";
  EXPECT_NEAR(losses.at("grid_loss").get<double>(), attained, 1e-12);

  // lpnn's own oracle agrees with the independent one.
  const lpnn::Dataset dataset = lpnn::read_dataset(data, problem.arch().inputs(), problem.arch().outputs());
  const lpnn::GridSearchResult search = lpnn::grid_search(MPI_COMM_WORLD, problem.arch(), inst.grid, dataset);
  EXPECT_NEAR(search.objective, oracle.best, 1e-12);

  // The solver report and the model are the same on every rank.
  const json& solver = model.report.at("solver");
  EXPECT_EQ(solver.at("name"), c.solver == lpnn::LpSolverKind::Clp ? "clp" : "pdhg");
  EXPECT_EQ(solver.at("face"), c.face == lpnn::FaceMode::Bounds ? "bounds" : "penalty");
  EXPECT_TRUE(solver.at("optimal").get<bool>());
  EXPECT_EQ(model.report.at("provenance").at("samples").get<std::int64_t>(), inst.data_samples);
  EXPECT_EQ(model.report.at("provenance").at("polytope_samples").get<std::int64_t>(), inst.polytope_samples);
  expect_same_on_every_rank(lp, "lp_objective");
  for (double p : model.parameters) expect_same_on_every_rank(p, "a parameter");

  if (world_rank() == 0)
    std::printf(
        "[ info     ] %-28s %-4s %-7s  oracle %.12g (%lld/%lld optimal)  lp %.12g  attained %.12g  "
        "iterations %lld  %.3f s\n",
        inst.name.c_str(), c.solver == lpnn::LpSolverKind::Clp ? "clp" : "pdhg",
        c.face == lpnn::FaceMode::Bounds ? "bounds" : "penalty", oracle.best,
        static_cast<long long>(oracle.optimal_points), static_cast<long long>(oracle.points), lp, attained,
        static_cast<long long>(solver.value("iterations", 0LL)), solver.value("seconds", 0.0));
}

INSTANTIATE_TEST_SUITE_P(Suite, FaceLp, ::testing::ValuesIn(cases()), case_name);

// --verify: the trainer runs its own grid search beside the LP and records the agreement.
TEST(TrainerVerify, RecordsTheOracleBesideTheLp) {
  for (const Instance& inst : suite()) {
    if (inst.name != "tanh21_abs_K3" && inst.name != "id11_sq_K3_sub") continue;
    const Problem problem(inst);
    for (auto solver : {lpnn::LpSolverKind::Clp, lpnn::LpSolverKind::Pdhg}) {
      lpnn::TrainOptions options;
      options.polytope = problem.polytope();
      options.data = problem.write_csv();
      options.solver = solver;
      options.verify = true;
      lpnn::Model model;
      ASSERT_NO_THROW(model = lpnn::train(MPI_COMM_WORLD, options)) << inst.name;
      const json& losses = model.report.at("losses");
      const double oracle = problem.exhaustive().best;
      EXPECT_TRUE(losses.at("verified").get<bool>());
      EXPECT_NEAR(losses.at("oracle_objective").get<double>(), oracle, 1e-12) << inst.name;
      EXPECT_DOUBLE_EQ(losses.at("verify_tolerance").get<double>(), lpnn::verification_tolerance(options, oracle));
      EXPECT_NEAR(losses.at("lp_objective").get<double>(), oracle, losses.at("verify_tolerance").get<double>());
    }
  }
}

// D' > D is refused on every rank (no hang, a clear message).
TEST(FaceLpErrors, MoreSamplesThanThePolytopeServes) {
  Instance inst{"too_many", dense(1, {{1, "identity"}}, true, "squared"), lpnn::GridSpec::uniform(2), 2, 3, 5};
  const Problem problem(inst);
  Instance small = inst;
  small.data_samples = 2;
  const std::string polytope = Problem(small).polytope();
  lpnn::TrainOptions options;
  options.polytope = polytope;
  options.data = problem.write_csv();
  try {
    lpnn::train(MPI_COMM_WORLD, options);
    ADD_FAILURE() << "train accepted 3 samples on a polytope for D = 2";
  } catch (const lpnn::Error& e) {
    EXPECT_NE(std::string(e.what()).find("at most D = 2"), std::string::npos) << e.what();
  }
}

}  // namespace
