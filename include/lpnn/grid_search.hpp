// The exhaustive grid-search oracle: the best parameter grid point for a data set, found by direct
// evaluation of the network (not through the cost template or any LP), in parallel over ranks.
// By design doc §4 it equals the LP optimum over the data set's face.
#pragma once

#include <mpi.h>

#include <cstdint>

#include "lpnn/architecture.hpp"
#include "lpnn/dataset.hpp"
#include "lpnn/grid.hpp"

namespace lpnn {

struct GridSearchResult {
  std::int64_t best_point = -1;  // a, mixed radix over the parameter grid (smallest a among ties)
  double objective = 0.0;        // (1/D') Σ_d ℓ(f(ξ(s_d), θ(a)), η(t_d)) + λ_R·R(θ(a))
  std::int64_t evaluations = 0;
  double seconds = 0.0;
};

// `data` must be in the box; it is rounded onto the input/output grids first, as the face is.
GridSearchResult grid_search(MPI_Comm comm, const Architecture& arch, const GridSpec& grid, const Dataset& data);

// Mean loss of φ over a data set (no rounding) and the regularization term, separately.
struct Losses {
  double data_loss = 0.0;       // (1/D') Σ_d ℓ(f(x_d, φ), y_d)
  double regularization = 0.0;  // λ_R·R(φ)
  double total() const { return data_loss + regularization; }
};
Losses evaluate_losses(const Architecture& arch, std::span<const double> phi, const Dataset& data);

// The data set with every value replaced by its nearest grid value (the data the face sees).
Dataset round_to_grid(const Dataset& data, const GridSpec& grid);

}  // namespace lpnn
