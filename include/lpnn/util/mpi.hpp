// MPI calls checked, and agreement on errors across ranks.
//
// The rule every collective phase in lpnn follows: work that can fail on some ranks and not others
// runs rank-locally and catches its lpnn::Error into a string; then the ranks agree (one small
// allreduce in throw_if_any_failed) before the next collective, so that no rank is left waiting in a
// collective its peers never enter.
#pragma once

#include <mpi.h>

#include <string>

namespace lpnn {

// Throws lpnn::Error when an MPI call fails.
void mpi_check(int code, const char* call, const char* file, int line);
#define LPNN_MPI(call) ::lpnn::mpi_check((call), #call, __FILE__, __LINE__)

// Collective on `comm`. Throws the same lpnn::CollectiveError on every rank when any rank's `error`
// is non-empty: the lowest failing rank's message, prefixed "rank R failed while `what`" when R is
// not rank 0.
void throw_if_any_failed(MPI_Comm comm, const std::string& error, const std::string& what);
// Collective: `root`'s `text` on every rank.
void broadcast_string(MPI_Comm comm, std::string& text, int root = 0);
// Collective: throws rank 0's `error` (ignored elsewhere; empty: no error) on every rank.
void throw_if_root_failed(MPI_Comm comm, std::string error);

}  // namespace lpnn
