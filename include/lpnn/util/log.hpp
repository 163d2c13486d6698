// PETSc logging for lpnn's phases: one log stage per pipeline phase (template, generate, assemble,
// write, ...) and events for hot kernels, so that -log_view explains a run, plus the wall seconds
// lpnn reports itself.
#pragma once

#include <petsclog.h>

#include <chrono>

namespace lpnn {

// The log stage called `name`, registered on first use (PETSc stages are per process).
PetscLogStage log_stage(const char* name);
// The log event called `name` (class "lpnn"), registered on first use.
PetscLogEvent log_event(const char* name);

// Wall seconds of a scope, added to `seconds` when it ends.
class WallTimer {
 public:
  explicit WallTimer(double& seconds) : seconds_(seconds), start_(std::chrono::steady_clock::now()) {}
  ~WallTimer() { seconds_ += std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count(); }
  WallTimer(const WallTimer&) = delete;
  WallTimer& operator=(const WallTimer&) = delete;

 private:
  double& seconds_;
  std::chrono::steady_clock::time_point start_;
};

// A scope inside a PETSc log stage, its wall time added to `seconds`.
class StageScope {
 public:
  StageScope(PetscLogStage stage, double& seconds);
  ~StageScope();
  StageScope(const StageScope&) = delete;
  StageScope& operator=(const StageScope&) = delete;

 private:
  WallTimer timer_;
};

// A scope inside a PETSc log event, its wall time added to `seconds`.
class EventScope {
 public:
  EventScope(PetscLogEvent event, double& seconds);
  ~EventScope();
  EventScope(const EventScope&) = delete;
  EventScope& operator=(const EventScope&) = delete;

 private:
  PetscLogEvent event_;
  WallTimer timer_;
};

}  // namespace lpnn
