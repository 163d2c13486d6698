// Phases that can fail on some ranks and not others, and the test-only faults that reach each one.
//
// A phase runs rank-locally and catches whatever it throws (lpnn::Error, a failed allocation, any
// std::exception) into a message; then the ranks agree (one small allreduce, util/mpi.hpp) before
// the collective that follows. A failure is thus raised on every rank as one CollectiveError, "rank R
// failed while PHASE: MESSAGE", which rank 0 reports. A rank whose failure its peers never come to
// agree on (they are stuck in a collective) aborts the job with that message after a deadline.
#pragma once

#include <mpi.h>

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

namespace lpnn {

// The phase this thread is in, for a failure that escapes every agreement (tool_common reports it).
class PhaseScope {
 public:
  explicit PhaseScope(std::string what);
  ~PhaseScope();
  PhaseScope(const PhaseScope&) = delete;
  PhaseScope& operator=(const PhaseScope&) = delete;

 private:
  std::string previous_;
  int uncaught_;
};
// The phase this thread is in or, after an exception left it, the innermost phase it left; empty
// outside every phase.
const std::string& current_phase();

// Runs `body` and returns what went wrong on this rank ("" if nothing): lpnn::Error's message,
// "out of memory ..." for std::bad_alloc, any other std::exception's message.
std::string capture_failure(const std::function<void()>& body);

// Collective on `comm`. Runs `body` as phase `what` (fault key `key`), then agrees: throws
// CollectiveError on every rank when any rank failed. `body` may hold collectives only if a failure
// inside them is the same on every rank; a rank-local failure there ends in the deadline's abort.
void run_phase(MPI_Comm comm, std::string_view key, const std::string& what, const std::function<void()>& body,
               std::int64_t step = -1);

// run_phase inside the PETSc log stage "lpnn: KEY", so that -log_view shows each phase of training and
// loading (load, checksums, face, solve, ...) beside the build's stages (template, generate, assemble,
// write). Keys must differ from the build's stage names: a stage pushed inside itself counts twice.
void run_logged_phase(MPI_Comm comm, std::string_view key, const std::string& what, const std::function<void()>& body);

// Test-only fault injection through the PETSc options database:
//   -lpnn_fault error|oom|unagreed|stranded -lpnn_fault_rank R -lpnn_fault_phase KEY [-lpnn_fault_step S]
// error: rank R throws lpnn::Error at the start of phase KEY (step S of a stepped phase); oom: throws
// std::bad_alloc there; unagreed: throws past every agreement (as a failure inside a collective would),
// so the tool aborts the job; stranded: rank R fails while its peers get stuck (they sleep instead of
// agreeing), so rank R's deadline ends the job. Every rank reads the same options, so all agree whether a fault is
// planned.
struct PhaseFault {
  enum class Kind { None, Error, Oom, Unagreed, Stranded } kind = Kind::None;
  int rank = 0;
  std::string phase;
  std::int64_t step = -1;
  static const PhaseFault& current();  // read once from the options database
};

// The exception kind "unagreed" throws: deliberately no std::exception, so no phase catches it.
struct UnagreedFault {
  std::string message;
};

}  // namespace lpnn
