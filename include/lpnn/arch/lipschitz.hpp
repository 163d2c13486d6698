// Lipschitz constants of g(x, y, φ) = ℓ(f(x, φ), y) in the ∞-norm over the box [-1,1]^(n+m+N)
// (README, The polytope / Error bound): L = sup ||∇g||_1, so rounding every coordinate by at most h moves g by at most
// L·h.
#pragma once

#include <cstdint>

#include "lpnn/arch/architecture.hpp"
#include "lpnn/arch/grid.hpp"

namespace lpnn {

// The BMP bound (Sec. 4, App. G), neuron by neuron on the graph: a neuron's pre-activation bound is
// U_v = b_v + Σ_e |w_e|·U_source (b_v = 1 with a bias, |w_e| = 1 for a parameter, |c| for a constant
// weight; inputs have U = 1), carried through the gradient: G_v = b_v + Σ_e (|w_e|·G_source + U_source
// for parameter edges) (inputs G = 1); tanh caps U at 1. With U, G the largest over the outputs, the
// loss factors are: squared 2m(U+1)(G+1), absolute m(G+1), hinge and logistic m(G+U), cross-entropy
// 2mG + m(U + ln(m)/2). Dense layers give BMP's U_i = w·U_{i-1} + 1 with the width w; convolutions
// their fan-in Δ. Infinite for a network with sign units (not Lipschitz).
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
// Infinite for a network with sign units.
NumericLipschitz numeric_lipschitz_bound(const Architecture& arch, std::int64_t max_boxes = 2000);

// ε guaranteed by a grid: 2·L·h with h = 1/(K-1) of the coarsest group (data + parameter rounding).
double epsilon_of_grid(double lipschitz, const GridSpec& grid);
// The ε lpnn reports for a polytope of `arch`: 0 for a binary network (the LP is exact), else
// epsilon_of_grid (infinite, i.e. no guarantee, with sign units).
double guaranteed_epsilon(const Architecture& arch, double lipschitz, const GridSpec& grid);
// Smallest K with 2·L/(K-1) <= ε. Throws for ε <= 0.
std::int64_t grid_for_epsilon(double lipschitz, double epsilon);

}  // namespace lpnn
