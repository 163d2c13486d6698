#include "lpnn/solve/dataset.hpp"

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstring>
#include <fstream>

#include "lpnn/hdf5/handles.hpp"
#include "lpnn/util/error.hpp"

namespace lpnn {

namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

std::vector<std::string_view> split(std::string_view line) {
  std::vector<std::string_view> cells;
  std::size_t start = 0;
  while (true) {
    const std::size_t comma = line.find(',', start);
    cells.push_back(trim(line.substr(start, comma == std::string_view::npos ? std::string_view::npos : comma - start)));
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return cells;
}

bool parse_number(std::string_view cell, double& value) {
  if (!cell.empty() && cell.front() == '+') cell.remove_prefix(1);
  const auto [end, ec] = std::from_chars(cell.data(), cell.data() + cell.size(), value);
  return ec == std::errc() && end == cell.data() + cell.size() && !cell.empty();
}

}  // namespace

Dataset read_csv(const std::string& path, std::int64_t inputs, std::int64_t outputs, bool labels_optional) {
  std::ifstream in(path);
  if (!in) fail("cannot open the data file {}: {}", path, std::strerror(errno));
  Dataset data;
  data.origin = path;
  data.inputs = inputs;
  data.outputs = -1;  // decided by the first data row when labels are optional
  std::string line;
  std::int64_t line_number = 0;
  bool first_content = true;
  while (std::getline(in, line)) {
    ++line_number;
    if (trim(line).empty()) continue;
    const std::vector<std::string_view> cells = split(line);
    std::vector<double> values(cells.size());
    bool any_numeric = false;
    for (std::size_t c = 0; c < cells.size(); ++c) any_numeric = parse_number(cells[c], values[c]) || any_numeric;
    if (first_content) {
      first_content = false;
      // A header has no numeric cell; a first row with some numbers and a bad cell is a data row and
      // gets the "not a number" error below instead of being dropped silently.
      if (!any_numeric) continue;
    }
    const std::int64_t width = static_cast<std::int64_t>(cells.size());
    if (data.outputs < 0) {
      if (width == inputs + outputs)
        data.outputs = outputs;
      else if (labels_optional && width == inputs)
        data.outputs = 0;
      else
        fail("{} line {}: {} columns, but the polytope needs {} (n = {} inputs then m = {} outputs){}", path,
             line_number, width, inputs + outputs, inputs, outputs,
             labels_optional ? fmt::format(", or {} without labels", inputs) : "");
    } else if (width != inputs + data.outputs) {
      fail("{} line {}: {} columns where earlier rows have {} (ragged row)", path, line_number, width,
           inputs + data.outputs);
    }
    for (std::size_t c = 0; c < cells.size(); ++c) {
      if (!parse_number(cells[c], values[c]))
        fail("{} line {}, column {}: \"{}\" is not a number", path, line_number, c + 1, std::string(cells[c]));
      if (!std::isfinite(values[c]))
        fail("{} line {}, column {}: {} is not a finite number", path, line_number, c + 1, std::string(cells[c]));
    }
    data.x.insert(data.x.end(), values.begin(), values.begin() + inputs);
    data.y.insert(data.y.end(), values.begin() + inputs, values.end());
    ++data.samples;
  }
  if (data.samples == 0) fail("{} holds no data rows", path);
  return data;
}

std::int64_t csv_data_columns(const std::string& path) {
  std::ifstream in(path);
  if (!in) fail("cannot open the data file {}: {}", path, std::strerror(errno));
  std::string line;
  while (std::getline(in, line)) {
    if (trim(line).empty()) continue;
    const std::vector<std::string_view> cells = split(line);
    double value = 0;
    for (const auto& cell : cells)
      if (parse_number(cell, value)) return static_cast<std::int64_t>(cells.size());
  }
  fail("{} holds no data rows", path);
}

Dataset read_hdf5_dataset(const std::string& path, std::int64_t inputs, std::int64_t outputs) {
  h5::quiet_errors();
  if (H5Fis_hdf5(path.c_str()) <= 0) fail("{} is not an HDF5 file", path);
  h5::Handle file(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), H5Fclose, "opening " + path);
  Dataset data;
  data.origin = path;
  data.inputs = inputs;
  data.outputs = outputs;
  auto read_matrix = [&](const char* name, std::int64_t width, std::vector<double>& out) {
    if (!h5::exists(file, name))
      fail("{}: the dataset {} is missing (an HDF5 data file holds X, samples x n, and Y, samples x m)", path, name);
    h5::Handle set(H5Dopen2(file, name, H5P_DEFAULT), H5Dclose, std::string("opening ") + name);
    const std::string what = fmt::format("{}: {} (samples x columns)", path, name);
    const std::vector<std::int64_t> dims = h5::extent(set, 2, what);
    if (dims[1] != width) fail("{}: {} has {} columns, but the polytope needs {}", path, name, dims[1], width);
    // The declared shape is only a claim: a damaged or hostile file can declare 2^40 rows in 2 KB.
    // Uncompressed data must be stored in full; anything else must at least fit in memory.
    // The storage size is a claim too (a contiguous layout's size is read from the header), so it is capped
    // by the file's own length unless the data lives in external raw files.
    const std::int64_t values = h5::element_count(dims, what);
    const double claimed = static_cast<double>(values) * sizeof(double);
    h5::Handle dcpl(H5Dget_create_plist(set), H5Pclose, "H5Dget_create_plist");
    hsize_t storage = H5Dget_storage_size(set);
    hsize_t file_bytes = 0;
    if (H5Pget_external_count(dcpl) <= 0 && H5Fget_filesize(file, &file_bytes) >= 0)
      storage = std::min(storage, file_bytes);
    const double stored = static_cast<double>(storage);
    if (H5Pget_layout(dcpl) == H5D_CONTIGUOUS && storage / sizeof(double) < static_cast<hsize_t>(values))
      fail(
          "{}: {} declares {} x {} values ({:.0f} bytes) but the file stores only {:.0f} bytes of it; the file is "
          "truncated or damaged",
          path, name, dims[0], dims[1], claimed, stored);
    // Chunked or compressed data may be smaller on disk, but not by more than deflate's 1032:1 at best;
    // unwritten chunks are no data. A larger claim is a damaged file: refused before allocating.
    if (claimed > 1032.0 * stored + 65536.0)
      fail(
          "{}: {} declares {} x {} values ({:.0f} bytes) but stores only {:.0f} bytes, more than any compression "
          "explains; the file is damaged or not a data set",
          path, name, dims[0], dims[1], claimed, stored);
    try {
      out.resize(static_cast<std::size_t>(values));
    } catch (const std::exception&) {  // std::bad_alloc or std::length_error
      fail(
          "{}: {} declares {} x {} values, more than this machine's memory holds; the file is damaged or not a "
          "data set",
          path, name, dims[0], dims[1]);
    }
    if (H5Dread(set, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, out.data()) < 0)
      fail("{}: reading {} failed", path, name);
    return dims[0];
  };
  data.samples = read_matrix("X", inputs, data.x);
  if (read_matrix("Y", outputs, data.y) != data.samples) fail("{}: X and Y have different numbers of rows", path);
  if (data.samples == 0) fail("{} holds no samples", path);
  for (std::size_t k = 0; k < data.x.size(); ++k)
    if (!std::isfinite(data.x[k])) fail("{}: X[{}, {}] is not finite", path, k / inputs, k % inputs);
  for (std::size_t k = 0; k < data.y.size(); ++k)
    if (!std::isfinite(data.y[k])) fail("{}: Y[{}, {}] is not finite", path, k / outputs, k % outputs);
  return data;
}

