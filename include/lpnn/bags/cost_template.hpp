// The cost template c[j] = ℓ(f(ξ(s), θ(a)), η(t)) over the bag template (README, The polytope / Rows and columns), in
// the canonical order j = (a·K_x^n + s)·K_y^m + t. Data independent: B evaluations of ℓ∘f whatever D is.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "lpnn/arch/architecture.hpp"
#include "lpnn/bags/layout.hpp"

namespace lpnn {

// Fills out[j - first] = c[j] for j in [first, first + out.size()). Each f(ξ(s), θ(a)) is evaluated
// once per (a, s) and shared by all t.
void compute_cost_template(const Architecture& arch, const PolytopeLayout& layout, std::int64_t first,
                           std::span<double> out);

// λ_R·R(θ(a)) for a in [first, first + out.size()): the objective of the X columns.
void compute_regularizer_costs(const Architecture& arch, const PolytopeLayout& layout, std::int64_t first,
                               std::span<double> out);

}  // namespace lpnn
