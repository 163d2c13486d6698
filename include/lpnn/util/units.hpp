// Sizes: checked 64-bit arithmetic (a polytope that overflows int64 is refused, never wrapped) and
// byte counts for people.
#pragma once

#include <cstdint>
#include <string>

namespace lpnn {

// Each throws lpnn::Error naming `what` and the operands when the result does not fit in int64.
std::int64_t checked_mul(std::int64_t a, std::int64_t b, const char* what);
std::int64_t checked_add(std::int64_t a, std::int64_t b, const char* what);
std::int64_t checked_pow(std::int64_t base, std::int64_t exponent, const char* what);

// `value` as an int, for the interfaces whose counts are int (MPI counts, Clp's indices, lengths of
// broadcast strings); throws lpnn::Error naming `what` when it is negative or above 2^31-1.
int checked_int(std::int64_t value, const char* what);

// "1.5 GiB": binary units, one decimal.
std::string human_bytes(double bytes);

}  // namespace lpnn
