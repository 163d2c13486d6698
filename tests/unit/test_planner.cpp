// The size planner: its JSON against the layout, refusals (32-bit PetscInt, memory budget), the effect
// of more ranks, the training estimate (face LP, Clp on rank 0, X on every rank), and invalid requests.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>
#include <random>
#include <span>
#include <vector>

#include "lpnn/arch/lipschitz.hpp"
#include "lpnn/bags/planner.hpp"
#include "lpnn/util/units.hpp"
#include "unit_helpers.hpp"

using lpnn::BuildRequest;
using lpnn::GridSpec;
using lpnn::Plan;
using lpnn::PolytopeLayout;
using lpnn::test::arch_of;
using lpnn::test::error_of;

namespace {

BuildRequest request(std::int64_t samples, std::int64_t K, int ranks = 1) {
  BuildRequest r;
  r.samples = samples;
  r.grid = GridSpec::uniform(K);
  r.ranks = ranks;
  return r;
}

}  // namespace

TEST(Planner, PlanJsonMatchesLayout) {
  const lpnn::Architecture arch = lpnn::test::xor_net();
  const Plan plan = lpnn::make_plan(arch, request(4, 3));
  const PolytopeLayout l = PolytopeLayout::make(9, 2, 1, GridSpec::uniform(3), 4);
  // D(1+M), M + D·B, D(2B+M) with M = 3^9, B = 3^12.
  ASSERT_EQ(l.rows, 4 * (1 + 19683));
  ASSERT_EQ(l.cols, 19683 + 4 * 531441);
  ASSERT_EQ(l.nnz, 4 * (2 * 531441 + 19683));
  const nlohmann::json j = plan.to_json();
  EXPECT_EQ(j.at("rows").get<std::int64_t>(), l.rows);
  EXPECT_EQ(j.at("columns").get<std::int64_t>(), l.cols);
  EXPECT_EQ(j.at("nonzeros").get<std::int64_t>(), l.nnz);
  EXPECT_EQ(j.at("bag_size").get<std::int64_t>(), l.B);
  EXPECT_EQ(j.at("parameter_grid_points").get<std::int64_t>(), l.M);
  EXPECT_EQ(j.at("samples").get<std::int64_t>(), 4);
  EXPECT_EQ(j.at("parameters").get<std::int64_t>(), 9);
  EXPECT_EQ(j.at("inputs").get<std::int64_t>(), 2);
  EXPECT_EQ(j.at("outputs").get<std::int64_t>(), 1);
  EXPECT_EQ(j.at("grid").at("param").get<std::int64_t>(), 3);
  // Bytes on disk: jc (rows+1) and ir (nnz) as int64, data (nnz), b (rows), c (cols), template (B) as
  // double, three grids of K doubles.
  const std::int64_t bytes = 8 * (l.rows + 1) + 16 * l.nnz + 8 * l.rows + 8 * l.cols + 8 * l.B + 8 * 9;
  EXPECT_EQ(lpnn::polytope_file_bytes(l), bytes);
  EXPECT_EQ(j.at("bytes_on_disk").get<std::int64_t>(), bytes);
  EXPECT_EQ(plan.bytes_on_disk, bytes);
  EXPECT_EQ(j.at("buildable"), true);
  EXPECT_TRUE(j.at("refusal").is_null());
  EXPECT_EQ(j.at("mode"), "assembled");
  EXPECT_EQ(j.at("ranks").get<std::int64_t>(), 1);
  // Lipschitz constants and the ε they give on this grid (h = 1/2).
  EXPECT_DOUBLE_EQ(j.at("lipschitz_bmp").get<double>(), lpnn::bmp_lipschitz_bound(arch));
  EXPECT_DOUBLE_EQ(j.at("lipschitz_numeric").get<double>(), lpnn::numeric_lipschitz_bound(arch).bound);
  EXPECT_DOUBLE_EQ(j.at("epsilon_bmp").get<double>(), lpnn::bmp_lipschitz_bound(arch));
  EXPECT_DOUBLE_EQ(plan.epsilon_numeric, plan.lipschitz_numeric);
  // 2D(2L/ε + 1)^(N+n+m) with 2L/ε + 1 = K = 3: 2·4·3^12.
  EXPECT_DOUBLE_EQ(j.at("bmp_size_bound").get<double>(), 8.0 * 531441.0);
  EXPECT_EQ(j.at("max_local_nonzeros").get<std::int64_t>(), l.nnz);
  EXPECT_GT(j.at("memory_per_rank_bytes").get<std::int64_t>(), 16 * l.nnz);
  EXPECT_GE(j.at("template_seconds").get<double>(), 0.0);
  EXPECT_NO_THROW(lpnn::require_buildable(plan));
  EXPECT_MESSAGE_HAS(plan.to_text(), "buildable", "78736", "2145447", "4330260");
}

