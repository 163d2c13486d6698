// The planner on the sum chain (BuildRequest::family): a chain plan's sizes, per-rank nonzeros, memory,
// disk and verdicts are the chain's own, not the star's; a chain the star would refuse (overflow, memory
// budget) is buildable; auto picks the family with fewer nonzeros, ties to the star; node grids below 2
// are refused; the star's plan is unchanged by the family machinery.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <string>

#include "lpnn/bags/block_layout.hpp"
#include "lpnn/bags/chain_family.hpp"
#include "lpnn/bags/family.hpp"
#include "lpnn/bags/family_record.hpp"
#include "lpnn/bags/planner.hpp"
#include "lpnn/bags/sample_block.hpp"
#include "lpnn/util/units.hpp"
#include "unit_helpers.hpp"

using lpnn::BuildRequest;
using lpnn::FamilyChoice;
using lpnn::GridSpec;
using lpnn::Plan;
using lpnn::PolytopeLayout;
using lpnn::test::arch_of;
using lpnn::test::error_of;

namespace {

BuildRequest chain_request(std::int64_t samples, std::int64_t K, std::int64_t node_grid = 5, int ranks = 1,
                           FamilyChoice family = FamilyChoice::Chain) {
  BuildRequest r;
  r.samples = samples;
  r.grid = GridSpec::uniform(K);
  r.ranks = ranks;
  r.family = family;
  r.node_grid = node_grid;
  return r;
}

// conv1d (kernel 2, stride 2) over 40 inputs, one average pool over its 20 outputs, one linear unit; no
// bias, N = 3. On K = 3 the star's bag has 3^3·3^40·3 columns, beyond 64 bits; the chain carries a few
// values between its bags.
const char* kWidePool = R"({"input": 40, "input_shape": [1, 40], "bias": false, "loss": "squared",
    "layers": [{"type": "conv1d", "channels": 1, "kernel": 2, "stride": 2, "activation": "relu"},
               {"type": "avgpool1d", "size": 20}, {"units": 1, "activation": "identity"}]})";

}  // namespace

// Sizes from chain_family_sizes, the file's bytes and the busiest rank's share from the chain's block,
// and the block itself (what the builder generates from) only when the plan may be built.
TEST(ChainPlan, SizesMemoryAndDiskAreTheChains) {
  const lpnn::Architecture arch = lpnn::test::xor_net();
  const lpnn::FamilySizes sizes = lpnn::chain_family_sizes(arch, lpnn::chain_options(GridSpec::uniform(3), 5), 5);
  const Plan star = lpnn::make_plan(arch, chain_request(5, 3, 5, 1, FamilyChoice::Star));
  for (int ranks : {1, 2, 4}) {
    const Plan plan = lpnn::make_plan(arch, chain_request(5, 3, 5, ranks));
    const PolytopeLayout& l = plan.layout;
    ASSERT_FALSE(l.star());
    EXPECT_FALSE(lpnn::sizes_only(l));
    EXPECT_EQ(l.node_grid, 5);
    EXPECT_EQ(std::vector<std::int64_t>({l.rows, l.cols, l.nnz}),
              std::vector<std::int64_t>({sizes.rows, sizes.cols, sizes.nnz}));
    EXPECT_EQ(l.block->sizes(5).nnz, l.nnz);
    // The datasets plus /family, whose bytes are those of the record the writer stores.
    const lpnn::FamilyRecord record = lpnn::family_record(arch, l);
    EXPECT_EQ(plan.bytes_on_disk, lpnn::polytope_file_bytes(l) +
                                      static_cast<std::int64_t>(record.description.size() + 4 * record.assignments.size()));
    // 5 samples over 1, 2, 4 ranks: the busiest holds 5, 3, 2.
    const std::int64_t busiest = ranks == 1 ? 5 : ranks == 2 ? 3 : 2;
    EXPECT_EQ(plan.max_local_nonzeros, busiest * l.block_nonzeros) << ranks;
    // At least the local CSR and the block; the star's estimate is far above (its nonzeros are).
    EXPECT_GE(plan.memory_per_rank, 16 * plan.max_local_nonzeros + plan.sample_block_bytes);
    EXPECT_GE(plan.sample_block_bytes, 16 * l.block_nonzeros);
    EXPECT_EQ(plan.star_count.nnz, star.layout.nnz);
    EXPECT_EQ(plan.chain_count.nnz, l.nnz);
    const nlohmann::json j = plan.to_json();
    EXPECT_EQ(j.at("family"), "chain");
    EXPECT_EQ(j.at("node_grid"), 5);
    EXPECT_EQ(j.at("nonzeros").get<std::int64_t>(), sizes.nnz);
    EXPECT_EQ(j.at("columns_per_sample").get<std::int64_t>(), l.B);
    EXPECT_FALSE(j.contains("families")) << "the comparison is a separate object";
    EXPECT_EQ(plan.families_json().at("chosen"), "chain");
    EXPECT_MESSAGE_HAS(plan.to_text(), "sum chain, node grid 5", std::to_string(sizes.nnz), "sample block");
  }
  // A printed plan counts the same without building the block's rows.
  BuildRequest printed = chain_request(5, 3, 5, 2);
  printed.sample_block = false;
  const Plan counted = lpnn::make_plan(arch, printed), built = lpnn::make_plan(arch, chain_request(5, 3, 5, 2));
  EXPECT_TRUE(lpnn::sizes_only(counted.layout));
  EXPECT_EQ(counted.to_json().dump(), built.to_json().dump());
  EXPECT_EQ(counted.layout.block_rows, built.layout.block->sample_rows);
  EXPECT_EQ(counted.layout.B, built.layout.block->sample_columns);
}

