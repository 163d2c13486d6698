// The checks every bag family passes before any row exists (family.hpp): a rooted tree, coverage of
// every step and cost term, running intersection, functional steps evaluable in order.
#include <algorithm>
#include <set>

#include "family_internal.hpp"
#include "lpnn/util/error.hpp"

namespace lpnn {

namespace {

std::string variable_label(const BagFamily& f, std::int64_t v) {
  return fmt::format("'{}' ({})", f.variables[v].name, to_string(f.variables[v].kind));
}

void check_tree(const BagFamily& f) {
  if (f.bags.empty()) fail("bag family '{}': no bags (the root bag of the parameters is missing)", f.name);
  if (f.bags[0].parent != -1) fail("bag family '{}': bag 0 '{}' must be the root (no parent)", f.name, f.bags[0].name);
  const std::int64_t vars = static_cast<std::int64_t>(f.variables.size());
  for (std::size_t t = 0; t < f.bags.size(); ++t) {
    const FamilyBag& bag = f.bags[t];
    // Parents come first: the bags form one tree rooted at bag 0, connected and without cycles.
    if (t > 0 && (bag.parent < 0 || bag.parent >= static_cast<std::int64_t>(t)))
      fail("bag family '{}': bag '{}' has parent {}; every bag but the root needs a parent listed before it, so "
           "that the bags form one connected tree",
           f.name, bag.name, bag.parent);
    std::set<std::int64_t> seen;
    for (std::int64_t v : bag.variables) {
      if (v < 0 || v >= vars) fail("bag family '{}': bag '{}' holds variable {}, which does not exist", f.name, bag.name, v);
      if (!seen.insert(v).second)
        fail("bag family '{}': bag '{}' holds variable {} twice", f.name, bag.name, variable_label(f, v));
    }
  }
  for (std::int64_t v = 0; v < vars; ++v) {
    if (f.variables[v].points < 1) fail("bag family '{}': variable {} has an empty grid", f.name, variable_label(f, v));
    const bool parameter = f.variables[v].kind == VariableKind::Parameter;
    if (parameter != (detail::position_in(f.bags[0], v) >= 0))
      fail("bag family '{}': the root bag '{}' must hold exactly the parameters, but variable {} is {}", f.name,
           f.bags[0].name, variable_label(f, v), parameter ? "missing from it" : "in it");
  }
  for (std::size_t t = 1; t < f.bags.size(); ++t)
    if (f.bags[t].parent == 0)
      for (std::int64_t v : f.bags[0].variables)
        if (detail::position_in(f.bags[t], v) < 0)
          fail("bag family '{}': bag '{}' attaches to the root but lacks parameter {}; a sample's family attaches "
               "through a bag holding every parameter",
               f.name, f.bags[t].name, variable_label(f, v));
}

// For every variable, the bags holding it whose parent does not: exactly one for a connected subtree.
void check_running_intersection(const BagFamily& f, const detail::FamilyIndex& index) {
  for (std::size_t v = 0; v < f.variables.size(); ++v) {
    const auto& bags = index.bags_of[v];
    if (bags.empty()) fail("bag family '{}': variable {} lies in no bag", f.name, variable_label(f, v));
    std::vector<std::int64_t> tops;
    for (std::int64_t t : bags) {
      const std::int64_t p = f.bags[t].parent;
      if (p < 0 || !std::binary_search(bags.begin(), bags.end(), p)) tops.push_back(t);
    }
    if (tops.size() > 1)
      fail("bag family '{}': running intersection fails for variable {}: bags '{}' and '{}' hold it but the tree "
           "path between them passes through a bag without it (the bags holding a variable must form a connected "
           "subtree)",
           f.name, variable_label(f, static_cast<std::int64_t>(v)), f.bags[tops[0]].name, f.bags[tops[1]].name);
  }
}

bool inside(const FamilyBag& bag, const std::vector<std::int64_t>& variables) {
  return std::all_of(variables.begin(), variables.end(),
                     [&](std::int64_t v) { return detail::position_in(bag, v) >= 0; });
}

void check_step_variables(const BagFamily& f) {
  const std::int64_t vars = static_cast<std::int64_t>(f.variables.size());
  for (const FamilyStep& step : f.steps) {
    std::vector<std::int64_t> all = step.inputs;
    all.push_back(step.output);
    for (std::int64_t v : all)
      if (v < 0 || v >= vars) fail("bag family '{}': step '{}' uses variable {}, which does not exist", f.name, step.name, v);
  }
}

void check_steps(const BagFamily& f, const detail::FamilyIndex& index) {
  for (std::size_t s = 0; s < f.steps.size(); ++s) {
    const FamilyStep& step = f.steps[s];
    std::vector<std::int64_t> all = step.inputs;
    all.push_back(step.output);
    if (!step.rule) fail("bag family '{}': step '{}' has no rule", f.name, step.name);
    if (index.producer[step.output] != static_cast<std::int64_t>(s))
      fail("bag family '{}': variable {} is the output of two steps, '{}' and '{}'", f.name,
           variable_label(f, step.output), f.steps[index.producer[step.output]].name, step.name);
    if (f.variables[step.output].kind == VariableKind::Parameter)
      fail("bag family '{}': step '{}' determines parameter {}", f.name, step.name, variable_label(f, step.output));
    for (std::int64_t v : step.inputs)
      if (index.producer[v] >= static_cast<std::int64_t>(s))
        fail("bag family '{}': step '{}' reads {} before (or while) it is determined; steps must be listed in "
             "evaluation order",
             f.name, step.name, variable_label(f, v));
    const auto& holders = index.bags_of[step.output];
    if (!std::any_of(holders.begin(), holders.end(), [&](std::int64_t t) { return inside(f.bags[t], all); })) {
      std::string names;
      for (std::int64_t v : all) names += (names.empty() ? "" : ", ") + f.variables[v].name;
      fail("bag family '{}': step '{}' on ({}) lies in no bag; every constraint must lie inside some bag", f.name,
           step.name, names);
    }
  }
}

void check_costs(const BagFamily& f) {
  for (const FamilyCost& cost : f.costs) {
    if (cost.bag < 0 || cost.bag >= static_cast<std::int64_t>(f.bags.size()))
      fail("bag family '{}': cost term '{}' is placed on bag {}, which does not exist", f.name, cost.name, cost.bag);
    if (!cost.value) fail("bag family '{}': cost term '{}' has no value", f.name, cost.name);
    for (std::int64_t v : cost.variables)
      if (v < 0 || v >= static_cast<std::int64_t>(f.variables.size()) || detail::position_in(f.bags[cost.bag], v) < 0)
        fail("bag family '{}': cost term '{}' is placed on bag '{}', which does not hold its variable {}", f.name,
             cost.name, f.bags[cost.bag].name,
             v >= 0 && v < static_cast<std::int64_t>(f.variables.size()) ? variable_label(f, v) : std::to_string(v));
  }
}

}  // namespace

void validate_family(const BagFamily& family) {
  check_tree(family);
  check_step_variables(family);
  const detail::FamilyIndex index = detail::FamilyIndex::of(family);
  check_running_intersection(family, index);
  check_steps(family, index);
  check_costs(family);
}

}  // namespace lpnn
