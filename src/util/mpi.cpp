#include "lpnn/util/mpi.hpp"

#include "lpnn/util/error.hpp"

namespace lpnn {

void mpi_check(int code, const char* call, const char* file, int line) {
  if (code == MPI_SUCCESS) return;
  char text[MPI_MAX_ERROR_STRING];
  int length = 0;
  MPI_Error_string(code, text, &length);
  fail("MPI error in {} ({}:{}): {}", call, file, line, std::string(text, static_cast<std::size_t>(length)));
}

void broadcast_string(MPI_Comm comm, std::string& text, int root) {
  int length = static_cast<int>(text.size());
  LPNN_MPI(MPI_Bcast(&length, 1, MPI_INT, root, comm));
  text.resize(static_cast<std::size_t>(length));
  LPNN_MPI(MPI_Bcast(text.data(), length, MPI_CHAR, root, comm));
}

void throw_if_any_failed(MPI_Comm comm, const std::string& error, const std::string& what) {
  int rank = 0, ranks = 1;
  LPNN_MPI(MPI_Comm_rank(comm, &rank));
  LPNN_MPI(MPI_Comm_size(comm, &ranks));
  // The lowest failing rank's message goes to every rank, so that rank 0, which reports, says what
  // went wrong and where.
  int mine = error.empty() ? ranks : rank, first = ranks;
  LPNN_MPI(MPI_Allreduce(&mine, &first, 1, MPI_INT, MPI_MIN, comm));
  if (first == ranks) return;
  std::string message = error;
  broadcast_string(comm, message, first);
  if (ranks > 1 && first != 0) message = fmt::format("rank {} failed while {}: {}", first, what, message);
  throw CollectiveError(message);
}

void throw_if_root_failed(MPI_Comm comm, std::string error) {
  broadcast_string(comm, error);
  if (!error.empty()) throw CollectiveError(error);
}

}  // namespace lpnn
