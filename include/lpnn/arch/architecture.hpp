// The network model: a validated architecture spec and the feed-forward graph it describes.
//
// Spec (JSON):
//   {"input": 2, "layers": [{"units": 2, "activation": "relu"}, {"units": 1, "activation": "identity"}],
//    "bias": true, "loss": "squared", "regularizer": {"kind": "l2", "weight": 0.01}}
// Parameter layout φ (flat, N entries): layer by layer, the weights row-major (output x input), then
// that layer's biases. Every parameter lives in [-1, 1].
//
// The graph is a list of neurons in topological order; each incoming edge names its source (an input
// or an earlier neuron) and the parameter it multiplies. Tied weights (CNNs) are edges sharing a
// parameter index, skip connections (ResNets) are edges from any earlier neuron, and new unit kinds
// (sign units) are new activations: none of them needs a redesign. Only dense layers are parsed now.
#pragma once

#include <cmath>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <span>
#include <string>
#include <vector>

namespace lpnn {

enum class Activation { Identity, Relu, LeakyRelu, Tanh };
enum class LossKind { Squared, Absolute, Hinge };
enum class RegularizerKind { None, L1, L2 };

std::string to_string(Activation a);
std::string to_string(LossKind l);
std::string to_string(RegularizerKind r);

struct LayerSpec {
  std::int64_t units = 0;
  Activation activation = Activation::Identity;
  double slope = 0.01;  // leaky_relu only
};

struct Regularizer {
  RegularizerKind kind = RegularizerKind::None;
  double weight = 0.0;
};

// One unit of the graph. Sources index the value array: [0, input) are inputs, input + k is neuron k.
struct Neuron {
  struct Edge {
    std::int64_t source;
    std::int64_t parameter;
  };
  std::vector<Edge> in;
  std::int64_t bias_parameter = -1;  // -1: no bias
  Activation activation = Activation::Identity;
  double slope = 0.0;
};

// Scalar operations the evaluation needs; overloads for other scalar types (dual numbers, interval
// enclosures) are found by argument-dependent lookup.
inline double relu(double v) { return v > 0.0 ? v : 0.0; }
inline double abs_value(double v) { return std::fabs(v); }
inline double tanh_value(double v) { return std::tanh(v); }

class Architecture {
 public:
  // Parses and validates; throws lpnn::Error naming the offending field.
  static Architecture from_json(const nlohmann::json& spec);
  static Architecture from_json_text(const std::string& text, const std::string& origin);
  static Architecture from_file(const std::string& path);
  // The resolved spec (defaults filled in), which round-trips through from_json.
  nlohmann::json to_json() const;

  std::int64_t inputs() const { return input_; }
  std::int64_t outputs() const { return static_cast<std::int64_t>(output_neurons_.size()); }
  std::int64_t parameters() const { return parameter_count_; }
  const std::vector<LayerSpec>& layers() const { return layers_; }
  bool bias() const { return bias_; }
  LossKind loss() const { return loss_; }
  const Regularizer& regularizer() const { return regularizer_; }
  const std::vector<Neuron>& neurons() const { return neurons_; }
  std::int64_t max_fan_in() const;

  // f(x, φ) for any scalar type with +, -, *, relu, tanh_value. `out` has outputs() entries.
  template <typename T>
  void evaluate(std::span<const T> x, std::span<const T> phi, std::span<T> out) const;

  // ℓ(z, y): squared Σ(z-y)², absolute Σ|z-y|, hinge Σ max(0, 1 - y·z).
  template <typename T>
  T loss_value(std::span<const T> z, std::span<const T> y) const;

  // λ_R·R(φ) with R = ||φ||_1 or ||φ||_2² (0 without a regularizer).
  double regularization(std::span<const double> phi) const;

  // ℓ(f(x, φ), y) in double precision.
  double sample_loss(std::span<const double> x, std::span<const double> phi, std::span<const double> y) const;

 private:
  void build_dense_graph();  // neurons_, output_neurons_ and parameter_count_ from the layers

  std::int64_t input_ = 0;
  std::vector<LayerSpec> layers_;
  bool bias_ = true;
  LossKind loss_ = LossKind::Squared;
  Regularizer regularizer_;
  std::vector<Neuron> neurons_;
  std::vector<std::int64_t> output_neurons_;
  std::int64_t parameter_count_ = 0;
};

template <typename T>
T apply_activation(Activation a, double slope, const T& v) {
  switch (a) {
    case Activation::Identity:
      return v;
    case Activation::Relu:
      return relu(v);
    case Activation::LeakyRelu: {
      // leaky(v) = (1 - s)·relu(v) + s·v keeps one primitive (relu) for every scalar type.
      T r = relu(v);
      return r * T(1.0 - slope) + v * T(slope);
    }
    case Activation::Tanh:
      return tanh_value(v);
  }
  return v;
}

template <typename T>
void Architecture::evaluate(std::span<const T> x, std::span<const T> phi, std::span<T> out) const {
  std::vector<T> values;
  values.reserve(static_cast<std::size_t>(input_) + neurons_.size());
  for (std::int64_t i = 0; i < input_; ++i) values.push_back(x[i]);
  for (const Neuron& neuron : neurons_) {
    T pre = neuron.bias_parameter >= 0 ? T(phi[neuron.bias_parameter]) : T(0.0);
    for (const Neuron::Edge& e : neuron.in) pre = pre + phi[e.parameter] * values[e.source];
    values.push_back(apply_activation(neuron.activation, neuron.slope, pre));
  }
  for (std::size_t k = 0; k < output_neurons_.size(); ++k) out[k] = values[input_ + output_neurons_[k]];
}

template <typename T>
T Architecture::loss_value(std::span<const T> z, std::span<const T> y) const {
  T total(0.0);
  for (std::size_t k = 0; k < z.size(); ++k) {
    switch (loss_) {
      case LossKind::Squared: {
        T d = z[k] - y[k];
        total = total + d * d;
        break;
      }
      case LossKind::Absolute:
        total = total + abs_value(z[k] - y[k]);
        break;
      case LossKind::Hinge:
        total = total + relu(T(1.0) - y[k] * z[k]);
        break;
    }
  }
  return total;
}

}  // namespace lpnn
