// Training with a prebuilt polytope: HDF5 -> Mat -> face -> solver -> model (README, The polytope / Faces and
// exactness).
#pragma once

#include <mpi.h>

#include <optional>
#include <string>

#include "lpnn/solve/adam.hpp"
#include "lpnn/solve/face.hpp"
#include "lpnn/solve/model.hpp"
#include "lpnn/solve/solver.hpp"

namespace lpnn {

enum class TrainMethod { Lp, GridSearch, Adam };
enum class LpSolverKind { Clp, Pdhg };

struct TrainOptions {
  std::string polytope;
  std::string data;
  TrainMethod method = TrainMethod::Lp;
  LpSolverKind solver = LpSolverKind::Clp;
  FaceMode face = FaceMode::Bounds;
  bool scale_minmax = false;
  bool verify = false;                  // run the grid-search oracle beside the LP and fail if they disagree
  bool verify_checksums = true;         // CRC-32 of every dataset against the file's record, in parallel
  // Bytes per rank: loading /A (plan_matrix_load) before the data are read, then the whole LP run once
  // D' is known (plan_training: the face LP, Clp's gather to rank 0 or PDHG's iterates, X on every rank).
  std::optional<double> memory_budget;
  double clp_tolerance = 1e-9;
  PdhgOptions pdhg;
  AdamOptions adam;
};

// Collective on comm; every rank returns the same model. Throws lpnn::Error on bad input (data,
// polytope file) and when --verify finds a disagreement.
Model train(MPI_Comm comm, const TrainOptions& options);

// The tolerance within which an LP optimum must equal the oracle's, for the solver used.
double verification_tolerance(const TrainOptions& options, double oracle_objective);

}  // namespace lpnn
