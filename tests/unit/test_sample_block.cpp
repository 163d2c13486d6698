// The sample block (bags/sample_block.hpp) against two independent implementations: the star's
// closed-form generator (generator.hpp on PolytopeLayout), byte for byte on arbitrary row ranges and
// column ownerships, and family_lp of the whole D-sample family (star and sum chain), entry for entry.
#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <functional>
#include <random>
#include <utility>
#include <vector>

#include "lpnn/bags/block_layout.hpp"
#include "lpnn/bags/chain_family.hpp"
#include "lpnn/bags/family.hpp"
#include "lpnn/bags/generator.hpp"
#include "lpnn/bags/layout.hpp"
#include "lpnn/bags/sample_block.hpp"
#include "lpnn/bags/star_family.hpp"
#include "lpnn/util/workers.hpp"
#include "unit_helpers.hpp"

using lpnn::SampleBlock;

namespace {

struct StarCase {
  const char* spec;
  lpnn::GridSpec grid;
  std::int64_t samples;
};

// Different N, n, m, K and D; a regularizer in one, so that X carries costs.
const StarCase kStars[] = {
    {R"({"input": 2, "layers": [{"units": 2, "activation": "relu"}, {"units": 1, "activation": "identity"}],
         "loss": "squared"})",
     {2, 2, 2},
     3},
    {R"({"input": 1, "layers": [{"units": 1, "activation": "tanh"}], "loss": "absolute",
         "regularizer": {"kind": "l2", "weight": 0.1}})",
     {3, 3, 2},
     4},
    {R"({"input": 2, "layers": [{"units": 2, "activation": "identity"}], "bias": false, "loss": "squared"})",
     {3, 2, 3},
     2},
    {R"({"input": 1, "layers": [{"units": 1, "activation": "relu"}], "bias": false, "loss": "absolute"})",
     {5, 4, 3},
     7},
};

template <typename T>
bool same_bytes(const T* a, const T* b, std::int64_t count) {
  return count == 0 || std::memcmp(a, b, static_cast<std::size_t>(count) * sizeof(T)) == 0;
}

// The MATMPIAIJ split written out from plain CSR rows [begin, end) (row_start indexed by global row):
// the oracle for every split, independent of the run kernel both generators share.
struct PlainSplit {
  std::vector<std::int64_t> diagonal_row{0}, off_row{0}, diagonal_column, off_column;
  std::vector<double> diagonal_value, off_value;
};

PlainSplit split_of(const std::vector<std::int64_t>& row_start, const std::vector<std::int64_t>& column,
                    const std::vector<double>& value, std::int64_t begin, std::int64_t end, std::int64_t cb,
                    std::int64_t ce) {
  PlainSplit s;
  for (std::int64_t r = begin; r < end; ++r) {
    for (std::int64_t q = row_start[r]; q < row_start[r + 1]; ++q) {
      const bool own = column[q] >= cb && column[q] < ce;
      (own ? s.diagonal_column : s.off_column).push_back(own ? column[q] - cb : column[q]);
      (own ? s.diagonal_value : s.off_value).push_back(value[q]);
    }
    s.diagonal_row.push_back(static_cast<std::int64_t>(s.diagonal_column.size()));
    s.off_row.push_back(static_cast<std::int64_t>(s.off_column.size()));
  }
  return s;
}

template <typename Index>
void expect_split_is(const lpnn::SplitCsr<Index>& got, const PlainSplit& expected, const std::string& what) {
  auto vec = [](const auto& buffer, std::int64_t n) {
    return std::vector<std::int64_t>(buffer.get(), buffer.get() + n);
  };
  auto values = [](const auto& buffer, std::int64_t n) { return std::vector<double>(buffer.get(), buffer.get() + n); };
  EXPECT_EQ(vec(got.diagonal_row, got.rows + 1), expected.diagonal_row) << what;
  EXPECT_EQ(vec(got.off_row, got.rows + 1), expected.off_row) << what;
  EXPECT_EQ(vec(got.diagonal_column, got.diagonal_nonzeros), expected.diagonal_column) << what;
  EXPECT_EQ(values(got.diagonal_value, got.diagonal_nonzeros), expected.diagonal_value) << what;
  EXPECT_EQ(vec(got.off_column, got.off_diagonal_nonzeros), expected.off_column) << what;
  EXPECT_EQ(values(got.off_value, got.off_diagonal_nonzeros), expected.off_value) << what;
}