TEST(Planner, PlanFromEpsilonDerivesGrid) {
  const lpnn::Architecture arch =
      arch_of(R"({"input": 1, "layers": [{"units": 1, "activation": "identity"}], "loss": "absolute"})");
  BuildRequest r;
  r.samples = 2;
  r.epsilon = 1.0;
  const Plan plan = lpnn::make_plan(arch, r);
  // Both bounds hold: K comes from the smaller.
  const double L = std::min(lpnn::numeric_lipschitz_bound(arch).bound, lpnn::bmp_lipschitz_bound(arch));
  const std::int64_t K = lpnn::grid_for_epsilon(L, 1.0);
  EXPECT_EQ(plan.layout.grid.param, K);
  EXPECT_EQ(plan.layout.grid.input, K);
  EXPECT_EQ(plan.layout.grid.output, K);
  EXPECT_LE(std::min(plan.epsilon_numeric, plan.epsilon_bmp), 1.0);
  EXPECT_EQ(plan.layout.cols, PolytopeLayout::make(2, 1, 1, GridSpec::uniform(K), 2).cols);
  r.epsilon = 0.0;
  EXPECT_MESSAGE_HAS(error_of([&] { lpnn::make_plan(arch, r); }), "epsilon");
  r.epsilon = -2.0;
  EXPECT_MESSAGE_HAS(error_of([&] { lpnn::make_plan(arch, r); }), "epsilon", "-2");
}

TEST(Planner, PlanRefuses32BitPetscIndexOverflow) {
  const lpnn::Architecture arch = lpnn::test::xor_net();
  BuildRequest r = request(3000, 3);  // nnz = 3000·(2·3^12 + 3^9) ≈ 3.2e9 > 2^31 - 1
  r.petsc_index_bytes = 4;
  const Plan plan = lpnn::make_plan(arch, r);
  ASSERT_GT(plan.layout.nnz, std::numeric_limits<std::int32_t>::max());
  EXPECT_FALSE(plan.refusal.empty());
  EXPECT_MESSAGE_HAS(plan.refusal, "32-bit PetscInt", std::to_string(plan.layout.nnz));
  EXPECT_EQ(plan.to_json().at("buildable"), false);
  EXPECT_EQ(plan.to_json().at("refusal"), plan.refusal);
  EXPECT_MESSAGE_HAS(plan.to_text(), "REFUSED");
  EXPECT_MESSAGE_HAS(error_of([&] { lpnn::require_buildable(plan); }), "refused", "32-bit PetscInt");
  // The same instance is fine with 64-bit indices, and a small one with 32-bit indices.
  r.petsc_index_bytes = 8;
  EXPECT_TRUE(lpnn::make_plan(arch, r).refusal.empty());
  BuildRequest small = request(4, 3);
  small.petsc_index_bytes = 4;
  EXPECT_TRUE(lpnn::make_plan(arch, small).refusal.empty());
}

