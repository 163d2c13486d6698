// MPI tests of chain-family builds (lpnn-build --family chain), run under mpiexec at 1, 2 and 4 ranks:
//   - the file's /A (row pointers, columns, values), /lp/b and /lp/c equal family_lp of the D-sample
//     chain family, built here in memory from chain_family(arch, options, D) (not from the sample block
//     the builder uses), entry for entry: so the file is the same at every rank count;
//   - assembled, streaming (small uneven chunks: steps end inside samples) and deflate files hold the
//     same bytes in every dataset;
//   - the plan is make_plan's for the chain (FamilyChoice::Chain), its layout chain_layout's;
//   - the sizes equal chain_family_sizes (what lpnn-build --plan --family chain reports), the file's
//     checksums verify, MatLoad gives the sizes and nonzeros;
//   - the file says what it is (format version 2, family chain, node grid), and a star-only reader
//     refuses it by name.
#include <gtest/gtest.h>
#include <mpi.h>

#include <cstring>

#include "build_cases.hpp"
#include "lpnn/bags/block_layout.hpp"
#include "lpnn/bags/chain_family.hpp"
#include "lpnn/hdf5/checksum.hpp"

namespace {

using namespace lpnn::test;
using std::int64_t;

struct ChainCase {
  const char* name;
  const char* spec;
  lpnn::GridSpec grid;
  int64_t node_grid;  // 0: the integer lattice (binary networks)
  int64_t samples;
};

const ChainCase kChainCases[] = {
    // One relu unit on one input, squared loss; D = 3 splits 1/1/1/0 over 4 ranks.
    {"relu 1-1 K=3 node grid 5 D=3",
     R"({"input": 1, "layers": [{"units": 1, "activation": "relu"}], "loss": "squared"})",
     {3, 3, 3},
     5,
     3},
    // XOR (N = 9) on K = 2, node grid 3, D = 5 (uneven over 2 and 4 ranks), with an l2 regularizer so
    // the root columns carry costs.
    {"xor K=2 node grid 3 D=5",
     R"({"input": 2, "layers": [{"units": 2, "activation": "relu"}, {"units": 1, "activation": "identity"}],
         "loss": "hinge", "regularizer": {"kind": "l2", "weight": 0.5}})",
     {2, 2, 2},
     3,
     5},
    // A binarized network: integer node lattice.
    {"binary 2-2-1 integers D=4",
     R"({"input": 2, "binary": true, "bias": false, "loss": "hinge",
         "layers": [{"units": 2, "activation": "sign"}, {"units": 1, "activation": "sign"}]})",
     {2, 2, 2},
     0,
     4},
};

lpnn::Architecture arch_of(const ChainCase& c) { return lpnn::Architecture::from_json(nlohmann::json::parse(c.spec)); }

lpnn::ChainOptions options_of(const ChainCase& c) {
  return {c.grid, c.node_grid == 0 ? 2 : c.node_grid, c.node_grid == 0};
}

// The chain's own plan, what lpnn-build --family chain builds: its layout carries the sample block,
// and it equals chain_layout's (binary networks: the integer lattice whatever the node grid asked).
lpnn::Plan chain_plan(const lpnn::Architecture& arch, const ChainCase& c) {
  lpnn::BuildRequest request;
  request.samples = c.samples;
  if (!arch.binary()) request.grid = c.grid;
  request.ranks = world_size();
  request.petsc_index_bytes = static_cast<int>(sizeof(PetscInt));
  request.family = lpnn::FamilyChoice::Chain;
  request.node_grid = c.node_grid == 0 ? 5 : c.node_grid;
  lpnn::Plan plan = lpnn::make_plan(arch, request);
  const lpnn::PolytopeLayout direct = lpnn::chain_layout(arch, c.grid, c.samples, c.node_grid);
  EXPECT_TRUE(plan.refusal.empty()) << plan.refusal;
  EXPECT_EQ(plan.layout.node_grid, c.node_grid);
  EXPECT_EQ(std::vector<int64_t>({plan.layout.rows, plan.layout.cols, plan.layout.nnz, plan.layout.block_rows}),
            std::vector<int64_t>({direct.rows, direct.cols, direct.nnz, direct.block_rows}));
  EXPECT_FALSE(lpnn::sizes_only(plan.layout));
  return plan;
}

