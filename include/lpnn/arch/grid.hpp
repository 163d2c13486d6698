// Uniform grids on [-1, 1] (README, The polytope / ERM and grids) and the mixed-radix codes of bag assignments.
//   g_k = -1 + 2k/(K-1), k = 0..K-1, K >= 2;  rounding k = floor((r+1)(K-1)/2 + 1/2), clamped (ties up);
//   maximum rounding error h = 1/(K-1).
// Mixed radix: coordinate 0 is the most significant digit.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

namespace lpnn {

class Grid {
 public:
  explicit Grid(std::int64_t points);  // throws lpnn::Error if points < 2
  std::int64_t points() const { return points_; }
  double value(std::int64_t k) const { return -1.0 + 2.0 * static_cast<double>(k) / static_cast<double>(points_ - 1); }
  // Nearest grid index; values outside [-1, 1] clamp to the ends. NaN is an error.
  std::int64_t round(double r) const;
  double max_rounding_error() const { return 1.0 / static_cast<double>(points_ - 1); }
  std::vector<double> values() const;

 private:
  std::int64_t points_;
};

// The three coordinate groups' grid sizes: parameters (φ), inputs (x), outputs (y).
struct GridSpec {
  std::int64_t param = 0;
  std::int64_t input = 0;
  std::int64_t output = 0;
  static GridSpec uniform(std::int64_t k) { return {k, k, k}; }
};

// index = Σ digits[i]·radix^(count-1-i); digits[i] in [0, radix).
std::int64_t mixed_radix_encode(std::span<const std::int64_t> digits, std::int64_t radix);
void mixed_radix_decode(std::int64_t index, std::int64_t radix, std::span<std::int64_t> digits);

// Grid values of a whole coordinate group at a mixed-radix index (θ(a), ξ(s) or η(t)).
void grid_point(const Grid& grid, std::int64_t index, std::span<double> values);

}  // namespace lpnn