// The star's memory and a budget between the two: the star is refused, the chain is not; the chain's
// refusal, when it comes, quotes the chain's memory.
TEST(ChainPlan, ABudgetTheStarExceedsRefusesOnlyTheStar) {
  const lpnn::Architecture arch = lpnn::test::xor_net();
  const Plan star = lpnn::make_plan(arch, chain_request(4, 3, 5, 1, FamilyChoice::Star));
  const Plan chain = lpnn::make_plan(arch, chain_request(4, 3));
  ASSERT_LT(chain.memory_per_rank, star.memory_per_rank);  // 82.2 MiB against 155.0 MiB
  BuildRequest r = chain_request(4, 3, 5, 1, FamilyChoice::Star);
  r.memory_budget = 0.5 * static_cast<double>(chain.memory_per_rank + star.memory_per_rank);
  EXPECT_MESSAGE_HAS(lpnn::make_plan(arch, r).refusal, "memory budget");
  r.family = FamilyChoice::Chain;
  EXPECT_TRUE(lpnn::make_plan(arch, r).refusal.empty()) << lpnn::make_plan(arch, r).refusal;
  r.memory_budget = 0.5 * static_cast<double>(chain.memory_per_rank);
  r.sample_block = false;
  const Plan refused = lpnn::make_plan(arch, r);
  EXPECT_MESSAGE_HAS(refused.refusal, "memory budget", lpnn::human_bytes(static_cast<double>(chain.memory_per_rank)));
  EXPECT_TRUE(lpnn::sizes_only(refused.layout)) << "a refused plan never builds its block";
  // The disk verdict too: the chain's file, not the star's.
  r.memory_budget.reset();
  r.disk_free = static_cast<double>(chain.bytes_on_disk);
  EXPECT_TRUE(lpnn::make_plan(arch, r).refusal.empty());
  r.family = FamilyChoice::Star;
  EXPECT_MESSAGE_HAS(lpnn::make_plan(arch, r).refusal, "file system");
}

// A star beyond 64 bits: the star plan is an error, the chain plan is buildable on the chain's sizes,
// and auto chooses the chain.
TEST(ChainPlan, AChainWhoseStarOverflowsIsPlanned) {
  const lpnn::Architecture arch = arch_of(kWidePool);
  ASSERT_EQ(arch.parameters(), 3);
  EXPECT_MESSAGE_HAS(error_of([&] { lpnn::make_plan(arch, chain_request(3, 3, 5, 1, FamilyChoice::Star)); }),
                     "overflows 64-bit");
  for (FamilyChoice family : {FamilyChoice::Chain, FamilyChoice::Auto}) {
    BuildRequest r = chain_request(3, 3, 5, 2, family);
    r.sample_block = false;
    const Plan plan = lpnn::make_plan(arch, r);
    EXPECT_FALSE(plan.layout.star());
    EXPECT_TRUE(plan.refusal.empty()) << plan.refusal;
    EXPECT_FALSE(plan.star_count.fits());
    EXPECT_MESSAGE_HAS(plan.star_count.overflow, "overflows 64-bit");
    EXPECT_LT(plan.layout.nnz, 100000000);
    EXPECT_EQ(plan.families_json().at("chosen"), "chain");
    EXPECT_TRUE(plan.families_json().at("star").contains("overflow"));
    EXPECT_FALSE(plan.families_json().contains("smallest"));
    EXPECT_MESSAGE_HAS(plan.families_text(), "sizes overflow 64 bits", "chosen: chain");
    if (family == FamilyChoice::Auto) EXPECT_MESSAGE_HAS(plan.families_text(), "auto: the star's sizes overflow");
  }
}