// Row ranges: the whole matrix, empty ones, single rows, ranges cut inside a sample at both ends, and
// random ones (fixed seed).
std::vector<std::pair<std::int64_t, std::int64_t>> row_ranges(std::int64_t rows, std::int64_t per_sample) {
  std::vector<std::pair<std::int64_t, std::int64_t>> out{
      {0, rows}, {0, 0}, {rows, rows}, {0, 1}, {rows - 1, rows}, {1, per_sample + 1}, {per_sample - 1, rows - 1}};
  std::mt19937_64 random(12345);
  for (int k = 0; k < 12; ++k) {
    std::int64_t a = static_cast<std::int64_t>(random() % (rows + 1)),
                 b = static_cast<std::int64_t>(random() % (rows + 1));
    out.push_back({std::min(a, b), std::max(a, b)});
  }
  return out;
}

template <typename Index>
void expect_rows_match(const SampleBlock& block, const lpnn::PolytopeLayout& layout, std::int64_t begin,
                       std::int64_t end, const std::string& what) {
  lpnn::CsrBlock<Index> expected, got;
  lpnn::generate_rows(layout, begin, end, expected);
  lpnn::generate_rows(block, layout.D, begin, end, got);
  EXPECT_EQ(got.row_begin, expected.row_begin) << what;
  EXPECT_EQ(got.row_pointer, expected.row_pointer) << what;
  EXPECT_EQ(got.columns, expected.columns) << what;
  ASSERT_EQ(got.values.size(), expected.values.size()) << what;
  EXPECT_TRUE(same_bytes(got.values.data(), expected.values.data(), got.nonzeros())) << what;
  std::vector<double> rhs_expected(end - begin), rhs_got(end - begin);
  lpnn::generate_rhs(layout, begin, rhs_expected);
  lpnn::generate_block_rhs(block, begin, rhs_got);
  EXPECT_TRUE(same_bytes(rhs_got.data(), rhs_expected.data(), end - begin)) << what;
}

// Three threads for the tests of generation in parts.
lpnn::Workers& test_pool() {
  static lpnn::Workers pool(3);
  return pool;
}

template <typename Index>
void expect_split_matches(const SampleBlock& block, const lpnn::PolytopeLayout& layout, std::int64_t begin,
                          std::int64_t end, std::int64_t cbegin, std::int64_t cend, const std::string& what) {
  lpnn::SplitCsr<Index> expected, got;
  lpnn::generate_split_rows(layout, begin, end, cbegin, cend, expected);
  lpnn::generate_split_rows(block, layout.D, begin, end, cbegin, cend, got);
  lpnn::CsrBlock<std::int64_t> all;
  lpnn::generate_rows(layout, 0, layout.rows, all);
  const PlainSplit plain = split_of(all.row_pointer, all.columns, all.values, begin, end, cbegin, cend);
  expect_split_is(got, plain, what + " (plain)");
  // The layout's split in 1-4 parts (an assembled build's threads): in reverse order, or concurrently.
  for (int parts = 1; parts <= 4; ++parts) {
    lpnn::SplitCsr<Index> in_parts;
    lpnn::generate_layout_split_rows(layout, begin, end, cbegin, cend, in_parts, parts,
                                     [&](const std::function<void(int)>& task) {
                                       if (parts == test_pool().size())
                                         test_pool().run(task);
                                       else
                                         for (int t = parts - 1; t >= 0; --t) task(t);
                                     });
    expect_split_is(in_parts, plain, what + " in " + std::to_string(parts) + " parts");
  }
  ASSERT_EQ(got.rows, expected.rows) << what;
  ASSERT_EQ(got.diagonal_nonzeros, expected.diagonal_nonzeros) << what;
  ASSERT_EQ(got.off_diagonal_nonzeros, expected.off_diagonal_nonzeros) << what;
  EXPECT_EQ(got.row_begin, expected.row_begin) << what;
  EXPECT_EQ(got.column_begin, expected.column_begin) << what;
  EXPECT_EQ(got.column_end, expected.column_end) << what;
  EXPECT_TRUE(same_bytes(got.diagonal_row.get(), expected.diagonal_row.get(), got.rows + 1)) << what;
  EXPECT_TRUE(same_bytes(got.off_row.get(), expected.off_row.get(), got.rows + 1)) << what;
  EXPECT_TRUE(same_bytes(got.diagonal_column.get(), expected.diagonal_column.get(), got.diagonal_nonzeros)) << what;
  EXPECT_TRUE(same_bytes(got.diagonal_value.get(), expected.diagonal_value.get(), got.diagonal_nonzeros)) << what;
  EXPECT_TRUE(same_bytes(got.off_column.get(), expected.off_column.get(), got.off_diagonal_nonzeros)) << what;
  EXPECT_TRUE(same_bytes(got.off_value.get(), expected.off_value.get(), got.off_diagonal_nonzeros)) << what;
}

