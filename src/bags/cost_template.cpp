#include "lpnn/bags/cost_template.hpp"

namespace lpnn {

void compute_cost_template(const Architecture& arch, const PolytopeLayout& layout, std::int64_t first,
                           std::span<double> out) {
  const Grid gp(layout.grid.param), gx(layout.grid.input), gy(layout.grid.output);
  std::vector<double> theta(layout.N), xi(layout.n), eta(layout.m), z(layout.m);
  std::int64_t cached_as = -1;  // (a·Sx + s) whose f is in z
  for (std::size_t k = 0; k < out.size(); ++k) {
    const std::int64_t j = first + static_cast<std::int64_t>(k);
    const std::int64_t as = j / layout.Sy, t = j % layout.Sy;
    if (as != cached_as) {
      grid_point(gp, as / layout.Sx, theta);
      grid_point(gx, as % layout.Sx, xi);
      arch.evaluate<double>(xi, theta, z);
      cached_as = as;
    }
    grid_point(gy, t, eta);
    out[k] = arch.loss_value<double>(z, eta);
  }
}

void compute_regularizer_costs(const Architecture& arch, const PolytopeLayout& layout, std::int64_t first,
                               std::span<double> out) {
  const Grid gp(layout.grid.param);
  std::vector<double> theta(layout.N);
  for (std::size_t k = 0; k < out.size(); ++k) {
    grid_point(gp, first + static_cast<std::int64_t>(k), theta);
    out[k] = arch.regularization(theta);
  }
}

}  // namespace lpnn