template <typename T>
std::vector<T> dataset_values(const std::string& path, const char* name) {
  const std::vector<unsigned char> bytes = dataset_bytes(path, name);
  std::vector<T> values(bytes.size() / sizeof(T));
  std::memcpy(values.data(), bytes.data(), values.size() * sizeof(T));
  return values;
}

// Problems (empty: none) of comparing the file's A, b and c with the in-memory LP.
std::string compare_with_lp(const std::string& path, const lpnn::LinearProgram& lp) {
  std::string problems;
  if (dataset_values<int64_t>(path, "/A/jc") != lp.row_start) problems += "/A/jc differs from family_lp's; ";
  if (dataset_values<int64_t>(path, "/A/ir") != lp.column) problems += "/A/ir differs from family_lp's; ";
  if (dataset_values<double>(path, "/A/data") != lp.value) problems += "/A/data differs from family_lp's; ";
  if (lpnn::read_double_dataset(path, "/lp/b") != lp.b) problems += "/lp/b differs from family_lp's; ";
  if (lpnn::read_double_dataset(path, "/lp/c") != lp.c) problems += "/lp/c differs from family_lp's; ";
  return problems;
}

TEST(ChainBuild, FileEqualsTheFamilysLpInEveryMode) {
  TempDir dir;
  for (const ChainCase& c : kChainCases) {
    SCOPED_TRACE(c.name);
    const lpnn::Architecture arch = arch_of(c);
    const lpnn::Plan plan = chain_plan(arch, c);
    const lpnn::LinearProgram lp = lpnn::family_lp(lpnn::chain_family(arch, options_of(c), c.samples));
    ASSERT_GT(lp.rows, 0);
    ASSERT_FALSE(lp.column.empty());

    const std::string assembled = dir.file("assembled.h5"), streamed = dir.file("streamed.h5"),
                      packed = dir.file("packed.h5");
    const lpnn::BuildReport report = build(MPI_COMM_WORLD, arch, plan, assembled, false, int64_t{1} << 24, true);
    EXPECT_EQ(report.assembly_mallocs, 0.0);
    // 37 nonzeros per step: steps end inside samples and inside rows' runs.
    build(MPI_COMM_WORLD, arch, plan, streamed, true, 37, true);
    build(MPI_COMM_WORLD, arch, plan, packed, false, int64_t{1} << 24, true, lpnn::StorageOptions{1});
    expect_no_problems(MPI_COMM_WORLD, compare_with_lp(assembled, lp), "assembled file vs family_lp");
    expect_no_problems(MPI_COMM_WORLD, compare_files(assembled, streamed), "streaming vs assembled");
    expect_no_problems(MPI_COMM_WORLD, compare_files(assembled, packed), "deflate vs assembled");
    for (const std::string& path : {assembled, streamed, packed})
      EXPECT_NO_THROW(lpnn::verify_polytope_checksums(MPI_COMM_WORLD, path)) << path;
  }
}

