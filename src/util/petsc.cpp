#include "lpnn/util/petsc.hpp"

#include "lpnn/util/error.hpp"

namespace lpnn {

void petsc_check(PetscErrorCode code, const char* call, const char* file, int line) {
  if (code == 0) return;
  const char* text = nullptr;
  char* specific = nullptr;
  PetscErrorMessage(code, &text, &specific);
  fail("PETSc error {} in {} ({}:{}): {}{}{}", static_cast<int>(code), call, file, line, text ? text : "",
       specific ? ": " : "", specific ? specific : "");
}

PetscSession::PetscSession(int* argc, char*** argv, const char* help) {
  const PetscErrorCode code = PetscInitialize(argc, argv, nullptr, help);
  if (code) throw Error("PetscInitialize failed");
  // Return errors to the caller silently; lpnn::Error reports them once, on the rank that saw them.
  PetscPushErrorHandler(PetscReturnErrorHandler, nullptr);
}

PetscSession::~PetscSession() { PetscFinalize(); }

}  // namespace lpnn
