#include "lpnn/util/mpi.hpp"

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <thread>

#include "lpnn/util/error.hpp"
#include "lpnn/util/units.hpp"

namespace lpnn {

void mpi_check(int code, const char* call, const char* file, int line) {
  if (code == MPI_SUCCESS) return;
  char text[MPI_MAX_ERROR_STRING];
  int length = 0;
  MPI_Error_string(code, text, &length);
  fail("MPI error in {} ({}:{}): {}", call, file, line, std::string(text, static_cast<std::size_t>(length)));
}

std::int64_t exclusive_prefix_sum(MPI_Comm comm, std::int64_t value) {
  std::int64_t sum = 0;
  LPNN_MPI(MPI_Exscan(&value, &sum, 1, MPI_INT64_T, MPI_SUM, comm));
  int rank = 0;
  LPNN_MPI(MPI_Comm_rank(comm, &rank));
  return rank == 0 ? 0 : sum;  // MPI_Exscan leaves rank 0's result undefined
}

void broadcast_string(MPI_Comm comm, std::string& text, int root) {
  int length = checked_int(static_cast<std::int64_t>(text.size()), "the length of a broadcast string");
  LPNN_MPI(MPI_Bcast(&length, 1, MPI_INT, root, comm));
  text.resize(static_cast<std::size_t>(length));
  LPNN_MPI(MPI_Bcast(text.data(), length, MPI_CHAR, root, comm));
}

OwnedComm::~OwnedComm() {
  if (comm_ != MPI_COMM_NULL) MPI_Comm_free(&comm_);
}

int OwnedComm::size() const {
  int n = 0;
  LPNN_MPI(MPI_Comm_size(comm_, &n));
  return n;
}

OwnedComm node_comm(MPI_Comm comm) {
  MPI_Comm node = MPI_COMM_NULL;
  LPNN_MPI(MPI_Comm_split_type(comm, MPI_COMM_TYPE_SHARED, 0, MPI_INFO_NULL, &node));
  return OwnedComm(node);
}

OwnedComm split_comm(MPI_Comm comm, int color) {
  MPI_Comm part = MPI_COMM_NULL;
  LPNN_MPI(MPI_Comm_split(comm, color, 0, &part));
  return OwnedComm(part);
}

double agreement_deadline_seconds() {
  const char* text = std::getenv("LPNN_AGREE_SECONDS");
  if (text && *text) {
    char* end = nullptr;
    const double value = std::strtod(text, &end);
    if (end && *end == '\0' && value > 0) return value;
  }
  return 120.0;
}

[[noreturn]] void abort_job(MPI_Comm comm, const std::string& message) {
  // program_invocation_short_name: the tool's name, as tool_common prefixes its errors.
  std::fprintf(stderr, "%s: error: %s\n", program_invocation_short_name, message.c_str());
  std::fflush(stderr);
  MPI_Abort(comm, 1);
  std::_Exit(1);
}

namespace {

std::string failure_message(int rank, const std::string& what, const std::string& error) {
  return fmt::format("rank {} failed while {}: {}", rank, what, error);
}

// MPI_MIN of `mine` over `comm`. A rank that failed waits at most the deadline: when its peers do not
// come (they wait in a collective it left), it aborts the job with its own message instead of hanging.
// Nonblocking on every rank, since a nonblocking collective never matches a blocking one.
int agree_on_lowest(MPI_Comm comm, int mine, int rank, const std::string& what, const std::string& error) {
  int lowest = mine;
  MPI_Request request = MPI_REQUEST_NULL;
  LPNN_MPI(MPI_Iallreduce(&mine, &lowest, 1, MPI_INT, MPI_MIN, comm, &request));
  if (error.empty()) {
    LPNN_MPI(MPI_Wait(&request, MPI_STATUS_IGNORE));
    return lowest;
  }
  const double limit = agreement_deadline_seconds();
  const auto start = std::chrono::steady_clock::now();
  for (int done = 0;;) {
    LPNN_MPI(MPI_Test(&request, &done, MPI_STATUS_IGNORE));
    if (done) return lowest;
    if (std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() > limit)
      abort_job(comm, fmt::format("{}\n  the other ranks did not reach the agreement on this failure within {:g} s "
                                  "(LPNN_AGREE_SECONDS): the job is aborted",
                                  failure_message(rank, what, error), limit));
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
}

}  // namespace

void throw_if_any_failed(MPI_Comm comm, const std::string& error, const std::string& what) {
  int rank = 0, ranks = 1;
  LPNN_MPI(MPI_Comm_rank(comm, &rank));
  LPNN_MPI(MPI_Comm_size(comm, &ranks));
  // The lowest failing rank's message goes to every rank, so that rank 0, which reports, says what
  // went wrong and where.
  const int first = agree_on_lowest(comm, error.empty() ? ranks : rank, rank, what, error);
  if (first == ranks) return;
  std::string message = error;
  broadcast_string(comm, message, first);
  throw CollectiveError(failure_message(first, what, message));
}

void throw_if_root_failed(MPI_Comm comm, std::string error, const std::string& what) {
  broadcast_string(comm, error);
  if (error.empty()) return;
  throw CollectiveError(what.empty() ? error : failure_message(0, what, error));
}

}  // namespace lpnn
