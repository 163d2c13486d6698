// The builder's work plan (what resumable builds rest on): share_of_samples splits the samples of a
// ledger over ranks, plan_write_steps cuts a rank's samples into write steps. Checked by brute force:
// every sample, row and objective entry is covered exactly once, and no step claims a sample complete
// before the step that writes its last row and its last objective entry.
#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <vector>

#include "lpnn/bags/layout.hpp"
#include "lpnn/distribute/write_steps.hpp"

using lpnn::PolytopeLayout;
using lpnn::SampleInterval;
using lpnn::WriteStep;

namespace {

TEST(ShareOfSamples, SplitsTheMatchingSamplesOverRanksExactlyOnceAndBalanced) {
  std::mt19937 random(7);
  for (int trial = 0; trial < 200; ++trial) {
    const std::int64_t D = 1 + static_cast<std::int64_t>(random() % 60);
    std::vector<std::uint8_t> done(static_cast<std::size_t>(D));
    for (auto& flag : done) flag = static_cast<std::uint8_t>(random() % 3 == 0);
    const int ranks = 1 + static_cast<int>(random() % 6);
    for (const std::uint8_t want : {std::uint8_t{0}, std::uint8_t{1}}) {
      std::vector<int> owner(static_cast<std::size_t>(D), -1);
      std::int64_t matching = 0, smallest = D, largest = 0, previous_end = -1;
      for (std::int64_t d = 0; d < D; ++d) matching += done[d] == want;
      for (int r = 0; r < ranks; ++r) {
        std::int64_t count = 0;
        for (const SampleInterval& s : lpnn::share_of_samples(done, want, r, ranks)) {
          ASSERT_LT(s.first, s.end);
          ASSERT_GE(s.first, previous_end) << "shares must follow the sample order";
          previous_end = s.end;
          for (std::int64_t d = s.first; d < s.end; ++d) {
            ASSERT_EQ(done[d], want) << "sample " << d << " does not match";
            ASSERT_EQ(owner[d], -1) << "sample " << d << " given twice";
            owner[d] = r;
            ++count;
          }
        }
        smallest = std::min(smallest, count);
        largest = std::max(largest, count);
      }
      for (std::int64_t d = 0; d < D; ++d) {
        if (done[d] == want) {
          EXPECT_NE(owner[d], -1) << "sample " << d << " given to no rank";
        }
      }
      EXPECT_LE(largest - smallest, 1) << "unbalanced: " << smallest << " to " << largest << " of " << matching;
    }
  }
}

TEST(PlanWriteSteps, CoverRowsAndColumnsOnceAndCompleteSamplesOnlyAfterTheirLastEntries) {
  std::mt19937 random(11);
  for (int trial = 0; trial < 100; ++trial) {
    const std::int64_t K = 2 + static_cast<std::int64_t>(random() % 2), D = 1 + static_cast<std::int64_t>(random() % 9);
    const PolytopeLayout layout = PolytopeLayout::make(2, 1, 1, lpnn::GridSpec::uniform(K), D);
    // Random disjoint sample intervals, in order.
    std::vector<SampleInterval> samples;
    for (std::int64_t d = 0; d < D;) {
      const std::int64_t length = 1 + static_cast<std::int64_t>(random() % 3);
      if (random() % 2) samples.push_back({d, std::min(D, d + length)});
      d += length;
    }
    const bool x_columns = random() % 2;
    const std::int64_t chunk_rows = 1 + static_cast<std::int64_t>(random() % 12);
    const std::int64_t chunk_columns = 1 + static_cast<std::int64_t>(random() % 40);
    const std::vector<WriteStep> steps = lpnn::plan_write_steps(layout, samples, x_columns, chunk_rows, chunk_columns);

    std::vector<int> row_seen(static_cast<std::size_t>(layout.rows)),
        column_seen(static_cast<std::size_t>(layout.cols));
    std::vector<int> completed(static_cast<std::size_t>(D));
    for (const WriteStep& s : steps) {
      ASSERT_LE(s.row_end - s.row_begin, chunk_rows);
      ASSERT_LE(s.column_end - s.column_begin, chunk_columns);
      ASSERT_LE(s.row_begin, s.row_end);
      ASSERT_LE(s.column_begin, s.column_end);
      for (std::int64_t r = s.row_begin; r < s.row_end; ++r) ++row_seen[r];
      for (std::int64_t c = s.column_begin; c < s.column_end; ++c) ++column_seen[c];
      for (std::int64_t d = s.completes.first; d < s.completes.end; ++d) {
        ++completed[d];
        for (std::int64_t r = d * layout.rows_per_sample(); r < (d + 1) * layout.rows_per_sample(); ++r)
          ASSERT_EQ(row_seen[r], 1) << "sample " << d << " complete before its row " << r;
        for (std::int64_t c = layout.lambda_column(d, 0); c < layout.lambda_column(d + 1, 0); ++c)
          ASSERT_EQ(column_seen[c], 1) << "sample " << d << " complete before its column " << c;
      }
    }
    std::vector<int> wanted(static_cast<std::size_t>(D));
    for (const SampleInterval& s : samples)
      for (std::int64_t d = s.first; d < s.end; ++d) wanted[d] = 1;
    for (std::int64_t d = 0; d < D; ++d) {
      EXPECT_EQ(completed[d], wanted[d]) << "sample " << d;
      for (std::int64_t r = d * layout.rows_per_sample(); r < (d + 1) * layout.rows_per_sample(); ++r)
        ASSERT_EQ(row_seen[r], wanted[d]) << "row " << r;
      for (std::int64_t c = layout.lambda_column(d, 0); c < layout.lambda_column(d + 1, 0); ++c)
        ASSERT_EQ(column_seen[c], wanted[d]) << "column " << c;
    }
    for (std::int64_t c = 0; c < layout.M; ++c) ASSERT_EQ(column_seen[c], x_columns ? 1 : 0) << "X column " << c;
    // Samples from sample 0 on: the X columns ride with the first rows, no step of columns alone first
    // (in lockstep, such a step leaves the other ranks' first rows waiting).
    if (!samples.empty() && samples.front().first == 0) {
      ASSERT_FALSE(steps.empty());
      EXPECT_GT(steps.front().row_end, steps.front().row_begin) << "trial " << trial;
    }
  }
}

}  // namespace