Dataset read_dataset(const std::string& path, std::int64_t inputs, std::int64_t outputs, bool labels_optional) {
  const auto dot = path.rfind('.');
  const std::string ext = dot == std::string::npos ? "" : path.substr(dot);
  if (ext == ".h5" || ext == ".hdf5") return read_hdf5_dataset(path, inputs, outputs);
  return read_csv(path, inputs, outputs, labels_optional);
}

void require_in_box(const Dataset& data) {
  auto check = [&](const std::vector<double>& values, std::int64_t width, std::int64_t column_offset) {
    for (std::size_t k = 0; k < values.size(); ++k)
      if (values[k] < -1.0 || values[k] > 1.0)
        fail("{}: sample {}, column {} is {}, outside the box [-1, 1]; rescale the data or pass --scale minmax",
             data.origin, k / width + 1, k % width + 1 + column_offset, values[k]);
  };
  check(data.x, data.inputs, 0);
  if (data.outputs > 0) check(data.y, data.outputs, data.inputs);
}

void require_binary(const Dataset& data) {
  auto check = [&](const std::vector<double>& values, std::int64_t width, std::int64_t column_offset) {
    for (std::size_t k = 0; k < values.size(); ++k)
      if (values[k] != -1.0 && values[k] != 1.0)
        fail(
            "{}: sample {}, column {} is {}, but a binary network takes inputs and labels in {{-1, +1}} only; "
            "binarize the data (e.g. x >= threshold ? 1 : -1) before training",
            data.origin, k / width + 1, k % width + 1 + column_offset, values[k]);
  };
  check(data.x, data.inputs, 0);
  if (data.outputs > 0) check(data.y, data.outputs, data.inputs);
}

