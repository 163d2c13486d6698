// A data set of D' < D points uses only the first D' bags of a polytope built for D samples (README,
// The polytope / Solving a face). The face LP leaves the others out: their λ columns and their 1 + M rows.
// Checked here, at whatever rank count this runs on, on polytopes of D = 8 with 4 data points:
//   - the reduced LP's sizes are the closed form: rows D'(1+M); columns M(1+D') on a bounds face (one
//     λ per parameter grid point in each used bag), M + D'·B on a penalty face; nonzeros 3·M·D' and
//     D'(2B + M) (a used bag's convexity row and its consistency rows, X[a] and the kept λ);
//   - its Clp optimum equals the optimum of the face LP that keeps every bag, and both equal exhaustive
//     grid search (lpnn::grid_search, the oracle the train tests use, and a direct enumeration here);
//     PDHG on the reduced bounds face reaches the same optimum within its tolerance;
//   - no row of the reduced face is empty or a singleton: the used bags' rows have the closed-form lengths;
//   - every rank reports the same optimum.
#include <gtest/gtest.h>
#include <mpi.h>
#include <petscmat.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "lpnn/arch/architecture.hpp"
#include "lpnn/arch/grid.hpp"
#include "lpnn/bags/planner.hpp"
#include "lpnn/distribute/builder.hpp"
#include "lpnn/solve/grid_search.hpp"
#include "lpnn/solve/load.hpp"
#include "lpnn/solve/reduced_lp.hpp"
#include "lpnn/solve/solver.hpp"
#include "lpnn/util/error.hpp"
#include "mpi_test_helpers.hpp"

namespace {

using nlohmann::json;
using namespace lpnn::test;

struct Instance {
  std::string name;
  json spec;
  std::int64_t K;
};

// Small enough for a few seconds at 4 oversubscribed ranks: M = 27, B = 729 and M = 128, B = 512.
std::vector<Instance> instances() {
  return {{"tanh21_K3", json::parse(R"({"input": 2, "bias": true, "loss": "squared",
                                         "layers": [{"units": 1, "activation": "tanh"}]})"),
           3},
          {"relu121_K2", json::parse(R"({"input": 1, "bias": true, "loss": "absolute",
                                          "layers": [{"units": 2, "activation": "relu"},
                                                     {"units": 1, "activation": "identity"}]})"),
           2}};
}

constexpr std::int64_t kPolytopeSamples = 8, kDataSamples = 4;

// Four points in the box with distinct rounded inputs where the grid allows, the same on every rank.
lpnn::Dataset make_data(const lpnn::Architecture& arch) {
  lpnn::Dataset data;
  data.samples = kDataSamples;
  data.inputs = arch.inputs();
  data.outputs = arch.outputs();
  data.origin = "four points";
  const double xs[4][2] = {{-0.9, 0.8}, {0.7, -0.6}, {0.9, 0.95}, {-0.2, -0.85}};
  const double ys[4] = {0.6, -0.9, 0.3, 1.0};
  for (int d = 0; d < kDataSamples; ++d) {
    for (std::int64_t i = 0; i < data.inputs; ++i) data.x.push_back(xs[d][i]);
    data.y.push_back(ys[d]);
  }
  return data;
}

// The oracle written out again: min over parameter grid points of the mean loss on the rounded data.
double enumerated_optimum(const lpnn::Architecture& arch, std::int64_t K, const lpnn::Dataset& data) {
  const lpnn::Grid g(K);
  const auto rounded = [&](double v) { return g.value(g.round(v)); };
  std::vector<double> x(data.x.size()), y(data.y.size()), theta(static_cast<std::size_t>(arch.parameters()));
  std::transform(data.x.begin(), data.x.end(), x.begin(), rounded);
  std::transform(data.y.begin(), data.y.end(), y.begin(), rounded);
  std::int64_t M = 1;
  for (std::int64_t i = 0; i < arch.parameters(); ++i) M *= K;
  double best = std::numeric_limits<double>::infinity();
  for (std::int64_t a = 0; a < M; ++a) {
    lpnn::grid_point(g, a, theta);
    double total = 0.0;
    for (std::int64_t d = 0; d < data.samples; ++d)
      total += arch.sample_loss(std::span<const double>(x.data() + d * data.inputs, data.inputs), theta,
                                std::span<const double>(y.data() + d * data.outputs, data.outputs));
    best = std::min(best, total / static_cast<double>(data.samples));
  }
  return best;
}

