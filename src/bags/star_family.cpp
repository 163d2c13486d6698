#include "lpnn/bags/star_family.hpp"

#include <fmt/format.h>

#include <vector>

namespace lpnn {

BagFamily family_root(const Architecture& arch, const GridSpec& grid, const std::string& name) {
  BagFamily f;
  f.name = name;
  std::vector<std::int64_t> phi;
  for (std::int64_t i = 0; i < arch.parameters(); ++i)
    phi.push_back(f.add_variable({"phi[" + std::to_string(i) + "]", VariableKind::Parameter, grid.param}));
  f.add_bag({"root", phi, -1});
  if (arch.regularizer().kind != RegularizerKind::None) {
    const Grid gp(grid.param);
    f.costs.push_back({"regularizer", phi, 0, 1.0, [&arch, gp](std::span<const std::int64_t> a) {
                         std::vector<double> theta(a.size());
                         for (std::size_t i = 0; i < a.size(); ++i) theta[i] = gp.value(a[i]);
                         return arch.regularization(theta);
                       }});
  }
  return f;
}

// Bag d = (φ, x^d_0..x^d_{n-1}, y^d_0..y^d_{m-1}): its free variables in this order give the layout's
// local index j = (a·K_x^n + s)·K_y^m + t. Cost (1/D)·ℓ(f(ξ(s), θ(a)), η(t)).
BagFamily star_family(const Architecture& arch, const GridSpec& grid, std::int64_t samples) {
  BagFamily f = family_root(arch, grid, "star");
  const std::vector<std::int64_t> phi = f.bags[0].variables;
  const std::int64_t n = arch.inputs(), m = arch.outputs();
  const Grid gp(grid.param), gx(grid.input), gy(grid.output);
  for (std::int64_t d = 0; d < samples; ++d) {
    std::vector<std::int64_t> vars = phi;
    for (std::int64_t k = 0; k < n; ++k)
      vars.push_back(f.add_variable(
          {fmt::format("x[{}][{}]", d, k), VariableKind::Input, grid.input, d, k}));
    for (std::int64_t k = 0; k < m; ++k)
      vars.push_back(f.add_variable(
          {fmt::format("y[{}][{}]", d, k), VariableKind::Label, grid.output, d, k}));
    const std::int64_t bag = f.add_bag({fmt::format("sample {}", d), vars, 0});
    const std::int64_t N = static_cast<std::int64_t>(phi.size());
    f.costs.push_back({fmt::format("loss of sample {}", d), vars, bag, 1.0 / static_cast<double>(samples),
                       [&arch, gp, gx, gy, N, n, m](std::span<const std::int64_t> a) {
                         std::vector<double> theta(N), xi(n), eta(m), z(m);
                         for (std::int64_t i = 0; i < N; ++i) theta[i] = gp.value(a[i]);
                         for (std::int64_t i = 0; i < n; ++i) xi[i] = gx.value(a[N + i]);
                         for (std::int64_t i = 0; i < m; ++i) eta[i] = gy.value(a[N + n + i]);
                         arch.evaluate<double>(xi, theta, z);
                         return arch.loss_value<double>(z, eta);
                       }});
  }
  return f;
}

}  // namespace lpnn