// Auto: fewer nonzeros wins, ties to the star. XOR on K = 3 (the chain is smaller) and one identity
// unit on one input at K = 2 (the star is smaller: its bag is 16 columns).
TEST(ChainPlan, AutoChoosesFewerNonzeros) {
  const lpnn::Architecture tiny =
      arch_of(R"({"input": 1, "layers": [{"units": 1, "activation": "identity"}], "loss": "absolute"})");
  for (const auto& [arch, K] : {std::pair{lpnn::test::xor_net(), 3}, std::pair{tiny, 2}}) {
    const Plan plan = lpnn::make_plan(arch, chain_request(2, K, 3, 1, FamilyChoice::Auto));
    ASSERT_TRUE(plan.star_count.fits() && plan.chain_count.fits());
    const bool chain = plan.chain_count.nnz < plan.star_count.nnz;
    EXPECT_EQ(plan.layout.star(), !chain) << "K " << K;
    EXPECT_EQ(plan.layout.nnz, chain ? plan.chain_count.nnz : plan.star_count.nnz);
    EXPECT_TRUE(plan.auto_choice);
    EXPECT_EQ(plan.families_json().at("chosen"), chain ? "chain" : "star");
    EXPECT_EQ(plan.to_json().at("family"), chain ? "chain" : "star");
    EXPECT_MESSAGE_HAS(plan.families_text(), chain ? "chosen: chain (auto" : "chosen: star (auto");
    EXPECT_EQ(chain, K == 3) << "XOR on K = 3: the chain is the smaller; one identity unit on K = 2: the star";
  }
}

// Node grids: 1 or negative are refused (0 is the integer lattice, as files record it); a binary network's chain is on the integer lattice whatever
// node grid the request carries.
TEST(ChainPlan, NodeGridsAreValidated) {
  const lpnn::Architecture arch = lpnn::test::xor_net();
  for (std::int64_t bad : {1, -3})
    for (FamilyChoice family : {FamilyChoice::Chain, FamilyChoice::Auto})
      EXPECT_MESSAGE_HAS(error_of([&] { lpnn::make_plan(arch, chain_request(2, 2, bad, 1, family)); }),
                         "node grid needs at least 2 points", std::to_string(bad));
  // The star ignores the node grid (lpnn-build refuses --node-grid with it before planning).
  EXPECT_TRUE(lpnn::make_plan(arch, chain_request(2, 2, 1, 1, FamilyChoice::Star)).layout.star());
  const lpnn::Architecture binary = arch_of(R"({"input": 2, "binary": true, "bias": false, "loss": "hinge",
      "layers": [{"units": 2, "activation": "sign"}, {"units": 1, "activation": "sign"}]})");
  BuildRequest r;
  r.samples = 3;
  r.family = FamilyChoice::Chain;
  r.node_grid = 7;
  const Plan plan = lpnn::make_plan(binary, r);
  EXPECT_EQ(plan.layout.node_grid, 0);
  EXPECT_EQ(plan.layout.nnz, lpnn::chain_layout(binary, GridSpec::uniform(2), 3, 0).nnz);
  EXPECT_EQ(plan.to_json().at("node_grid"), "integers");
  EXPECT_EQ(plan.chain_rounding_bound, 0.0);
}

// The star's plan carries no family fields: the family machinery leaves its output as it was.
TEST(ChainPlan, TheStarsPlanIsUnchanged) {
  const lpnn::Architecture arch = lpnn::test::xor_net();
  const Plan plan = lpnn::make_plan(arch, chain_request(4, 3, 5, 1, FamilyChoice::Star));
  const nlohmann::json j = plan.to_json();
  for (const char* key : {"family", "node_grid", "sample_block_bytes", "columns_per_sample"})
    EXPECT_FALSE(j.contains(key)) << key;
  EXPECT_TRUE(plan.families_json().is_null());
  EXPECT_TRUE(plan.families_text().empty());
  EXPECT_EQ(plan.sample_block_bytes, 0);
  EXPECT_MESSAGE_HAS(plan.to_text(), "bag size B", "cost template time", ">= exact columns");
}

// --epsilon picks K for the family planned: a grid whose star is beyond 64 bits is refused for the
// star, naming the largest K that fits, and planned for the chain.
TEST(ChainPlan, EpsilonFitsTheFamilyPlanned) {
  const lpnn::Architecture arch = arch_of(kWidePool);
  const Plan coarse = lpnn::make_plan(arch, chain_request(1, 2, 3));
  BuildRequest r = chain_request(3, 2, 3, 1, FamilyChoice::Star);
  r.epsilon = std::min(coarse.lipschitz_bmp, coarse.lipschitz_numeric);  // K - 1 = 2L/ε = 2: K = 3
  EXPECT_MESSAGE_HAS(error_of([&] { lpnn::make_plan(arch, r); }), "needs K = 3", "the largest grid that fits is K = 2");
  // The chain meets ε with its rounding error E on top (EpsilonCountsTheChainsRoundingError).
  r.family = FamilyChoice::Chain;
  r.sample_block = false;
  r.epsilon = coarse.chain_rounding_bound + 1.01 * *r.epsilon;
  const Plan plan = lpnn::make_plan(arch, r);
  EXPECT_EQ(plan.layout.grid.param, 3);
  EXPECT_FALSE(plan.layout.star());
  EXPECT_TRUE(plan.refusal.empty()) << plan.refusal;
}