// The polytope of D = 8 samples, built collectively into `dir`.
std::string build(const Instance& inst, const lpnn::Architecture& arch, const std::string& dir) {
  lpnn::BuildRequest request;
  request.samples = kPolytopeSamples;
  request.grid = lpnn::GridSpec::uniform(inst.K);
  request.ranks = world_size();
  request.petsc_index_bytes = static_cast<int>(sizeof(PetscInt));
  const lpnn::Plan plan = lpnn::make_plan(arch, request);
  EXPECT_TRUE(plan.refusal.empty()) << plan.refusal;
  lpnn::BuildOptions options;
  options.output = dir + "/" + inst.name + ".h5";
  options.force = true;
  lpnn::build_polytope(MPI_COMM_WORLD, arch, plan, options);
  return options.output;
}

struct Sizes {
  PetscInt rows = 0, cols = 0;
  double nonzeros = 0.0;
};

Sizes sizes_of(const lpnn::ReducedLp& lp) {
  Sizes s;
  LPNN_PETSC(MatGetSize(lp.A, &s.rows, &s.cols));
  MatInfo info;
  LPNN_PETSC(MatGetInfo(lp.A, MAT_GLOBAL_SUM, &info));
  s.nonzeros = info.nz_used;
  return s;
}

// How many rows of A (over all ranks) have fewer than 2 entries, exactly `consistency` entries and exactly
// `convexity` entries.
struct RowCounts {
  double short_rows = 0, consistency = 0, convexity = 0;
};

RowCounts count_rows(Mat A, PetscInt consistency, PetscInt convexity) {
  PetscInt first = 0, last = 0;
  LPNN_PETSC(MatGetOwnershipRange(A, &first, &last));
  double counts[3] = {0, 0, 0};
  for (PetscInt i = first; i < last; ++i) {
    PetscInt n = 0;
    const PetscScalar* values = nullptr;
    LPNN_PETSC(MatGetRow(A, i, &n, nullptr, &values));
    PetscInt nonzero = 0;
    for (PetscInt k = 0; k < n; ++k) nonzero += values[k] != 0.0 ? 1 : 0;
    LPNN_PETSC(MatRestoreRow(A, i, &n, nullptr, &values));
    counts[0] += nonzero < 2 ? 1 : 0;
    counts[1] += nonzero == consistency ? 1 : 0;
    counts[2] += nonzero == convexity ? 1 : 0;
  }
  MPI_Allreduce(MPI_IN_PLACE, counts, 3, MPI_DOUBLE, MPI_SUM, PetscObjectComm(reinterpret_cast<PetscObject>(A)));
  return {counts[0], counts[1], counts[2]};
}

// Clp on rank 0 (the LP gathered there), its optimum shared with every rank.
double clp_optimum(const lpnn::ReducedLp& lp) {
  const lpnn::LinearProgram gathered = lp.gathered_to_root();
  double objective = NAN;
  if (world_rank() == 0) {
    const lpnn::LpSolution s = lpnn::solve_with_clp(gathered, 1e-9);
    EXPECT_TRUE(s.optimal) << s.status;
    objective = s.objective;
  }
  MPI_Bcast(&objective, 1, MPI_DOUBLE, 0, MPI_COMM_WORLD);
  return objective;
}

class UnusedBags : public ::testing::TestWithParam<lpnn::FaceMode> {};

