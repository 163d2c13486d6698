// The planner's family step (planner_family.cpp), shared with planner.cpp.
#pragma once

#include <cstdint>

#include "lpnn/arch/architecture.hpp"
#include "lpnn/bags/planner.hpp"

namespace lpnn::detail {

// The node grid a chain of `arch` is built on: the request's K_v, or 0 (the integer lattice) for a
// binary network, whose chain rounds nothing.
std::int64_t planned_node_grid(const Architecture& arch, const BuildRequest& request);

// Sets plan.layout to the family the request plans on `grid` (the star's closed form, or the chain's
// sizes without its rows: chain_layout_sizes) and, for a chain or auto request, both families' counts,
// the chain's bags and rounding bound. Throws lpnn::Error when the family planned overflows 64 bits (with
// auto: when both do) or the node grid is invalid; the other family's overflow is only recorded.
void plan_family(const Architecture& arch, const BuildRequest& request, GridSpec grid, Plan& plan);

// Bytes of the one-sample block every rank holds while it builds a block layout (0 for the star): an
// upper bound, from the sizes alone.
double sample_block_bytes(const PolytopeLayout& layout);

}  // namespace lpnn::detail
