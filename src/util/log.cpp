#include "lpnn/util/log.hpp"

#include "lpnn/util/petsc.hpp"

namespace lpnn {

PetscLogStage log_stage(const char* name) {
  PetscLogStage stage = -1;
  LPNN_PETSC(PetscLogStageGetId(name, &stage));
  if (stage < 0) LPNN_PETSC(PetscLogStageRegister(name, &stage));
  return stage;
}

PetscLogEvent log_event(const char* name) {
  static const PetscClassId lpnn_class = [] {
    PetscClassId id = 0;
    LPNN_PETSC(PetscClassIdRegister("lpnn", &id));
    return id;
  }();
  PetscLogEvent event = -1;
  LPNN_PETSC(PetscLogEventGetId(name, &event));
  if (event < 0) LPNN_PETSC(PetscLogEventRegister(name, lpnn_class, &event));
  return event;
}

StageScope::StageScope(PetscLogStage stage, double& seconds) : timer_(seconds) { LPNN_PETSC(PetscLogStagePush(stage)); }
StageScope::~StageScope() { (void)PetscLogStagePop(); }

EventScope::EventScope(PetscLogEvent event, double& seconds) : event_(event), timer_(seconds) {
  (void)PetscLogEventBegin(event_, 0, 0, 0, 0);
}
EventScope::~EventScope() { (void)PetscLogEventEnd(event_, 0, 0, 0, 0); }

}  // namespace lpnn