TEST_P(UnusedBags, DroppingThemKeepsTheOptimumAndLeavesTheClosedFormSizes) {
  const lpnn::FaceMode mode = GetParam();
  const TempDir dir("lpnn-unused-bags");
  for (const Instance& inst : instances()) {
    SCOPED_TRACE(inst.name);
    const lpnn::Architecture arch = lpnn::Architecture::from_json(inst.spec);
    const std::string path = build(inst, arch, dir.path());
    const lpnn::Dataset data = make_data(arch);
    const lpnn::Polytope polytope = lpnn::load_polytope(MPI_COMM_WORLD, path);
    const lpnn::FaceLp face = lpnn::load_face(polytope, data, mode);
    const lpnn::PolytopeLayout& l = polytope.layout();
    const std::int64_t D = l.D, Dp = face.face.samples, M = l.M, B = l.B;
    ASSERT_EQ(D, kPolytopeSamples);
    ASSERT_EQ(Dp, kDataSamples);

    const lpnn::ReducedLp all = lpnn::make_reduced_lp(polytope.A, polytope.b, face.c, face.upper);
    const lpnn::LpPrefix prefix{face.face.used_rows(l), face.face.used_columns(l)};
    EXPECT_EQ(prefix.rows, Dp * (1 + M));
    EXPECT_EQ(prefix.columns, M + Dp * B);
    lpnn::ReducedLp used = lpnn::make_reduced_lp(polytope.A, polytope.b, face.c, face.upper, prefix);
    const bool bounds = mode == lpnn::FaceMode::Bounds;
    const Sizes with = sizes_of(used), without = sizes_of(all);
    EXPECT_EQ(with.rows, Dp * (1 + M));
    EXPECT_EQ(with.cols, bounds ? M * (1 + Dp) : M + Dp * B);
    EXPECT_EQ(with.nonzeros, static_cast<double>(bounds ? 3 * M * Dp : Dp * (2 * B + M)));
    // No row of the face is empty or a singleton, so there is nothing to fix (ReducedLp does not look for
    // singletons): each used bag keeps its convexity row over its kept λ (M on a bounds face, B on a
    // penalty face) and M consistency rows, each X[a] beside its kept λ (1 on a bounds face, S on a
    // penalty face).
    const RowCounts rows = count_rows(used.A, bounds ? 2 : 1 + l.S, bounds ? M : B);
    EXPECT_EQ(rows.short_rows, 0.0);
    EXPECT_EQ(rows.consistency, static_cast<double>(Dp * M));
    EXPECT_EQ(rows.convexity, static_cast<double>(Dp));
    // Kept without the drop: every row, and the unused bags' B columns each.
    EXPECT_EQ(without.rows, D * (1 + M));
    EXPECT_EQ(without.cols, (bounds ? M * (1 + Dp) : M + Dp * B) + (D - Dp) * B);

    const double oracle = lpnn::grid_search(MPI_COMM_WORLD, arch, l.grid, data).objective;
    EXPECT_NEAR(oracle, enumerated_optimum(arch, inst.K, data), 1e-12);
    EXPECT_GT(oracle, 0.01);  // no grid network fits these points: an LP that lost rows would show it
    const double dropped = clp_optimum(used), kept = clp_optimum(all);
    const double tolerance = 1e-9 * (1.0 + std::fabs(oracle));
    EXPECT_NEAR(dropped, oracle, tolerance);
    EXPECT_NEAR(kept, oracle, tolerance);
    EXPECT_NEAR(dropped, kept, tolerance);
    expect_same_on_every_rank(dropped, "the optimum without the unused bags");

    if (bounds) {  // PDHG iterates on the same reduced LP in place
      lpnn::PdhgOptions options;
      options.tolerance = 1e-7;
      const lpnn::LpSolution s = lpnn::solve_with_pdhg(used, options, M);
      EXPECT_TRUE(s.optimal) << s.status;
      EXPECT_NEAR(s.objective, oracle, 1e-5 * (1.0 + std::fabs(oracle)));
      ASSERT_EQ(static_cast<std::int64_t>(s.x.size()), M);
      expect_same_on_every_rank(s.objective, "the PDHG optimum");
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Faces, UnusedBags, ::testing::Values(lpnn::FaceMode::Bounds, lpnn::FaceMode::Penalty),
                         [](const ::testing::TestParamInfo<lpnn::FaceMode>& param) {
                           return std::string(param.param == lpnn::FaceMode::Bounds ? "bounds" : "penalty");
                         });

}  // namespace