// The LP of block_lp against family_lp of the whole family: every array equal.
void expect_same_lp(const lpnn::LinearProgram& got, const lpnn::LinearProgram& expected, const std::string& what) {
  ASSERT_EQ(got.rows, expected.rows) << what;
  ASSERT_EQ(got.cols, expected.cols) << what;
  EXPECT_EQ(got.row_start, expected.row_start) << what;
  EXPECT_EQ(got.column, expected.column) << what;
  EXPECT_EQ(got.value, expected.value) << what;
  EXPECT_EQ(got.b, expected.b) << what;
  EXPECT_EQ(got.c, expected.c) << what;
  EXPECT_EQ(got.lower, expected.lower) << what;
  EXPECT_EQ(got.upper, expected.upper) << what;
}

}  // namespace

// (a) The star's block is the layout: sizes, row pointers in closed form, rows, right-hand sides and
// the MATMPIAIJ split, byte for byte, for 64- and 32-bit indices.
TEST(SampleBlock, StarBlockIsTheLayoutByteForByte) {
  for (const StarCase& c : kStars) {
    const lpnn::Architecture arch = lpnn::test::arch_of(c.spec);
    const lpnn::PolytopeLayout layout =
        lpnn::PolytopeLayout::make(arch.parameters(), arch.inputs(), arch.outputs(), c.grid, c.samples);
    const SampleBlock block = SampleBlock::from_family(lpnn::star_family(arch, c.grid, 1));
    EXPECT_EQ(block.root_columns, layout.M) << c.spec;
    EXPECT_EQ(block.sample_columns, layout.B) << c.spec;
    // Every row is one or two runs, as in the layout: the block's run form is the closed form's.
    EXPECT_EQ(static_cast<std::int64_t>(block.runs.size()), 1 + 2 * layout.M) << c.spec;
    const lpnn::BlockSizes sizes = block.sizes(c.samples);
    ASSERT_EQ(sizes.rows, layout.rows) << c.spec;
    ASSERT_EQ(sizes.cols, layout.cols) << c.spec;
    ASSERT_EQ(sizes.nnz, layout.nnz) << c.spec;
    for (std::int64_t row = 0; row <= layout.rows; ++row)
      ASSERT_EQ(block.nnz_before_row(row), layout.nnz_before_row(row)) << c.spec << " row " << row;
    for (const auto& [begin, end] : row_ranges(layout.rows, layout.rows_per_sample())) {
      const std::string what =
          std::string(c.spec) + " rows [" + std::to_string(begin) + ", " + std::to_string(end) + ")";
      expect_rows_match<std::int64_t>(block, layout, begin, end, what);
      expect_rows_match<std::int32_t>(block, layout, begin, end, what + " int32");
      // Ownership: all, none, the root, a range cut inside X and inside a bag, the last columns.
      const std::int64_t C = layout.cols, M = layout.M, B = layout.B;
      const std::pair<std::int64_t, std::int64_t> owned[] = {
          {0, C}, {0, 0}, {C, C}, {0, M}, {M / 2, M + B + 3}, {M + B / 3, C - B / 2}, {C - 5, C}};
      for (const auto& [cb, ce] : owned) {
        const std::string w = what + " columns [" + std::to_string(cb) + ", " + std::to_string(ce) + ")";
        expect_split_matches<std::int64_t>(block, layout, begin, end, cb, ce, w);
        expect_split_matches<std::int32_t>(block, layout, begin, end, cb, ce, w + " int32");
      }
    }
  }
}

