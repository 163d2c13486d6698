// Lipschitz constants of g(x, y, φ) = ℓ(f(x, φ), y) in the ∞-norm over the box [-1,1]^(n+m+N)
// (README, The polytope / Error bound): L = sup ||∇g||_1, so rounding every coordinate by at most h moves g by at most
// L·h.
#pragma once

#include <cstdint>

#include "lpnn/arch/architecture.hpp"
#include "lpnn/arch/grid.hpp"

namespace lpnn {

// The BMP bound (Sec. 4, App. G): pre-activation bounds U_i = w_i·U_{i-1} + 1 (U_0 = 1, w_i the
// fan-in, +1 only with biases), carried through the gradient: G_i = w_i·G_{i-1} + w_i·U_{i-1} + 1
// (G_0 = 1). Loss factors per output: squared 2(U_k+1)(G_k+1), absolute G_k+1, hinge G_k+U_k.
double bmp_lipschitz_bound(const Architecture& arch);

// The regularizer's share of L: sup over the box of ||∇(λ_R·R(φ))||_1, λ_R·N for R = ||φ||_1 and
// 2·λ_R·N for R = ||φ||_2². Rounding φ by h moves λ_R·R by at most this times h, so the L that ε and
// K are derived from is the loss term's bound plus this.
double regularizer_lipschitz_bound(const Architecture& arch);

struct NumericLipschitz {
  double bound = 0.0;      // a true upper bound on sup ||∇g||_1 over the box
  std::int64_t boxes = 0;  // sub-boxes evaluated
};

// Interval forward-mode enclosure of ∇g over sub-boxes, refined by bisection of the sub-box with the
// largest bound until `max_boxes` enclosures were computed. Every leaf's enclosure bounds ||∇g||_1 on
// that leaf (Clarke gradients at the kinks of relu/abs included), so the maximum over leaves bounds L.
NumericLipschitz numeric_lipschitz_bound(const Architecture& arch, std::int64_t max_boxes = 2000);

// ε guaranteed by a grid: 2·L·h with h = 1/(K-1) of the coarsest group (data + parameter rounding).
double epsilon_of_grid(double lipschitz, const GridSpec& grid);
// Smallest K with 2·L/(K-1) <= ε. Throws for ε <= 0.
std::int64_t grid_for_epsilon(double lipschitz, double epsilon);

}  // namespace lpnn
