// Layer types beyond dense (conv1d, conv2d, avgpool1d/2d, skips), the elu and sign activations, the
// logistic and cross-entropy losses and binarized networks: evaluation against values computed by
// hand here, the parameter layout (tied weights count once), the resolved spec's round trip, and a
// bad-input test for every new field.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <vector>

#include "lpnn/arch/architecture.hpp"
#include "lpnn/solve/dataset.hpp"
#include "unit_helpers.hpp"

using lpnn::Activation;
using lpnn::Architecture;
using lpnn::test::arch_of;
using lpnn::test::error_of;

namespace {

std::vector<double> eval(const Architecture& arch, const std::vector<double>& x, const std::vector<double>& phi) {
  std::vector<double> z(static_cast<std::size_t>(arch.outputs()));
  arch.evaluate<double>(x, phi, z);
  return z;
}

// 1-D CNN: input [1, 4], conv1d 1 channel, kernel 2, stride 1, relu, no bias -> [1, 3]; then dense 1.
constexpr const char* kConv1d = R"({"input": 4, "input_shape": [1, 4], "bias": false, "loss": "squared",
  "layers": [{"type": "conv1d", "channels": 1, "kernel": 2, "activation": "relu"},
             {"units": 1, "activation": "identity"}]})";

}  // namespace

TEST(Layers, NewActivationsPointwise) {
  EXPECT_DOUBLE_EQ(lpnn::apply_activation<double>(Activation::Elu, 0.0, 0.7), 0.7);
  EXPECT_DOUBLE_EQ(lpnn::apply_activation<double>(Activation::Elu, 0.0, -1.0), std::exp(-1.0) - 1.0);
  EXPECT_DOUBLE_EQ(lpnn::apply_activation<double>(Activation::Elu, 0.0, 0.0), 0.0);
  EXPECT_EQ(lpnn::apply_activation<double>(Activation::Sign, 0.0, 0.0), 1.0);  // sign(0) = +1
  EXPECT_EQ(lpnn::apply_activation<double>(Activation::Sign, 0.0, -1e-12), -1.0);
  EXPECT_EQ(lpnn::apply_activation<double>(Activation::Sign, 0.0, 3.0), 1.0);
}

TEST(Layers, Conv1dTiesTheKernelOverPositions) {
  const Architecture arch = arch_of(kConv1d);
  ASSERT_EQ(arch.parameters(), 2 + 3);  // the kernel's 2 entries, then the dense layer's 3 weights
  ASSERT_EQ(arch.layers()[0].output_shape, (std::vector<std::int64_t>{1, 3}));
  // Kernel (1, -0.5): positions (0.5 - 0.5·(-1)) = 1, (-1 - 0.5·0.25) = -1.125 -> 0, (0.25 - 0.5·1) = -0.25 -> 0.
  const std::vector<double> x{0.5, -1.0, 0.25, 1.0}, phi{1.0, -0.5, 0.5, 1.0, 1.0};
  EXPECT_DOUBLE_EQ(eval(arch, x, phi)[0], 0.5 * 1.0);
  // Every conv neuron uses the same two parameters.
  for (int k = 0; k < 3; ++k) {
    ASSERT_EQ(arch.neurons()[k].in.size(), 2u);
    EXPECT_EQ(arch.neurons()[k].in[0].parameter, 0);
    EXPECT_EQ(arch.neurons()[k].in[1].parameter, 1);
    EXPECT_EQ(arch.neurons()[k].in[0].source, k);
  }
}

TEST(Layers, Conv1dStrideChannelsAndBias) {
  // [2, 5] input, 2 output channels, kernel 3, stride 2 -> [2, 2]; bias per output channel.
  const Architecture arch = arch_of(R"({"input": 10, "input_shape": [2, 5], "loss": "squared",
    "layers": [{"type": "conv1d", "channels": 2, "kernel": 3, "stride": 2, "activation": "identity"}]})");
  EXPECT_EQ(arch.parameters(), 2 * 2 * 3 + 2);
  EXPECT_EQ(arch.outputs(), 4);
  std::vector<double> x(10), phi(14, 0.0);
  for (int i = 0; i < 10; ++i) x[i] = 0.1 * (i + 1);  // channel 0: 0.1..0.5, channel 1: 0.6..1.0
  phi[0 * 6 + 0 * 3 + 2] = 1.0;                       // W[0][0][2]
  phi[1 * 6 + 1 * 3 + 0] = -1.0;                      // W[1][1][0]
  phi[12] = 0.5;                                      // b[0]
  phi[13] = -0.25;                                    // b[1]
  const std::vector<double> z = eval(arch, x, phi);
  EXPECT_DOUBLE_EQ(z[0], 0.3 + 0.5);    // channel 0, position 0: x[0][2]
  EXPECT_DOUBLE_EQ(z[1], 0.5 + 0.5);    // position 1 starts at 2: x[0][4]
  EXPECT_DOUBLE_EQ(z[2], -0.6 - 0.25);  // channel 1, position 0: -x[1][0]
  EXPECT_DOUBLE_EQ(z[3], -0.8 - 0.25);  // position 1: -x[1][2]
}

