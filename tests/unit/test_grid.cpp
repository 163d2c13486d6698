// Grids (README, The polytope / ERM and grids): values, rounding (ends, ties up, clamping, NaN) and mixed-radix codes.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <vector>

#include "lpnn/arch/grid.hpp"
#include "unit_helpers.hpp"

using lpnn::Grid;
using lpnn::test::error_of;

TEST(Grid, ValuesByHand) {
  EXPECT_EQ(Grid(2).values(), (std::vector<double>{-1.0, 1.0}));
  EXPECT_EQ(Grid(3).values(), (std::vector<double>{-1.0, 0.0, 1.0}));
  EXPECT_EQ(Grid(5).values(), (std::vector<double>{-1.0, -0.5, 0.0, 0.5, 1.0}));
  const std::vector<double> four = Grid(4).values();
  ASSERT_EQ(four.size(), 4u);
  EXPECT_EQ(four[0], -1.0);
  EXPECT_DOUBLE_EQ(four[1], -1.0 / 3.0);
  EXPECT_DOUBLE_EQ(four[2], 1.0 / 3.0);
  EXPECT_EQ(four[3], 1.0);
  EXPECT_EQ(Grid(3).points(), 3);
}

TEST(Grid, EndpointsAndSpacing) {
  for (std::int64_t K : {2, 3, 4, 7, 10, 64, 1001}) {
    const Grid g(K);
    EXPECT_EQ(g.value(0), -1.0) << K;
    EXPECT_EQ(g.value(K - 1), 1.0) << K;
    EXPECT_DOUBLE_EQ(g.max_rounding_error(), 1.0 / static_cast<double>(K - 1)) << K;
    for (std::int64_t k = 1; k < K; ++k)
      EXPECT_NEAR(g.value(k) - g.value(k - 1), 2.0 * g.max_rounding_error(), 1e-14) << K << " " << k;
  }
}

TEST(Grid, NeedsTwoPoints) {
  for (std::int64_t K : {1, 0, -5}) {
    const std::string msg = error_of([K] { Grid g(K); });
    EXPECT_MESSAGE_HAS(msg, "K", "at least 2", std::to_string(K));
  }
}

TEST(Grid, RoundingAtTheEnds) {
  for (std::int64_t K : {2, 3, 5, 1000}) {
    const Grid g(K);
    EXPECT_EQ(g.round(-1.0), 0) << K;
    EXPECT_EQ(g.round(1.0), K - 1) << K;
    EXPECT_EQ(g.round(std::nextafter(1.0, 0.0)), K - 1) << K;
    EXPECT_EQ(g.round(std::nextafter(-1.0, 0.0)), 0) << K;
  }
}

TEST(Grid, RoundingTiesGoUp) {
  // K = 5: grid -1, -0.5, 0, 0.5, 1; the midpoints are exact in binary.
  const Grid g(5);
  EXPECT_EQ(g.round(-0.75), 1);
  EXPECT_EQ(g.round(-0.25), 2);
  EXPECT_EQ(g.round(0.25), 3);
  EXPECT_EQ(g.round(0.75), 4);
  // Just below a tie rounds down. (Within a few ulps of a tie the floating-point evaluation of the
  // formula may still round up: (r+1) is rounded before the floor.)
  const double below = 1e-12;
  EXPECT_EQ(g.round(-0.75 - below), 0);
  EXPECT_EQ(g.round(-0.25 - below), 1);
  EXPECT_EQ(g.round(0.25 - below), 2);
  EXPECT_EQ(g.round(0.75 - below), 3);
  EXPECT_EQ(Grid(3).round(-0.5), 1);
  EXPECT_EQ(Grid(3).round(0.5), 2);
  EXPECT_EQ(Grid(3).round(0.5 - below), 1);
  EXPECT_EQ(Grid(3).round(-0.5 - below), 0);
  EXPECT_EQ(Grid(2).round(0.0), 1);
  EXPECT_EQ(Grid(2).round(-0.0), 1);
  EXPECT_EQ(Grid(2).round(-below), 0);
  // K = 101: ties at -1 + (2k+1)/100, e.g. 0.01 (not exact in binary: compare with an offset).
  EXPECT_EQ(Grid(101).round(0.01 + below), 51);
  EXPECT_EQ(Grid(101).round(0.01 - below), 50);
}

TEST(Grid, RoundingClampsOutOfBox) {
  for (std::int64_t K : {2, 3, 9}) {
    const Grid g(K);
    EXPECT_EQ(g.round(-1.5), 0);
    EXPECT_EQ(g.round(-1e300), 0);
    EXPECT_EQ(g.round(-std::numeric_limits<double>::infinity()), 0);
    EXPECT_EQ(g.round(1.0000001), K - 1);
    EXPECT_EQ(g.round(7.0), K - 1);
    EXPECT_EQ(g.round(std::numeric_limits<double>::infinity()), K - 1);
  }
}

