#include "lpnn/bags/family_record.hpp"

#include <limits>
#include <utility>
#include <nlohmann/json.hpp>

#include "family_internal.hpp"
#include "lpnn/arch/grid.hpp"
#include "lpnn/bags/block_layout.hpp"
#include "lpnn/bags/chain_family.hpp"
#include "lpnn/util/error.hpp"
#include "lpnn/util/units.hpp"

namespace lpnn {

namespace {

const char* kind_name(VariableKind kind) {
  switch (kind) {
    case VariableKind::Parameter:
      return "parameter";
    case VariableKind::Input:
      return "input";
    case VariableKind::Label:
      return "label";
    case VariableKind::Node:
      break;
  }
  return "node";
}

// The neuron of a chain node variable, from its name "val[d][v]" or "s[d][v][j]" (chain_family.cpp).
std::int64_t neuron_of(const std::string& name) {
  const std::size_t second = name.find('[', name.find('[') + 1);
  if (second == std::string::npos) fail("the chain node variable {} has no neuron in its name", name);
  return std::stoll(name.substr(second + 1));
}

// Variable v: index, name, kind, points, sample, and its values: the grid's (parameters, inputs,
// labels, with the data coordinate) or the node grid's bound (values −U + 2U·k/(K − 1)).
nlohmann::json describe_variable(const FamilyVariable& v, std::int64_t index, GridSpec grid,
                                 const std::vector<NodeGrid>& nodes) {
  nlohmann::json j{{"index", index}, {"name", v.name}, {"kind", kind_name(v.kind)}, {"points", v.points},
                   {"sample", v.sample}};
  if (v.kind == VariableKind::Node) {
    const std::int64_t neuron = neuron_of(v.name);
    if (neuron < 0 || neuron >= static_cast<std::int64_t>(nodes.size()))
      fail("the chain node variable {} names neuron {}, outside the network's {}", v.name, neuron, nodes.size());
    j["neuron"] = neuron;
    j["grid"] = "node";
    j["bound"] = nodes[neuron].bound;
    return j;
  }
  const std::int64_t k = v.kind == VariableKind::Parameter ? grid.param
                         : v.kind == VariableKind::Input   ? grid.input
                                                           : grid.output;
  j["grid"] = v.kind == VariableKind::Parameter ? "param" : v.kind == VariableKind::Input ? "input" : "output";
  j["values"] = Grid(k).values();
  if (v.kind != VariableKind::Parameter) j["coordinate"] = v.coordinate;
  return j;
}

std::int32_t narrow(std::int64_t value) {
  if (value < 0 || value > std::numeric_limits<std::int32_t>::max())
    fail("a grid index {} does not fit the file's int32 /family/assignments", value);
  return static_cast<std::int32_t>(value);
}

// The description of `family` (the layout's one-sample family) from its sizes, no column enumerated;
// *assignment_count receives the length of /family/assignments (Σ_t |F_t|·|Q_t|).
std::string describe(const BagFamily& family, const std::vector<NodeGrid>& nodes, const PolytopeLayout& layout,
                     std::int64_t* assignment_count) {
  const FamilySizes sizes = family_sizes(family);
  const detail::FamilyIndex index = detail::FamilyIndex::of(family);
  const std::int64_t M = layout.M;
  std::int64_t offset = 0;
  nlohmann::json variables = nlohmann::json::array(), bags = nlohmann::json::array(), steps = nlohmann::json::array();
  for (std::size_t v = 0; v < family.variables.size(); ++v)
    variables.push_back(describe_variable(family.variables[v], static_cast<std::int64_t>(v), layout.grid, nodes));
  // Rows: every bag but the root in order, its convexity row then its edge rows (family_lp).
  std::int64_t row = 0;
  for (std::size_t t = 0; t < family.bags.size(); ++t) {
    const FamilyBag& bag = family.bags[t];
    const detail::BagStructure structure = detail::bag_structure(family, static_cast<std::int64_t>(t), index);
    nlohmann::json free = nlohmann::json::array(), separator = nlohmann::json::array();
    for (std::int64_t p : structure.free_positions) free.push_back(bag.variables[p]);
    if (bag.parent >= 0)
      for (std::int64_t v : bag.variables)
        if (detail::position_in(family.bags[bag.parent], v) >= 0) separator.push_back(v);
    const std::int64_t first_column = bag_first_column(sizes, static_cast<std::int64_t>(t)) - (t == 0 ? 0 : M);
    const std::int64_t rows = t == 0 ? 0 : 1 + sizes.edge_rows[t];
    bags.push_back({{"index", t},
                    {"name", bag.name},
                    {"parent", bag.parent},
                    {"variables", bag.variables},
                    {"free", free},
                    {"separator", separator},
                    {"first_column", first_column},
                    {"columns", sizes.bag_columns[t]},
                    {"first_row", row},
                    {"rows", rows},
                    {"assignment_offset", offset}});
    row += rows;
    offset = checked_add(offset, checked_mul(sizes.bag_columns[t], static_cast<std::int64_t>(bag.variables.size()),
                                             "the /family/assignments length"),
                         "the /family/assignments length");
  }
  *assignment_count = offset;
  for (const FamilyStep& s : family.steps) steps.push_back({{"name", s.name}, {"inputs", s.inputs}, {"output", s.output}});
  nlohmann::json costs = nlohmann::json::array();
  for (const FamilyCost& c : family.costs)
    costs.push_back({{"name", c.name}, {"bag", c.bag}, {"variables", c.variables}, {"weight", c.weight}});
  const nlohmann::json numbering{
      {"root_columns", M},
      {"sample_columns", layout.B},
      {"sample_rows", layout.rows_per_sample()},
      {"samples", layout.D},
      {"columns", "root bag (bag 0): global column a < root_columns; sample d's local column l (a sample bag's "
                  "first_column + k for its k-th column): global column root_columns + d*sample_columns + l"},
      {"rows", "sample d's local row r (a bag's first_row + i): global row d*sample_rows + r; a bag's rows are its "
               "convexity row, then one edge row per separator assignment carried, ascending in mixed radix"},
      {"assignments", "bag t's k-th column assigns its variables (bag order) /family/assignments[offset + k*n + i], "
                      "n = len(variables); free variables enumerate in mixed radix, the first most significant; "
                      "the others are outputs of the steps lying inside the bag"}};
  const nlohmann::json description{{"family", layout.family()},
                                   {"node_grid", layout.node_grid},
                                   {"numbering", numbering},
                                   {"variables", variables},
                                   {"bags", bags},
                                   {"steps", steps},
                                   {"costs", costs}};
  return description.dump();
}

std::pair<BagFamily, std::vector<NodeGrid>> one_sample_family(const Architecture& arch, const PolytopeLayout& layout) {
  if (layout.star()) fail("the star's polytope file (format version 1) records no /family");
  const ChainOptions options = chain_options(layout.grid, layout.node_grid);
  return {chain_family(arch, options, 1), node_grids(arch, options)};
}

}  // namespace

FamilyRecord family_record(const Architecture& arch, const PolytopeLayout& layout) {
  const auto [family, nodes] = one_sample_family(arch, layout);
  FamilyRecord record;
  std::int64_t count = 0;
  record.description = describe(family, nodes, layout, &count);
  record.assignments.reserve(static_cast<std::size_t>(count));
  // Bag by bag, column by column: the offsets describe() computed from the sizes.
  const detail::FamilyIndex index = detail::FamilyIndex::of(family);
  for (std::size_t t = 0; t < family.bags.size(); ++t)
    detail::enumerate_bag(family, static_cast<std::int64_t>(t),
                          detail::bag_structure(family, static_cast<std::int64_t>(t), index),
                          [&](std::int64_t, std::span<const std::int64_t> values) {
                            for (std::int64_t value : values) record.assignments.push_back(narrow(value));
                          });
  if (static_cast<std::int64_t>(record.assignments.size()) != count)
    fail("the chain family's columns hold {} values, its sizes say {}", record.assignments.size(), count);
  return record;
}

std::int64_t family_record_bytes(const Architecture& arch, const PolytopeLayout& layout) {
  const auto [family, nodes] = one_sample_family(arch, layout);
  std::int64_t count = 0;
  const std::int64_t description = static_cast<std::int64_t>(describe(family, nodes, layout, &count).size());
  return checked_add(description, checked_mul(count, 4, "the /family/assignments bytes"), "the /family bytes");
}


}  // namespace lpnn
