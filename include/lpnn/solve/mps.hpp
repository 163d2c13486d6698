// A polytope's LP, or the face of a data set, as free MPS for any LP solver (Gurobi, HiGHS, CPLEX,
// PDLP, GLPK, Clp), streamed from the polytope file one sample's block at a time, so memory stays at one
// bag (2B + M nonzeros) whatever D is. README, "lpnn-export", documents the names:
//   rows     obj (objective), conv_<d> (convexity of sample d), cons_<d>_<a> (consistency, grid point a)
//   columns  lam_<d>_<j> (λ^d[j], sample d's bag, written first, sample by sample), X_<a> (linking, last)
// Every row is an equality; every column is ≥ 0; the face fixes its off-face λ with FX bounds at 0
// (FaceMode::Bounds) or gives them the penalty cost (FaceMode::Penalty).
#pragma once

#include <cstdint>
#include <string>

#include "lpnn/hdf5/format.hpp"
#include "lpnn/solve/face.hpp"
#include "lpnn/solve/load.hpp"

namespace lpnn {

struct MpsReport {
  std::int64_t rows = 0, columns = 0, entries = 0;  // entries: matrix nonzeros written (COLUMNS)
  std::int64_t fixed_columns = 0;                   // FX bounds (the face's off-face λ)
  bool gzip = false;
};

// Rank-local. Writes the LP of the checked polytope file `polytope` (face == nullptr: the full-data LP
// min cᵀx, A x = b, x ≥ 0 as stored; else that face) to `out`, gzip-compressed (zlib) when `out` ends in
// ".gz". The file is written under a temporary name in the same directory and renamed into place only
// when complete: on any error `out` is untouched and no temporary is left. Throws lpnn::Error when the
// file's matrix is not the canonical layout or on I/O failures.
MpsReport write_mps(const std::string& polytope, const PolytopeMetadata& meta, const FaceInputs* face, FaceMode mode,
                    const std::string& out);

}  // namespace lpnn