// lpnn-train's memory estimate of a chain face: the D' used samples' whole blocks (an upper bound for a
// bounds face, whose kept columns depend on the data), counted against the D'-sample chain family's own
// LP (family_lp: the same root, D' samples), whatever the D the file was built for.
TEST(ChainPlan, FaceEstimateIsTheUsedSamplesChain) {
  const lpnn::Architecture arch = lpnn::test::xor_net();
  const lpnn::ChainOptions options = lpnn::chain_options(GridSpec::uniform(3), 5);
  const PolytopeLayout layout = lpnn::chain_layout(arch, GridSpec::uniform(3), 5, 5);
  const lpnn::LinearProgram three = lpnn::family_lp(lpnn::chain_family(arch, options, 3));
  for (bool penalty : {false, true}) {
    const lpnn::FaceLpSizes f = lpnn::face_lp_sizes(layout, 3, penalty);
    EXPECT_EQ(f.rows, three.rows) << penalty;
    EXPECT_EQ(f.cols, three.cols) << penalty;
    EXPECT_EQ(f.nnz, static_cast<std::int64_t>(three.value.size())) << penalty;
  }
  // D' = 0 (no data yet) keeps every sample, as the face LP does.
  EXPECT_EQ(lpnn::face_lp_sizes(layout, 0, false).nnz, layout.nnz);
}

// --epsilon on a chain meets ε with the chain's own error: the smallest K with 2L/(K - 1) + E <= ε, E
// the node grid's rounding error (which no K lowers). When E alone reaches ε the chain is refused, and
// auto falls back to the star on the star's own grid. The expected K is found by counting up here.
TEST(ChainPlan, EpsilonCountsTheChainsRoundingError) {
  const lpnn::Architecture arch = lpnn::test::xor_net();
  const Plan coarse = lpnn::make_plan(arch, chain_request(4, 2));
  const double L = std::min(coarse.lipschitz_bmp, coarse.lipschitz_numeric);
  const double E = lpnn::chain_rounding_bound(arch, lpnn::chain_options(GridSpec::uniform(2), 5));
  ASSERT_GT(E, 0.0);
  const auto smallest_K = [&](double eps, double error) {
    std::int64_t K = 2;
    while (2.0 * L / static_cast<double>(K - 1) + error > eps) ++K;
    return K;
  };
  BuildRequest r = chain_request(4, 0);
  r.sample_block = false;
  r.epsilon = E + 2.0 * L / 4.5;  // between two grids: K - 1 = 5 meets it, 4 does not
  const Plan chain = lpnn::make_plan(arch, r);
  EXPECT_FALSE(chain.layout.star());
  EXPECT_EQ(chain.layout.grid.param, smallest_K(*r.epsilon, E));
  EXPECT_EQ(chain.layout.grid.param, 6);
  EXPECT_LE(std::min(chain.epsilon_bmp, chain.epsilon_numeric) + chain.chain_rounding_bound, *r.epsilon);
  EXPECT_DOUBLE_EQ(chain.chain_rounding_bound, E);
  // Auto on the same ε plans both families on that grid.
  r.family = FamilyChoice::Auto;
  EXPECT_EQ(lpnn::make_plan(arch, r).layout.grid.param, 6);

  r.epsilon = 0.9 * E;  // no grid makes the chain's error that small
  r.family = FamilyChoice::Chain;
  EXPECT_MESSAGE_HAS(error_of([&] { lpnn::make_plan(arch, r); }), "--epsilon", "node grid 5 alone", "--node-grid",
                     "--family star");
  r.family = FamilyChoice::Auto;
  const Plan star = lpnn::make_plan(arch, r);
  EXPECT_TRUE(star.layout.star());
  EXPECT_EQ(star.layout.grid.param, smallest_K(*r.epsilon, 0.0));
  // A finer node grid lowers E below ε and the chain is planned again.
  r.family = FamilyChoice::Chain;
  r.node_grid = 65;
  const Plan fine = lpnn::make_plan(arch, r);
  EXPECT_LT(fine.chain_rounding_bound, *r.epsilon);
  EXPECT_EQ(fine.layout.grid.param, smallest_K(*r.epsilon, fine.chain_rounding_bound));
}