// Loading a stored matrix (lpnn-info, lpnn-train) is guarded like a build: PetscInt and memory budget.
TEST(Planner, MatrixLoadRefusesIndexOverflowAndMemoryOverBudget) {
  const lpnn::Architecture arch = lpnn::test::xor_net();
  const Plan big = lpnn::make_plan(arch, request(3000, 3));  // nnz ≈ 3.2e9 > 2^31 - 1
  const lpnn::LoadPlan on32 = lpnn::plan_matrix_load(big.layout, 64, 4, std::nullopt);
  EXPECT_MESSAGE_HAS(on32.refusal, "32-bit PetscInt", std::to_string(big.layout.nnz));
  EXPECT_TRUE(lpnn::plan_matrix_load(big.layout, 64, 8, std::nullopt).refusal.empty());

  const Plan small = lpnn::make_plan(arch, request(4, 3));  // 4.33M nonzeros
  const lpnn::LoadPlan one = lpnn::plan_matrix_load(small.layout, 1, 8, std::nullopt);
  const lpnn::LoadPlan four = lpnn::plan_matrix_load(small.layout, 4, 8, std::nullopt);
  EXPECT_TRUE(one.refusal.empty());
  // At least one copy of the local CSR (16 bytes per nonzero with 64-bit indices), at most a few
  // (two CSR copies plus b, c and the bound vectors: columns are about nnz / 2 here).
  EXPECT_GE(one.memory_per_rank, 16 * small.layout.nnz);
  EXPECT_LE(one.memory_per_rank, 64 * small.layout.nnz);
  EXPECT_LT(four.memory_per_rank, one.memory_per_rank / 3);
  const lpnn::LoadPlan budget = lpnn::plan_matrix_load(small.layout, 4, 8, 1024.0 * 1024.0);
  EXPECT_MESSAGE_HAS(budget.refusal, "loading /A needs about", "on 4 rank(s)", "memory budget of 1.0 MiB");
  EXPECT_TRUE(lpnn::plan_matrix_load(small.layout, 4, 8, 2.0 * four.memory_per_rank).refusal.empty());
}

// The face LP in closed form: the used bags' rows; a bounds face keeps M λ per used bag, a penalty face B.
TEST(Planner, FaceLpSizesLeaveTheUnusedBagsOut) {
  const PolytopeLayout l = PolytopeLayout::make(9, 2, 1, GridSpec::uniform(3), 8);  // XOR K = 3, D = 8
  const lpnn::FaceLpSizes bounds = lpnn::face_lp_sizes(l, 4, false), penalty = lpnn::face_lp_sizes(l, 4, true);
  EXPECT_EQ(std::vector<std::int64_t>({bounds.rows, bounds.cols, bounds.nnz}),
            std::vector<std::int64_t>({4 * (1 + 19683), 19683 + 4 * 19683, 4 * 3 * 19683}));
  EXPECT_EQ(std::vector<std::int64_t>({penalty.rows, penalty.cols, penalty.nnz}),
            std::vector<std::int64_t>({bounds.rows, 19683 + 4 * 531441, l.nnz / 2}));
  EXPECT_EQ(lpnn::face_lp_sizes(l, 8, true).nnz, l.nnz);
}

lpnn::TrainingRequest training(std::int64_t samples, int ranks, bool clp, std::optional<double> budget = {}) {
  return {.data_samples = samples, .clp = clp, .ranks = ranks, .memory_budget = budget};
}

