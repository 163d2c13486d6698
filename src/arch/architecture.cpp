#include "lpnn/arch/architecture.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <limits>
#include <set>
#include <sstream>

#include "lpnn/util/error.hpp"
#include "lpnn/util/units.hpp"

namespace lpnn {

using nlohmann::json;

std::string to_string(Activation a) {
  switch (a) {
    case Activation::Identity:
      return "identity";
    case Activation::Relu:
      return "relu";
    case Activation::LeakyRelu:
      return "leaky_relu";
    case Activation::Tanh:
      return "tanh";
  }
  return "?";
}

std::string to_string(LossKind l) {
  switch (l) {
    case LossKind::Squared:
      return "squared";
    case LossKind::Absolute:
      return "absolute";
    case LossKind::Hinge:
      return "hinge";
  }
  return "?";
}

std::string to_string(RegularizerKind r) {
  switch (r) {
    case RegularizerKind::None:
      return "none";
    case RegularizerKind::L1:
      return "l1";
    case RegularizerKind::L2:
      return "l2";
  }
  return "?";
}

namespace {

// Far above any network whose polytope fits 64-bit indices (N <= 62 with K >= 2), small enough that the
// graph of a network at the limit fits in memory.
constexpr std::int64_t kMaxParameters = std::int64_t{1} << 20;

// Rejects keys the spec does not know: a typo ("activaton") must not silently become a default.
void check_keys(const json& object, const std::set<std::string>& allowed, const std::string& where) {
  for (const auto& item : object.items()) {
    if (!allowed.contains(item.key())) {
      std::string list;
      for (const auto& k : allowed) list += (list.empty() ? "" : ", ") + k;
      fail("spec: unknown field \"{}\" in {} (allowed: {})", item.key(), where, list);
    }
  }
}

std::int64_t positive_integer(const json& object, const char* key, const std::string& where) {
  if (!object.contains(key)) fail("spec: {} is missing the required field \"{}\"", where, key);
  const json& v = object.at(key);
  if (!v.is_number_integer()) fail("spec: {}.{} must be an integer, got {}", where, key, v.dump());
  // get<int64_t> would wrap an unsigned value above INT64_MAX to a negative number.
  if (v.is_number_unsigned() &&
      v.get<std::uint64_t>() > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
    fail("spec: {}.{} = {} is too large", where, key, v.dump());
  const std::int64_t value = v.get<std::int64_t>();
  if (value <= 0) fail("spec: {}.{} must be at least 1, got {}", where, key, value);
  return value;
}

Activation parse_activation(const json& v, const std::string& where) {
  if (!v.is_string()) fail("spec: {}.activation must be a string, got {}", where, v.dump());
  const std::string name = v.get<std::string>();
  if (name == "relu") return Activation::Relu;
  if (name == "leaky_relu") return Activation::LeakyRelu;
  if (name == "identity") return Activation::Identity;
  if (name == "tanh") return Activation::Tanh;
  fail("spec: unknown activation \"{}\" in {} (use relu, leaky_relu, identity or tanh)", name, where);
}

LossKind parse_loss(const json& v) {
  if (!v.is_string()) fail("spec: \"loss\" must be a string, got {}", v.dump());
  const std::string name = v.get<std::string>();
  if (name == "squared") return LossKind::Squared;
  if (name == "absolute") return LossKind::Absolute;
  if (name == "hinge") return LossKind::Hinge;
  fail("spec: unknown loss \"{}\" (use squared, absolute or hinge)", name);
}

LayerSpec parse_layer(const json& layer, const std::string& where) {
  if (!layer.is_object()) fail("spec: {} must be an object, got {}", where, layer.dump());
  check_keys(layer, {"units", "activation", "slope"}, where);
  LayerSpec ls;
  ls.units = positive_integer(layer, "units", where);
  if (!layer.contains("activation")) fail("spec: {} is missing the required field \"activation\"", where);
  ls.activation = parse_activation(layer.at("activation"), where);
  if (layer.contains("slope")) {
    if (ls.activation != Activation::LeakyRelu)
      fail("spec: {}.slope is only meaningful for leaky_relu, not {}", where, to_string(ls.activation));
    if (!layer.at("slope").is_number()) fail("spec: {}.slope must be a number", where);
    ls.slope = layer.at("slope").get<double>();
    // The Lipschitz analysis assumes 1-Lipschitz activations with a(0) = 0.
    if (!(ls.slope >= 0.0 && ls.slope <= 1.0)) fail("spec: {}.slope must be in [0, 1], got {}", where, ls.slope);
  }
  return ls;
}

Regularizer parse_regularizer(const json& reg) {
  Regularizer regularizer;
  if (!reg.is_object()) fail("spec: \"regularizer\" must be an object like {{\"kind\": \"l2\", \"weight\": 0.01}}");
  check_keys(reg, {"kind", "weight"}, "regularizer");
  if (!reg.contains("kind") || !reg.at("kind").is_string()) fail("spec: regularizer.kind must be \"l1\" or \"l2\"");
  const std::string kind = reg.at("kind").get<std::string>();
  if (kind == "l1")
    regularizer.kind = RegularizerKind::L1;
  else if (kind == "l2")
    regularizer.kind = RegularizerKind::L2;
  else
    fail("spec: unknown regularizer.kind \"{}\" (use l1 or l2)", kind);
  if (!reg.contains("weight") || !reg.at("weight").is_number()) fail("spec: regularizer.weight must be a number >= 0");
  regularizer.weight = reg.at("weight").get<double>();
  if (!(regularizer.weight >= 0.0) || !std::isfinite(regularizer.weight))
    fail("spec: regularizer.weight must be a finite number >= 0, got {}", regularizer.weight);
  return regularizer;
}

// Size first, with checked arithmetic, before anything is allocated: a spec with absurd widths must be
// refused with a message, not overflow the parameter indices or exhaust memory building the graph.
void check_parameter_count(std::int64_t inputs, const std::vector<LayerSpec>& layers, bool bias) {
  std::int64_t count = 0, width = inputs;
  for (std::size_t i = 0; i < layers.size(); ++i) {
    const std::int64_t units = layers[i].units;
    count = checked_add(count, checked_mul(units, width, "the parameter count"), "the parameter count");
    if (bias) count = checked_add(count, units, "the parameter count");
    if (count > kMaxParameters)
      fail(
          "spec: the network has more than {} parameters by layers[{}] (units {}, fan-in {}); a polytope over N "
          "parameters has at least 2^N columns, so lpnn refuses networks this large",
          kMaxParameters, i, units, width);
    width = units;
  }
}

}  // namespace

Architecture Architecture::from_json(const json& spec) {
  if (!spec.is_object()) fail("spec: the top level must be a JSON object, got {}", spec.type_name());
  check_keys(spec, {"input", "layers", "bias", "loss", "regularizer"}, "the spec");
  Architecture arch;
  arch.input_ = positive_integer(spec, "input", "the spec");
  if (!spec.contains("layers") || !spec.at("layers").is_array() || spec.at("layers").empty())
    fail("spec: \"layers\" must be a non-empty array of {{\"units\": U, \"activation\": A}}");
  const json& layers = spec.at("layers");
  for (std::size_t i = 0; i < layers.size(); ++i)
    arch.layers_.push_back(parse_layer(layers[i], fmt::format("layers[{}]", i)));
  if (spec.contains("bias")) {
    if (!spec.at("bias").is_boolean()) fail("spec: \"bias\" must be true or false, got {}", spec.at("bias").dump());
    arch.bias_ = spec.at("bias").get<bool>();
  }
  if (!spec.contains("loss")) fail("spec: the required field \"loss\" is missing (squared, absolute or hinge)");
  arch.loss_ = parse_loss(spec.at("loss"));
  if (spec.contains("regularizer") && !spec.at("regularizer").is_null())
    arch.regularizer_ = parse_regularizer(spec.at("regularizer"));
  check_parameter_count(arch.input_, arch.layers_, arch.bias_);
  arch.build_dense_graph();
  return arch;
}

// Dense layers -> graph: layer by layer, weights row-major (output x input), then biases.
void Architecture::build_dense_graph() {
  std::int64_t parameter = 0;
  std::int64_t previous_first = 0;  // value index of the previous layer's first unit
  std::int64_t previous_width = input_;
  for (const LayerSpec& ls : layers_) {
    const std::int64_t first = static_cast<std::int64_t>(neurons_.size());
    for (std::int64_t u = 0; u < ls.units; ++u) {
      Neuron neuron;
      neuron.activation = ls.activation;
      neuron.slope = ls.slope;
      for (std::int64_t k = 0; k < previous_width; ++k)
        neuron.in.push_back({previous_first + k, checked_add(parameter, u * previous_width + k, "parameter count")});
      neurons_.push_back(std::move(neuron));
    }
    parameter = checked_add(parameter, checked_mul(ls.units, previous_width, "parameter count"), "parameter count");
    if (bias_) {
      for (std::int64_t u = 0; u < ls.units; ++u) neurons_[first + u].bias_parameter = parameter + u;
      parameter += ls.units;
    }
    previous_first = input_ + first;
    previous_width = ls.units;
  }
  parameter_count_ = parameter;
  for (std::int64_t u = 0; u < layers_.back().units; ++u) output_neurons_.push_back(previous_first - input_ + u);
}

Architecture Architecture::from_json_text(const std::string& text, const std::string& origin) {
  json spec;
  try {
    spec = json::parse(text);
  } catch (const json::parse_error& e) {
    fail("spec {}: malformed JSON at byte {}: {}", origin, e.byte, e.what());
  } catch (const json::exception& e) {  // out_of_range 406: a number beyond double's range (1e400)
    fail("spec {}: malformed JSON: {}", origin, e.what());
  }
  try {
    return from_json(spec);
  } catch (const Error& e) {
    throw Error(fmt::format("{} ({})", e.what(), origin));
  }
}

Architecture Architecture::from_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) fail("cannot open the architecture spec {}: {}", path, std::strerror(errno));
  std::stringstream buffer;
  buffer << in.rdbuf();
  return from_json_text(buffer.str(), path);
}

