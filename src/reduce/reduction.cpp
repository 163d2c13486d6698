#include "lpnn/reduce/reduction.hpp"

#include <algorithm>
#include <cmath>

#include "lpnn/util/error.hpp"
#include "lpnn/util/files.hpp"
#include "lpnn/util/json_integer.hpp"

namespace lpnn {

void Reduction::project(std::span<const double> x, std::span<double> t) const {
  const std::int64_t r = rank(), d = dimension;
  for (std::int64_t k = 0; k < r; ++k) {
    double sum = 0;
    for (std::int64_t i = 0; i < d; ++i) sum += projection[k * d + i] * (x[i] - offset[i]);
    t[k] = sum;
  }
}

void Reduction::apply(std::span<const double> x, std::span<double> out) const {
  project(x, out);
  for (std::size_t k = 0; k < out.size(); ++k) {
    const double lo = reduced_min[k], hi = reduced_max[k];
    out[k] = hi <= lo ? 0.0 : std::clamp(2.0 * (out[k] - lo) / (hi - lo) - 1.0, -1.0, 1.0);
  }
}

Dataset Reduction::apply(const Dataset& raw) const {
  if (raw.inputs != dimension)
    fail("{}: {} input columns, but the reduction was fitted on {}-dimensional data", raw.origin, raw.inputs,
         dimension);
  Dataset out;
  out.samples = raw.samples;
  out.inputs = rank();
  out.outputs = raw.outputs;
  out.y = raw.y;
  out.origin = raw.origin;
  out.x.resize(static_cast<std::size_t>(raw.samples * out.inputs));
  for (std::int64_t s = 0; s < raw.samples; ++s)
    apply(raw.input(s), std::span<double>(out.x.data() + s * out.inputs, static_cast<std::size_t>(out.inputs)));
  return out;
}

namespace {

nlohmann::json rows(const std::vector<double>& flat, std::int64_t width) {
  nlohmann::json out = nlohmann::json::array();
  for (std::size_t k = 0; k < flat.size(); k += width)
    out.push_back(std::vector<double>(flat.begin() + k, flat.begin() + k + width));
  return out;
}

std::vector<double> flatten(const nlohmann::json& j, std::int64_t width, const char* name, const std::string& origin) {
  std::vector<double> flat;
  for (const auto& row : j) {
    const auto values = row.get<std::vector<double>>();
    if (static_cast<std::int64_t>(values.size()) != width)
      fail("{}: a row of \"{}\" has {} numbers, expected {}; the basis file is damaged, run lpnn-reduce again", origin,
           name, values.size(), width);
    flat.insert(flat.end(), values.begin(), values.end());
  }
  return flat;
}

}  // namespace

nlohmann::json Reduction::to_json() const {
  return {{"dimension", dimension},
          {"rank", rank()},
          {"basis", rows(basis, dimension)},
          {"whitening", whitening.empty() ? nlohmann::json(nullptr)
                                          : nlohmann::json{{"mean", offset}, {"matrix", rows(whitening, dimension)}}},
          {"offset", offset},
          {"projection", rows(projection, dimension)},
          {"scaling", {{"kind", "minmax"}, {"reduced_min", reduced_min}, {"reduced_max", reduced_max}}}};
}

Reduction Reduction::from_json(const nlohmann::json& j, const std::string& origin) {
  Reduction red;
  try {
    red.dimension = json_integer(j.at("dimension"), origin + ": \"dimension\"");
    if (red.dimension < 1) fail("{}: \"dimension\" is {}, it must be at least 1", origin, red.dimension);
    red.basis = flatten(j.at("basis"), red.dimension, "basis", origin);
    red.projection = flatten(j.at("projection"), red.dimension, "projection", origin);
    if (!j.at("whitening").is_null())
      red.whitening = flatten(j.at("whitening").at("matrix"), red.dimension, "whitening", origin);
    j.at("offset").get_to(red.offset);
    j.at("scaling").at("reduced_min").get_to(red.reduced_min);
    j.at("scaling").at("reduced_max").get_to(red.reduced_max);
  } catch (const nlohmann::json::exception& e) {
    fail("{}: malformed basis: {}", origin, e.what());
  }
  const auto r = static_cast<std::size_t>(red.rank());
  if (r < 1 || red.projection.size() != red.basis.size() ||
      red.offset.size() != static_cast<std::size_t>(red.dimension) || red.reduced_min.size() != r ||
      red.reduced_max.size() != r ||
      (!red.whitening.empty() && red.whitening.size() != static_cast<std::size_t>(red.dimension * red.dimension)))
    fail(
        "{}: the basis, projection, offset and scaling sizes do not agree (rank {}, dimension {}); the basis file "
        "is damaged, run lpnn-reduce again",
        origin, r, red.dimension);
  return red;
}

Reduction Reduction::from_file(const std::string& path) {
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(read_text_file(path, "basis file"));
  } catch (const nlohmann::json::exception& e) {
    fail("{} is not a JSON basis file: {}", path, e.what());
  }
  if (!j.is_object() || j.value("format", "") != kBasisFormat)
    fail("{} is not an lpnn basis file (no \"format\": \"{}\"); write one with lpnn-reduce --basis-out", path,
         kBasisFormat);
  return from_json(j, path);
}

}  // namespace lpnn
