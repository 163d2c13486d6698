// Checked size arithmetic: products and narrowings that do not fit are refused with the quantity's
// name, never wrapped. Oracle: the exact values, computed in 128-bit arithmetic here.
#include <gtest/gtest.h>

#include <cstdint>
#include <limits>

#include "lpnn/hdf5/handles.hpp"
#include "lpnn/util/units.hpp"
#include "unit_helpers.hpp"

namespace lpnn {
namespace {

__extension__ typedef __int128 Wide;  // GCC and Clang; only the oracle needs it
constexpr std::int64_t kMax = std::numeric_limits<std::int64_t>::max();

bool fits_int64(Wide v) { return v >= -static_cast<Wide>(kMax) - 1 && v <= kMax; }

TEST(Sizes, CheckedMulAgreesWithWideArithmetic) {
  const std::int64_t samples[] = {0, 1, 2, 3, 7, 1 << 20, 3037000499, 3037000500, kMax / 2, kMax, -1, -kMax};
  for (std::int64_t a : samples)
    for (std::int64_t b : samples) {
      const Wide exact = static_cast<Wide>(a) * b;
      if (fits_int64(exact))
        EXPECT_EQ(checked_mul(a, b, "x"), static_cast<std::int64_t>(exact)) << a << " * " << b;
      else
        EXPECT_MESSAGE_HAS(test::error_of([&] { checked_mul(a, b, "the column count"); }), "the column count",
                           "overflows");
    }
}

TEST(Sizes, CheckedIntRefusesWhatAnIntCannotHold) {
  EXPECT_EQ(checked_int(0, "n"), 0);
  EXPECT_EQ(checked_int(std::numeric_limits<int>::max(), "n"), std::numeric_limits<int>::max());
  EXPECT_MESSAGE_HAS(test::error_of([] { checked_int(std::int64_t{1} << 31, "the LP's row count"); }),
                     "the LP's row count is 2147483648", "2^31-1");
  EXPECT_MESSAGE_HAS(test::error_of([] { checked_int(-1, "a count"); }), "a count is -1");
}

TEST(Sizes, ElementCountOfAnExtent) {
  EXPECT_EQ(h5::element_count({}, "scalar"), 1);
  EXPECT_EQ(h5::element_count({3, 4}, "X"), 12);
  EXPECT_EQ(h5::element_count({0, std::int64_t{1} << 62}, "X"), 0);
  // 2^62 + 1 rows of 2 columns: 2^63 + 2 elements, one past int64.
  EXPECT_MESSAGE_HAS(test::error_of([] {
                       h5::element_count({(std::int64_t{1} << 62) + 1, 2}, "data.h5: X");
                     }),
                     "data.h5: X declares more elements than 64-bit sizes hold");
}

}  // namespace
}  // namespace lpnn
