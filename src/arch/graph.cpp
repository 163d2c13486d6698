// The neuron graph of an architecture: every layer type becomes neurons with in-edges that carry a
// parameter (tied across positions in a convolution) or a constant weight (pooling, skips). The
// parameter layout and the in-edge order are the ones README, Architecture spec, documents.
#include <cstdint>
#include <string>
#include <vector>

#include "lpnn/arch/architecture.hpp"
#include "lpnn/util/error.hpp"
#include "lpnn/util/units.hpp"

namespace lpnn {

namespace {

// Far above any network whose polytope fits 64-bit indices (N <= 62 with K >= 2), small enough that the
// graph of a network at the limit fits in memory.
constexpr std::int64_t kMaxParameters = std::int64_t{1} << 20;
// The star polytope has at least 2^n columns, so any network lpnn can build is far below these; they
// keep the graph of an absurd spec (a convolution over 2^40 inputs) from exhausting memory.
constexpr std::int64_t kMaxEdges = std::int64_t{1} << 22;
constexpr std::int64_t kMaxNeurons = std::int64_t{1} << 20;

// A layer's output: its shape, and its values, which are consecutive in the value array (input k is
// value k, neuron k is value input + k), so nothing per value is stored.
struct Values {
  std::vector<std::int64_t> shape;
  std::int64_t first = 0;  // value index of entry 0
  std::int64_t count = 0;
  std::int64_t index(std::int64_t i) const { return first + i; }
};

std::string shape_text(const std::vector<std::int64_t>& shape) {
  std::string text = "[";
  for (std::size_t i = 0; i < shape.size(); ++i) text += (i ? ", " : "") + std::to_string(shape[i]);
  return text + "]";
}

class GraphBuilder {
 public:
  GraphBuilder(std::int64_t inputs, bool default_bias, std::vector<Neuron>& neurons)
      : inputs_(inputs), default_bias_(default_bias), neurons_(neurons) {}

  Values add(const LayerSpec& ls, std::size_t i, const Values& in, const Values* skip) {
    where_ = fmt::format("layers[{}] ({})", i, to_string(ls.type));
    index_ = i;
    Values out;
    switch (ls.type) {
      case LayerType::Dense:
        out = dense(ls, in);
        break;
      case LayerType::Conv1d:
      case LayerType::Conv2d:
        out = convolution(ls, in);
        break;
      case LayerType::AvgPool1d:
      case LayerType::AvgPool2d:
        out = pooling(ls, in);
        break;
    }
    if (skip) add_skip(ls, *skip, out);
    return out;
  }

  std::int64_t parameters() const { return parameters_; }

 private:
  // Checks the size of a layer before anything is allocated: a spec with absurd widths must be refused
  // with a message, not overflow the parameter indices or exhaust memory building the graph.
  std::int64_t take_parameters(std::int64_t units, std::int64_t fan_in, bool bias, std::int64_t neurons) {
    std::int64_t count = checked_mul(units, fan_in, "the parameter count");
    if (bias) count = checked_add(count, units, "the parameter count");
    const std::int64_t first = parameters_;
    parameters_ = checked_add(parameters_, count, "the parameter count");
    if (parameters_ > kMaxParameters)
      fail(
          "spec: the network has more than {} parameters by layers[{}] (units {}, fan-in {}); a polytope over N "
          "parameters has at least 2^N columns, so lpnn refuses networks this large",
          kMaxParameters, index_, units, fan_in);
    neurons_count_ = checked_add(neurons_count_, neurons, "the neuron count");
    if (neurons_count_ > kMaxNeurons)
      fail("spec: the network has more than {} units by {}; lpnn refuses networks this large", kMaxNeurons, where_);
    edges_ = checked_add(edges_, checked_mul(neurons, fan_in, "the edge count"), "the edge count");
    if (edges_ > kMaxEdges)
      fail("spec: the network's graph has more than {} edges by {}; lpnn refuses networks this large", kMaxEdges,
           where_);
    return first;
  }

