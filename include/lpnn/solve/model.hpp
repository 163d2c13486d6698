// A trained network as a JSON file: architecture, "parameters" (φ, flat, in the architecture's layout),
// grids, optional min-max scaling, losses, solver statistics and provenance.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "lpnn/arch/architecture.hpp"
#include "lpnn/arch/grid.hpp"
#include "lpnn/solve/dataset.hpp"

namespace lpnn {

inline constexpr const char* kModelFormat = "lpnn-model";
inline constexpr int kModelFormatVersion = 1;

struct Model {
  Architecture arch;
  std::vector<double> parameters;
  GridSpec grid;
  std::optional<MinMaxScaling> scaling;
  nlohmann::json report = nlohmann::json::object();  // method, losses, solver, provenance

  nlohmann::json to_json() const;
  // Throws lpnn::Error (naming `origin`) for anything that is not a model this lpnn wrote.
  static Model from_json(const nlohmann::json& j, const std::string& origin);
  static Model from_file(const std::string& path);
  // Writes under a fresh temporary name (never through a link) and renames, so a failed write leaves
  // no model file behind.
  void write(const std::string& path) const;

  // Predictions (samples x outputs, row-major) for raw data: scaled into the box when the model was
  // trained with scaling, and returned in the data's units.
  std::vector<double> predict(const Dataset& raw) const;
  // Mean loss of the model on labelled raw data, measured in the box (the units it was trained in).
  double loss(const Dataset& raw) const;

 private:
  static Model from_json_checked(const nlohmann::json& j, const std::string& origin);
};

}  // namespace lpnn