TEST(Grid, RoundingNaNThrows) {
  EXPECT_MESSAGE_HAS(error_of([] { Grid(3).round(std::numeric_limits<double>::quiet_NaN()); }), "NaN");
}

TEST(Grid, RoundingIsNearestGridPoint) {
  std::mt19937_64 rng(7);
  std::uniform_real_distribution<double> u(-1.0, 1.0);
  for (std::int64_t K : {2, 3, 4, 6, 11, 256}) {
    const Grid g(K);
    for (std::int64_t k = 0; k < K; ++k) EXPECT_EQ(g.round(g.value(k)), k) << K;
    for (int i = 0; i < 2000; ++i) {
      const double r = u(rng);
      const std::int64_t k = g.round(r);
      ASSERT_GE(k, 0);
      ASSERT_LT(k, K);
      // Brute force: no grid point is strictly nearer (up to rounding of the distances).
      const double dist = std::fabs(g.value(k) - r);
      EXPECT_LE(dist, g.max_rounding_error() * (1 + 1e-12)) << K << " " << r;
      for (std::int64_t q = 0; q < K; ++q) EXPECT_GE(std::fabs(g.value(q) - r) + 1e-12, dist) << K << " " << r;
    }
  }
}

TEST(Grid, MixedRadixByHand) {
  const std::vector<std::int64_t> digits{1, 0, 2};
  EXPECT_EQ(lpnn::mixed_radix_encode(digits, 3), 11);  // 1·9 + 0·3 + 2: coordinate 0 most significant
  std::vector<std::int64_t> out(3);
  lpnn::mixed_radix_decode(11, 3, out);
  EXPECT_EQ(out, digits);
  std::vector<std::int64_t> four(4);
  lpnn::mixed_radix_decode(6, 2, four);
  EXPECT_EQ(four, (std::vector<std::int64_t>{0, 1, 1, 0}));
  EXPECT_EQ(lpnn::mixed_radix_encode(std::vector<std::int64_t>{}, 5), 0);
}

// Exhaustive on small radices and counts: decoding enumerates all digit tuples in lexicographic order
// (coordinate 0 most significant), and encode inverts it.
TEST(Grid, MixedRadixRoundTripExhaustive) {
  for (std::int64_t radix = 2; radix <= 5; ++radix)
    for (std::size_t count = 0; count <= 5; ++count) {
      std::int64_t size = 1;
      for (std::size_t i = 0; i < count; ++i) size *= radix;
      std::vector<std::int64_t> expected(count, 0), digits(count);
      for (std::int64_t index = 0; index < size; ++index) {
        lpnn::mixed_radix_decode(index, radix, digits);
        ASSERT_EQ(digits, expected) << "radix " << radix << " count " << count << " index " << index;
        ASSERT_EQ(lpnn::mixed_radix_encode(digits, radix), index);
        // Odometer increment of the expected tuple, last digit fastest.
        for (std::size_t i = count; i-- > 0;) {
          if (++expected[i] < radix) break;
          expected[i] = 0;
        }
      }
    }
}

TEST(Grid, PointIsGridValueOfDigits) {
  const Grid g3(3);
  std::vector<double> v(2);
  lpnn::grid_point(g3, 5, v);  // digits (1, 2)
  EXPECT_EQ(v, (std::vector<double>{0.0, 1.0}));
  lpnn::grid_point(g3, 0, v);
  EXPECT_EQ(v, (std::vector<double>{-1.0, -1.0}));
  lpnn::grid_point(g3, 8, v);
  EXPECT_EQ(v, (std::vector<double>{1.0, 1.0}));
  for (std::int64_t K : {2, 3, 4})
    for (std::size_t count = 1; count <= 4; ++count) {
      const Grid g(K);
      std::int64_t size = 1;
      for (std::size_t i = 0; i < count; ++i) size *= K;
      std::vector<std::int64_t> digits(count);
      std::vector<double> values(count);
      for (std::int64_t index = 0; index < size; ++index) {
        lpnn::mixed_radix_decode(index, K, digits);
        lpnn::grid_point(g, index, values);
        for (std::size_t i = 0; i < count; ++i) ASSERT_EQ(values[i], g.value(digits[i]));
        // Rounding the point's values recovers the index.
        std::vector<std::int64_t> rounded(count);
        for (std::size_t i = 0; i < count; ++i) rounded[i] = g.round(values[i]);
        ASSERT_EQ(lpnn::mixed_radix_encode(rounded, K), index);
      }
    }
}

TEST(Grid, SpecUniform) {
  const lpnn::GridSpec g = lpnn::GridSpec::uniform(7);
  EXPECT_EQ(g.param, 7);
  EXPECT_EQ(g.input, 7);
  EXPECT_EQ(g.output, 7);
}
