// The baseline users would reach for instead of the LP: Adam on the continuous box [-1,1]^N (projected),
// from several random starts, on the unrounded data. Gradients are exact (forward-mode dual numbers
// through the same Architecture::evaluate the LP's cost template uses).
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
