// RAII owners for PETSc objects and the one check that turns a PETSc error into lpnn::Error at the
// C++ boundary (like PetscCallThrow), carrying PETSc's own message; and entries of a Vec fetched by index.
#pragma once

#include <petscmat.h>
#include <petscvec.h>

#include <string>
#include <utility>
#include <vector>

namespace lpnn {

// Throws lpnn::Error with PETSc's message when `code` is an error.
void petsc_check(PetscErrorCode code, const char* call, const char* file, int line);
#define LPNN_PETSC(call) ::lpnn::petsc_check((call), #call, __FILE__, __LINE__)

template <typename Handle, PetscErrorCode (*Destroy)(Handle*)>
class PetscOwner {
 public:
  PetscOwner() = default;
  explicit PetscOwner(Handle h) : handle_(h) {}
  PetscOwner(const PetscOwner&) = delete;
  PetscOwner& operator=(const PetscOwner&) = delete;
  PetscOwner(PetscOwner&& o) noexcept : handle_(std::exchange(o.handle_, nullptr)) {}
  PetscOwner& operator=(PetscOwner&& o) noexcept {
    if (this != &o) {
      reset();
      handle_ = std::exchange(o.handle_, nullptr);
    }
    return *this;
  }
  ~PetscOwner() { reset(); }
  void reset() {
    if (handle_) (void)Destroy(&handle_);
    handle_ = nullptr;
  }
  // Gives up the object without destroying it: for one whose destruction is collective, on a rank
  // that cannot know its peers will destroy it too.
  Handle release() { return std::exchange(handle_, nullptr); }
  Handle get() const { return handle_; }
  Handle* out() {
    reset();
    return &handle_;
  }
  operator Handle() const { return handle_; }  // NOLINT: pass straight to PETSc calls

 private:
  Handle handle_ = nullptr;
};

using OwnedMat = PetscOwner<Mat, MatDestroy>;
using OwnedVec = PetscOwner<Vec, VecDestroy>;
using OwnedIS = PetscOwner<IS, ISDestroy>;
using OwnedViewer = PetscOwner<PetscViewer, PetscViewerDestroy>;

// The entries of the distributed `v` at the global `indices` (on PETSC_COMM_SELF, any owner), on this
// rank, in the order of `indices`. Collective on v.
std::vector<double> values_at(Vec v, IS indices);
std::vector<double> values_at(Vec v, const std::vector<PetscInt>& indices);

// A MATSEQAIJ's CSR arrays, read-only, while this object lives: MatGetRowIJ and MatSeqAIJGetArrayRead,
// both given back in the destructor, also when an error unwinds past them.
class SeqAijCsr {
 public:
  explicit SeqAijCsr(Mat A);  // throws lpnn::Error if the matrix is not exposed as CSR
  ~SeqAijCsr();
  SeqAijCsr(const SeqAijCsr&) = delete;
  SeqAijCsr& operator=(const SeqAijCsr&) = delete;
  PetscInt rows() const { return rows_; }
  const PetscInt* row_start() const { return ia_; }  // rows() + 1 offsets into columns() and values()
  const PetscInt* columns() const { return ja_; }
  const PetscScalar* values() const { return values_; }

 private:
  Mat A_;
  PetscInt rows_ = 0;
  const PetscInt *ia_ = nullptr, *ja_ = nullptr;
  const PetscScalar* values_ = nullptr;
};

// An option from PETSc's options database, or `fallback` when it is not set or PETSc is not running
// (the library's tests build polytopes without it). Throws lpnn::Error, naming the option, for a value
// that is not a boolean, or an integer outside [least, most].
bool petsc_option_or(const char* name, bool fallback);
PetscInt petsc_option_or(const char* name, PetscInt fallback, PetscInt least, PetscInt most);

// PetscInitialize/PetscFinalize for tool mains and test mains. Errors go to lpnn::Error, not to
// PETSc's traceback handler, which can hang a failing collective.
class PetscSession {
 public:
  PetscSession(int* argc, char*** argv, const char* help = nullptr);
  ~PetscSession();
  PetscSession(const PetscSession&) = delete;
  PetscSession& operator=(const PetscSession&) = delete;
};

}  // namespace lpnn
