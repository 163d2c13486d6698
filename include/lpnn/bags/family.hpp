// Bag families: the training LP of any tree decomposition of the training problem (Bienstock-Muñoz's
// construction, Sherali-Adams on a junction tree), of which the star of layout.hpp is one member.
//
// Finite-domain variables (grid indices): parameters φ, data inputs, labels, intermediate node values.
// Steps are functional constraints: a step fixes its output variable as a function of its inputs.
// A tree of bags; bag t holds variables Q_t, and its feasible assignments F_t are the assignments of
// Q_t satisfying every step lying inside Q_t (the free variables of t range over their whole grids,
// the outputs of t's steps are computed from them). Requirements, checked by validate():
//   - bag 0 is the root and holds exactly the parameters; every other bag's parent comes before it,
//     so the bags form one tree; a bag attached to the root holds every parameter;
//   - every step and every cost term lies inside some bag (a cost term inside the bag it is placed on);
//   - running intersection: for every variable, the bags holding it form a connected subtree.
// The LP: columns λ_t[v] >= 0 for v in F_t, bag by bag, v in mixed radix over t's free variables in
// t's order (the first most significant). Rows, for every bag t but the root in order:
//   Σ_{v ∈ F_t} λ_t[v] = 1                                                     (convexity of t)
//   Σ_{v ∈ F_t, v|sep = w} λ_t[v] − Σ_{v' ∈ F_p, v'|sep = w} λ_p[v'] = 0        (edge to t's parent p)
// for every separator assignment w of sep = Q_t ∩ Q_p (mixed radix in t's order) that some column
// carries. The root's convexity row is implied by the others and left out. Objective: each cost term
// on its bag, weight·value(v)·λ_t[v]. By the junction tree theorem, bag marginals that agree on the
// separators glue into a distribution over globally feasible assignments: on a face where the data
// are fixed the LP optimum is the best feasible assignment.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include "lpnn/solve/lp.hpp"

namespace lpnn {

enum class VariableKind { Parameter, Input, Label, Node };
std::string to_string(VariableKind kind);

struct FamilyVariable {
  std::string name;
  VariableKind kind = VariableKind::Node;
  std::int64_t points = 0;  // grid size of its domain {0, ..., points - 1}
  std::int64_t sample = -1;  // the sample it belongs to (-1: parameters)
  std::int64_t coordinate = -1;  // inputs and labels: which data column
};

// output = rule(values of inputs, in the order listed).
struct FamilyStep {
  std::string name;
  std::vector<std::int64_t> inputs;
  std::int64_t output = -1;
  std::function<std::int64_t(std::span<const std::int64_t>)> rule;
};

// weight·value(values of variables) on every column of `bag`.
struct FamilyCost {
  std::string name;
  std::vector<std::int64_t> variables;
  std::int64_t bag = -1;
  double weight = 1.0;
  std::function<double(std::span<const std::int64_t>)> value;
};

struct FamilyBag {
  std::string name;
  std::vector<std::int64_t> variables;
  std::int64_t parent = -1;  // -1 only for the root, bag 0
};

struct BagFamily {
  std::string name;
  std::vector<FamilyVariable> variables;
  std::vector<FamilyStep> steps;
  std::vector<FamilyCost> costs;
  std::vector<FamilyBag> bags;

  std::int64_t add_variable(FamilyVariable v);
  std::int64_t add_bag(FamilyBag b);
};

// Throws lpnn::Error naming the variable, step or cost and the bags involved for the first violation.
void validate_family(const BagFamily& family);

struct FamilySizes {
  std::int64_t rows = 0, cols = 0, nnz = 0;
  std::vector<std::int64_t> bag_columns;  // |F_t|
  std::vector<std::int64_t> edge_rows;    // rows of the edge to the parent (0 for the root)
};

// Exact sizes without enumerating a column: |F_t| is the product of the grid sizes of t's free
// variables; an edge has one row per separator assignment when the separator's variables are free in
// the child (otherwise the edge's rows are counted by enumeration); nonzeros = Σ_{t ≠ root} 2|F_t| +
// Σ_{edges} |F_parent|. Validates first; throws lpnn::Error when a size overflows 64 bits.
FamilySizes family_sizes(const BagFamily& family);

// The LP in memory (lower 0, upper +inf); validates first. For small families only.
LinearProgram family_lp(const BagFamily& family);

// The values of every bag variable at every column of bag t, column-major per bag (the column's
// assignment to t's variables in t's order): what a face needs to fix columns. Small families only.
std::vector<std::vector<std::int64_t>> bag_assignments(const BagFamily& family, std::int64_t bag);

// Index of `bag`'s first column in the LP.
std::int64_t bag_first_column(const FamilySizes& sizes, std::int64_t bag);

}  // namespace lpnn
