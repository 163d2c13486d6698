// A trained network as a JSON file: architecture, "parameters" (φ, flat, in the architecture's layout),
// grids, optional min-max scaling, losses, solver statistics and provenance, and "semantics": which
// function of φ the losses and predictions use, "network" (the network itself: the star's polytope,
// grid search, Adam; also a model file without the field) or "rounded" (the rounded network of a chain
// polytope, solve/rounded.hpp, with "node_grid": K_v, 0 for the integer lattice).
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "lpnn/arch/architecture.hpp"
#include "lpnn/arch/grid.hpp"
#include "lpnn/reduce/reduction.hpp"
#include "lpnn/solve/dataset.hpp"
#include "lpnn/solve/rounded.hpp"

namespace lpnn {

inline constexpr const char* kModelFormat = "lpnn-model";
inline constexpr int kModelFormatVersion = 1;

struct Model {
  Architecture arch;
  std::vector<double> parameters;
  GridSpec grid;
  std::optional<MinMaxScaling> scaling;
  // Trained on data reduced by lpnn-reduce (lpnn-train --basis): the model takes raw d-dimensional
  // inputs, maps them by the reduction (reduce/reduction.hpp), then applies `scaling` and the network.
  std::optional<Reduction> reduction;
  nlohmann::json report = nlohmann::json::object();  // method, losses, solver, provenance
  // Rounded semantics (trained on a chain polytope): the node grid; absent: the network itself.
  std::optional<std::int64_t> rounded_node_grid;

  // The rounded network of this model's architecture, grids and node grid (rounded semantics only).
  RoundedNetwork rounded_network() const;

  nlohmann::json to_json() const;
  // Throws lpnn::Error (naming `origin`) for anything that is not a model this lpnn wrote.
  static Model from_json(const nlohmann::json& j, const std::string& origin);
  static Model from_file(const std::string& path);
  // Writes under a fresh temporary name (never through a link) and renames, so a failed write leaves
  // no model file behind.
  void write(const std::string& path) const;

  // Input columns the model reads: the raw dimension d with a reduction, else the network's inputs.
  std::int64_t input_columns() const { return reduction ? reduction->dimension : arch.inputs(); }
  // Attaches a reduction; throws lpnn::Error naming `origin` unless its rank is the network's inputs.
  void attach_reduction(Reduction red, const std::string& origin);

  // Predictions (samples x outputs, row-major) for raw data: reduced first when the model has a
  // reduction, scaled into the box when the model was trained with scaling, and returned in the
  // data's units. Rounded semantics: the rounded network (inputs rounded onto the input grid).
  std::vector<double> predict(const Dataset& raw) const;
  // Mean loss of the model on labelled raw data, measured in the box (the units it was trained in).
  double loss(const Dataset& raw) const;

 private:
  static Model from_json_checked(const nlohmann::json& j, const std::string& origin);
};

}  // namespace lpnn