// Clp solves on rank 0 alone: the face LP gathered there does not shrink with the ranks, so at 16 ranks
// it is far above the share of /A a rank loads, which was all the budget counted.
TEST(Planner, TrainingCountsTheClpGatherOnRankZero) {
  const PolytopeLayout l = PolytopeLayout::make(9, 2, 1, GridSpec::uniform(3), 8);
  const lpnn::FaceLpSizes f = lpnn::face_lp_sizes(l, 8, true);  // a penalty face: all of it
  const lpnn::LoadPlan load = lpnn::plan_matrix_load(l, 16, 8, std::nullopt);
  const lpnn::LoadPlan clp = lpnn::plan_training(l, training(8, 16, true));
  // At least the gathered CSR (8-byte row pointers, column indices and values) beside X.
  EXPECT_GE(clp.memory_per_rank, 8 * (f.rows + 1) + 16 * f.nnz + 8 * l.M);
  EXPECT_GT(clp.memory_per_rank, 4 * load.memory_per_rank);
  lpnn::TrainingRequest penalty = training(8, 16, true, 1.01 * static_cast<double>(load.memory_per_rank));
  penalty.penalty_face = true;
  EXPECT_TRUE(lpnn::plan_matrix_load(l, 16, 8, penalty.memory_budget).refusal.empty());
  EXPECT_MESSAGE_HAS(lpnn::plan_training(l, penalty).refusal, "gathered to rank 0", "--solver pdhg", "memory budget");
  // PDHG keeps the face distributed: its estimate stays within a few times the load's.
  penalty.clp = false;
  EXPECT_LT(lpnn::plan_training(l, penalty).memory_per_rank, 3 * load.memory_per_rank);
  // The face of fewer samples is smaller, and so is what Clp needs.
  EXPECT_LT(lpnn::plan_training(l, training(4, 16, true)).memory_per_rank, clp.memory_per_rank);
}

// Every rank receives X (M doubles) whatever the rank count; with many ranks it outweighs a rank's
// share of /A, so an estimate without it refuses nothing it should.
TEST(Planner, TrainingCountsTheCopyOfXOnEveryRank) {
  const PolytopeLayout l = PolytopeLayout::make(9, 2, 1, GridSpec::uniform(3), 8);
  for (bool clp : {false, true}) {
    const lpnn::LoadPlan load = lpnn::plan_matrix_load(l, 4096, 8, std::nullopt);
    const lpnn::LoadPlan plan = lpnn::plan_training(l, training(8, 4096, clp));
    EXPECT_LT(load.memory_per_rank, 8 * l.M) << "clp " << clp;
    EXPECT_GE(plan.memory_per_rank, 8 * l.M + load.memory_per_rank) << "clp " << clp;
    const double budget = 8.0 * static_cast<double>(l.M);
    EXPECT_TRUE(lpnn::plan_matrix_load(l, 4096, 8, budget).refusal.empty());
    EXPECT_MESSAGE_HAS(lpnn::plan_training(l, training(8, 4096, clp, budget)).refusal, "X on every rank");
  }
}

TEST(Planner, PlanRefusesOverMemoryBudget) {
  const lpnn::Architecture arch = lpnn::test::xor_net();
  BuildRequest r = request(4, 3);
  const Plan unlimited = lpnn::make_plan(arch, r);
  r.memory_budget = 1024.0 * 1024.0;  // 1 MiB, far below ~150 MiB
  const Plan plan = lpnn::make_plan(arch, r);
  EXPECT_MESSAGE_HAS(plan.refusal, "memory budget", "1.0 MiB", "a streamed build (without --assembled)");
  EXPECT_MESSAGE_HAS(error_of([&] { lpnn::require_buildable(plan); }), "memory budget");
  r.memory_budget = static_cast<double>(unlimited.memory_per_rank) * 1.01;
  EXPECT_TRUE(lpnn::make_plan(arch, r).refusal.empty());
  r.memory_budget = static_cast<double>(unlimited.memory_per_rank) * 0.99;
  EXPECT_FALSE(lpnn::make_plan(arch, r).refusal.empty());
  // Streaming in small chunks needs less and fits a budget the assembled build does not.
  r.streaming = true;
  r.chunk_nonzeros = 1 << 16;
  const Plan streaming = lpnn::make_plan(arch, r);
  EXPECT_LT(streaming.memory_per_rank, unlimited.memory_per_rank);
  EXPECT_TRUE(streaming.refusal.empty()) << streaming.refusal;
  EXPECT_EQ(streaming.to_json().at("mode"), "streaming");
  // Streamed and still over the budget: the refusal names the write step, not streaming again.
  r.memory_budget = static_cast<double>(streaming.memory_per_rank) * 0.5;
  EXPECT_MESSAGE_HAS(lpnn::make_plan(arch, r).refusal, "memory budget", "a smaller --chunk-nonzeros");
}

