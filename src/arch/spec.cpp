// Parsing and validating an architecture spec, and writing it back resolved (README, Architecture
// spec). Every error names the layer and the field, and says what would be accepted.
#include <cstdint>
#include <limits>
#include <set>

#include "lpnn/arch/architecture.hpp"
#include "lpnn/util/error.hpp"

namespace lpnn {

using nlohmann::json;

namespace {

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

// A size given as one integer or, for two-dimensional layers, as [a, b] (one integer means [a, a],
// as in PyTorch).
std::vector<std::int64_t> positive_sizes(const json& object, const char* key, const std::string& where,
                                         std::size_t dimensions) {
  if (!object.contains(key)) fail("spec: {} is missing the required field \"{}\"", where, key);
  const json& v = object.at(key);
  if (v.is_array()) {
    if (v.size() != dimensions) fail("spec: {}.{} must have {} entries, got {}", where, key, dimensions, v.dump());
    std::vector<std::int64_t> sizes;
    for (std::size_t i = 0; i < v.size(); ++i) {
      const json wrapped{{key, v[i]}};
      sizes.push_back(positive_integer(wrapped, key, where));
    }
    return sizes;
  }
  return std::vector<std::int64_t>(dimensions, positive_integer(object, key, where));
}

Activation parse_activation(const json& v, const std::string& where) {
  if (!v.is_string()) fail("spec: {}.activation must be a string, got {}", where, v.dump());
  const std::string name = v.get<std::string>();
  for (Activation a : {Activation::Relu, Activation::LeakyRelu, Activation::Identity, Activation::Tanh, Activation::Elu,
                       Activation::Sign})
    if (name == to_string(a)) return a;
  fail("spec: unknown activation \"{}\" in {} (use relu, leaky_relu, identity, tanh, elu or sign)", name, where);
}

LossKind parse_loss(const json& v) {
  if (!v.is_string()) fail("spec: \"loss\" must be a string, got {}", v.dump());
  const std::string name = v.get<std::string>();
  for (LossKind l :
       {LossKind::Squared, LossKind::Absolute, LossKind::Hinge, LossKind::Logistic, LossKind::CrossEntropy})
    if (name == to_string(l)) return l;
  fail("spec: unknown loss \"{}\" (use squared, absolute, hinge, logistic or cross_entropy)", name);
}

LayerType parse_type(const json& layer, const std::string& where) {
  if (!layer.contains("type")) return LayerType::Dense;
  const json& v = layer.at("type");
  if (!v.is_string()) fail("spec: {}.type must be a string, got {}", where, v.dump());
  const std::string name = v.get<std::string>();
  for (LayerType t :
       {LayerType::Dense, LayerType::Conv1d, LayerType::Conv2d, LayerType::AvgPool1d, LayerType::AvgPool2d})
    if (name == to_string(t)) return t;
  fail("spec: unknown layer type \"{}\" in {} (use dense, conv1d, conv2d, avgpool1d or avgpool2d)", name, where);
}

SkipSource parse_skip(const json& v, std::size_t index, const std::string& where) {
  if (v.is_string() && v.get<std::string>() == "input") return {SkipSource::Kind::Input, -1};
  if (!v.is_number_integer())
    fail("spec: {}.skip must be \"input\" or the index of an earlier layer, got {}", where, v.dump());
  const std::int64_t j = v.get<std::int64_t>();
  if (j < 0 || j >= static_cast<std::int64_t>(index)) {
    if (index == 0)
      fail("spec: {}.skip = {} must name an earlier layer, and the first layer has none: use \"input\"", where, j);
    fail("spec: {}.skip = {} must name an earlier layer (0 to {}) or \"input\"", where, j,
         static_cast<std::int64_t>(index) - 1);
  }
  return {SkipSource::Kind::Layer, j};
}

// The fields of a weighted layer (dense or convolution): activation, slope, bias.
void parse_unit_fields(const json& layer, const std::string& where, LayerSpec& ls) {
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
  if (layer.contains("bias")) {
    if (!layer.at("bias").is_boolean())
      fail("spec: {}.bias must be true or false, got {}", where, layer.at("bias").dump());
    ls.bias = layer.at("bias").get<bool>();
  }
}

LayerSpec parse_layer(const json& layer, std::size_t index) {
  const std::string where = fmt::format("layers[{}]", index);
  if (!layer.is_object()) fail("spec: {} must be an object, got {}", where, layer.dump());
  LayerSpec ls;
  ls.type = parse_type(layer, where);
  const std::string typed = fmt::format("{} ({})", where, to_string(ls.type));
  switch (ls.type) {
    case LayerType::Dense:
      check_keys(layer, {"type", "units", "activation", "slope", "bias", "skip"}, where);
      ls.units = positive_integer(layer, "units", where);
      parse_unit_fields(layer, where, ls);
      break;
    case LayerType::Conv1d:
    case LayerType::Conv2d: {
      const std::size_t dims = ls.type == LayerType::Conv1d ? 1 : 2;
      check_keys(layer, {"type", "channels", "kernel", "stride", "activation", "slope", "bias", "skip"}, typed);
      ls.channels = positive_integer(layer, "channels", typed);
      ls.kernel = positive_sizes(layer, "kernel", typed, dims);
      ls.stride =
          layer.contains("stride") ? positive_sizes(layer, "stride", typed, dims) : std::vector<std::int64_t>(dims, 1);
      parse_unit_fields(layer, typed, ls);
      break;
    }
    case LayerType::AvgPool1d:
    case LayerType::AvgPool2d:
      check_keys(layer, {"type", "size", "skip"}, typed);
      ls.size = positive_sizes(layer, "size", typed, ls.type == LayerType::AvgPool1d ? 1 : 2);
      break;
  }
  if (layer.contains("skip")) ls.skip = parse_skip(layer.at("skip"), index, where);
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

std::vector<std::int64_t> parse_input_shape(const json& v, std::int64_t inputs) {
  if (!v.is_array() || (v.size() != 2 && v.size() != 3))
    fail("spec: \"input_shape\" must be [C, L] (1-D signals) or [C, H, W] (images), got {}", v.dump());
  std::vector<std::int64_t> shape;
  std::int64_t product = 1;
  for (const json& d : v) {
    shape.push_back(positive_integer(json{{"input_shape", d}}, "input_shape", "the spec"));
    product = product > (std::numeric_limits<std::int64_t>::max() / shape.back()) ? -1 : product * shape.back();
  }
  if (product != inputs)
    fail("spec: \"input_shape\" {} has {} values but \"input\" is {}; their product must equal input", v.dump(),
         product < 0 ? std::string("too many") : std::to_string(product), inputs);
  return shape;
}

// In a binarized network every hidden weighted layer thresholds with sign (README, Architecture spec).
void check_binary(const std::vector<LayerSpec>& layers) {
  for (std::size_t i = 0; i + 1 < layers.size(); ++i) {
    const LayerSpec& ls = layers[i];
    const bool weighted = ls.type == LayerType::Dense || ls.type == LayerType::Conv1d || ls.type == LayerType::Conv2d;
    if (weighted && ls.activation != Activation::Sign)
      fail("spec: \"binary\": true needs sign activations in every hidden layer, but layers[{}] has {}", i,
           to_string(ls.activation));
  }
}

}  // namespace

Architecture Architecture::from_json(const json& spec) {
  if (!spec.is_object()) fail("spec: the top level must be a JSON object, got {}", spec.type_name());
  check_keys(spec, {"input", "input_shape", "layers", "bias", "loss", "regularizer", "binary"}, "the spec");
  Architecture arch;
  arch.input_ = positive_integer(spec, "input", "the spec");
  if (spec.contains("input_shape")) arch.input_shape_ = parse_input_shape(spec.at("input_shape"), arch.input_);
  if (!spec.contains("layers") || !spec.at("layers").is_array() || spec.at("layers").empty())
    fail("spec: \"layers\" must be a non-empty array of {{\"units\": U, \"activation\": A}}");
  const json& layers = spec.at("layers");
  for (std::size_t i = 0; i < layers.size(); ++i) arch.layers_.push_back(parse_layer(layers[i], i));
  if (spec.contains("bias")) {
    if (!spec.at("bias").is_boolean()) fail("spec: \"bias\" must be true or false, got {}", spec.at("bias").dump());
    arch.bias_ = spec.at("bias").get<bool>();
  }
  if (spec.contains("binary")) {
    if (!spec.at("binary").is_boolean())
      fail("spec: \"binary\" must be true or false, got {}", spec.at("binary").dump());
    arch.binary_ = spec.at("binary").get<bool>();
    if (arch.binary_) check_binary(arch.layers_);
  }
  if (!spec.contains("loss"))
    fail("spec: the required field \"loss\" is missing (squared, absolute, hinge, logistic or cross_entropy)");
  arch.loss_ = parse_loss(spec.at("loss"));
  if (spec.contains("regularizer") && !spec.at("regularizer").is_null())
    arch.regularizer_ = parse_regularizer(spec.at("regularizer"));
  arch.build_graph();
  return arch;
}

json Architecture::to_json() const {
  json spec;
  spec["input"] = input_;
  if (!input_shape_.empty()) spec["input_shape"] = input_shape_;
  spec["layers"] = json::array();
  for (const LayerSpec& ls : layers_) {
    json layer;
    if (ls.type != LayerType::Dense) layer["type"] = to_string(ls.type);
    const bool two_d = ls.type == LayerType::Conv2d || ls.type == LayerType::AvgPool2d;
    const auto sizes = [two_d](const std::vector<std::int64_t>& v) { return two_d ? json(v) : json(v[0]); };
    switch (ls.type) {
      case LayerType::Dense:
        layer["units"] = ls.units;
        break;
      case LayerType::Conv1d:
      case LayerType::Conv2d:
        layer["channels"] = ls.channels;
        layer["kernel"] = sizes(ls.kernel);
        layer["stride"] = sizes(ls.stride);
        break;
      case LayerType::AvgPool1d:
      case LayerType::AvgPool2d:
        layer["size"] = sizes(ls.size);
        break;
    }
    if (ls.type == LayerType::Dense || ls.type == LayerType::Conv1d || ls.type == LayerType::Conv2d) {
      layer["activation"] = to_string(ls.activation);
      if (ls.activation == Activation::LeakyRelu) layer["slope"] = ls.slope;
      if (ls.bias) layer["bias"] = *ls.bias;
    }
    if (ls.skip.kind == SkipSource::Kind::Input) layer["skip"] = "input";
    if (ls.skip.kind == SkipSource::Kind::Layer) layer["skip"] = ls.skip.layer;
    spec["layers"].push_back(layer);
  }
  spec["bias"] = bias_;
  if (binary_) spec["binary"] = true;
  spec["loss"] = to_string(loss_);
  if (regularizer_.kind != RegularizerKind::None)
    spec["regularizer"] = {{"kind", to_string(regularizer_.kind)}, {"weight", regularizer_.weight}};
  return spec;
}

}  // namespace lpnn
