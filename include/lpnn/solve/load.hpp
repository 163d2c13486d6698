// Loading a prebuilt polytope into PETSc objects from your own program: the public entry point for
// "build once, train on many data sets" outside lpnn's tools (README, Use lpnn from your own code).
//
//   lpnn::Polytope p = lpnn::load_polytope(PETSC_COMM_WORLD, "poly.h5");   // A, b, c: min cᵀx, Ax = b, x ≥ 0
//   lpnn::FaceLp f = lpnn::load_face(p, lpnn::read_dataset("train.csv", p.layout().n, p.layout().m));
//   // the face: min f.cᵀx, A x = b, f.lower ≤ x ≤ f.upper; its optimum is the best grid network
//
// Both calls are collective on the communicator and throw lpnn::Error (the same on every rank) with a
// message for the user when the file or the data is unusable; nothing is left half-loaded.
#pragma once

#include <mpi.h>

#include <optional>
#include <span>
#include <string>
#include <vector>

#include "lpnn/hdf5/format.hpp"
#include "lpnn/solve/dataset.hpp"
#include "lpnn/solve/face.hpp"
#include "lpnn/util/petsc.hpp"

namespace lpnn {

struct LoadOptions {
  bool verify_checksums = true;         // every dataset's CRC-32 against the file's record (in parallel)
  std::optional<double> memory_budget;  // bytes per rank; a larger /A is refused before loading
};

// The full-data LP of a polytope file: minimize cᵀx subject to A x = b, x ≥ 0 (every row an equality).
// Rows and columns follow the canonical layout (bags/layout.hpp): X[a] at column a, λ^d[j] at
// M + d·B + j; sample d's convexity row at d(1+M), its consistency rows after it. A chain file
// (layout().block non-null): the root's M columns, then sample d's block at M + d·c1, its rows at d·r1
// (bags/sample_block.hpp); load_face sets its face too (solve/face.hpp).
struct Polytope {
  OwnedMat A;             // rows x columns, MATAIJ, rows distributed as MatLoad chose
  OwnedVec b;             // right-hand sides (/lp/b), laid out like A's rows (MatCreateVecs' left vector)
  OwnedVec c;             // objective (/lp/c), laid out like A's columns (MatCreateVecs' right vector)
  PolytopeMetadata meta;  // spec, layout (sizes), Lipschitz constants
  std::string path;

  const PolytopeLayout& layout() const { return meta.layout; }
};

// Collective: the checks lpnn-info makes (format, version, completeness, sizes against the spec and
// every dataset's length, the memory plan; CRC-32s unless options say not), then A, b and c on `comm`.
Polytope load_polytope(MPI_Comm comm, const std::string& path, const LoadOptions& options = {});

// The face of a data set, on the polytope's A and b: objective and column bounds (lower is 0).
struct FaceLp {
  Face face;   // the data's grid points (s_d, t_d)
  OwnedVec c;  // face objective, laid out like Polytope::c
  OwnedVec lower, upper;
  FaceMode mode = FaceMode::Bounds;
  double penalty = 0.0;  // FaceMode::Penalty: the cost of an off-face λ
};

// Collective: the face of `data` (in the box [-1, 1]; binary data for a binary network). Throws
// lpnn::Error when the data's dimensions differ from the polytope's or it has more than D samples.
FaceLp load_face(const Polytope& polytope, const Dataset& data, FaceMode mode = FaceMode::Bounds);

// The pieces load_polytope, load_face, lpnn-train and lpnn-export share.
// Rank-local: the face of `data` on a checked polytope file, with what its objective is made of.
struct FaceInputs {
  Face face;
  std::vector<double> cost_template;  // /template/cost, B entries
  std::vector<double> x_costs;        // λ_R·R(θ(a)), M entries
};
FaceInputs prepare_face(const PolytopeMetadata& meta, const std::string& path, const Dataset& data);
// Collective: /A, /lp/b and /lp/c of an already-checked file.
void load_lp_objects(MPI_Comm comm, const std::string& path, const PolytopeLayout& layout, Polytope& out);
// Rank-local: the face's objective and upper bounds on this rank's columns of c and upper.
void fill_face_columns(const PolytopeLayout& layout, const Face& face, const FaceObjective& objective,
                       std::span<const double> cost_template, std::span<const double> x_costs, Vec c, Vec upper);

}  // namespace lpnn
