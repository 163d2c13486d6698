#include "lpnn/arch/grid.hpp"

#include <cmath>

#include "lpnn/util/error.hpp"

namespace lpnn {

Grid::Grid(std::int64_t points) : points_(points) {
  if (points < 2) fail("grid size K must be at least 2 (a grid needs both endpoints -1 and 1), got {}", points);
}

std::int64_t Grid::round(double r) const {
  if (std::isnan(r)) fail("cannot round NaN to a grid point");
  if (r <= -1.0) return 0;
  if (r >= 1.0) return points_ - 1;
  const double k = std::floor((r + 1.0) * static_cast<double>(points_ - 1) / 2.0 + 0.5);
  if (k < 0.0) return 0;
  if (k > static_cast<double>(points_ - 1)) return points_ - 1;
  return static_cast<std::int64_t>(k);
}

std::vector<double> Grid::values() const {
  std::vector<double> v(static_cast<std::size_t>(points_));
  for (std::int64_t k = 0; k < points_; ++k) v[k] = value(k);
  return v;
}

std::int64_t mixed_radix_encode(std::span<const std::int64_t> digits, std::int64_t radix) {
  std::int64_t index = 0;
  for (std::int64_t d : digits) index = index * radix + d;
  return index;
}

void mixed_radix_decode(std::int64_t index, std::int64_t radix, std::span<std::int64_t> digits) {
  for (std::size_t i = digits.size(); i-- > 0;) {
    digits[i] = index % radix;
    index /= radix;
  }
}

void grid_point(const Grid& grid, std::int64_t index, std::span<double> values) {
  for (std::size_t i = values.size(); i-- > 0;) {
    values[i] = grid.value(index % grid.points());
    index /= grid.points();
  }
}

}  // namespace lpnn
