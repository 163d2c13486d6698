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

SeqAijCsr::SeqAijCsr(Mat A) : A_(A) {
  PetscBool done = PETSC_FALSE;
  LPNN_PETSC(MatGetRowIJ(A_, 0, PETSC_FALSE, PETSC_FALSE, &rows_, &ia_, &ja_, &done));
  if (!done) fail("MatGetRowIJ could not expose the matrix as CSR");
  const PetscErrorCode code = MatSeqAIJGetArrayRead(A_, &values_);
  if (code != 0) {
    (void)MatRestoreRowIJ(A_, 0, PETSC_FALSE, PETSC_FALSE, &rows_, &ia_, &ja_, &done);
    LPNN_PETSC(code);
  }
}

SeqAijCsr::~SeqAijCsr() {
  PetscBool done = PETSC_FALSE;
  (void)MatSeqAIJRestoreArrayRead(A_, &values_);
  (void)MatRestoreRowIJ(A_, 0, PETSC_FALSE, PETSC_FALSE, &rows_, &ia_, &ja_, &done);
}

std::vector<double> values_at(Vec v, IS indices) {
  PetscInt n = 0;
  LPNN_PETSC(ISGetLocalSize(indices, &n));
  std::vector<double> out(static_cast<std::size_t>(n));
  OwnedVec local;  // over `out` itself: the scatter writes the answer in place
  LPNN_PETSC(VecCreateSeqWithArray(PETSC_COMM_SELF, 1, n, out.data(), local.out()));
  PetscOwner<VecScatter, VecScatterDestroy> scatter;
  LPNN_PETSC(VecScatterCreate(v, indices, local, nullptr, scatter.out()));
  LPNN_PETSC(VecScatterBegin(scatter, v, local, INSERT_VALUES, SCATTER_FORWARD));
  LPNN_PETSC(VecScatterEnd(scatter, v, local, INSERT_VALUES, SCATTER_FORWARD));
  return out;
}

std::vector<double> values_at(Vec v, const std::vector<PetscInt>& indices) {
  OwnedIS from;
  LPNN_PETSC(ISCreateGeneral(PETSC_COMM_SELF, static_cast<PetscInt>(indices.size()), indices.data(), PETSC_COPY_VALUES,
                             from.out()));
  return values_at(v, from);
}

PetscSession::PetscSession(int* argc, char*** argv, const char* help) {
  const PetscErrorCode code = PetscInitialize(argc, argv, nullptr, help);
  if (code) throw Error("PetscInitialize failed");
  // Return errors to the caller silently; lpnn::Error reports them once, on the rank that saw them.
  PetscPushErrorHandler(PetscReturnErrorHandler, nullptr);
}

PetscSession::~PetscSession() { PetscFinalize(); }

namespace {
bool petsc_running() {
  PetscBool initialized = PETSC_FALSE;
  return PetscInitialized(&initialized) == 0 && initialized;
}
}  // namespace

bool petsc_option_or(const char* name, bool fallback) {
  PetscBool value = fallback ? PETSC_TRUE : PETSC_FALSE, set = PETSC_FALSE;
  if (!petsc_running()) return fallback;
  if (PetscOptionsGetBool(nullptr, nullptr, name, &value, &set) != 0)
    fail("{}: expected true or false (or 1 or 0)", name);
  return set ? value == PETSC_TRUE : fallback;
}

PetscInt petsc_option_or(const char* name, PetscInt fallback, PetscInt least, PetscInt most) {
  PetscInt value = fallback;
  PetscBool set = PETSC_FALSE;
  if (!petsc_running()) return fallback;
  if (PetscOptionsGetInt(nullptr, nullptr, name, &value, &set) != 0 || (set && (value < least || value > most)))
    fail("{}: expected an integer from {} to {}", name, least, most);
  return value;
}

}  // namespace lpnn
