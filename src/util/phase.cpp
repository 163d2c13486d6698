#include "lpnn/util/phase.hpp"

#include <petscsys.h>

#include <chrono>
#include <exception>
#include <new>
#include <thread>
#include <utility>

#include "lpnn/util/error.hpp"
#include "lpnn/util/log.hpp"
#include "lpnn/util/mpi.hpp"

namespace lpnn {

namespace {
thread_local std::string phase_now;
thread_local std::string phase_unwound;  // the innermost phase an exception left
}  // namespace

PhaseScope::PhaseScope(std::string what)
    : previous_(std::exchange(phase_now, std::move(what))), uncaught_(std::uncaught_exceptions()) {
  // A new phase starts after every earlier failure was handled.
  agreed_error_in_flight = false;
  phase_unwound.clear();
}
PhaseScope::~PhaseScope() {
  if (std::uncaught_exceptions() > uncaught_ && phase_unwound.empty()) phase_unwound = phase_now;
  phase_now = std::move(previous_);
}
const std::string& current_phase() { return phase_now.empty() ? phase_unwound : phase_now; }

std::string capture_failure(const std::function<void()>& body) {
  try {
    body();
  } catch (const std::bad_alloc&) {
    return "out of memory (a memory allocation failed; use more ranks or nodes, or a smaller grid or sample "
           "count; lpnn-build also builds streamed, without --assembled, in smaller --chunk-nonzeros)";
  } catch (const std::exception& e) {
    const std::string text = e.what();
    return text.empty() ? std::string("unknown error") : text;
  }
  return {};
}

const PhaseFault& PhaseFault::current() {
  static const PhaseFault fault = [] {
    PhaseFault f;
    char kind[16] = "", phase[64] = "";
    PetscBool kind_set = PETSC_FALSE, phase_set = PETSC_FALSE;
    PetscInt rank = 0, step = -1;
    // Outside a PETSc session (library callers, unit tests) there are no options: no fault.
    PetscBool initialized = PETSC_FALSE;
    if (PetscInitialized(&initialized) || !initialized) return f;
    if (PetscOptionsGetString(nullptr, nullptr, "-lpnn_fault_phase", phase, sizeof phase, &phase_set) || !phase_set)
      return f;
    if (PetscOptionsGetString(nullptr, nullptr, "-lpnn_fault", kind, sizeof kind, &kind_set) || !kind_set) return f;
    PetscOptionsGetInt(nullptr, nullptr, "-lpnn_fault_rank", &rank, nullptr);
    PetscOptionsGetInt(nullptr, nullptr, "-lpnn_fault_step", &step, nullptr);
    const std::string k = kind;
    f.kind = k == "error"      ? Kind::Error
             : k == "oom"      ? Kind::Oom
             : k == "unagreed" ? Kind::Unagreed
             : k == "stranded" ? Kind::Stranded
                               : Kind::None;
    if (f.kind == Kind::None)
      fail("-lpnn_fault with -lpnn_fault_phase must be error, oom, unagreed or stranded, not \"{}\"", k);
    f.rank = static_cast<int>(rank);
    f.phase = phase;
    f.step = step;
    return f;
  }();
  return fault;
}

namespace {

// The planned fault at the start of phase `key`, before anything of the phase runs.
void inject(MPI_Comm comm, std::string_view key, std::int64_t step) {
  const PhaseFault& fault = PhaseFault::current();
  if (fault.kind == PhaseFault::Kind::None || key != fault.phase || (fault.step >= 0 && fault.step != step)) return;
  int rank = 0;
  LPNN_MPI(MPI_Comm_rank(comm, &rank));
  const std::string injected = fmt::format("injected failure (-lpnn_fault at phase {}{})", fault.phase,
                                           step >= 0 ? fmt::format(", step {}", step) : std::string());
  // A stranded rank's peers are stuck elsewhere (as in a collective it left): they never come.
  if (fault.kind == PhaseFault::Kind::Stranded && rank != fault.rank)
    for (;;) std::this_thread::sleep_for(std::chrono::seconds(1));
  if (rank != fault.rank) return;
  switch (fault.kind) {
    case PhaseFault::Kind::Error:
    case PhaseFault::Kind::Stranded:
      throw Error(injected);
    case PhaseFault::Kind::Oom:
      throw std::bad_alloc();
    case PhaseFault::Kind::Unagreed:
      throw UnagreedFault{fmt::format("a failure no agreement caught ({})", injected)};
    case PhaseFault::Kind::None:
      break;
  }
}

}  // namespace

void run_phase(MPI_Comm comm, std::string_view key, const std::string& what, const std::function<void()>& body,
               std::int64_t step) {
  PhaseScope scope(what);
  std::string error = capture_failure([&] { inject(comm, key, step); });
  // An injected fault is agreed on before the body, whose collectives the failing rank would miss.
  if (PhaseFault::current().kind != PhaseFault::Kind::None) throw_if_any_failed(comm, error, what);
  error = capture_failure(body);
  throw_if_any_failed(comm, error, what);
}

void run_logged_phase(MPI_Comm comm, std::string_view key, const std::string& what, const std::function<void()>& body) {
  double seconds = 0.0;
  const StageScope stage(log_stage(("lpnn: " + std::string(key)).c_str()), seconds);
  run_phase(comm, key, what, body);
}

}  // namespace lpnn
