// MPI calls checked, and agreement on errors across ranks.
//
// The rule every collective phase in lpnn follows: work that can fail on some ranks and not others
// runs rank-locally and catches its lpnn::Error into a string; then the ranks agree (one small
// allreduce in throw_if_any_failed) before the next collective, so that no rank is left waiting in a
// collective its peers never enter.
#pragma once

#include <mpi.h>

#include <cstdint>
#include <string>

namespace lpnn {

// Throws lpnn::Error when an MPI call fails.
void mpi_check(int code, const char* call, const char* file, int line);
#define LPNN_MPI(call) ::lpnn::mpi_check((call), #call, __FILE__, __LINE__)

// Collective on `comm`. Throws the same lpnn::CollectiveError on every rank when any rank's `error`
// is non-empty: "rank R failed while `what`: ERROR" for the lowest failing rank R. A failing rank
// whose peers do not reach this agreement within agreement_deadline_seconds() (they are stuck in a
// collective it left) aborts the job with that message instead of waiting.
void throw_if_any_failed(MPI_Comm comm, const std::string& error, const std::string& what);
// Collective: the sum of `value` over the ranks below this one (0 on rank 0), e.g. where a rank's part
// of a distributed numbering starts.
std::int64_t exclusive_prefix_sum(MPI_Comm comm, std::int64_t value);
// Collective: `root`'s `text` on every rank.
void broadcast_string(MPI_Comm comm, std::string& text, int root = 0);
// Collective: throws rank 0's `error` (ignored elsewhere; empty: no error) on every rank, as "rank 0
// failed while `what`: ERROR" when `what` is given.
void throw_if_root_failed(MPI_Comm comm, std::string error, const std::string& what = {});
// Seconds a failed rank waits for its peers to agree (environment LPNN_AGREE_SECONDS, default 120).
double agreement_deadline_seconds();
// A communicator this code created, freed when the owner goes (MPI_Comm_free, collective on it).
class OwnedComm {
 public:
  OwnedComm() = default;
  explicit OwnedComm(MPI_Comm comm) : comm_(comm) {}
  ~OwnedComm();
  OwnedComm(const OwnedComm&) = delete;
  OwnedComm& operator=(const OwnedComm&) = delete;
  operator MPI_Comm() const { return comm_; }  // NOLINT: pass straight to MPI calls
  int size() const;

 private:
  MPI_Comm comm_ = MPI_COMM_NULL;
};
// Collective: the ranks of `comm` on this rank's node (shared memory).
OwnedComm node_comm(MPI_Comm comm);
// Collective: the ranks of `comm` with the same `color` as this one (MPI_Comm_split, color >= 0).
OwnedComm split_comm(MPI_Comm comm, int color);

// Prints "TOOL: error: MESSAGE" on this rank and ends the whole job (MPI_Abort).
[[noreturn]] void abort_job(MPI_Comm comm, const std::string& message);

}  // namespace lpnn