TEST(Layers, Conv2dAndAvgPool2d) {
  // [1, 3, 3] input, conv2d 1 channel kernel [2, 2] -> [1, 2, 2], then avgpool2d [2, 2] -> [1, 1, 1].
  const Architecture arch = arch_of(R"({"input": 9, "input_shape": [1, 3, 3], "bias": false, "loss": "squared",
    "layers": [{"type": "conv2d", "channels": 1, "kernel": [2, 2], "activation": "identity"},
               {"type": "avgpool2d", "size": 2}]})");
  EXPECT_EQ(arch.parameters(), 4);
  ASSERT_EQ(arch.layers()[1].output_shape, (std::vector<std::int64_t>{1, 1, 1}));
  const std::vector<double> x{1, 2, 3, 4, 5, 6, 7, 8, 9};
  const std::vector<double> phi{1.0, 0.0, 0.0, -1.0};  // z = x[i][j] - x[i+1][j+1] = -4 everywhere
  EXPECT_DOUBLE_EQ(eval(arch, x, phi)[0], -4.0);
  const std::vector<double> phi2{0.0, 1.0, 0.0, 0.0};  // z = x[i][j+1]: 2, 3, 5, 6 -> mean 4
  EXPECT_DOUBLE_EQ(eval(arch, x, phi2)[0], 4.0);
}

TEST(Layers, AvgPool1dIsAConstantWeightedMean) {
  const Architecture arch = arch_of(R"({"input": 5, "input_shape": [1, 5], "loss": "squared",
    "layers": [{"type": "avgpool1d", "size": 2}, {"units": 1, "activation": "identity"}]})");
  EXPECT_EQ(arch.parameters(), 2 + 1);  // pooling has none; [1, 2] -> dense 1 with a bias
  const std::vector<double> z = eval(arch, {0.2, 0.4, -1.0, 0.0, 0.9}, {1.0, 1.0, 0.0});
  EXPECT_DOUBLE_EQ(z[0], 0.3 + (-0.5));  // the last input is dropped (floor(5/2) windows)
}

TEST(Layers, SkipAddsTheSourceWithWeightOne) {
  // x -> dense 2 relu -> dense 2 identity with skip from the input.
  const Architecture arch = arch_of(R"({"input": 2, "bias": false, "loss": "squared",
    "layers": [{"units": 2, "activation": "relu"}, {"units": 2, "activation": "identity", "skip": "input"}]})");
  EXPECT_EQ(arch.parameters(), 8);
  const std::vector<double> phi{1, 0, 0, 1, 0.5, 0, 0, -1};  // h = relu(x); z = (0.5 h0, -h1) + x
  const std::vector<double> z = eval(arch, {0.5, -0.25}, phi);
  EXPECT_DOUBLE_EQ(z[0], 0.25 + 0.5);
  EXPECT_DOUBLE_EQ(z[1], 0.0 - 0.25);
  // The skip edge is each neuron's last in-edge, constant 1.
  EXPECT_EQ(arch.neurons()[2].in.back().parameter, -1);
  EXPECT_EQ(arch.neurons()[2].in.back().weight, 1.0);
  // A skip from an earlier layer (layer 0 into layer 2).
  const Architecture deep = arch_of(R"({"input": 1, "bias": false, "loss": "squared",
    "layers": [{"units": 1, "activation": "identity"}, {"units": 1, "activation": "identity"},
               {"units": 1, "activation": "identity", "skip": 0}]})");
  EXPECT_DOUBLE_EQ(eval(deep, {0.5}, {0.5, 0.5, 1.0})[0], 0.125 + 0.25);
}

TEST(Layers, PerLayerBiasOverride) {
  const Architecture arch = arch_of(R"({"input": 2, "bias": false, "loss": "squared",
    "layers": [{"units": 2, "activation": "relu", "bias": true}, {"units": 1, "activation": "identity"}]})");
  EXPECT_EQ(arch.parameters(), 4 + 2 + 2);
}

