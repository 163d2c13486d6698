#include <algorithm>
#include <limits>
#include <map>

#include "family_internal.hpp"
#include "lpnn/util/error.hpp"

namespace lpnn {

std::string to_string(VariableKind kind) {
  switch (kind) {
    case VariableKind::Parameter:
      return "parameter";
    case VariableKind::Input:
      return "data input";
    case VariableKind::Label:
      return "label";
    case VariableKind::Node:
      return "node value";
  }
  return "?";
}

std::int64_t BagFamily::add_variable(FamilyVariable v) {
  variables.push_back(std::move(v));
  return static_cast<std::int64_t>(variables.size()) - 1;
}

std::int64_t BagFamily::add_bag(FamilyBag b) {
  bags.push_back(std::move(b));
  return static_cast<std::int64_t>(bags.size()) - 1;
}

namespace detail {

FamilyIndex FamilyIndex::of(const BagFamily& family) {
  FamilyIndex index;
  index.bags_of.resize(family.variables.size());
  index.producer.assign(family.variables.size(), -1);
  for (std::size_t t = 0; t < family.bags.size(); ++t)
    for (std::int64_t v : family.bags[t].variables) index.bags_of[v].push_back(static_cast<std::int64_t>(t));
  for (std::size_t s = family.steps.size(); s-- > 0;) index.producer[family.steps[s].output] = static_cast<std::int64_t>(s);
  return index;
}

std::int64_t position_in(const FamilyBag& bag, std::int64_t variable) {
  const auto it = std::find(bag.variables.begin(), bag.variables.end(), variable);
  return it == bag.variables.end() ? -1 : it - bag.variables.begin();
}

// A step lies in t when its output and all its inputs do; such a step determines its output in t.
BagStructure bag_structure(const BagFamily& family, std::int64_t t, const FamilyIndex& index) {
  const FamilyBag& bag = family.bags[t];
  BagStructure out;
  std::vector<char> determined(bag.variables.size(), 0);
  for (std::size_t p = 0; p < bag.variables.size(); ++p) {
    const std::int64_t s = index.producer[bag.variables[p]];
    if (s < 0) continue;
    BagStructure::Step step{s, {}, static_cast<std::int64_t>(p)};
    bool inside = true;
    for (std::int64_t v : family.steps[s].inputs) {
      const std::int64_t q = position_in(bag, v);
      if (q < 0) inside = false;
      step.inputs.push_back(q);
    }
    if (!inside) continue;
    determined[p] = 1;
    out.steps.push_back(std::move(step));
  }
  std::sort(out.steps.begin(), out.steps.end(), [](const auto& a, const auto& b) { return a.index < b.index; });
  for (std::size_t p = 0; p < bag.variables.size(); ++p)
    if (!determined[p]) out.free_positions.push_back(static_cast<std::int64_t>(p));
  return out;
}

std::int64_t checked_product(std::int64_t a, std::int64_t b, const char* what) {
  std::int64_t r = 0;
  if (__builtin_mul_overflow(a, b, &r)) fail("{} overflows 64-bit arithmetic", what);
  return r;
}

// Mixed radix over the free variables (the first most significant), the steps evaluated in the
// family's order: their inputs are free or determined by an earlier step (validated).
void enumerate_bag(const BagFamily& family, std::int64_t t, const BagStructure& structure,
                   const std::function<void(std::int64_t, std::span<const std::int64_t>)>& visit) {
  const FamilyBag& bag = family.bags[t];
  std::vector<std::int64_t> values(bag.variables.size(), 0), args;
  std::int64_t count = 1;
  for (std::int64_t p : structure.free_positions)
    count = detail::checked_product(count, family.variables[bag.variables[p]].points, "a bag's column count");
  for (std::int64_t k = 0; k < count; ++k) {
    std::int64_t rest = k;
    for (std::size_t q = structure.free_positions.size(); q-- > 0;) {
      const std::int64_t p = structure.free_positions[q], radix = family.variables[bag.variables[p]].points;
      values[p] = rest % radix;
      rest /= radix;
    }
    for (const auto& step : structure.steps) {
      args.clear();
      for (std::int64_t q : step.inputs) args.push_back(values[q]);
      const std::int64_t value = family.steps[step.index].rule(args);
      if (value < 0 || value >= family.variables[bag.variables[step.output]].points)
        fail("bag family '{}': step '{}' gave {} for a variable of {} grid points", family.name,
             family.steps[step.index].name, value, family.variables[bag.variables[step.output]].points);
      values[step.output] = value;
    }
    visit(k, values);
  }
}

}  // namespace detail

namespace {

// The separator of t and its parent as positions in t and in the parent, in t's order.
void separator(const BagFamily& family, std::int64_t t, std::vector<std::int64_t>& in_child,
               std::vector<std::int64_t>& in_parent) {
  const FamilyBag& bag = family.bags[t];
  const FamilyBag& parent = family.bags[bag.parent];
  in_child.clear();
  in_parent.clear();
  for (std::size_t p = 0; p < bag.variables.size(); ++p) {
    const std::int64_t q = detail::position_in(parent, bag.variables[p]);
    if (q < 0) continue;
    in_child.push_back(static_cast<std::int64_t>(p));
    in_parent.push_back(q);
  }
}

std::int64_t separator_code(const BagFamily& family, const FamilyBag& bag, std::span<const std::int64_t> positions,
                            std::span<const std::int64_t> values) {
  std::int64_t code = 0;
  for (std::int64_t p : positions) code = code * family.variables[bag.variables[p]].points + values[p];
  return code;
}

// Row of every separator assignment of the edge t–parent that some column carries, keyed by its
// mixed-radix code; entries (column, ±1).
using EdgeRows = std::map<std::int64_t, std::vector<std::pair<std::int64_t, double>>>;

EdgeRows edge_rows(const BagFamily& family, const detail::FamilyIndex& index, const FamilySizes& sizes,
                   std::int64_t t) {
  std::vector<std::int64_t> in_child, in_parent;
  separator(family, t, in_child, in_parent);
  EdgeRows rows;
  const std::int64_t p = family.bags[t].parent;
  const std::int64_t child_first = bag_first_column(sizes, t), parent_first = bag_first_column(sizes, p);
  detail::enumerate_bag(family, t, detail::bag_structure(family, t, index), [&](std::int64_t k, auto values) {
    rows[separator_code(family, family.bags[t], in_child, values)].push_back({child_first + k, 1.0});
  });
  detail::enumerate_bag(family, p, detail::bag_structure(family, p, index), [&](std::int64_t k, auto values) {
    // The code over the parent's positions of the separator, in the child's order.
    rows[separator_code(family, family.bags[p], in_parent, values)].push_back({parent_first + k, -1.0});
  });
  return rows;
}

}  // namespace

std::int64_t bag_first_column(const FamilySizes& sizes, std::int64_t bag) {
  std::int64_t first = 0;
  for (std::int64_t t = 0; t < bag; ++t) first += sizes.bag_columns[t];
  return first;
}

FamilySizes family_sizes(const BagFamily& family) {
  validate_family(family);
  const detail::FamilyIndex index = detail::FamilyIndex::of(family);
  FamilySizes sizes;
  const std::int64_t bags = static_cast<std::int64_t>(family.bags.size());
  std::vector<detail::BagStructure> structures;
  for (std::int64_t t = 0; t < bags; ++t) {
    structures.push_back(detail::bag_structure(family, t, index));
    std::int64_t count = 1;
    for (std::int64_t p : structures[t].free_positions)
      count = detail::checked_product(count, family.variables[family.bags[t].variables[p]].points, "a bag's column count");
    sizes.bag_columns.push_back(count);
    sizes.cols += count;
    if (sizes.cols < 0) fail("the family's column count overflows 64-bit arithmetic");
  }
  sizes.edge_rows.assign(bags, 0);
  std::vector<std::int64_t> in_child, in_parent;
  for (std::int64_t t = 1; t < bags; ++t) {
    separator(family, t, in_child, in_parent);
    const auto& free = structures[t].free_positions;
    bool all_free = true;
    std::int64_t count = 1;
    for (std::int64_t p : in_child) {
      all_free = all_free && std::find(free.begin(), free.end(), p) != free.end();
      count = detail::checked_product(count, family.variables[family.bags[t].variables[p]].points, "an edge's row count");
    }
    // A free separator in the child: every assignment w has columns. Otherwise count the codes met.
    sizes.edge_rows[t] = all_free ? count : static_cast<std::int64_t>(edge_rows(family, index, sizes, t).size());
    sizes.rows += 1 + sizes.edge_rows[t];
    sizes.nnz += 2 * sizes.bag_columns[t] + sizes.bag_columns[family.bags[t].parent];
    if (sizes.nnz < 0 || sizes.rows < 0) fail("the family's row or nonzero count overflows 64-bit arithmetic");
  }
  return sizes;
}

LinearProgram family_lp(const BagFamily& family) {
  const FamilySizes sizes = family_sizes(family);
  const detail::FamilyIndex index = detail::FamilyIndex::of(family);
  LinearProgram lp;
  lp.cols = sizes.cols;
  lp.c.assign(sizes.cols, 0.0);
  lp.lower.assign(sizes.cols, 0.0);
  lp.upper.assign(sizes.cols, std::numeric_limits<double>::infinity());
  lp.row_start.push_back(0);
  auto close_row = [&](double rhs) {
    lp.b.push_back(rhs);
    lp.row_start.push_back(static_cast<std::int64_t>(lp.column.size()));
  };
  for (std::int64_t t = 1; t < static_cast<std::int64_t>(family.bags.size()); ++t) {
    const std::int64_t first = bag_first_column(sizes, t);
    for (std::int64_t k = 0; k < sizes.bag_columns[t]; ++k) {  // convexity of t
      lp.column.push_back(first + k);
      lp.value.push_back(1.0);
    }
    close_row(1.0);
    for (auto& [code, entries] : edge_rows(family, index, sizes, t)) {  // the edge to t's parent
      std::sort(entries.begin(), entries.end());
      for (const auto& [column, value] : entries) {
        lp.column.push_back(column);
        lp.value.push_back(value);
      }
      close_row(0.0);
    }
  }
  lp.rows = static_cast<std::int64_t>(lp.b.size());
  // Objective: every cost term on the columns of its bag.
  std::vector<std::int64_t> args;
  for (const FamilyCost& cost : family.costs) {
    const FamilyBag& bag = family.bags[cost.bag];
    std::vector<std::int64_t> positions;
    for (std::int64_t v : cost.variables) positions.push_back(detail::position_in(bag, v));
    const std::int64_t first = bag_first_column(sizes, cost.bag);
    detail::enumerate_bag(family, cost.bag, detail::bag_structure(family, cost.bag, index),
                          [&](std::int64_t k, std::span<const std::int64_t> values) {
                            args.clear();
                            for (std::int64_t p : positions) args.push_back(values[p]);
                            lp.c[first + k] += cost.weight * cost.value(args);
                          });
  }
  lp.validate();
  return lp;
}

std::vector<std::vector<std::int64_t>> bag_assignments(const BagFamily& family, std::int64_t bag) {
  const detail::FamilyIndex index = detail::FamilyIndex::of(family);
  std::vector<std::vector<std::int64_t>> out;
  detail::enumerate_bag(family, bag, detail::bag_structure(family, bag, index),
                        [&](std::int64_t, std::span<const std::int64_t> values) {
                          out.emplace_back(values.begin(), values.end());
                        });
  return out;
}

}  // namespace lpnn