json Architecture::to_json() const {
  json spec;
  spec["input"] = input_;
  spec["layers"] = json::array();
  for (const LayerSpec& ls : layers_) {
    json layer{{"units", ls.units}, {"activation", to_string(ls.activation)}};
    if (ls.activation == Activation::LeakyRelu) layer["slope"] = ls.slope;
    spec["layers"].push_back(layer);
  }
  spec["bias"] = bias_;
  spec["loss"] = to_string(loss_);
  if (regularizer_.kind != RegularizerKind::None)
    spec["regularizer"] = {{"kind", to_string(regularizer_.kind)}, {"weight", regularizer_.weight}};
  return spec;
}

std::int64_t Architecture::max_fan_in() const {
  std::int64_t w = 0;
  for (const Neuron& n : neurons_) w = std::max<std::int64_t>(w, static_cast<std::int64_t>(n.in.size()));
  return w;
}

double Architecture::regularization(std::span<const double> phi) const {
  double r = 0.0;
  switch (regularizer_.kind) {
    case RegularizerKind::None:
      return 0.0;
    case RegularizerKind::L1:
      for (double p : phi) r += std::fabs(p);
      break;
    case RegularizerKind::L2:
      for (double p : phi) r += p * p;
      break;
  }
  return regularizer_.weight * r;
}

double Architecture::sample_loss(std::span<const double> x, std::span<const double> phi,
                                 std::span<const double> y) const {
  std::vector<double> z(static_cast<std::size_t>(outputs()));
  evaluate<double>(x, phi, z);
  return loss_value<double>(z, y);
}

}  // namespace lpnn