MinMaxScaling MinMaxScaling::fit(const Dataset& data) {
  MinMaxScaling s;
  auto fit_columns = [](const std::vector<double>& v, std::int64_t width, std::vector<double>& lo,
                        std::vector<double>& hi) {
    lo.assign(width, INFINITY);
    hi.assign(width, -INFINITY);
    for (std::size_t k = 0; k < v.size(); ++k) {
      lo[k % width] = std::min(lo[k % width], v[k]);
      hi[k % width] = std::max(hi[k % width], v[k]);
    }
  };
  fit_columns(data.x, data.inputs, s.input_min, s.input_max);
  fit_columns(data.y, data.outputs, s.output_min, s.output_max);
  return s;
}

namespace {
// A constant column maps to 0, the centre of the box.
double to_box(double v, double lo, double hi) {
  if (hi <= lo) return 0.0;
  // hi - lo overflows to inf for a column spanning more than DBL_MAX (-1e308..1e308): use halves.
  const double range = hi - lo;
  const double t = std::isfinite(range) ? (v - lo) / range : (v / 2 - lo / 2) / (hi / 2 - lo / 2);
  return std::clamp(2.0 * t - 1.0, -1.0, 1.0);
}
}  // namespace

Dataset MinMaxScaling::apply(const Dataset& data) const {
  Dataset out = data;
  for (std::size_t k = 0; k < out.x.size(); ++k)
    out.x[k] = to_box(out.x[k], input_min[k % data.inputs], input_max[k % data.inputs]);
  for (std::size_t k = 0; k < out.y.size(); ++k)
    out.y[k] = to_box(out.y[k], output_min[k % data.outputs], output_max[k % data.outputs]);
  return out;
}

void MinMaxScaling::unscale_outputs(std::span<double> z) const {
  for (std::size_t k = 0; k < z.size(); ++k) {
    const double lo = output_min[k], hi = output_max[k];
    const double range = hi - lo, t = (z[k] + 1.0) / 2.0;
    // A column spanning more than DBL_MAX: the convex combination of lo and hi cannot overflow.
    z[k] = hi <= lo ? lo : std::isfinite(range) ? lo + (z[k] + 1.0) * range / 2.0 : (1.0 - t) * lo + t * hi;
  }
}

nlohmann::json MinMaxScaling::to_json() const {
  return {{"kind", "minmax"},
          {"input_min", input_min},
          {"input_max", input_max},
          {"output_min", output_min},
          {"output_max", output_max}};
}

MinMaxScaling MinMaxScaling::from_json(const nlohmann::json& j) {
  MinMaxScaling s;
  j.at("input_min").get_to(s.input_min);
  j.at("input_max").get_to(s.input_max);
  j.at("output_min").get_to(s.output_min);
  j.at("output_max").get_to(s.output_max);
  return s;
}

}  // namespace lpnn
