// An lpnn consumer: loads a prebuilt polytope into PETSc objects with lpnn::load_polytope, optionally
// forms the face of a data set, and uses them as any PETSc program would. Prints one JSON object (rank 0).
//
//   mpirun -n 2 lpnn-consumer poly.h5              sizes of A, b, c
//   mpirun -n 2 lpnn-consumer poly.h5 train.csv    and the face: free columns, a feasible point's residual
//   ... -mat_type aijperm -vec_type mpi            PETSc options reach the loaded objects
#include <cmath>
#include <iostream>
#include <lpnn/lpnn.hpp>
#include <nlohmann/json.hpp>

namespace {

// Free columns (upper bound > 0) of the face, over all ranks.
std::int64_t count_free(Vec upper) {
  PetscInt n = 0;
  LPNN_PETSC(VecGetLocalSize(upper, &n));
  const PetscScalar* u = nullptr;
  LPNN_PETSC(VecGetArrayRead(upper, &u));
  std::int64_t free = 0;
  for (PetscInt k = 0; k < n; ++k) free += u[k] > 0 ? 1 : 0;
  LPNN_PETSC(VecRestoreArrayRead(upper, &u));
  std::int64_t total = 0;
  MPI_Allreduce(&free, &total, 1, MPI_INT64_T, MPI_SUM, PetscObjectComm(reinterpret_cast<PetscObject>(upper)));
  return total;
}

// The face's vertex X = e_a (a = 0): λ^d = e_(a, s_d, t_d) on used bags, e_(a, 0, 0) on unused ones.
// It satisfies A x = b; returns ‖A x − b‖∞ and cᵀx (the face objective of grid point a).
std::pair<double, double> vertex_check(const lpnn::Polytope& p, const lpnn::FaceLp& f) {
  const lpnn::PolytopeLayout& l = p.layout();
  lpnn::OwnedVec x, r;
  LPNN_PETSC(VecDuplicate(p.c, x.out()));
  LPNN_PETSC(VecDuplicate(p.b, r.out()));
  LPNN_PETSC(VecSet(x, 0.0));
  PetscInt first = 0, last = 0;
  LPNN_PETSC(VecGetOwnershipRange(x, &first, &last));
  const std::int64_t a = 0;
  auto set = [&](std::int64_t column) {
    if (column >= first && column < last) LPNN_PETSC(VecSetValue(x, column, 1.0, INSERT_VALUES));
  };
  set(l.x_column(a));
  for (std::int64_t d = 0; d < l.D; ++d) {
    const bool used = d < f.face.samples;
    set(l.lambda_column(d, l.local_index(a, used ? f.face.input_point[d] : 0, used ? f.face.output_point[d] : 0)));
  }
  LPNN_PETSC(VecAssemblyBegin(x));
  LPNN_PETSC(VecAssemblyEnd(x));
  LPNN_PETSC(MatMult(p.A, x, r));
  LPNN_PETSC(VecAXPY(r, -1.0, p.b));
  double residual = 0, objective = 0;
  LPNN_PETSC(VecNorm(r, NORM_INFINITY, &residual));
  LPNN_PETSC(VecDot(f.c, x, &objective));
  return {residual, objective};
}

// The PETSc type name of a Mat or Vec (-mat_type, -vec_type).
template <typename Object>
std::string object_type(Object object) {
  const char* type = nullptr;
  LPNN_PETSC(PetscObjectGetType(reinterpret_cast<PetscObject>(object), &type));
  return type;
}

int run(int argc, char** argv) {
  MPI_Comm comm = PETSC_COMM_WORLD;
  lpnn::Polytope p = lpnn::load_polytope(comm, argv[1]);
  PetscInt rows = 0, cols = 0, b_size = 0, c_size = 0;
  MatInfo info{};
  LPNN_PETSC(MatGetSize(p.A, &rows, &cols));
  LPNN_PETSC(MatGetInfo(p.A, MAT_GLOBAL_SUM, &info));
  LPNN_PETSC(VecGetSize(p.b, &b_size));
  LPNN_PETSC(VecGetSize(p.c, &c_size));
  double b_sum = 0;
  LPNN_PETSC(VecSum(p.b, &b_sum));
  int ranks = 1;
  MPI_Comm_size(comm, &ranks);
  nlohmann::json out{{"ranks", ranks},
                     {"rows", rows},
                     {"columns", cols},
                     {"nonzeros", static_cast<std::int64_t>(info.nz_used)},
                     {"b_size", b_size},
                     {"c_size", c_size},
                     {"b_sum", b_sum},
                     {"samples", p.layout().D},
                     {"M", p.layout().M},
                     {"B", p.layout().B},
                     {"petsc_int_bytes", sizeof(PetscInt)},
                     {"mat_type", object_type(p.A.get())},
                     {"vec_type", object_type(p.b.get())}};
  if (argc > 2 && argv[2][0] != '-') {  // PETSc options (-mat_type ...) stay in argv
    const lpnn::Dataset data = lpnn::read_dataset(argv[2], p.layout().n, p.layout().m);
    const lpnn::FaceLp f = lpnn::load_face(p, data);
    const auto [residual, objective] = vertex_check(p, f);
    out["face"] = {{"samples", f.face.samples},
                   {"free_columns", count_free(f.upper)},
                   {"vertex_residual", residual},
                   {"vertex_objective", objective}};
  }
  int rank = 0;
  MPI_Comm_rank(comm, &rank);
  if (rank == 0) std::cout << out.dump() << std::endl;
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (PetscInitialize(&argc, &argv, nullptr, nullptr) != 0) return 1;
  int code = 0;
  if (argc < 2 || argv[1][0] == '-') {
    std::cerr << "usage: lpnn-consumer POLYTOPE.h5 [DATA.csv]\n";
    code = 2;
  } else {
    try {
      code = run(argc, argv);
    } catch (const std::exception& e) {  // lpnn::Error: the same message on every rank
      std::cerr << "lpnn-consumer: error: " << e.what() << "\n";
      code = 1;
    }
  }
  PetscFinalize();
  return code;
}
