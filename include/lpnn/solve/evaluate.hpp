// A network's losses on a data set, evaluated directly (no grid, no LP), and data rounded onto the
// grids as a face sees it.
#pragma once

#include <span>

#include "lpnn/arch/architecture.hpp"
#include "lpnn/arch/grid.hpp"
#include "lpnn/solve/dataset.hpp"

namespace lpnn {

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
