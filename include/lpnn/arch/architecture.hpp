// The network model: a validated architecture spec and the feed-forward graph of neurons it describes.
//
// Spec (JSON), dense layers:
//   {"input": 2, "layers": [{"units": 2, "activation": "relu"}, {"units": 1, "activation": "identity"}],
//    "bias": true, "loss": "squared", "regularizer": {"kind": "l2", "weight": 0.01}}
// and, with "input_shape": [C, L] or [C, H, W], convolutions ("type": "conv1d" / "conv2d", tied weights),
// average pooling ("avgpool1d" / "avgpool2d"), skip connections ("skip": j or "input"), sign units and
// "binary": true networks (README, Architecture spec, documents every field).
//
// The graph is the single source of truth: parameter count, layout, fan-in and bounds are computed
// from it. Neurons are in topological order; each in-edge names its source (an input or an earlier
// neuron) and either a parameter (tied weights share one index) or a constant weight (pooling 1/p,
// skips 1). In-edge order is the weight layout's order, a skip edge last.
// Parameter layout φ (flat, N entries): layer by layer, that layer's weights (dense W[units][inputs],
// conv W[c_out][c_in][k...], row-major), then its biases (one per unit or per output channel). Every
// parameter lives in [-1, 1].
#pragma once

#include <array>
#include <cmath>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace lpnn {

enum class Activation { Identity, Relu, LeakyRelu, Tanh, Elu, Sign };
enum class LossKind { Squared, Absolute, Hinge, Logistic, CrossEntropy };
enum class RegularizerKind { None, L1, L2 };
enum class LayerType { Dense, Conv1d, Conv2d, AvgPool1d, AvgPool2d };

std::string to_string(Activation a);
std::string to_string(LossKind l);
std::string to_string(RegularizerKind r);
std::string to_string(LayerType t);

// Where a skip connection comes from: no skip, the network input, or the output of layer `layer`.
struct SkipSource {
  enum class Kind { None, Input, Layer } kind = Kind::None;
  std::int64_t layer = -1;
};

// One layer as the spec gives it, with defaults resolved.
struct LayerSpec {
  LayerType type = LayerType::Dense;
  std::int64_t units = 0;            // dense
  std::int64_t channels = 0;         // conv: output channels
  std::vector<std::int64_t> kernel;  // conv: [k] or [kh, kw]
  std::vector<std::int64_t> stride;  // conv: [s] or [sh, sw]
  std::vector<std::int64_t> size;    // pooling: [p] or [ph, pw]
  Activation activation = Activation::Identity;
  double slope = 0.01;       // leaky_relu only
  std::optional<bool> bias;  // a per-layer override of the top-level "bias"
  SkipSource skip;
  std::vector<std::int64_t> output_shape;  // [units], [C, L] or [C, H, W]; filled while building
};

struct Regularizer {
  RegularizerKind kind = RegularizerKind::None;
  double weight = 0.0;
};

// One unit of the graph. Sources index the value array: [0, input) are inputs, input + k is neuron k.
struct Neuron {
  struct Edge {
    std::int64_t source;
    std::int64_t parameter;  // -1: the constant `weight`
    double weight = 0.0;
  };
  std::vector<Edge> in;
  std::int64_t bias_parameter = -1;  // -1: no bias
  Activation activation = Activation::Identity;
  double slope = 0.0;
};

// Scalar operations the evaluation needs; overloads for other scalar types (jets, interval
// enclosures; arch/jet.hpp) are found by argument-dependent lookup.
inline double relu(double v) { return v > 0.0 ? v : 0.0; }
inline double abs_value(double v) { return std::fabs(v); }
inline double tanh_value(double v) { return std::tanh(v); }
inline double elu_value(double v) { return v > 0.0 ? v : std::expm1(v); }
inline double sign_value(double v) { return v >= 0.0 ? 1.0 : -1.0; }
// log(1 + e^v), without overflow.
inline double softplus(double v) { return std::max(v, 0.0) + std::log1p(std::exp(-std::fabs(v))); }
// log Σ_k e^{z_k}, stably (the largest term factored out).
inline double log_sum_exp(std::span<const double> z) {
  double top = z[0];
  for (double v : z) top = std::max(top, v);
  double sum = 0.0;
  for (double v : z) sum += std::exp(v - top);
  return top + std::log(sum);
}

