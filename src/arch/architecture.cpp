#include "lpnn/arch/architecture.hpp"

#include <algorithm>
#include <cstdint>
#include <limits>
#include <set>

#include "lpnn/util/error.hpp"
#include "lpnn/util/files.hpp"
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
    case Activation::Elu:
      return "elu";
    case Activation::Sign:
      return "sign";
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
    case LossKind::Logistic:
      return "logistic";
    case LossKind::CrossEntropy:
      return "cross_entropy";
  }
  return "?";
}

std::string to_string(LayerType t) {
  switch (t) {
    case LayerType::Dense:
      return "dense";
    case LayerType::Conv1d:
      return "conv1d";
    case LayerType::Conv2d:
      return "conv2d";
    case LayerType::AvgPool1d:
      return "avgpool1d";
    case LayerType::AvgPool2d:
      return "avgpool2d";
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
  return from_json_text(read_text_file(path, "architecture spec"), path);
}

std::int64_t Architecture::max_fan_in() const {
  std::int64_t w = 0;
  for (const Neuron& n : neurons_) w = std::max<std::int64_t>(w, static_cast<std::int64_t>(n.in.size()));
  return w;
}

bool Architecture::has_sign_units() const {
  for (const Neuron& n : neurons_)
    if (n.activation == Activation::Sign) return true;
  return false;
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
