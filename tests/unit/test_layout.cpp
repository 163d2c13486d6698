// PolytopeLayout (README, The polytope / Rows and columns): the size formulas and index maps against a direct count of
// the rows that generate_rows produces, and every row against an independent construction from the README's formulas.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <functional>
#include <map>
#include <vector>

#include "lpnn/bags/block_layout.hpp"
#include "lpnn/bags/generator.hpp"
#include "lpnn/bags/layout.hpp"
#include "lpnn/util/workers.hpp"
#include "unit_helpers.hpp"

using lpnn::GridSpec;
using lpnn::PolytopeLayout;
using lpnn::test::error_of;

namespace {

std::int64_t ipow(std::int64_t b, std::int64_t e) {
  std::int64_t r = 1;
  while (e-- > 0) r *= b;
  return r;
}

struct Case {
  std::int64_t N, n, m;
  GridSpec grid;
  std::int64_t D;
};

// Tiny instances, uniform and mixed grids.
const Case kCases[] = {
    {1, 1, 1, {2, 2, 2}, 1}, {1, 1, 1, {2, 2, 2}, 3}, {2, 1, 1, {3, 3, 3}, 2}, {2, 2, 1, {2, 3, 4}, 3},
    {3, 1, 2, {2, 2, 3}, 2}, {1, 2, 1, {4, 2, 2}, 4}, {2, 1, 1, {3, 2, 5}, 1},
};

// One row of the constraint matrix as (column, value) pairs.
using Row = std::vector<std::pair<std::int64_t, double>>;

// The rows written directly from the README's formulas, not from PolytopeLayout's helpers:
//   column of X[a] = a; column of λ^d[(a,s,t)] = M + d·B + (a·Kx^n + s)·Ky^m + t;
//   row d(1+M): Σ_j λ^d[j]; row d(1+M) + 1 + a: Σ_{s,t} λ^d[(a,s,t)] − X[a].
std::vector<Row> rows_from_design(const Case& c) {
  const std::int64_t M = ipow(c.grid.param, c.N), Sx = ipow(c.grid.input, c.n), Sy = ipow(c.grid.output, c.m);
  const std::int64_t B = M * Sx * Sy;
  std::vector<Row> rows;
  for (std::int64_t d = 0; d < c.D; ++d) {
    Row convexity;
    for (std::int64_t a = 0; a < M; ++a)
      for (std::int64_t s = 0; s < Sx; ++s)
        for (std::int64_t t = 0; t < Sy; ++t) convexity.push_back({M + d * B + (a * Sx + s) * Sy + t, 1.0});
    std::sort(convexity.begin(), convexity.end());
    rows.push_back(convexity);
    for (std::int64_t a = 0; a < M; ++a) {
      Row consistency{{a, -1.0}};
      for (std::int64_t s = 0; s < Sx; ++s)
        for (std::int64_t t = 0; t < Sy; ++t) consistency.push_back({M + d * B + (a * Sx + s) * Sy + t, 1.0});
      rows.push_back(consistency);
    }
  }
  return rows;
}

template <typename Index>
Row row_of(const lpnn::CsrBlock<Index>& block, std::int64_t local) {
  Row row;
  for (Index k = block.row_pointer[local]; k < block.row_pointer[local + 1]; ++k)
    row.push_back({static_cast<std::int64_t>(block.columns[k]), block.values[k]});
  return row;
}

}  // namespace

TEST(Layout, SizesByHand) {
  // N = 2, n = m = 1, K = 3, D = 2: M = 9, S = 9, B = 81.
  const PolytopeLayout l = PolytopeLayout::make(2, 1, 1, GridSpec::uniform(3), 2);
  EXPECT_EQ(l.M, 9);
  EXPECT_EQ(l.Sx, 3);
  EXPECT_EQ(l.Sy, 3);
  EXPECT_EQ(l.S, 9);
  EXPECT_EQ(l.B, 81);
  EXPECT_EQ(l.rows, 20);            // D(1+M)
  EXPECT_EQ(l.cols, 9 + 2 * 81);    // M + D·B
  EXPECT_EQ(l.nnz, 2 * (162 + 9));  // D(2B+M)
  // Mixed grids: K_param = 2, K_input = 3, K_output = 4 with N = 3, n = 2, m = 1, D = 5.
  const PolytopeLayout g = PolytopeLayout::make(3, 2, 1, {2, 3, 4}, 5);
  EXPECT_EQ(g.M, 8);
  EXPECT_EQ(g.Sx, 9);
  EXPECT_EQ(g.Sy, 4);
  EXPECT_EQ(g.S, 36);
  EXPECT_EQ(g.B, 288);
  EXPECT_EQ(g.rows, 5 * 9);
  EXPECT_EQ(g.cols, 8 + 5 * 288);
  EXPECT_EQ(g.nnz, 5 * (2 * 288 + 8));
  EXPECT_EQ(g.N, 3);
  EXPECT_EQ(g.n, 2);
  EXPECT_EQ(g.m, 1);
  EXPECT_EQ(g.D, 5);
}