TEST(Layers, LogisticAndCrossEntropyByHand) {
  const Architecture logistic = arch_of(R"({"input": 1, "layers": [{"units": 2, "activation": "identity"}],
                                            "bias": false, "loss": "logistic"})");
  const std::vector<double> z{0.5, -2.0}, y{1.0, 1.0};
  EXPECT_NEAR(logistic.loss_value<double>(z, y), std::log(1 + std::exp(-0.5)) + std::log(1 + std::exp(2.0)), 1e-14);
  const Architecture ce = arch_of(R"({"input": 1, "layers": [{"units": 2, "activation": "identity"}],
                                      "bias": false, "loss": "cross_entropy"})");
  // Class 0 (+1, -1): -log softmax(z)_0 = log(e^0.5 + e^-2) - 0.5.
  EXPECT_NEAR(ce.loss_value<double>(z, std::vector<double>{1.0, -1.0}), std::log(std::exp(0.5) + std::exp(-2.0)) - 0.5,
              1e-14);
  // Stable for large logits (no overflow): log(1 + e^-1000) ~ 0 for z = (1000, 0), class 0.
  EXPECT_NEAR(ce.loss_value<double>(std::vector<double>{1000.0, 0.0}, std::vector<double>{1.0, -1.0}), 0.0, 1e-12);
  EXPECT_NEAR(logistic.loss_value<double>(std::vector<double>{-800.0, 0.0}, std::vector<double>{1.0, 0.0}),
              800.0 + std::log(2.0), 1e-9);
}

TEST(Layers, ResolvedSpecRoundTrips) {
  for (const char* text : {kConv1d,
                           R"({"input": 9, "input_shape": [1, 3, 3], "binary": true, "loss": "hinge",
        "layers": [{"type": "conv2d", "channels": 2, "kernel": [2, 1], "stride": 1, "activation": "sign"},
                   {"type": "avgpool2d", "size": [2, 1]}, {"units": 1, "activation": "identity", "bias": false}]})",
                           R"({"input": 2, "loss": "cross_entropy", "layers": [{"units": 2, "activation": "elu"},
                   {"units": 2, "activation": "identity", "skip": 0}]})"}) {
    const Architecture arch = arch_of(text);
    const nlohmann::json resolved = arch.to_json();
    const Architecture again = Architecture::from_json(resolved);
    EXPECT_EQ(again.to_json(), resolved) << resolved.dump();
    EXPECT_EQ(again.parameters(), arch.parameters());
  }
  // A dense spec's resolved form is unchanged (stored polytope files compare it).
  EXPECT_EQ(lpnn::test::xor_net().to_json().dump(),
            R"({"bias":true,"input":2,"layers":[{"activation":"relu","units":2},{"activation":"identity","units":1}],)"
            R"("loss":"squared"})");
}