// A streamed build holds one write step, whatever D is: the objective (one entry per column, 39.5 GB
// for 10^10 nonzeros) is written step by step and never held whole, so it must not enter the estimate.
TEST(Planner, StreamingMemoryDoesNotGrowWithTheColumns) {
  const lpnn::Architecture arch = lpnn::test::xor_net();
  BuildRequest r = request(9300, 3, 2);
  r.streaming = true;
  for (bool compressed : {false, true}) {
    r.compressed = compressed;
    const Plan plan = lpnn::make_plan(arch, r);
    // Holding this rank's share of the objective alone would be 4 bytes per column.
    EXPECT_LT(plan.memory_per_rank, plan.layout.cols) << "compressed " << compressed;
  }
}

TEST(Planner, MoreRanksReduceMemoryPerRank) {
  const lpnn::Architecture arch = lpnn::test::xor_net();
  const PolytopeLayout l = PolytopeLayout::make(9, 2, 1, GridSpec::uniform(3), 8);
  std::int64_t previous = std::numeric_limits<std::int64_t>::max();
  for (int ranks : {1, 2, 4, 8}) {
    const Plan plan = lpnn::make_plan(arch, request(8, 3, ranks));
    EXPECT_EQ(plan.ranks, ranks);
    EXPECT_EQ(plan.max_local_nonzeros, (8 / ranks) * l.nnz_per_sample());
    EXPECT_LT(plan.memory_per_rank, previous) << ranks << " ranks";
    previous = plan.memory_per_rank;
    // The whole polytope does not change with the ranks.
    EXPECT_EQ(plan.layout.nnz, l.nnz);
    EXPECT_EQ(plan.bytes_on_disk, lpnn::polytope_file_bytes(l));
  }
  // Uneven: 3 ranks for 8 samples, the busiest holds 3.
  EXPECT_EQ(lpnn::make_plan(arch, request(8, 3, 3)).max_local_nonzeros, 3 * l.nnz_per_sample());
}

TEST(Planner, PlanRejectsInvalidRequests) {
  const lpnn::Architecture arch = lpnn::test::xor_net();
  EXPECT_MESSAGE_HAS(error_of([&] { lpnn::make_plan(arch, request(4, 3, 0)); }), "ranks", "got 0");
  EXPECT_MESSAGE_HAS(error_of([&] { lpnn::make_plan(arch, request(0, 3)); }), "samples D", "got 0");
  EXPECT_MESSAGE_HAS(error_of([&] { lpnn::make_plan(arch, request(-7, 3)); }), "samples D", "-7");
  EXPECT_MESSAGE_HAS(error_of([&] { lpnn::make_plan(arch, request(4, 1)); }), "K", "got 1");
  EXPECT_MESSAGE_HAS(error_of([&] { lpnn::make_plan(arch, request(4, 1000)); }), "K_param^N", "overflows 64-bit");
  BuildRequest mixed = request(4, 3);
  mixed.grid.output = 1;
  EXPECT_MESSAGE_HAS(error_of([&] { lpnn::make_plan(arch, mixed); }), "K", "got 1");
}

// Sizes are validated before the (expensive) numeric Lipschitz bound: a network with many parameters
// and K = 1000 is refused at once, also when the grid comes from ε.
TEST(Planner, PlanOverflowWithManyParametersFailsFast) {
  const lpnn::Architecture arch =
      arch_of(R"({"input": 30, "layers": [{"units": 30, "activation": "relu"}, {"units": 30, "activation": "relu"},
                  {"units": 1, "activation": "identity"}], "loss": "squared"})");
  ASSERT_EQ(arch.parameters(), 30 * 30 + 30 + 30 * 30 + 30 + 30 + 1);
  const auto start = std::chrono::steady_clock::now();
  EXPECT_MESSAGE_HAS(error_of([&] { lpnn::make_plan(arch, request(10, 1000)); }), "K_param^N", "overflows 64-bit");
  BuildRequest by_epsilon;
  by_epsilon.samples = 10;
  by_epsilon.epsilon = 0.1;
  EXPECT_MESSAGE_HAS(error_of([&] { lpnn::make_plan(arch, by_epsilon); }), "overflows 64-bit");
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_LT(seconds, 5.0);
}

