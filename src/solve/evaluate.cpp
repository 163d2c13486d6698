#include "lpnn/solve/evaluate.hpp"

namespace lpnn {

Dataset round_to_grid(const Dataset& data, const GridSpec& grid) {
  const Grid gx(grid.input), gy(grid.output);
  Dataset out = data;
  for (double& v : out.x) v = gx.value(gx.round(v));
  for (double& v : out.y) v = gy.value(gy.round(v));
  return out;
}

Losses evaluate_losses(const Architecture& arch, std::span<const double> phi, const Dataset& data) {
  Losses losses;
  for (std::int64_t d = 0; d < data.samples; ++d)
    losses.data_loss += arch.sample_loss(data.input(d), phi, data.output(d));
  losses.data_loss /= static_cast<double>(data.samples);
  losses.regularization = arch.regularization(phi);
  return losses;
}

}  // namespace lpnn
