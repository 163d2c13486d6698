#include "lpnn/solve/load.hpp"

#include <petscviewerhdf5.h>

#include "lpnn/bags/cost_template.hpp"
#include "lpnn/bags/planner.hpp"
#include "lpnn/hdf5/checksum.hpp"
#include "lpnn/hdf5/reader.hpp"
#include "lpnn/util/error.hpp"
#include "lpnn/util/log.hpp"
#include "lpnn/util/mpi.hpp"
#include "lpnn/util/phase.hpp"

namespace lpnn {

namespace {

// VecLoad of /lp/NAME into `v` (sized and laid out by MatCreateVecs).
void load_lp_vector(MPI_Comm comm, const std::string& path, const char* name, Vec v) {
  OwnedViewer viewer;
  LPNN_PETSC(PetscViewerHDF5Open(comm, path.c_str(), FILE_MODE_READ, viewer.out()));
  LPNN_PETSC(PetscViewerHDF5PushGroup(viewer, "/lp"));
  LPNN_PETSC(PetscObjectSetName(reinterpret_cast<PetscObject>(v), name));
  LPNN_PETSC(VecLoad(v, viewer));
  LPNN_PETSC(PetscViewerHDF5PopGroup(viewer));
}

}  // namespace

void load_lp_objects(MPI_Comm comm, const std::string& path, const PolytopeLayout& layout, Polytope& out) {
  out.A = load_constraint_matrix(comm, path, layout);
  LPNN_PETSC(MatCreateVecs(out.A, out.c.out(), out.b.out()));
  // The matrix's vector type by default; -vec_type from the options database last.
  LPNN_PETSC(VecSetFromOptions(out.c));
  LPNN_PETSC(VecSetFromOptions(out.b));
  load_lp_vector(comm, path, "b", out.b);
  load_lp_vector(comm, path, "c", out.c);
}

Polytope load_polytope(MPI_Comm comm, const std::string& path, const LoadOptions& options) {
  int ranks = 1;
  LPNN_MPI(MPI_Comm_size(comm, &ranks));
  Polytope p;
  p.path = path;
  // 1. Metadata, sizes and the memory plan, on every rank alone, then agreed (as lpnn-info).
  run_logged_phase(comm, "metadata", "reading the metadata of " + path, [&] {
    p.meta = read_polytope_metadata(path, Families::Any);
    const LoadPlan plan =
        plan_matrix_load(p.meta.layout, ranks, static_cast<int>(sizeof(PetscInt)), options.memory_budget);
    if (!plan.refusal.empty()) fail("refused: {}", plan.refusal);
  });
  // 2. Checksums in parallel (throws the same CollectiveError everywhere on damage).
  if (options.verify_checksums) {  // its own agreement; in a stage for -log_view
    double seconds = 0.0;
    const StageScope stage(log_stage("lpnn: checksums"), seconds);
    verify_polytope_checksums(comm, path);
  }
  // 3. A, b, c. MatLoad's own failures are PETSc errors raised on every rank alike.
  double seconds = 0.0;
  const StageScope stage(log_stage("lpnn: load"), seconds);
  load_lp_objects(comm, path, p.meta.layout, p);
  return p;
}

void fill_face_columns(const PolytopeLayout& layout, const Face& face, const FaceObjective& objective,
                       std::span<const double> cost_template, std::span<const double> x_costs, Vec c, Vec upper) {
  PetscInt first = 0, last = 0;
  LPNN_PETSC(VecGetOwnershipRange(c, &first, &last));
  PetscScalar *cost = nullptr, *up = nullptr;
  LPNN_PETSC(VecGetArray(c, &cost));
  LPNN_PETSC(VecGetArray(upper, &up));
  const auto n = static_cast<std::size_t>(last - first);
  objective.columns(layout, face, cost_template, x_costs, first, {cost, n}, {up, n});
  LPNN_PETSC(VecRestoreArray(c, &cost));
  LPNN_PETSC(VecRestoreArray(upper, &up));
}

FaceInputs prepare_face(const PolytopeMetadata& meta, const std::string& path, const Dataset& data) {
  // Binary networks are never trained on silently rounded data; others need data in the grid's box.
  if (meta.arch.binary())
    require_binary(data);
  else
    require_in_box(data);
  FaceInputs in;
  in.face = Face::of(meta.layout, data);
  in.cost_template = read_double_dataset(path, "/template/cost");
  in.x_costs.resize(static_cast<std::size_t>(meta.layout.M));
  compute_regularizer_costs(meta.arch, meta.layout, 0, in.x_costs);
  return in;
}

FaceLp load_face(const Polytope& polytope, const Dataset& data, FaceMode mode) {
  MPI_Comm comm = PetscObjectComm(reinterpret_cast<PetscObject>(polytope.A.get()));
  const PolytopeLayout& layout = polytope.layout();
  FaceLp f;
  f.mode = mode;
  // 1. The data's grid points and the cost template, rank-locally, then agreed.
  FaceInputs in;
  run_logged_phase(comm, "face", "forming the face of " + data.origin,
                   [&] { in = prepare_face(polytope.meta, polytope.path, data); });
  f.face = std::move(in.face);
  const std::vector<double>& cost_template = in.cost_template;
  const std::vector<double>& x_costs = in.x_costs;
  // 2. Vectors laid out like c, filled on each rank's own columns.
  const FaceObjective objective = FaceObjective::make(mode, cost_template, x_costs);
  f.penalty = objective.penalty;
  LPNN_PETSC(VecDuplicate(polytope.c, f.c.out()));
  LPNN_PETSC(VecDuplicate(polytope.c, f.lower.out()));
  LPNN_PETSC(VecDuplicate(polytope.c, f.upper.out()));
  LPNN_PETSC(VecSet(f.lower, 0.0));
  fill_face_columns(layout, f.face, objective, cost_template, x_costs, f.c, f.upper);
  return f;
}

}  // namespace lpnn
