// The pieces of lpnn-reduce that need no MPI peers: chunk ownership (every row summed exactly once, in
// chunks that do not depend on the rank count), label filters, the reduction map and its JSON, with
// one damaged field at a time.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <vector>

#include "lpnn/reduce/chunked_sum.hpp"
#include "lpnn/reduce/reduction.hpp"
#include "lpnn/reduce/statistics.hpp"
#include "unit_helpers.hpp"

using lpnn::test::error_of;
namespace reduce = lpnn::reduce;

TEST(ReduceChunks, PartitionTheRowsAtEveryRankCount) {
  for (std::int64_t samples : {1, 7, 16, 17, 1000, 100003}) {
    // Chunks tile [0, samples) in order.
    std::int64_t next = 0;
    for (std::int64_t c = 0; c < reduce::kSampleChunks; ++c) {
      const reduce::RowRange rows = reduce::chunk_rows(samples, c);
      EXPECT_EQ(rows.begin, next);
      EXPECT_GE(rows.end, rows.begin);
      next = rows.end;
    }
    EXPECT_EQ(next, samples);
    // Ranks own whole chunks, contiguous, in rank order, covering every row once.
    for (int ranks : {1, 2, 3, 4, 5, 16, 20}) {
      std::int64_t row = 0, chunk = 0;
      for (int p = 0; p < ranks; ++p) {
        const reduce::ChunkOwnership own = reduce::owned_chunks(samples, p, ranks);
        EXPECT_EQ(own.first_chunk, chunk) << samples << " samples, rank " << p << " of " << ranks;
        chunk = own.last_chunk;
        if (own.rows.size() == 0) continue;
        EXPECT_EQ(own.rows.begin, row);
        row = own.rows.end;
      }
      EXPECT_EQ(chunk, reduce::kSampleChunks);
      EXPECT_EQ(row, samples);
    }
  }
}

TEST(ReduceFilters, QuantileFiltersAndBinsFromTheLabels) {
  reduce::LocalSamples data;
  data.samples = 10;
  data.outputs = 1;
  for (int i = 0; i < 10; ++i) data.y.push_back(i);  // 0..9, median 4
  const reduce::Filters f = reduce::label_filters(data);
  ASSERT_EQ(f.size(), 5);
  // |y - 4| = 4 3 2 1 0 1 2 3 4 5; its 50% quantile (lower) is 2: passing where |y - 4| > 2.
  EXPECT_EQ(f.member[0], (std::vector<char>{1, 1, 0, 0, 0, 0, 0, 1, 1, 1}));
  // Three bins at the lower 1/3 and 2/3 quantiles (3 and 6): y <= 3, 3 < y <= 6, y > 6.
  EXPECT_EQ(f.member[2], (std::vector<char>{1, 1, 1, 1, 0, 0, 0, 0, 0, 0}));
  EXPECT_EQ(f.member[4], (std::vector<char>{0, 0, 0, 0, 0, 0, 0, 1, 1, 1}));
  // A permutation keeps each filter's size.
  const reduce::Filters p = reduce::permuted(f, 3);
  for (std::int64_t j = 0; j < f.size(); ++j)
    EXPECT_EQ(std::count(p.member[j].begin(), p.member[j].end(), 1),
              std::count(f.member[j].begin(), f.member[j].end(), 1));
}

TEST(ReduceFilters, BinaryLabelsGiveNoRepeatedFilter) {
  reduce::LocalSamples data;
  data.samples = 6;
  data.outputs = 1;
  data.y = {-1, 1, -1, 1, 1, -1};
  const reduce::Filters f = reduce::label_filters(data);
  EXPECT_EQ(f.size(), 2);  // y = -1 and y = +1; the spread filters pass everyone or no one
}

namespace {
// d = 2, r = 1: t = (x1 - 1) + (x2 - 2) (projection [1, 1], offset [1, 2]), mapped from [-2, 2] to the box.
lpnn::Reduction sample_reduction() {
  lpnn::Reduction red;
  red.dimension = 2;
  red.basis = {std::sqrt(0.5), std::sqrt(0.5)};
  red.projection = {1.0, 1.0};
  red.offset = {1.0, 2.0};
  red.whitening = {1.0, 0.0, 0.0, 1.0};
  red.reduced_min = {-2.0};
  red.reduced_max = {2.0};
  return red;
}
}  // namespace

TEST(ReduceMap, ProjectsScalesAndClamps) {
  const lpnn::Reduction red = sample_reduction();
  double out = 0;
  red.apply(std::vector<double>{1.0, 2.0}, std::span<double>(&out, 1));
  EXPECT_DOUBLE_EQ(out, 0.0);
  red.apply(std::vector<double>{2.0, 3.0}, std::span<double>(&out, 1));  // t = 2: the top of the range
  EXPECT_DOUBLE_EQ(out, 1.0);
  red.apply(std::vector<double>{10.0, 3.0}, std::span<double>(&out, 1));  // beyond it: clamped
  EXPECT_DOUBLE_EQ(out, 1.0);
}

TEST(ReduceMap, JsonRoundTrip) {
  const lpnn::Reduction red = sample_reduction();
  const lpnn::Reduction back = lpnn::Reduction::from_json(red.to_json(), "test");
  EXPECT_EQ(back.basis, red.basis);
  EXPECT_EQ(back.projection, red.projection);
  EXPECT_EQ(back.whitening, red.whitening);
  EXPECT_EQ(back.offset, red.offset);
  EXPECT_EQ(back.reduced_min, red.reduced_min);
  EXPECT_EQ(back.reduced_max, red.reduced_max);
}

TEST(ReduceMap, DamagedFieldsAreRefused) {
  const nlohmann::json good = sample_reduction().to_json();
  auto damaged = [&](auto change) {
    nlohmann::json j = good;
    change(j);
    return error_of([&] { lpnn::Reduction::from_json(j, "basis.json"); });
  };
  EXPECT_NE(damaged([](auto& j) { j["basis"][0] = {1.0}; }).find("a row of \"basis\" has 1 numbers, expected 2"),
            std::string::npos);
  EXPECT_NE(damaged([](auto& j) { j["offset"] = {1.0}; }).find("sizes do not agree"), std::string::npos);
  EXPECT_NE(damaged([](auto& j) {
              j["scaling"]["reduced_max"] = {1.0, 2.0};
            }).find("sizes do not agree"),
            std::string::npos);
  EXPECT_NE(damaged([](auto& j) { j.erase("projection"); }).find("malformed basis"), std::string::npos);
  EXPECT_NE(damaged([](auto& j) { j["dimension"] = 0; }).find("\"dimension\" is 0"), std::string::npos);
}