TEST(Units, HumanBytes) {
  EXPECT_EQ(lpnn::human_bytes(0), "0.0 B");
  EXPECT_EQ(lpnn::human_bytes(1023), "1023.0 B");
  EXPECT_EQ(lpnn::human_bytes(1536), "1.5 KiB");
  EXPECT_EQ(lpnn::human_bytes(1024.0 * 1024 * 1024), "1.0 GiB");
  EXPECT_EQ(lpnn::human_bytes(3.0 * 1024 * 1024 * 1024 * 1024 * 1024), "3.0 PiB");
}

// A binarized network is planned on the K = 2 grid whatever is asked, except an explicit other grid,
// which is refused; its ε is 0.
TEST(Planner, BinaryNetworksAreExactOnTheTwoPointGrid) {
  const lpnn::Architecture arch = arch_of(R"({"input": 3, "binary": true, "bias": false, "loss": "squared",
      "layers": [{"units": 2, "activation": "sign"}, {"units": 1, "activation": "sign"}]})");
  BuildRequest r;
  r.samples = 4;
  const Plan plan = lpnn::make_plan(arch, r);  // no grid given
  EXPECT_EQ(plan.layout.grid.param, 2);
  EXPECT_EQ(plan.layout.grid.input, 2);
  EXPECT_EQ(plan.layout.grid.output, 2);
  EXPECT_TRUE(plan.exact);
  EXPECT_EQ(plan.epsilon_numeric, 0.0);
  EXPECT_EQ(plan.epsilon_bmp, 0.0);
  EXPECT_NE(plan.to_text().find("exact"), std::string::npos);
  r.epsilon = 0.5;
  EXPECT_EQ(lpnn::make_plan(arch, r).layout.grid.param, 2);
  EXPECT_MESSAGE_HAS(error_of([&] { lpnn::make_plan(arch, request(4, 3)); }), "binary", "K = 2", "3 / 3 / 3");
}

TEST(Planner, SignUnitsGetNoFiniteEpsilon) {
  const lpnn::Architecture arch = arch_of(R"({"input": 2, "loss": "squared",
      "layers": [{"units": 2, "activation": "sign"}, {"units": 1, "activation": "identity"}]})");
  const Plan plan = lpnn::make_plan(arch, request(2, 3));
  EXPECT_FALSE(plan.exact);
  EXPECT_TRUE(std::isinf(plan.epsilon_numeric));
  EXPECT_TRUE(plan.to_json().at("epsilon_numeric").is_null());
  EXPECT_NE(plan.to_text().find("not Lipschitz"), std::string::npos);
  BuildRequest r = request(2, 3);
  r.epsilon = 0.5;
  EXPECT_MESSAGE_HAS(error_of([&] { lpnn::make_plan(arch, r); }), "not Lipschitz");
}

// Weight tying: a 1-D CNN on 8 inputs (kernel 3, 2 channels) against the same connectivity untied
// (every output position with its own kernel copy). The column count is M = K^N times the data grid,
// so the tied network's polytope is K^(untied N - tied N) times smaller.
TEST(Planner, WeightTyingShrinksThePolytope) {
  const lpnn::Architecture cnn = arch_of(R"({"input": 8, "input_shape": [1, 8], "bias": false, "loss": "squared",
      "layers": [{"type": "conv1d", "channels": 2, "kernel": 3, "stride": 3, "activation": "relu"},
                 {"units": 1, "activation": "identity"}]})");
  ASSERT_EQ(cnn.parameters(), 2 * 3 + 4);  // 2 kernels of 3, then 2 channels x 2 positions
  // Untied: stride 3 windows [0, 3) and [3, 6) do not overlap, so each (channel, position) unit is a dense
  // unit on its own 3 inputs; written as dense over all 8 inputs it would be larger still. Count the
  // distinct weights of the untied convolution: 2 channels x 2 positions x 3.
  const std::int64_t untied = 2 * 2 * 3 + 4;
  const Plan tied_plan = lpnn::make_plan(cnn, request(1, 2));
  const PolytopeLayout untied_layout = PolytopeLayout::make(untied, 8, 1, GridSpec::uniform(2), 1);
  EXPECT_EQ(untied_layout.cols / tied_plan.layout.cols, 64);  // 2^(16 - 10), the data grid alike
}