// Generate every row, count rows, nonzeros and columns directly, and compare each row with the
// independent construction.
TEST(Layout, FormulasMatchGeneratedRows) {
  for (const Case& c : kCases) {
    SCOPED_TRACE(::testing::Message() << "N=" << c.N << " n=" << c.n << " m=" << c.m << " K=" << c.grid.param << "/"
                                      << c.grid.input << "/" << c.grid.output << " D=" << c.D);
    const PolytopeLayout l = PolytopeLayout::make(c.N, c.n, c.m, c.grid, c.D);
    const std::vector<Row> expected = rows_from_design(c);

    lpnn::CsrBlock<std::int64_t> all;
    lpnn::generate_rows(l, 0, l.rows, all);
    ASSERT_EQ(all.rows(), static_cast<std::int64_t>(expected.size()));
    EXPECT_EQ(all.rows(), l.rows);

    std::int64_t nnz = 0;
    std::map<std::int64_t, std::int64_t> column_uses;
    for (std::int64_t r = 0; r < all.rows(); ++r) {
      const Row row = row_of(all, r);
      ASSERT_EQ(row, expected[r]) << "row " << r;
      nnz += static_cast<std::int64_t>(row.size());
      for (std::size_t k = 1; k < row.size(); ++k) ASSERT_LT(row[k - 1].first, row[k].first) << "row " << r;
      for (const auto& [col, value] : row) ++column_uses[col];
      EXPECT_EQ(l.row_length(r), static_cast<std::int64_t>(row.size())) << "row " << r;
      EXPECT_EQ(l.nnz_before_row(r), all.row_pointer[r]) << "row " << r;
    }
    EXPECT_EQ(nnz, l.nnz);
    EXPECT_EQ(all.nonzeros(), l.nnz);
    EXPECT_EQ(l.nnz_before_row(l.rows), l.nnz);
    // Every column 0..cols-1 is used: X[a] once per sample, each λ twice (convexity + consistency).
    ASSERT_EQ(static_cast<std::int64_t>(column_uses.size()), l.cols);
    EXPECT_EQ(column_uses.begin()->first, 0);
    EXPECT_EQ(column_uses.rbegin()->first, l.cols - 1);
    for (const auto& [col, uses] : column_uses) ASSERT_EQ(uses, col < l.M ? c.D : 2) << "column " << col;

    // Right-hand side: 1 on convexity rows, 0 on consistency rows.
    std::vector<double> rhs(static_cast<std::size_t>(l.rows));
    lpnn::generate_rhs(l, 0, rhs);
    for (std::int64_t r = 0; r < l.rows; ++r) EXPECT_EQ(rhs[r], r % (1 + l.M) == 0 ? 1.0 : 0.0) << "row " << r;
  }
}

// Any row range generated alone equals the same rows of the whole matrix (what each rank does).
TEST(Layout, RowRangesMatchWholeMatrix) {
  for (const Case& c : kCases) {
    const PolytopeLayout l = PolytopeLayout::make(c.N, c.n, c.m, c.grid, c.D);
    const std::vector<Row> expected = rows_from_design(c);
    for (std::int64_t begin = 0; begin <= l.rows; ++begin)
      for (std::int64_t end = begin; end <= l.rows; ++end) {
        lpnn::CsrBlock<std::int32_t> block;  // 32-bit indices too
        lpnn::generate_rows(l, begin, end, block);
        ASSERT_EQ(block.row_begin, begin);
        ASSERT_EQ(block.rows(), end - begin);
        ASSERT_EQ(block.row_pointer[0], 0);
        ASSERT_EQ(block.nonzeros(), l.nnz_before_row(end) - l.nnz_before_row(begin));
        for (std::int64_t r = begin; r < end; ++r) ASSERT_EQ(row_of(block, r - begin), expected[r]) << r;
        std::vector<double> rhs(static_cast<std::size_t>(end - begin));
        lpnn::generate_rhs(l, begin, rhs);
        // Convexity rows are the ones whose first entry is +1 (consistency rows start with −X[a]).
        for (std::int64_t r = begin; r < end; ++r) ASSERT_EQ(rhs[r - begin], expected[r][0].second > 0 ? 1.0 : 0.0);
      }
  }
}

