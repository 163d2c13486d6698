// lpnn error channel for the user: input and I/O problems throw lpnn::Error with a message that
// says what is wrong, where, and how to fix it. Broken internal invariants are assertions instead.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>

#include <fmt/format.h>

namespace lpnn {

class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// An error every rank of the communicator has raised together (agreed by a collective, or the result
// of the same deterministic check on every rank): tools report it once and exit without MPI_Abort.
class CollectiveError : public Error {
 public:
  using Error::Error;
};

template <typename... Args>
[[noreturn]] void fail(fmt::format_string<Args...> format, Args&&... args) {
  throw Error(fmt::format(format, std::forward<Args>(args)...));
}

// Checked 64-bit arithmetic for sizes: a polytope that overflows int64 is refused, never wrapped.
std::int64_t checked_mul(std::int64_t a, std::int64_t b, const char* what);
std::int64_t checked_add(std::int64_t a, std::int64_t b, const char* what);
std::int64_t checked_pow(std::int64_t base, std::int64_t exponent, const char* what);

}  // namespace lpnn