// The printed size bound is a true upper bound of the column count M + D·B on every spec and grid.
TEST(Planner, SizeBoundIsAboveTheColumnCount) {
  const char* specs[] = {
      R"({"input": 2, "layers": [{"units": 2, "activation": "relu"}, {"units": 1, "activation": "identity"}],
          "loss": "squared"})",
      R"({"input": 1, "layers": [{"units": 1, "activation": "identity"}], "loss": "absolute"})",
      R"({"input": 1, "layers": [{"units": 1, "activation": "tanh"}, {"units": 2, "activation": "identity"}],
          "bias": false, "loss": "hinge"})"};
  const GridSpec grids[] = {GridSpec::uniform(2), GridSpec::uniform(3), {3, 2, 5}, {2, 4, 3}};
  for (const char* spec : specs)
    for (const GridSpec& g : grids)
      for (std::int64_t D : {1, 7}) {
        BuildRequest r;
        r.samples = D;
        r.grid = g;
        const Plan plan = lpnn::make_plan(arch_of(spec), r);
        // The exact count, independently: K_φ^N + D·K_φ^N·K_x^n·K_y^m.
        const auto power = [](double k, std::int64_t e) {
          double p = 1;
          for (std::int64_t i = 0; i < e; ++i) p *= k;
          return p;
        };
        const double M = power(g.param, plan.layout.N);
        const double exact = M + D * M * power(g.input, plan.layout.n) * power(g.output, plan.layout.m);
        EXPECT_EQ(static_cast<double>(plan.layout.cols), exact) << spec;
        EXPECT_GE(plan.bmp_size_bound, exact) << spec << " K " << g.param << "/" << g.input << "/" << g.output;
      }
}

// A regularizer adds λ·N (l1) or 2λ·N (l2) to both bounds, and --epsilon derives K from that L.
TEST(Planner, RegularizerEntersTheLipschitzBounds) {
  for (const char* kind : {"l1", "l2"}) {
    const lpnn::Architecture plain = lpnn::test::xor_net();
    const lpnn::Architecture reg =
        arch_of(fmt::format(R"({{"input": 2, "layers": [{{"units": 2, "activation": "relu"}}, {{"units": 1,
        "activation": "identity"}}], "loss": "squared", "regularizer": {{"kind": "{}", "weight": 0.5}}}})",
                            kind)
                    .c_str());
    const double extra = (std::string(kind) == "l1" ? 1.0 : 2.0) * 0.5 * 9;
    const Plan a = lpnn::make_plan(plain, request(1, 2)), b = lpnn::make_plan(reg, request(1, 2));
    EXPECT_DOUBLE_EQ(b.lipschitz_bmp, a.lipschitz_bmp + extra) << kind;
    EXPECT_NEAR(b.lipschitz_numeric, a.lipschitz_numeric + extra, 1e-9 * b.lipschitz_numeric) << kind;
    EXPECT_DOUBLE_EQ(b.epsilon_numeric, 2.0 * b.lipschitz_numeric) << kind;  // 2·L·h, h = 1 at K = 2
    // Sampled slopes of g + λR between nearby points of the box stay below the regularized bound.
    std::mt19937_64 random(7);
    std::uniform_real_distribution<double> unit(-1.0, 1.0), step(-0.01, 0.01);
    const auto g = [&](const std::vector<double>& p) {  // p = (x, y, φ)
      std::vector<double> z(1);
      reg.evaluate<double>(std::span<const double>(p).subspan(0, 2), std::span<const double>(p).subspan(3), z);
      return reg.loss_value<double>(z, std::span<const double>(p).subspan(2, 1)) +
             reg.regularization(std::span<const double>(p).subspan(3));
    };
    double steepest = 0;
    for (int trial = 0; trial < 20000; ++trial) {
      std::vector<double> p(12), q(12);
      double distance = 0;
      for (std::size_t i = 0; i < p.size(); ++i) {
        p[i] = unit(random);
        q[i] = std::clamp(p[i] + step(random), -1.0, 1.0);
        distance = std::max(distance, std::fabs(q[i] - p[i]));
      }
      if (distance > 0) steepest = std::max(steepest, std::fabs(g(p) - g(q)) / distance);
    }
    EXPECT_LE(steepest, b.lipschitz_numeric) << kind;
    EXPECT_LE(steepest, b.lipschitz_bmp) << kind;
    // The regularizer's own slope reaches its share: φ moved along sign(φ) by h moves λR by about λNh (l1).
    EXPECT_GT(steepest, extra * 0.5) << kind;
  }
}

