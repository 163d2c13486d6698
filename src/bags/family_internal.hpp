// Shared by the bag family's validator, sizes and generator: the structure of one bag.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <vector>

#include "lpnn/bags/family.hpp"

namespace lpnn::detail {

// Bag t's steps (those whose variables all lie in Q_t, in the family's order), as positions in t's
// variable list, and its free variables (every position no step of t determines).
struct BagStructure {
  struct Step {
    std::int64_t index;
    std::vector<std::int64_t> inputs;  // positions in the bag
    std::int64_t output;               // position in the bag
  };
  std::vector<Step> steps;
  std::vector<std::int64_t> free_positions;
};

// For every variable, the bags holding it (ascending) and the step producing it (-1: none; the first
// one when several do, which the validator refuses).
struct FamilyIndex {
  std::vector<std::vector<std::int64_t>> bags_of;
  std::vector<std::int64_t> producer;
  static FamilyIndex of(const BagFamily& family);  // assumes valid variable indices
};

// Position of `variable` in bag t's list, or -1.
std::int64_t position_in(const FamilyBag& bag, std::int64_t variable);

BagStructure bag_structure(const BagFamily& family, std::int64_t t, const FamilyIndex& index);

// a·b, throwing lpnn::Error naming `what` on 64-bit overflow.
std::int64_t checked_product(std::int64_t a, std::int64_t b, const char* what);

// Calls visit(k, values) for the k-th column of bag t, values in t's variable order.
void enumerate_bag(const BagFamily& family, std::int64_t t, const BagStructure& structure,
                   const std::function<void(std::int64_t, std::span<const std::int64_t>)>& visit);

}  // namespace lpnn::detail