class Architecture {
 public:
  // Parses and validates; throws lpnn::Error naming the offending layer and field.
  static Architecture from_json(const nlohmann::json& spec);
  static Architecture from_json_text(const std::string& text, const std::string& origin);
  static Architecture from_file(const std::string& path);
  // The resolved spec (defaults filled in), which round-trips through from_json.
  nlohmann::json to_json() const;

  std::int64_t inputs() const { return input_; }
  std::int64_t outputs() const { return static_cast<std::int64_t>(output_neurons_.size()); }
  std::int64_t parameters() const { return parameter_count_; }
  const std::vector<std::int64_t>& input_shape() const { return input_shape_; }
  const std::vector<LayerSpec>& layers() const { return layers_; }
  bool bias() const { return bias_; }
  bool binary() const { return binary_; }
  bool has_sign_units() const;
  LossKind loss() const { return loss_; }
  const Regularizer& regularizer() const { return regularizer_; }
  const std::vector<Neuron>& neurons() const { return neurons_; }
  const std::vector<std::int64_t>& output_neurons() const { return output_neurons_; }
  std::int64_t max_fan_in() const;

  // f(x, φ) for any scalar type with +, -, * and the activations above. `out` has outputs() entries.
  template <typename T>
  void evaluate(std::span<const T> x, std::span<const T> phi, std::span<T> out) const;

  // ℓ(z, y): squared Σ(z-y)², absolute Σ|z-y|, hinge Σ max(0, 1 - y·z), logistic Σ log(1 + e^{-y·z}),
  // cross_entropy -Σ p_k log softmax(z)_k with p_k = (y_k + 1)/2.
  template <typename T>
  T loss_value(std::span<const T> z, std::span<const T> y) const;

  // λ_R·R(φ) with R = ||φ||_1 or ||φ||_2² (0 without a regularizer).
  double regularization(std::span<const double> phi) const;

  // ℓ(f(x, φ), y) in double precision.
  double sample_loss(std::span<const double> x, std::span<const double> phi, std::span<const double> y) const;

 private:
  // neurons_, output_neurons_, parameter_count_ and every layer's output_shape from the layers
  // (src/arch/graph.cpp); throws lpnn::Error for shapes that do not fit.
  void build_graph();

  std::int64_t input_ = 0;
  std::vector<std::int64_t> input_shape_;  // empty: flat
  std::vector<LayerSpec> layers_;
  bool bias_ = true;
  bool binary_ = false;
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
    case Activation::Elu:
      return elu_value(v);
    case Activation::Sign:
      return sign_value(v);
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
    for (const Neuron::Edge& e : neuron.in) {
      if (e.parameter >= 0) {
        pre = pre + phi[e.parameter] * values[e.source];
      } else {
        pre = pre + T(e.weight) * values[e.source];
      }
    }
    values.push_back(apply_activation(neuron.activation, neuron.slope, pre));
  }
  for (std::size_t k = 0; k < output_neurons_.size(); ++k) out[k] = values[input_ + output_neurons_[k]];
}

template <typename T>
T Architecture::loss_value(std::span<const T> z, std::span<const T> y) const {
  T total(0.0);
  if (loss_ == LossKind::CrossEntropy) {
    // -Σ_k p_k log softmax(z)_k = Σ_k p_k (log Σ_i e^{z_i} - z_k), with p_k = (y_k + 1)/2.
    const T lse = log_sum_exp(z);
    for (std::size_t k = 0; k < z.size(); ++k) total = total + (y[k] + T(1.0)) * T(0.5) * (lse - z[k]);
    return total;
  }
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
      case LossKind::Logistic:
        total = total + softplus(T(0.0) - y[k] * z[k]);
        break;
      case LossKind::CrossEntropy:
        break;  // above
    }
  }
  return total;
}

}  // namespace lpnn
