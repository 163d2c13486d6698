// The star of layout.hpp as a bag family: root bag (φ) whose columns are X[a], and per sample d one bag
// (φ, x^d, y^d) attached to the root with separator φ, no steps. Its LP is the layout's: same column and
// row order, values and right-hand side; costs (1/D)·c[j] on λ^d and λ_R·R(θ(a)) on X[a].
#pragma once

#include <cstdint>

#include "lpnn/arch/architecture.hpp"
#include "lpnn/arch/grid.hpp"
#include "lpnn/bags/family.hpp"

namespace lpnn {

// The parameter variables φ_0..φ_{N-1} (grid K_param) and the root bag holding them, with the
// regularizer λ_R·R(θ) as its cost when the spec has one. Shared by every family.
BagFamily family_root(const Architecture& arch, const GridSpec& grid, const std::string& name);

// The family's cost terms refer to `arch`: it must outlive the family.
BagFamily star_family(const Architecture& arch, const GridSpec& grid, std::int64_t samples);

}  // namespace lpnn
