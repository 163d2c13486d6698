// The baseline users would reach for instead of the LP: Adam on the continuous box [-1,1]^N (projected),
// from several random starts, on the unrounded data. Gradients are exact (forward-mode jets through the
// same Architecture::evaluate the LP's cost template uses), except through sign units, which use the
// straight-through estimator (derivative 1 on [-1, 1]): a heuristic. A binarized network's result is
// the sign of its trained latent weights.
#pragma once

#include <cstdint>
#include <vector>

#include "lpnn/arch/architecture.hpp"
#include "lpnn/solve/dataset.hpp"

namespace lpnn {

struct AdamOptions {
  std::int64_t starts = 20;
  std::int64_t iterations = 2000;
  double learning_rate = 0.05;
  std::uint64_t seed = 1;
};

struct AdamResult {
  std::vector<double> best_parameters;
  double best_loss = 0.0;            // data loss + regularization, best start
  std::vector<double> start_losses;  // final loss of every start
  double seconds = 0.0;
};

AdamResult train_adam(const Architecture& arch, const Dataset& data, const AdamOptions& options);

}  // namespace lpnn
