// lpnn error channel for the user: input and I/O problems throw lpnn::Error with a message that
// says what is wrong, where, and how to fix it. Broken internal invariants are assertions instead.
#pragma once

#include <fmt/format.h>

#include <stdexcept>
#include <string>

namespace lpnn {

class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// True from the construction of a CollectiveError until the next phase starts (util/phase.hpp):
// destructors that would run a collective (closing a parallel HDF5 file) run it only while unwinding
// an error every rank raised, never while one rank unwinds alone.
inline thread_local bool agreed_error_in_flight = false;

// An error every rank of the communicator has raised together (agreed by a collective, or the result
// of the same deterministic check on every rank): tools report it once and exit without MPI_Abort.
class CollectiveError : public Error {
 public:
  explicit CollectiveError(const std::string& message) : Error(message) { agreed_error_in_flight = true; }
};

template <typename... Args>
[[noreturn]] void fail(fmt::format_string<Args...> format, Args&&... args) {
  throw Error(fmt::format(format, std::forward<Args>(args)...));
}

}  // namespace lpnn
