// The planner's choice of bag family: the star's closed form, the sum chain's sizes (no column
// enumerated), or with auto the smaller; and the comparison a chain or auto plan prints.
#include <cmath>
#include <string>

#include "lpnn/arch/grid.hpp"
#include "lpnn/bags/block_layout.hpp"
#include "lpnn/bags/chain_family.hpp"
#include "lpnn/util/error.hpp"
#include "planner_internal.hpp"

namespace lpnn {

namespace detail {

std::int64_t planned_node_grid(const Architecture& arch, const BuildRequest& request) {
  return arch.binary() ? 0 : request.node_grid;
}

namespace {

FamilyCount count_of(const PolytopeLayout& l) { return {l.rows, l.cols, l.nnz, {}}; }

// Runs `count` and records its sizes, or why it failed (a size beyond 64 bits), in `out`.
template <typename Count>
void try_count(Count&& count, FamilyCount& out, PolytopeLayout* layout = nullptr) {
  try {
    PolytopeLayout l = count();
    out = count_of(l);
    if (layout) *layout = std::move(l);
  } catch (const Error& e) {
    out = FamilyCount{};
    out.overflow = e.what();
  }
}

}  // namespace

void plan_family(const Architecture& arch, const BuildRequest& request, GridSpec grid, Plan& plan) {
  const auto star = [&] {
    return PolytopeLayout::make(arch.parameters(), arch.inputs(), arch.outputs(), grid, request.samples);
  };
  if (request.family == FamilyChoice::Star) {
    plan.layout = star();
    return;
  }
  // Errors of the request itself, reported as such rather than as a family that does not fit.
  if (request.samples < 1) fail("the number of samples D must be at least 1, got {}", request.samples);
  for (const std::int64_t k : {grid.param, grid.input, grid.output}) (void)Grid(k);  // K >= 2, a message naming K
  const std::int64_t node_grid = planned_node_grid(arch, request);
  // A bad node grid is the request's error whatever the star's sizes: refuse it before counting.
  const ChainOptions options = chain_options(grid, node_grid);
  FamilySizes one;
  const auto chain = [&] { return chain_layout_sizes(arch, grid, request.samples, node_grid, &one); };
  plan.compared = true;
  plan.auto_choice = request.family == FamilyChoice::Auto;
  plan.chain_node_grid = node_grid;
  PolytopeLayout star_layout, chain_layout;
  try_count(star, plan.star_count, &star_layout);
  if (request.family == FamilyChoice::Chain) {
    chain_layout = chain();  // the family planned: its errors are the plan's
    plan.chain_count = count_of(chain_layout);
  } else {
    try_count(chain, plan.chain_count, &chain_layout);
    if (!plan.star_count.fits() && !plan.chain_count.fits())
      fail("neither bag family's sizes fit 64-bit arithmetic: the star's: {}; the chain's: {}; use a smaller grid K "
           "or fewer samples D",
           plan.star_count.overflow, plan.chain_count.overflow);
  }
  if (plan.chain_count.fits()) {
    plan.chain_bags_per_sample = static_cast<std::int64_t>(one.bag_columns.size()) - 1;
    plan.chain_rounding_bound = chain_rounding_bound(arch, options);
  }
  // Auto: the chain only when it has strictly fewer nonzeros (or the star does not fit at all).
  const bool use_chain = request.family == FamilyChoice::Chain || !plan.star_count.fits() ||
                         (plan.chain_count.fits() && plan.chain_count.nnz < plan.star_count.nnz);
  plan.layout = use_chain ? std::move(chain_layout) : std::move(star_layout);
}

double sample_block_bytes(const PolytopeLayout& l) {
  if (l.star()) return 0.0;
  // SampleBlock: row pointers, run pointers and b (3 r1 + 2 int64 / double); the CSR's columns and
  // values, 16 bytes per nonzero, grown by push_back in family_lp to up to twice that; at most one
  // run (24 bytes) per nonzero; while family_lp builds it, the one-sample LP's c, lower and upper
  // bounds (24 bytes per column). The builder's copy of the sample costs is counted with the template.
  const double r1 = static_cast<double>(l.block_rows), z1 = static_cast<double>(l.block_nonzeros);
  const double columns = static_cast<double>(l.M) + static_cast<double>(l.B);
  return 8.0 * (3.0 * r1 + 2.0) + (32.0 + 24.0) * z1 + 24.0 * columns;
}

}  // namespace detail

namespace {

nlohmann::json count_json(const FamilyCount& c) {
  if (!c.fits()) return {{"overflow", c.overflow}};
  return {{"rows", c.rows}, {"columns", c.cols}, {"nonzeros", c.nnz}};
}

std::string count_row(const char* name, const FamilyCount& c) {
  if (!c.fits()) return fmt::format("  {:<8}sizes overflow 64 bits ({})\n", name, c.overflow);
  return fmt::format("  {:<8}{:>22}{:>22}{:>22}\n", name, c.rows, c.cols, c.nnz);
}

}  // namespace

std::string Plan::choice_reason() const {
  if (!auto_choice) return "requested";
  if (!star_count.fits() || !chain_count.fits())
    return fmt::format("auto: the {}'s sizes overflow 64 bits", star_count.fits() ? "chain" : "star");
  return "auto: the family with fewer nonzeros, ties to the star";
}

nlohmann::json Plan::families_json() const {
  if (!compared) return nullptr;
  const auto bound = [](double v) { return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(nullptr); };
  nlohmann::json out = {{"star", count_json(star_count)}, {"chain", count_json(chain_count)}};
  if (chain_count.fits()) {
    const double two_lh = exact ? 0.0 : std::min(epsilon_bmp, epsilon_numeric);
    out["chain"].update({{"bags_per_sample", chain_bags_per_sample},
                         {"node_grid", chain_node_grid == 0 ? "integers" : std::to_string(chain_node_grid)},
                         {"rounding_bound", bound(chain_rounding_bound)},
                         {"two_L_h", bound(two_lh)},
                         {"epsilon", bound(two_lh + chain_rounding_bound)}});
  }
  if (star_count.fits() && chain_count.fits())
    out["smallest"] = chain_count.nnz < star_count.nnz ? "chain" : "star";
  out["chosen"] = layout.family();
  out["rule"] = choice_reason();
  return out;
}

std::string Plan::families_text() const {
  if (!compared) return {};
  std::string text = fmt::format("bag families:\n  {:<8}{:>22}{:>22}{:>22}\n", "family", "rows", "columns", "nonzeros");
  text += count_row("star", star_count) + count_row("chain", chain_count);
  if (chain_count.fits()) {
    const double two_lh = exact ? 0.0 : std::min(epsilon_bmp, epsilon_numeric);
    text += fmt::format(
        "  chain: {} bags per sample, node grid {}; rounding error bound {:.4g} beside 2·L·h = {:.4g} (ε = {:.4g})\n",
        chain_bags_per_sample, chain_node_grid == 0 ? std::string("integers") : std::to_string(chain_node_grid),
        chain_rounding_bound, two_lh, two_lh + chain_rounding_bound);
  }
  if (star_count.fits() && chain_count.fits())
    text += fmt::format("  smallest: {}\n", chain_count.nnz < star_count.nnz ? "chain" : "star");
  text += fmt::format("  chosen: {} ({})\n", layout.family(), choice_reason());
  return text;
}

}  // namespace lpnn