TEST(Layers, BadNewFieldsNameLayerAndField) {
  const auto message = [](const char* layers, const char* extra = "") {
    return error_of([&] {
      arch_of(fmt::format(R"({{"input": 4, "input_shape": [1, 4], "loss": "squared", "layers": {}{}}})", layers, extra)
                  .c_str());
    });
  };
  EXPECT_MESSAGE_HAS(message(R"([{"type": "conv3d", "channels": 1}])"), "layers[0]", "conv3d", "conv1d");
  EXPECT_MESSAGE_HAS(message(R"([{"type": "conv1d", "channels": 1, "kernel": 5, "activation": "relu"}])"),
                     "layers[0] (conv1d)", "kernel 5", "length 4");
  EXPECT_MESSAGE_HAS(message(R"([{"type": "conv1d", "kernel": 2, "activation": "relu"}])"), "layers[0] (conv1d)",
                     "channels");
  EXPECT_MESSAGE_HAS(message(R"([{"type": "conv1d", "channels": 1, "kernel": 2, "stride": 0, "activation": "relu"}])"),
                     "stride", "at least 1");
  EXPECT_MESSAGE_HAS(message(R"([{"type": "conv2d", "channels": 1, "kernel": [2, 2], "activation": "relu"}])"),
                     "layers[0] (conv2d)", "[C, H, W]", "[1, 4]");
  EXPECT_MESSAGE_HAS(message(R"([{"type": "conv2d", "channels": 1, "kernel": [2, 2, 2], "activation": "relu"}])"),
                     "kernel", "2 entries");
  EXPECT_MESSAGE_HAS(message(R"([{"type": "avgpool1d", "size": 2, "activation": "relu"}])"), "unknown field",
                     "activation", "layers[0] (avgpool1d)");
  EXPECT_MESSAGE_HAS(message(R"([{"type": "avgpool1d", "size": 8}])"), "size 8", "length 4");
  EXPECT_MESSAGE_HAS(message(R"([{"units": 2, "activation": "relu"}, {"type": "conv1d", "channels": 1, "kernel": 1,
                                 "activation": "relu"}])"),
                     "layers[1] (conv1d)", "[C, L]", "[2]");
  EXPECT_MESSAGE_HAS(message(R"([{"units": 3, "activation": "relu", "skip": "input"}])"), "layers[0]", "the input",
                     "4 values", "3 outputs");
  EXPECT_MESSAGE_HAS(message(R"([{"units": 3, "activation": "relu", "skip": 0}])"), "layers[0].skip", "earlier layer");
  EXPECT_MESSAGE_HAS(message(R"([{"units": 3, "activation": "relu", "skip": true}])"), "layers[0].skip", "\"input\"");
  EXPECT_MESSAGE_HAS(message(R"([{"units": 3, "activation": "relu", "bias": 1}])"), "layers[0].bias", "true or false");
  EXPECT_MESSAGE_HAS(message(R"([{"units": 1, "activation": "softsign"}])"), "softsign", "elu", "sign");
  EXPECT_MESSAGE_HAS(
      message(R"([{"units": 2, "activation": "relu"}, {"units": 1, "activation": "sign"}])", R"(, "binary": true)"),
      "binary", "layers[0]", "relu");
  EXPECT_MESSAGE_HAS(message(R"([{"units": 1, "activation": "sign"}])", R"(, "binary": "yes")"), "binary",
                     "true or false");
  EXPECT_MESSAGE_HAS(error_of([] {
                       arch_of(R"({"input": 4, "input_shape": [1, 5], "loss": "squared",
                                   "layers": [{"units": 1, "activation": "relu"}]})");
                     }),
                     "input_shape", "5 values", "input\" is 4");
  EXPECT_MESSAGE_HAS(error_of([] {
                       arch_of(R"({"input": 4, "input_shape": [4], "loss": "squared",
                                   "layers": [{"units": 1, "activation": "relu"}]})");
                     }),
                     "input_shape", "[C, L]");
  EXPECT_MESSAGE_HAS(
      error_of([] { arch_of(R"({"input": 2, "loss": "softmax", "layers": [{"units": 1, "activation": "relu"}]})"); }),
      "softmax", "logistic", "cross_entropy");
}

TEST(Layers, SignUnitsAndBinaryNetworks) {
  const Architecture binary = arch_of(R"({"input": 3, "binary": true, "loss": "squared", "bias": false,
    "layers": [{"units": 2, "activation": "sign"}, {"units": 1, "activation": "sign"}]})");
  EXPECT_TRUE(binary.binary());
  EXPECT_TRUE(binary.has_sign_units());
  // sign(x0 - x1 + x2) = sign(1), sign(-x0 - x1 - x2) = sign(-1); output sign(1 - (-1)) = +1.
  EXPECT_EQ(eval(binary, {1, 1, 1}, {1, -1, 1, -1, -1, -1, 1, -1})[0], 1.0);
  EXPECT_FALSE(arch_of(kConv1d).has_sign_units());
}

TEST(Layers, BinaryDataMustBePlusMinusOne) {
  lpnn::Dataset data;
  data.origin = "train.csv";
  data.samples = 2;
  data.inputs = 2;
  data.outputs = 1;
  data.x = {1, -1, -1, 1};
  data.y = {1, -1};
  EXPECT_NO_THROW(lpnn::require_binary(data));
  data.x[3] = 0.5;
  EXPECT_MESSAGE_HAS(error_of([&] { lpnn::require_binary(data); }), "train.csv", "sample 2, column 2", "0.5", "binar");
  data.x[3] = 1;
  data.y[1] = 0;
  EXPECT_MESSAGE_HAS(error_of([&] { lpnn::require_binary(data); }), "sample 2, column 3");
}

// A convolution over a huge input has few parameters but a huge graph: refused before allocation.
TEST(Layers, HugeGraphsAreRefusedBeforeAllocation) {
  EXPECT_MESSAGE_HAS(error_of([] {
                       arch_of(R"({"input": 1099511627776, "input_shape": [1, 1099511627776], "loss": "squared",
                                   "layers": [{"type": "conv1d", "channels": 1, "kernel": 2, "activation": "relu"}]})");
                     }),
                     "layers[0] (conv1d)", "units");
  EXPECT_MESSAGE_HAS(error_of([] {
                       arch_of(R"({"input": 8388608, "input_shape": [1, 8388608], "loss": "squared",
                                   "layers": [{"type": "avgpool1d", "size": 8388608}]})");
                     }),
                     "layers[0] (avgpool1d)", "edges");
}
