// The exhaustive grid-search oracle: the best parameter grid point for a data set, found by direct
// evaluation of the network, or of the rounded network for a chain polytope (not through the cost
// template or any LP), in parallel over ranks.
// It equals the LP optimum over the data set's face (README, The polytope / Faces and exactness).
#pragma once

#include <mpi.h>

#include <cstdint>

#include "lpnn/arch/architecture.hpp"
#include "lpnn/arch/grid.hpp"
#include "lpnn/solve/dataset.hpp"
#include "lpnn/solve/evaluate.hpp"
#include "lpnn/solve/rounded.hpp"

namespace lpnn {

struct GridSearchResult {
  std::int64_t best_point = -1;  // a, mixed radix over the parameter grid (smallest a among ties)
  double objective = 0.0;        // (1/D') Σ_d ℓ(f(ξ(s_d), θ(a)), η(t_d)) + λ_R·R(θ(a))
  std::int64_t evaluations = 0;
  double seconds = 0.0;
};

// `data` must be in the box; it is rounded onto the input/output grids first, as the face is. With
// `rounded`, each grid point is evaluated by the rounded network (a chain polytope's semantics,
// solve/rounded.hpp) instead of the network.
GridSearchResult grid_search(MPI_Comm comm, const Architecture& arch, const GridSpec& grid, const Dataset& data,
                             const RoundedNetwork* rounded = nullptr);

}  // namespace lpnn