// A row range generated in parts (what a streamed build's threads do), the parts run in reverse order
// or concurrently on a pool: every row is the design's, and the parts hold about equal nonzeros.
TEST(Layout, RowsGeneratedInPartsMatchTheDesign) {
  lpnn::Workers pool(3);
  for (const Case& c : kCases) {
    const PolytopeLayout l = PolytopeLayout::make(c.N, c.n, c.m, c.grid, c.D);
    const std::vector<Row> expected = rows_from_design(c);
    const std::int64_t widest = std::max(l.B, 1 + l.S);
    for (int parts = 1; parts <= 5; ++parts)
      for (std::int64_t begin = 0; begin <= l.rows; ++begin)
        for (std::int64_t end = begin; end <= l.rows; ++end) {
          const std::vector<std::int64_t> bounds = lpnn::rows_in_parts(l, begin, end, parts);
          ASSERT_EQ(bounds.size(), static_cast<std::size_t>(parts) + 1);
          ASSERT_EQ(bounds.front(), begin);
          ASSERT_EQ(bounds.back(), end);
          ASSERT_TRUE(std::is_sorted(bounds.begin(), bounds.end()));
          const std::int64_t total = l.nnz_before_row(end) - l.nnz_before_row(begin);
          for (int t = 0; t < parts; ++t)
            ASSERT_LE(l.nnz_before_row(bounds[t + 1]) - l.nnz_before_row(bounds[t]), total / parts + 1 + widest)
                << "part " << t << " of " << parts << ", rows " << begin << "-" << end;
          lpnn::CsrBlock<std::int32_t> block;
          lpnn::generate_layout_rows(l, begin, end, block, parts, [&](const std::function<void(int)>& task) {
            if (parts == pool.size())
              pool.run(task);
            else
              for (int t = parts - 1; t >= 0; --t) task(t);
          });
          ASSERT_EQ(block.row_begin, begin);
          ASSERT_EQ(block.rows(), end - begin);
          ASSERT_EQ(block.row_pointer[0], 0);
          ASSERT_EQ(block.nonzeros(), total);
          for (std::int64_t r = begin; r < end; ++r)
            ASSERT_EQ(row_of(block, r - begin), expected[r]) << r << " in " << parts << " parts";
        }
  }
}

TEST(Layout, IndexMaps) {
  const PolytopeLayout l = PolytopeLayout::make(2, 2, 1, {2, 3, 4}, 3);  // M = 4, Sx = 9, Sy = 4, B = 144
  EXPECT_EQ(l.rows_per_sample(), 5);
  EXPECT_EQ(l.nnz_per_sample(), 2 * 144 + 4);
  EXPECT_EQ(l.convexity_row(2), 10);
  EXPECT_EQ(l.consistency_row(2, 3), 14);
  EXPECT_EQ(l.x_column(3), 3);
  EXPECT_EQ(l.lambda_column(0, 0), 4);
  EXPECT_EQ(l.lambda_column(2, 5), 4 + 2 * 144 + 5);
  EXPECT_EQ(l.local_index(1, 2, 3), (1 * 9 + 2) * 4 + 3);
  // local_index is a bijection onto [0, B), lexicographic in (a, s, t).
  std::int64_t expected = 0;
  for (std::int64_t a = 0; a < l.M; ++a)
    for (std::int64_t s = 0; s < l.Sx; ++s)
      for (std::int64_t t = 0; t < l.Sy; ++t) ASSERT_EQ(l.local_index(a, s, t), expected++);
  EXPECT_EQ(expected, l.B);
  // With a uniform grid the local index is the mixed-radix code of the digits of (θ, ξ, η).
  const PolytopeLayout u = PolytopeLayout::make(2, 1, 2, GridSpec::uniform(3), 1);
  std::vector<std::int64_t> digits(5);
  for (std::int64_t j = 0; j < u.B; ++j) {
    lpnn::mixed_radix_decode(j, 3, digits);
    const std::int64_t a = digits[0] * 3 + digits[1], s = digits[2], t = digits[3] * 3 + digits[4];
    ASSERT_EQ(u.local_index(a, s, t), j);
  }
}

TEST(Layout, NnzBeforeRowClosedForm) {
  const PolytopeLayout l = PolytopeLayout::make(3, 1, 1, {2, 2, 3}, 4);  // M = 8, S = 6, B = 48
  std::int64_t running = 0;
  for (std::int64_t r = 0; r <= l.rows; ++r) {
    ASSERT_EQ(l.nnz_before_row(r), running) << r;
    if (r < l.rows) running += (r % 9 == 0) ? 48 : 7;
  }
  EXPECT_EQ(running, l.nnz);
}

