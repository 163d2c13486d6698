#include "lpnn/util/units.hpp"

#include <limits>

#include "lpnn/util/error.hpp"

namespace lpnn {

std::int64_t checked_mul(std::int64_t a, std::int64_t b, const char* what) {
  std::int64_t r = 0;
  if (__builtin_mul_overflow(a, b, &r))
    fail("{} overflows 64-bit arithmetic ({} x {}); choose a smaller grid K or fewer samples", what, a, b);
  return r;
}

std::int64_t checked_add(std::int64_t a, std::int64_t b, const char* what) {
  std::int64_t r = 0;
  if (__builtin_add_overflow(a, b, &r))
    fail("{} overflows 64-bit arithmetic ({} + {}); choose a smaller grid K or fewer samples", what, a, b);
  return r;
}

std::int64_t checked_pow(std::int64_t base, std::int64_t exponent, const char* what) {
  std::int64_t r = 1;
  for (std::int64_t i = 0; i < exponent; ++i) r = checked_mul(r, base, what);
  return r;
}

int checked_int(std::int64_t value, const char* what) {
  if (value < 0 || value > std::numeric_limits<int>::max())
    fail("{} is {}, outside the range 0..2^31-1 of the int interface it is passed to", what, value);
  return static_cast<int>(value);
}

std::string human_bytes(double bytes) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
  int u = 0;
  while (bytes >= 1024.0 && u < 6) {
    bytes /= 1024.0;
    ++u;
  }
  return fmt::format("{:.1f} {}", bytes, units[u]);
}

}  // namespace lpnn