  // The value index the next neuron gets.
  std::int64_t next_value() const { return inputs_ + static_cast<std::int64_t>(neurons_.size()); }

  std::int64_t add_neuron(Activation activation, double slope) {
    Neuron neuron;
    neuron.activation = activation;
    neuron.slope = slope;
    neurons_.push_back(std::move(neuron));
    return static_cast<std::int64_t>(neurons_.size()) - 1;
  }

  // W[units][inputs] row-major, then b[units].
  Values dense(const LayerSpec& ls, const Values& in) {
    const std::int64_t fan_in = in.count;
    const bool bias = ls.bias.value_or(default_bias_);
    const std::int64_t first = take_parameters(ls.units, fan_in, bias, ls.units);
    Values out{{ls.units}, next_value(), ls.units};
    for (std::int64_t u = 0; u < ls.units; ++u) {
      const std::int64_t k = add_neuron(ls.activation, ls.slope);
      for (std::int64_t i = 0; i < fan_in; ++i) neurons_[k].in.push_back({in.index(i), first + u * fan_in + i, 0.0});
      if (bias) neurons_[k].bias_parameter = first + ls.units * fan_in + u;
    }
    return out;
  }

  // The input's [C, L] or [C, H, W], as [C, H, W] with H = 1 for one-dimensional layers.
  std::array<std::int64_t, 3> spatial_input(const LayerSpec& ls, const Values& in) const {
    const bool two_d = ls.type == LayerType::Conv2d || ls.type == LayerType::AvgPool2d;
    if (in.shape.size() != (two_d ? 3u : 2u))
      fail(
          "spec: {} needs an input of shape {}, but its input has shape {}; give \"input_shape\" and put "
          "convolutions and pooling before dense layers",
          where_, two_d ? "[C, H, W]" : "[C, L]", shape_text(in.shape));
    return two_d ? std::array<std::int64_t, 3>{in.shape[0], in.shape[1], in.shape[2]}
                 : std::array<std::int64_t, 3>{in.shape[0], 1, in.shape[1]};
  }

  // One window dimension: ⌊(n − k)/s⌋ + 1 outputs; a window longer than the input is an error.
  std::int64_t outputs_along(std::int64_t n, std::int64_t k, std::int64_t s, const char* what, const char* axis) const {
    if (k > n)
      fail("spec: {}: the {} {} is larger than its input's {} {}; use a smaller {} or a larger input", where_, what, k,
           axis, n, what);
    return (n - k) / s + 1;
  }

  // W[c_out][c_in][kh][kw] (kh = 1 in 1-D), then b[c_out]: one kernel shared by every output position.
  Values convolution(const LayerSpec& ls, const Values& in) {
    const bool two_d = ls.type == LayerType::Conv2d;
    const auto [C, H, W] = spatial_input(ls, in);
    const std::int64_t kh = two_d ? ls.kernel[0] : 1, kw = ls.kernel.back();
    const std::int64_t sh = two_d ? ls.stride[0] : 1, sw = ls.stride.back();
    const std::int64_t Ho = outputs_along(H, kh, sh, "kernel", "height");
    const std::int64_t Wo = outputs_along(W, kw, sw, "kernel", two_d ? "width" : "length");
    const std::int64_t fan_in = C * kh * kw, positions = Ho * Wo;
    const bool bias = ls.bias.value_or(default_bias_);
    const std::int64_t first = take_parameters(ls.channels, fan_in, bias, checked_mul(ls.channels, positions, "units"));
    Values out{two_d ? std::vector<std::int64_t>{ls.channels, Ho, Wo} : std::vector<std::int64_t>{ls.channels, Wo},
               next_value(), ls.channels * positions};
    for (std::int64_t co = 0; co < ls.channels; ++co)
      for (std::int64_t i = 0; i < Ho; ++i)
        for (std::int64_t j = 0; j < Wo; ++j) {
          const std::int64_t k = add_neuron(ls.activation, ls.slope);
          for (std::int64_t ci = 0; ci < C; ++ci)
            for (std::int64_t di = 0; di < kh; ++di)
              for (std::int64_t dj = 0; dj < kw; ++dj) {
                const std::int64_t source = in.index((ci * H + i * sh + di) * W + j * sw + dj);
                neurons_[k].in.push_back({source, first + ((co * C + ci) * kh + di) * kw + dj, 0.0});
              }
          if (bias) neurons_[k].bias_parameter = first + ls.channels * fan_in + co;
        }
    return out;
  }