// (b) Star and sum chains: the block copied D times is family_lp of the D-sample family, every array
// equal (c included: costs (1/D)·ℓ, the regularizer on X). family_lp orders columns and rows root first,
// then sample by sample, which is the block's order: no permutation.
TEST(SampleBlock, ReplicatedBlockIsTheFamilyLp) {
  for (const StarCase& c : kStars) {
    const lpnn::Architecture arch = lpnn::test::arch_of(c.spec);
    const SampleBlock block = SampleBlock::from_family(lpnn::star_family(arch, c.grid, 1));
    expect_same_lp(lpnn::block_lp(block, c.samples), lpnn::family_lp(lpnn::star_family(arch, c.grid, c.samples)),
                   std::string("star ") + c.spec);
  }
  struct ChainCase {
    const char* spec;
    lpnn::ChainOptions options;
    std::int64_t samples;
  };
  const ChainCase chains[] = {
      {R"({"input": 2, "layers": [{"units": 1, "activation": "relu"}, {"units": 1, "activation": "identity"}],
           "loss": "squared", "regularizer": {"kind": "l1", "weight": 0.05}})",
       {{3, 3, 3}, 5, false},
       3},
      {R"({"input": 2, "layers": [{"units": 1, "activation": "relu"}, {"units": 1, "activation": "identity"}],
           "loss": "squared"})",
       {{3, 3, 3}, 5, false, lpnn::ChainOrder::NeuronByNeuron},
       2},
      {R"({"input": 2, "binary": true, "bias": false, "loss": "hinge",
           "layers": [{"units": 2, "activation": "sign"}, {"units": 1, "activation": "sign"}]})",
       {{2, 2, 2}, 0, true},
       5},
  };
  for (const ChainCase& c : chains) {
    const lpnn::Architecture arch = lpnn::test::arch_of(c.spec);
    const SampleBlock block = SampleBlock::from_family(lpnn::chain_family(arch, c.options, 1));
    const lpnn::LinearProgram expected = lpnn::family_lp(lpnn::chain_family(arch, c.options, c.samples));
    expect_same_lp(lpnn::block_lp(block, c.samples), expected, std::string("chain ") + c.spec);
    // The split form against the family's rows split here: ranges cut inside samples, ownerships cut
    // inside the root, inside a sample and at a sample's edge.
    const std::int64_t r1 = block.sample_rows, M = block.root_columns, c1 = block.sample_columns;
    const std::pair<std::int64_t, std::int64_t> ranges[] = {
        {0, expected.rows}, {r1 / 2, expected.rows - r1 / 3}, {r1 + 1, r1 + 2}};
    const std::pair<std::int64_t, std::int64_t> owned[] = {
        {M / 2, expected.cols - c1 / 2}, {M + c1, M + 2 * c1}, {0, M}, {M + c1 / 3, M + c1 / 3 + 7}};
    for (const auto& [begin, end] : ranges)
      for (const auto& [cb, ce] : owned) {
        lpnn::SplitCsr<std::int64_t> split;
        lpnn::generate_split_rows(block, c.samples, begin, end, cb, ce, split);
        const PlainSplit plain = split_of(expected.row_start, expected.column, expected.value, begin, end, cb, ce);
        const std::string what =
            std::string(c.spec) + " rows " + std::to_string(begin) + " columns " + std::to_string(cb);
        expect_split_is(split, plain, what);
        // In three parts cut anywhere, on three threads (an assembled build's).
        lpnn::SplitCsr<std::int64_t> in_parts;
        lpnn::generate_split_rows(block, c.samples, {begin, begin + (end - begin) / 3, end - (end - begin) / 4, end},
                                  cb, ce, in_parts,
                                  [&](const std::function<void(int)>& task) { test_pool().run(task); });
        expect_split_is(in_parts, plain, what + " in 3 parts");
      }
    // The chain's layout generated in parts, concurrently (a streamed build's threads): the family's rows.
    if (c.options.order == lpnn::ChainOrder::Greedy) {
      const lpnn::PolytopeLayout layout =
          lpnn::chain_layout(arch, c.options.grid, c.samples, c.options.integer_nodes ? 0 : c.options.node_points);
      lpnn::Workers pool(3);
      for (const auto& [begin, end] : ranges) {
        lpnn::CsrBlock<std::int64_t> rows;
        lpnn::generate_layout_rows(layout, begin, end, rows, pool.size(),
                                   [&](const std::function<void(int)>& task) { pool.run(task); });
        const std::int64_t first = expected.row_start[begin];
        for (std::int64_t r = begin; r <= end; ++r)
          ASSERT_EQ(rows.row_pointer[r - begin], expected.row_start[r] - first) << c.spec << " row " << r;
        const auto from = static_cast<std::ptrdiff_t>(first), to = static_cast<std::ptrdiff_t>(expected.row_start[end]);
        EXPECT_EQ(rows.columns, std::vector<std::int64_t>(expected.column.begin() + from, expected.column.begin() + to))
            << c.spec;
        EXPECT_EQ(rows.values, std::vector<double>(expected.value.begin() + from, expected.value.begin() + to))
            << c.spec;
      }
    }
    // Right-hand side and objective of ranges that start inside a sample.
    std::vector<double> rhs(expected.rows - r1 / 2), cost(expected.cols - M - c1 / 2);
    lpnn::generate_block_rhs(block, r1 / 2, rhs);
    lpnn::generate_block_objective(block, c.samples, M + c1 / 2, cost);
    EXPECT_EQ(rhs, std::vector<double>(expected.b.begin() + r1 / 2, expected.b.end())) << c.spec;
    EXPECT_EQ(cost, std::vector<double>(expected.c.begin() + M + c1 / 2, expected.c.end())) << c.spec;
  }
}

