// Training and test data: D' samples of n inputs and m outputs, from CSV or HDF5, and the min-max
// scaling that maps data into the box [-1, 1] (recorded in models so predictions undo it).
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace lpnn {

struct Dataset {
  std::int64_t samples = 0, inputs = 0, outputs = 0;  // outputs = 0: unlabelled (prediction input)
  std::vector<double> x;                              // row-major samples x inputs
  std::vector<double> y;                              // row-major samples x outputs
  std::string origin;                                 // file name, for messages
  std::span<const double> input(std::int64_t d) const {
    return {x.data() + d * inputs, static_cast<std::size_t>(inputs)};
  }
  std::span<const double> output(std::int64_t d) const {
    return {y.data() + d * outputs, static_cast<std::size_t>(outputs)};
  }
};

// CSV: n input columns then m output columns, comma separated, optional header line (detected when
// none of its cells is a number; a first row mixing numbers and text is a data row with a bad cell).
// `labels_optional`: rows of exactly n cells are accepted as unlabelled.
// Throws lpnn::Error naming the line and column of a ragged row, a non-numeric or non-finite cell,
// or an empty file.
Dataset read_csv(const std::string& path, std::int64_t inputs, std::int64_t outputs, bool labels_optional = false);

// The number of cells in the first data row of a CSV file (a header line, as read_csv detects it, is
// skipped), for tools told only how many columns are labels. Throws lpnn::Error for an unreadable or
// empty file.
std::int64_t csv_data_columns(const std::string& path);

// HDF5: 2-D float datasets X (D' x n) and Y (D' x m).
Dataset read_hdf5_dataset(const std::string& path, std::int64_t inputs, std::int64_t outputs);

// By extension: .h5/.hdf5 -> HDF5, anything else -> CSV.
Dataset read_dataset(const std::string& path, std::int64_t inputs, std::int64_t outputs, bool labels_optional = false);

// Throws lpnn::Error naming the first value outside [-1, 1] (row and column, 1-based as in the file),
// with the hint to pass --scale minmax.
void require_in_box(const Dataset& data);
// Throws lpnn::Error naming the first sample and column that is not exactly -1 or +1 (binary networks
// are never trained on silently rounded data).
void require_binary(const Dataset& data);

// Per-column affine maps into [-1, 1], fitted on training data.
struct MinMaxScaling {
  std::vector<double> input_min, input_max, output_min, output_max;
  static MinMaxScaling fit(const Dataset& data);
  Dataset apply(const Dataset& data) const;         // into the box (clamped)
  void unscale_outputs(std::span<double> z) const;  // back to the data's units
  nlohmann::json to_json() const;
  static MinMaxScaling from_json(const nlohmann::json& j);
};

}  // namespace lpnn