  // Non-overlapping windows, constant weights 1/(window size), no bias, identity activation.
  Values pooling(const LayerSpec& ls, const Values& in) {
    const bool two_d = ls.type == LayerType::AvgPool2d;
    const auto [C, H, W] = spatial_input(ls, in);
    const std::int64_t ph = two_d ? ls.size[0] : 1, pw = ls.size.back();
    const std::int64_t Ho = outputs_along(H, ph, ph, "size", "height");
    const std::int64_t Wo = outputs_along(W, pw, pw, "size", two_d ? "width" : "length");
    take_parameters(0, ph * pw, false, checked_mul(C, Ho * Wo, "units"));
    const double weight = 1.0 / static_cast<double>(ph * pw);
    Values out{two_d ? std::vector<std::int64_t>{C, Ho, Wo} : std::vector<std::int64_t>{C, Wo}, next_value(),
               C * Ho * Wo};
    for (std::int64_t c = 0; c < C; ++c)
      for (std::int64_t i = 0; i < Ho; ++i)
        for (std::int64_t j = 0; j < Wo; ++j) {
          const std::int64_t k = add_neuron(Activation::Identity, 0.0);
          for (std::int64_t di = 0; di < ph; ++di)
            for (std::int64_t dj = 0; dj < pw; ++dj)
              neurons_[k].in.push_back({in.index((c * H + i * ph + di) * W + j * pw + dj), -1, weight});
        }
    return out;
  }

  // The skip source's values added elementwise (constant weight 1), as each neuron's last in-edge.
  void add_skip(const LayerSpec& ls, const Values& skip, const Values& out) {
    const std::string from =
        ls.skip.kind == SkipSource::Kind::Input ? std::string("the input") : fmt::format("layers[{}]", ls.skip.layer);
    if (skip.count != out.count)
      fail(
          "spec: {}: the skip from {} has {} values (shape {}) but this layer has {} outputs (shape {}); a skip "
          "adds values elementwise, so the sizes must match",
          where_, from, skip.count, shape_text(skip.shape), out.count, shape_text(out.shape));
    edges_ = checked_add(edges_, static_cast<std::int64_t>(out.count), "the edge count");
    for (std::int64_t u = 0; u < out.count; ++u)
      neurons_[static_cast<std::size_t>(out.index(u) - inputs_)].in.push_back({skip.index(u), -1, 1.0});
  }

  std::int64_t inputs_;
  bool default_bias_;
  std::vector<Neuron>& neurons_;
  std::int64_t parameters_ = 0, edges_ = 0, neurons_count_ = 0;
  std::string where_;
  std::size_t index_ = 0;
};

}  // namespace

void Architecture::build_graph() {
  const Values input{input_shape_.empty() ? std::vector<std::int64_t>{input_} : input_shape_, 0, input_};
  GraphBuilder builder(input_, bias_, neurons_);
  std::vector<Values> outputs;
  outputs.reserve(layers_.size());
  for (std::size_t i = 0; i < layers_.size(); ++i) {
    const LayerSpec& ls = layers_[i];
    const Values* skip = ls.skip.kind == SkipSource::Kind::Input   ? &input
                         : ls.skip.kind == SkipSource::Kind::Layer ? &outputs[static_cast<std::size_t>(ls.skip.layer)]
                                                                   : nullptr;
    outputs.push_back(builder.add(ls, i, i == 0 ? input : outputs[i - 1], skip));
    layers_[i].output_shape = outputs.back().shape;
  }
  parameter_count_ = builder.parameters();
  for (std::int64_t u = 0; u < outputs.back().count; ++u) output_neurons_.push_back(outputs.back().index(u) - input_);
}

}  // namespace lpnn