// (c) Sizes for many samples without generating a row: those of chain_family_sizes; overflow refused.
TEST(SampleBlock, SizesForLargeDAreTheChainsPlannedSizes) {
  const lpnn::Architecture arch = lpnn::test::arch_of(
      R"({"input": 2, "layers": [{"units": 1, "activation": "relu"}, {"units": 1, "activation": "identity"}],
          "loss": "squared"})");
  const lpnn::ChainOptions o{{3, 3, 3}, 5, false};
  const SampleBlock block = SampleBlock::from_family(lpnn::chain_family(arch, o, 1));
  for (std::int64_t D : {std::int64_t{1}, std::int64_t{1000}, std::int64_t{123456789}, std::int64_t{1} << 40}) {
    const lpnn::FamilySizes planned = lpnn::chain_family_sizes(arch, o, D);
    const lpnn::BlockSizes s = block.sizes(D);
    EXPECT_EQ(s.rows, planned.rows) << D;
    EXPECT_EQ(s.cols, planned.cols) << D;
    EXPECT_EQ(s.nnz, planned.nnz) << D;
    EXPECT_EQ(block.nnz_before_row(s.rows), s.nnz) << D;
  }
  EXPECT_MESSAGE_HAS(lpnn::test::error_of([&] { block.sizes(std::int64_t{1} << 60); }), "overflows");
  EXPECT_MESSAGE_HAS(lpnn::test::error_of([&] { block.sizes(0); }), "at least one sample");
  lpnn::CsrBlock<std::int64_t> rows;
  EXPECT_MESSAGE_HAS(lpnn::test::error_of([&] { lpnn::generate_rows(block, 2, 0, 2 * block.sample_rows + 1, rows); }),
                     "outside the block");
}

// A family with two samples is not a block: refused, naming a variable of sample 1.
TEST(SampleBlock, RefusesAFamilyOfSeveralSamples) {
  const lpnn::Architecture arch = lpnn::test::arch_of(kStars[0].spec);
  EXPECT_MESSAGE_HAS(
      lpnn::test::error_of([&] { SampleBlock::from_family(lpnn::star_family(arch, kStars[0].grid, 2)); }),
      "not a one-sample family", "'x[1][0]'", "sample 1");
}