TEST(ChainBuild, SizesEqualThePlansAndMatLoadReadsThem) {
  TempDir dir;
  for (const ChainCase& c : kChainCases) {
    SCOPED_TRACE(c.name);
    const lpnn::Architecture arch = arch_of(c);
    const lpnn::FamilySizes planned = lpnn::chain_family_sizes(arch, options_of(c), c.samples);
    const std::string path = dir.file("sizes.h5");
    const lpnn::BuildReport report = build(MPI_COMM_WORLD, arch, chain_plan(arch, c), path, false, 1 << 24, true);
    EXPECT_EQ(report.layout.rows, planned.rows);
    EXPECT_EQ(report.layout.cols, planned.cols);
    EXPECT_EQ(report.layout.nnz, planned.nnz);

    const lpnn::PolytopeMetadata meta = lpnn::read_polytope_metadata(path, lpnn::Families::Any);
    EXPECT_EQ(meta.layout.rows, planned.rows);
    EXPECT_EQ(meta.layout.cols, planned.cols);
    EXPECT_EQ(meta.layout.nnz, planned.nnz);
    EXPECT_STREQ(meta.layout.family(), "chain");
    EXPECT_EQ(meta.layout.node_grid, c.node_grid);
    lpnn::OwnedMat A = lpnn::load_constraint_matrix(MPI_COMM_WORLD, path, meta.layout);
    MatInfo info;
    LPNN_PETSC(MatGetInfo(A, MAT_GLOBAL_SUM, &info));
    EXPECT_EQ(static_cast<int64_t>(info.nz_used), planned.nnz);

    // The attributes a reader that knows nothing of lpnn's layouts sees.
    lpnn::h5::quiet_errors();
    lpnn::h5::Handle file(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), H5Fclose, "opening " + path);
    EXPECT_EQ(lpnn::h5::read_int_attribute(file, "format_version"), 2);
    EXPECT_EQ(lpnn::h5::read_string_attribute(file, "family"), "chain");
    EXPECT_EQ(lpnn::h5::read_int_attribute(file, "node_grid"), c.node_grid);
    EXPECT_EQ(lpnn::h5::read_int_attribute(file, "columns_per_sample"), (planned.cols - meta.layout.M) / c.samples);

    // /family: every bag's columns' assignments as bag_assignments gives them for the one-sample family,
    // bag by bag, and a description of its bags (read_polytope_metadata above compared both bytewise).
    const lpnn::BagFamily one = lpnn::chain_family(arch, options_of(c), 1);
    std::vector<int32_t> expected;
    for (std::size_t t = 0; t < one.bags.size(); ++t)
      for (const auto& column : lpnn::bag_assignments(one, static_cast<int64_t>(t)))
        for (int64_t value : column) expected.push_back(static_cast<int32_t>(value));
    EXPECT_EQ(dataset_values<int32_t>(path, "/family/assignments"), expected);
    const nlohmann::json description = nlohmann::json::parse(lpnn::read_family_description(path));
    EXPECT_EQ(description["bags"].size(), one.bags.size());
    EXPECT_EQ(description["numbering"]["samples"], c.samples);

    // A star-only reader (training, export) refuses it, saying what it is and what to do.
    try {
      lpnn::read_polytope_metadata(path);
      ADD_FAILURE() << "a star-only read of a chain file did not throw";
    } catch (const lpnn::Error& e) {
      EXPECT_HAS(e.what(), "holds the chain bag family's polytope (format version 2)");
      EXPECT_HAS(e.what(), "lpnn-info describes chain files");
    }
  }
}

// A star file keeps format version 1 and no family attribute: every existing reader reads it as before.
TEST(ChainBuild, StarFilesStayVersion1) {
  TempDir dir;
  const Case& c = kCases[0];
  const lpnn::Architecture arch = arch_of(c);
  const std::string path = dir.file("star.h5");
  build(MPI_COMM_WORLD, arch, plan_of(arch, c, world_size()), path, false, int64_t{1} << 24, true);
  lpnn::h5::quiet_errors();
  lpnn::h5::Handle file(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), H5Fclose, "opening " + path);
  EXPECT_EQ(lpnn::h5::read_int_attribute(file, "format_version"), 1);
  EXPECT_LE(H5Aexists(file, "family"), 0);
  EXPECT_FALSE(lpnn::h5::exists(file, "/family"));
  EXPECT_STREQ(lpnn::read_polytope_metadata(path).layout.family(), "star");
}

}  // namespace