// --epsilon beyond the index width: the refusal names the K it needs, from which L, the size, and the
// largest K that fits.
TEST(Planner, EpsilonRefusalSaysWhatWouldWork) {
  const lpnn::Architecture arch = lpnn::test::xor_net();
  BuildRequest r;
  r.samples = 4;
  r.epsilon = 0.5;
  const std::string message = error_of([&] { lpnn::make_plan(arch, r); });
  const double L = std::min(lpnn::numeric_lipschitz_bound(arch).bound, lpnn::bmp_lipschitz_bound(arch));
  const double K = std::ceil(2 * L / 0.5) + 1;
  EXPECT_MESSAGE_HAS(message, "--epsilon 0.5 needs K = " + fmt::format("{:.6g}", K), fmt::format("L = {:.6g}", L),
                     "columns", "largest grid that fits is K = ");
  // The suggested K builds, K + 1 does not.
  const std::size_t at = message.find("fits is K = ") + 12;
  const std::int64_t fit = std::stoll(message.substr(at));
  r.epsilon.reset();
  r.grid = GridSpec::uniform(fit);
  EXPECT_TRUE(lpnn::make_plan(arch, r).refusal.empty());
  r.grid = GridSpec::uniform(fit + 1);
  std::string refusal;
  const std::string error = error_of([&] { refusal = lpnn::make_plan(arch, r).refusal; });
  EXPECT_FALSE(error.empty() && refusal.empty());
}

// The verdict weighs the machine: the node's memory for the ranks on it, and the output's free space,
// each refusal saying what would fit.
TEST(Planner, VerdictWeighsTheNodesMemoryAndDisk) {
  const lpnn::Architecture arch = lpnn::test::xor_net();
  BuildRequest r = request(4, 3);
  const Plan unconstrained = lpnn::make_plan(arch, r);
  ASSERT_TRUE(unconstrained.refusal.empty());
  const double memory = static_cast<double>(unconstrained.memory_per_rank);
  r.node_memory = 3.0 * memory;
  r.ranks_per_node = 2;
  EXPECT_TRUE(lpnn::make_plan(arch, r).refusal.empty());
  r.ranks_per_node = 4;  // 4 ranks of this size do not fit in 3 of them
  EXPECT_MESSAGE_HAS(lpnn::make_plan(arch, r).refusal, "per rank", "for the 4 rank(s) on this node", "memory",
                     "streamed, without --assembled");
  r.streaming = true;  // streaming needs far less
  EXPECT_TRUE(lpnn::make_plan(arch, r).refusal.empty());
  r.node_memory.reset();
  r.disk_free = static_cast<double>(unconstrained.bytes_on_disk) - 1.0;
  EXPECT_MESSAGE_HAS(lpnn::make_plan(arch, r).refusal, "file system", "free", "-o");
  r.disk_free = static_cast<double>(unconstrained.bytes_on_disk);
  EXPECT_TRUE(lpnn::make_plan(arch, r).refusal.empty());
}