TEST(SampleRange, BalancedContiguousCovering) {
  for (std::int64_t D = 0; D <= 40; ++D)
    for (int P = 1; P <= 9; ++P) {
      std::int64_t next = 0, min_count = D, max_count = 0;
      for (int r = 0; r < P; ++r) {
        const lpnn::SampleRange range = lpnn::SampleRange::of_rank(D, r, P);
        ASSERT_EQ(range.first, next) << "D=" << D << " P=" << P << " rank " << r;  // contiguous, in rank order
        ASSERT_GE(range.count, 0);
        // Larger shares first.
        if (r > 0) {
          ASSERT_LE(range.count, lpnn::SampleRange::of_rank(D, r - 1, P).count);
        }
        next += range.count;
        min_count = std::min(min_count, range.count);
        max_count = std::max(max_count, range.count);
      }
      EXPECT_EQ(next, D) << "D=" << D << " P=" << P;                   // covering
      EXPECT_LE(max_count - min_count, 1) << "D=" << D << " P=" << P;  // balanced
      EXPECT_EQ(lpnn::SampleRange::of_rank(D, 0, P).count, (D + P - 1) / P);
    }
  const lpnn::SampleRange r = lpnn::SampleRange::of_rank(10, 2, 4);  // 3, 3, 2, 2
  EXPECT_EQ(r.first, 6);
  EXPECT_EQ(r.count, 2);
}

// ---- bad sizes ------------------------------------------------------------------------------------------

TEST(Layout, RejectsSmallGrids) {
  EXPECT_MESSAGE_HAS(error_of([] { PolytopeLayout::make(2, 1, 1, GridSpec::uniform(1), 1); }), "K", "got 1");
  EXPECT_MESSAGE_HAS(error_of([] { PolytopeLayout::make(2, 1, 1, {3, 0, 3}, 1); }), "K", "got 0");
  EXPECT_MESSAGE_HAS(error_of([] { PolytopeLayout::make(2, 1, 1, {3, 3, -2}, 1); }), "K", "got -2");
}

TEST(Layout, RejectsNoSamples) {
  EXPECT_MESSAGE_HAS(error_of([] { PolytopeLayout::make(2, 1, 1, GridSpec::uniform(3), 0); }), "samples D", "got 0");
  EXPECT_MESSAGE_HAS(error_of([] { PolytopeLayout::make(2, 1, 1, GridSpec::uniform(3), -4); }), "samples D", "-4");
}

TEST(Layout, RejectsEmptyGroups) {
  EXPECT_MESSAGE_HAS(error_of([] { PolytopeLayout::make(0, 1, 1, GridSpec::uniform(3), 1); }), "N=0");
  EXPECT_MESSAGE_HAS(error_of([] { PolytopeLayout::make(1, 0, 1, GridSpec::uniform(3), 1); }), "n=0");
  EXPECT_MESSAGE_HAS(error_of([] { PolytopeLayout::make(1, 1, 0, GridSpec::uniform(3), 1); }), "m=0");
}

TEST(Layout, Rejects64BitOverflow) {
  // K = 1000 with many parameters: M = 1000^9 overflows.
  EXPECT_MESSAGE_HAS(error_of([] { PolytopeLayout::make(9, 2, 1, GridSpec::uniform(1000), 1); }), "K_param^N",
                     "overflows 64-bit");
  EXPECT_MESSAGE_HAS(error_of([] { PolytopeLayout::make(861, 20, 1, GridSpec::uniform(2), 1); }), "overflows 64-bit");
  // M = 10^18 fits, the bag B = M·10^6 does not.
  EXPECT_MESSAGE_HAS(error_of([] { PolytopeLayout::make(9, 2, 1, GridSpec::uniform(100), 1); }), "bag template size B",
                     "overflows 64-bit");
  EXPECT_MESSAGE_HAS(error_of([] { PolytopeLayout::make(1, 1, 80, {2, 2, 2}, 1); }), "K_output^m", "overflows 64-bit");
  EXPECT_MESSAGE_HAS(error_of([] { PolytopeLayout::make(1, 80, 1, {2, 2, 2}, 1); }), "K_input^n", "overflows 64-bit");
  // The template fits; D copies of it do not.
  EXPECT_MESSAGE_HAS(error_of([] { PolytopeLayout::make(20, 10, 1, GridSpec::uniform(2), std::int64_t{1} << 40); }),
                     "overflows 64-bit");
  // Just below the limit is fine: 2^62 columns-ish bag, one sample.
  const PolytopeLayout big = PolytopeLayout::make(30, 30, 1, GridSpec::uniform(2), 1);
  EXPECT_EQ(big.B, std::int64_t{1} << 61);
  EXPECT_EQ(big.nnz, (std::int64_t{1} << 62) + (std::int64_t{1} << 30));
}
