// Architecture: evaluation, losses, regularizer and the parameter layout against hand-computed values;
// spec validation with messages that name the offending field or value.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <vector>

#include "lpnn/arch/architecture.hpp"
#include "unit_helpers.hpp"

using lpnn::Activation;
using lpnn::Architecture;
using lpnn::test::arch_of;
using lpnn::test::error_of;

namespace {

double eval1(const Architecture& arch, const std::vector<double>& x, const std::vector<double>& phi) {
  std::vector<double> z(static_cast<std::size_t>(arch.outputs()));
  arch.evaluate<double>(x, phi, z);
  return z[0];
}

// x and φ of the hand computation below. Layer 1: W1 = [[1, 0.5], [-0.5, 1]], b1 = (0.25, 0);
// layer 2: W2 = [1, -1], b2 = 0.5. Pre-activations of layer 1: h0 = 0.5 - 0.5 + 0.25 = 0.25,
// h1 = -0.25 - 1 + 0 = -1.25.
const std::vector<double> kX{0.5, -1.0};
const std::vector<double> kPhi{1.0, 0.5, -0.5, 1.0, 0.25, 0.0, 1.0, -1.0, 0.5};

}  // namespace

TEST(Architecture, ActivationsPointwise) {
  EXPECT_EQ(lpnn::apply_activation<double>(Activation::Relu, 0.0, -2.0), 0.0);
  EXPECT_EQ(lpnn::apply_activation<double>(Activation::Relu, 0.0, 3.0), 3.0);
  EXPECT_EQ(lpnn::apply_activation<double>(Activation::Relu, 0.0, 0.0), 0.0);
  EXPECT_DOUBLE_EQ(lpnn::apply_activation<double>(Activation::LeakyRelu, 0.2, -2.0), -0.4);
  EXPECT_DOUBLE_EQ(lpnn::apply_activation<double>(Activation::LeakyRelu, 0.2, 3.0), 3.0);
  EXPECT_DOUBLE_EQ(lpnn::apply_activation<double>(Activation::LeakyRelu, 1.0, -0.7), -0.7);
  EXPECT_DOUBLE_EQ(lpnn::apply_activation<double>(Activation::LeakyRelu, 0.0, -0.7), 0.0);
  EXPECT_DOUBLE_EQ(lpnn::apply_activation<double>(Activation::Tanh, 0.0, 0.7), std::tanh(0.7));
  EXPECT_DOUBLE_EQ(lpnn::apply_activation<double>(Activation::Tanh, 0.0, -2.0), std::tanh(-2.0));
  EXPECT_EQ(lpnn::apply_activation<double>(Activation::Identity, 0.0, -1.75), -1.75);
}

TEST(Architecture, EvaluateReluNetwork) {
  const Architecture arch = lpnn::test::xor_net("squared", "relu");
  ASSERT_EQ(arch.parameters(), 9);
  // relu(0.25) = 0.25, relu(-1.25) = 0: z = 0.25 - 0 + 0.5.
  EXPECT_DOUBLE_EQ(eval1(arch, kX, kPhi), 0.75);
}

TEST(Architecture, EvaluateLeakyReluWithSlope) {
  const Architecture arch = arch_of(R"({"input": 2, "layers": [{"units": 2, "activation": "leaky_relu", "slope": 0.1},
                                        {"units": 1, "activation": "identity"}], "loss": "squared"})");
  // leaky(0.25) = 0.25, leaky(-1.25) = -0.125: z = 0.25 + 0.125 + 0.5.
  EXPECT_DOUBLE_EQ(eval1(arch, kX, kPhi), 0.875);
  EXPECT_DOUBLE_EQ(arch.layers()[0].slope, 0.1);
}

TEST(Architecture, EvaluateLeakyReluDefaultSlope) {
  const Architecture arch = lpnn::test::xor_net("squared", "leaky_relu");
  EXPECT_DOUBLE_EQ(arch.layers()[0].slope, 0.01);
  EXPECT_DOUBLE_EQ(eval1(arch, kX, kPhi), 0.25 + 0.0125 + 0.5);
}

TEST(Architecture, EvaluateTanhNetwork) {
  const Architecture arch = lpnn::test::xor_net("squared", "tanh");
  EXPECT_DOUBLE_EQ(eval1(arch, kX, kPhi), std::tanh(0.25) - std::tanh(-1.25) + 0.5);
}

TEST(Architecture, EvaluateIdentityNetwork) {
  const Architecture arch = lpnn::test::xor_net("squared", "identity");
  EXPECT_DOUBLE_EQ(eval1(arch, kX, kPhi), 0.25 + 1.25 + 0.5);
}

TEST(Architecture, EvaluateWithoutBias) {
  const Architecture arch = arch_of(R"({"input": 2, "layers": [{"units": 2, "activation": "relu"},
                                        {"units": 1, "activation": "identity"}], "bias": false, "loss": "squared"})");
  ASSERT_EQ(arch.parameters(), 6);
  // W1 = [[1, 0.5], [-0.5, 1]], W2 = [1, -1], x = (1, 0.5): h0 = 1 + 0.25 = 1.25, h1 = -0.5 + 0.5 = 0,
  // z = 1.25 - 0.
  const std::vector<double> phi{1.0, 0.5, -0.5, 1.0, 1.0, -1.0};
  EXPECT_DOUBLE_EQ(eval1(arch, {1.0, 0.5}, phi), 1.25);
  for (const lpnn::Neuron& neuron : arch.neurons()) EXPECT_EQ(neuron.bias_parameter, -1);
}

TEST(Architecture, LossesOfOneOutput) {
  const std::vector<double> y{-0.5};
  // z = 0.75 from EvaluateReluNetwork.
  EXPECT_DOUBLE_EQ(lpnn::test::xor_net("squared").sample_loss(kX, kPhi, y), 1.5625);  // 1.25²
  EXPECT_DOUBLE_EQ(lpnn::test::xor_net("absolute").sample_loss(kX, kPhi, y), 1.25);
  EXPECT_DOUBLE_EQ(lpnn::test::xor_net("hinge").sample_loss(kX, kPhi, y), 1.375);  // 1 - (-0.5)(0.75)
  // Hinge is zero once y·z >= 1.
  const std::vector<double> phi_big{1.0, 0.5, -0.5, 1.0, 0.25, 0.0, 1.0, -1.0, 1.0};  // z = 1.25
  EXPECT_DOUBLE_EQ(lpnn::test::xor_net("hinge").sample_loss(kX, phi_big, std::vector<double>{1.0}), 0.0);
}

TEST(Architecture, LossesSumOverOutputs) {
  const std::vector<double> z{0.25, -1.0}, y{0.5, -0.5};
  auto loss = [&](const char* kind) {
    nlohmann::json spec = nlohmann::json::parse(R"({"input": 1, "layers": [{"units": 2, "activation": "identity"}]})");
    spec["loss"] = kind;
    return Architecture::from_json(spec).loss_value<double>(z, y);
  };
  EXPECT_DOUBLE_EQ(loss("squared"), 0.0625 + 0.25);
  EXPECT_DOUBLE_EQ(loss("absolute"), 0.25 + 0.5);
  EXPECT_DOUBLE_EQ(loss("hinge"), (1.0 - 0.125) + (1.0 - 0.5));
}

TEST(Architecture, RegularizerWeights) {
  // Σ|φ| = 5.75, Σφ² = 4.8125 for kPhi.
  const Architecture none = lpnn::test::xor_net();
  EXPECT_EQ(none.regularizer().kind, lpnn::RegularizerKind::None);
  EXPECT_EQ(none.regularization(kPhi), 0.0);
  const Architecture l1 = arch_of(R"({"input": 2, "layers": [{"units": 2, "activation": "relu"},
      {"units": 1, "activation": "identity"}], "loss": "squared", "regularizer": {"kind": "l1", "weight": 0.5}})");
  EXPECT_DOUBLE_EQ(l1.regularization(kPhi), 0.5 * 5.75);
  const Architecture l2 = arch_of(R"({"input": 2, "layers": [{"units": 2, "activation": "relu"},
      {"units": 1, "activation": "identity"}], "loss": "squared", "regularizer": {"kind": "l2", "weight": 0.01}})");
  EXPECT_DOUBLE_EQ(l2.regularization(kPhi), 0.01 * 4.8125);
  const Architecture zero = arch_of(R"({"input": 2, "layers": [{"units": 2, "activation": "relu"},
      {"units": 1, "activation": "identity"}], "loss": "squared", "regularizer": {"kind": "l2", "weight": 0}})");
  EXPECT_EQ(zero.regularization(kPhi), 0.0);
  // The regularizer is not part of the sample loss.
  EXPECT_DOUBLE_EQ(l2.sample_loss(kX, kPhi, std::vector<double>{-0.5}), 1.5625);
}

// Layout: layer by layer, weights row-major (output x input), then that layer's biases. Each parameter
// is set alone (on top of a fixed background) and the output that moves, and by how much, tells
// which weight or bias it is.
TEST(Architecture, ParameterLayoutByPerturbation) {
  // 3 inputs -> 2 identity -> 2 identity. φ: W1 (2x3) at 0..5, b1 at 6..7, W2 (2x2) at 8..11, b2 at 12..13.
  const Architecture arch = arch_of(R"({"input": 3, "layers": [{"units": 2, "activation": "identity"},
                                        {"units": 2, "activation": "identity"}], "loss": "squared"})");
  ASSERT_EQ(arch.parameters(), 14);
  ASSERT_EQ(arch.outputs(), 2);
  const std::vector<double> x{0.125, 0.25, 0.5};
  auto outputs = [&](const std::vector<double>& phi) {
    std::vector<double> z(2);
    arch.evaluate<double>(x, phi, z);
    return z;
  };
  // Layer 1 weights W1[h][i] = φ[3h + i]: with W2 = identity (φ8 = φ11 = 1), out[h] = x[i].
  for (int h = 0; h < 2; ++h)
    for (int i = 0; i < 3; ++i) {
      std::vector<double> phi(14, 0.0);
      phi[8] = phi[11] = 1.0;
      phi[3 * h + i] = 1.0;
      const auto z = outputs(phi);
      EXPECT_DOUBLE_EQ(z[h], x[i]) << "W1[" << h << "][" << i << "]";
      EXPECT_EQ(z[1 - h], 0.0) << "W1[" << h << "][" << i << "]";
    }
  // Layer 1 biases b1[h] = φ[6 + h].
  for (int h = 0; h < 2; ++h) {
    std::vector<double> phi(14, 0.0);
    phi[8] = phi[11] = 1.0;
    phi[6 + h] = 0.75;
    const auto z = outputs(phi);
    EXPECT_DOUBLE_EQ(z[h], 0.75);
    EXPECT_EQ(z[1 - h], 0.0);
  }
  // Layer 2 weights W2[o][k] = φ[8 + 2o + k]: hidden units held at b1 = (0.5, 0.25), out[o] = b1[k].
  const double hidden[2] = {0.5, 0.25};
  for (int o = 0; o < 2; ++o)
    for (int k = 0; k < 2; ++k) {
      std::vector<double> phi(14, 0.0);
      phi[6] = hidden[0];
      phi[7] = hidden[1];
      phi[8 + 2 * o + k] = 1.0;
      const auto z = outputs(phi);
      EXPECT_DOUBLE_EQ(z[o], hidden[k]) << "W2[" << o << "][" << k << "]";
      EXPECT_EQ(z[1 - o], 0.0) << "W2[" << o << "][" << k << "]";
    }
  // Output biases b2[o] = φ[12 + o].
  for (int o = 0; o < 2; ++o) {
    std::vector<double> phi(14, 0.0);
    phi[12 + o] = -0.5;
    const auto z = outputs(phi);
    EXPECT_DOUBLE_EQ(z[o], -0.5);
    EXPECT_EQ(z[1 - o], 0.0);
  }
}

TEST(Architecture, ParameterLayoutInTheGraph) {
  const Architecture arch = arch_of(R"({"input": 3, "layers": [{"units": 2, "activation": "relu"},
                                        {"units": 4, "activation": "tanh"}, {"units": 1, "activation": "identity"}],
                                        "loss": "absolute"})");
  // 3·2 + 2, 2·4 + 4, 4·1 + 1.
  ASSERT_EQ(arch.parameters(), 8 + 12 + 5);
  EXPECT_EQ(arch.inputs(), 3);
  EXPECT_EQ(arch.outputs(), 1);
  EXPECT_EQ(arch.max_fan_in(), 4);
  ASSERT_EQ(arch.neurons().size(), 7u);
  const std::int64_t widths[] = {3, 2, 4, 1};
  std::int64_t neuron = 0, first_param = 0, first_source = 0;
  for (int layer = 0; layer < 3; ++layer) {
    const std::int64_t in = widths[layer], units = widths[layer + 1];
    for (std::int64_t u = 0; u < units; ++u, ++neuron) {
      const lpnn::Neuron& nr = arch.neurons()[neuron];
      ASSERT_EQ(static_cast<std::int64_t>(nr.in.size()), in);
      for (std::int64_t k = 0; k < in; ++k) {
        EXPECT_EQ(nr.in[k].source, first_source + k);
        EXPECT_EQ(nr.in[k].parameter, first_param + u * in + k);
      }
      EXPECT_EQ(nr.bias_parameter, first_param + units * in + u);
    }
    // Sources: inputs are [0, 3); neuron k is value 3 + k.
    first_source = layer == 0 ? 3 : first_source + in;
    first_param += units * in + units;
  }
  EXPECT_EQ(arch.neurons()[0].activation, Activation::Relu);
  EXPECT_EQ(arch.neurons()[2].activation, Activation::Tanh);
  EXPECT_EQ(arch.neurons()[6].activation, Activation::Identity);
}

TEST(Architecture, SpecRoundTripsWithDefaults) {
  const Architecture arch = arch_of(R"({"input": 2, "layers": [{"units": 3, "activation": "leaky_relu"},
                                        {"units": 1, "activation": "identity"}], "loss": "hinge",
                                        "regularizer": {"kind": "l1", "weight": 0.25}})");
  const nlohmann::json spec = arch.to_json();
  EXPECT_EQ(spec.at("bias"), true);
  EXPECT_DOUBLE_EQ(spec.at("layers")[0].at("slope").get<double>(), 0.01);
  EXPECT_EQ(spec.at("loss"), "hinge");
  EXPECT_EQ(spec.at("regularizer").at("kind"), "l1");
  const Architecture again = Architecture::from_json(spec);
  EXPECT_EQ(again.to_json(), spec);
  EXPECT_EQ(again.parameters(), arch.parameters());
  EXPECT_EQ(again.loss(), lpnn::LossKind::Hinge);
}

// ---- bad input -----------------------------------------------------------------------------------------

TEST(Architecture, MalformedJsonNamesOrigin) {
  const std::string msg = error_of([] { Architecture::from_json_text(R"({"input": 2, "layers": [)", "net.json"); });
  EXPECT_MESSAGE_HAS(msg, "malformed JSON", "net.json");
  EXPECT_MESSAGE_HAS(error_of([] { Architecture::from_json_text("", "empty.json"); }), "malformed JSON", "empty.json");
}

TEST(Architecture, ValidationErrorsNameOrigin) {
  const std::string msg = error_of([] {
    Architecture::from_json_text(R"({"input": 2, "layers": [{"units": 1, "activation": "relu"}], "loss": "l0"})",
                                 "nets/x.json");
  });
  EXPECT_MESSAGE_HAS(msg, "l0", "nets/x.json");
}

TEST(Architecture, MissingFileNamesPath) {
  EXPECT_MESSAGE_HAS(error_of([] { Architecture::from_file("/nonexistent/dir/net.json"); }),
                     "/nonexistent/dir/net.json");
}

TEST(Architecture, TopLevelMustBeObject) {
  EXPECT_MESSAGE_HAS(error_of([] { arch_of("[1, 2]"); }), "object");
}

TEST(Architecture, UnknownActivation) {
  const std::string msg = error_of([] {
    arch_of(R"({"input": 2, "layers": [{"units": 2, "activation": "relu"}, {"units": 1, "activation": "sigmoid"}],
                "loss": "squared"})");
  });
  EXPECT_MESSAGE_HAS(msg, "activation", "sigmoid", "layers[1]");
  EXPECT_MESSAGE_HAS(
      error_of([] { arch_of(R"({"input": 2, "layers": [{"units": 2, "activation": 3}], "loss": "squared"})"); }),
      "layers[0].activation");
}

TEST(Architecture, UnknownLoss) {
  const std::string msg = error_of(
      [] { arch_of(R"({"input": 2, "layers": [{"units": 1, "activation": "relu"}], "loss": "kl_divergence"})"); });
  EXPECT_MESSAGE_HAS(msg, "loss", "kl_divergence");
  EXPECT_MESSAGE_HAS(
      error_of([] { arch_of(R"({"input": 2, "layers": [{"units": 1, "activation": "relu"}], "loss": 1})"); }), "loss");
}

TEST(Architecture, ZeroOrNegativeUnits) {
  EXPECT_MESSAGE_HAS(
      error_of([] {
        arch_of(R"({"input": 2, "layers": [{"units": 2, "activation": "relu"}, {"units": 0, "activation": "identity"}],
                                   "loss": "squared"})");
      }),
      "layers[1].units", "got 0");
  EXPECT_MESSAGE_HAS(
      error_of([] { arch_of(R"({"input": 2, "layers": [{"units": -3, "activation": "relu"}], "loss": "squared"})"); }),
      "layers[0].units", "-3");
  EXPECT_MESSAGE_HAS(
      error_of([] { arch_of(R"({"input": 2, "layers": [{"units": 2.5, "activation": "relu"}], "loss": "squared"})"); }),
      "layers[0].units", "integer", "2.5");
  EXPECT_MESSAGE_HAS(
      error_of([] { arch_of(R"({"input": 0, "layers": [{"units": 1, "activation": "relu"}], "loss": "squared"})"); }),
      "input", "got 0");
  EXPECT_MESSAGE_HAS(
      error_of([] { arch_of(R"({"input": -1, "layers": [{"units": 1, "activation": "relu"}], "loss": "squared"})"); }),
      "input", "-1");
  // Above INT64_MAX: must not wrap to a negative count.
  EXPECT_MESSAGE_HAS(error_of([] {
                       arch_of(R"({"input": 2, "layers": [{"units": 18446744073709551615, "activation": "relu"}],
                                   "loss": "squared"})");
                     }),
                     "layers[0].units", "18446744073709551615");
}

TEST(Architecture, MissingFields) {
  EXPECT_MESSAGE_HAS(
      error_of([] { arch_of(R"({"layers": [{"units": 1, "activation": "relu"}], "loss": "squared"})"); }), "\"input\"");
  EXPECT_MESSAGE_HAS(error_of([] { arch_of(R"({"input": 2, "loss": "squared"})"); }), "\"layers\"");
  EXPECT_MESSAGE_HAS(error_of([] { arch_of(R"({"input": 2, "layers": [], "loss": "squared"})"); }), "\"layers\"");
  EXPECT_MESSAGE_HAS(error_of([] { arch_of(R"({"input": 2, "layers": [{"units": 1, "activation": "relu"}]})"); }),
                     "\"loss\"");
  EXPECT_MESSAGE_HAS(
      error_of([] { arch_of(R"({"input": 2, "layers": [{"activation": "relu"}], "loss": "squared"})"); }), "layers[0]",
      "\"units\"");
  EXPECT_MESSAGE_HAS(error_of([] { arch_of(R"({"input": 2, "layers": [{"units": 2}], "loss": "squared"})"); }),
                     "layers[0]", "\"activation\"");
  EXPECT_MESSAGE_HAS(error_of([] {
                       arch_of(R"({"input": 2, "layers": [{"units": 1, "activation": "relu"}], "loss": "squared",
                                   "regularizer": {"kind": "l2"}})");
                     }),
                     "regularizer.weight");
  EXPECT_MESSAGE_HAS(error_of([] {
                       arch_of(R"({"input": 2, "layers": [{"units": 1, "activation": "relu"}], "loss": "squared",
                                   "regularizer": {"weight": 0.1}})");
                     }),
                     "regularizer.kind");
}

TEST(Architecture, UnknownKeys) {
  EXPECT_MESSAGE_HAS(error_of([] {
                       arch_of(R"({"input": 2, "layers": [{"units": 1, "activaton": "relu", "activation": "relu"}],
                                   "loss": "squared"})");
                     }),
                     "activaton", "layers[0]");
  EXPECT_MESSAGE_HAS(error_of([] {
                       arch_of(R"({"input": 2, "layers": [{"units": 1, "activation": "relu"}], "loss": "squared",
                                   "optimizer": "adam"})");
                     }),
                     "optimizer");
  EXPECT_MESSAGE_HAS(error_of([] {
                       arch_of(R"({"input": 2, "layers": [{"units": 1, "activation": "relu"}], "loss": "squared",
                                   "regularizer": {"kind": "l2", "weight": 0.1, "lambda": 2}})");
                     }),
                     "lambda", "regularizer");
}

TEST(Architecture, RegularizerValidation) {
  EXPECT_MESSAGE_HAS(error_of([] {
                       arch_of(R"({"input": 2, "layers": [{"units": 1, "activation": "relu"}], "loss": "squared",
                                   "regularizer": {"kind": "l2", "weight": -0.1}})");
                     }),
                     "regularizer.weight", "-0.1");
  EXPECT_MESSAGE_HAS(error_of([] {
                       arch_of(R"({"input": 2, "layers": [{"units": 1, "activation": "relu"}], "loss": "squared",
                                   "regularizer": {"kind": "l3", "weight": 0.1}})");
                     }),
                     "regularizer.kind", "l3");
  EXPECT_MESSAGE_HAS(error_of([] {
                       arch_of(R"({"input": 2, "layers": [{"units": 1, "activation": "relu"}], "loss": "squared",
                                   "regularizer": "l2"})");
                     }),
                     "regularizer");
}

TEST(Architecture, LeakySlopeOutsideUnitInterval) {
  EXPECT_MESSAGE_HAS(error_of([] {
                       arch_of(R"({"input": 2, "layers": [{"units": 1, "activation": "leaky_relu", "slope": 1.5}],
                                   "loss": "squared"})");
                     }),
                     "layers[0].slope", "1.5");
  EXPECT_MESSAGE_HAS(error_of([] {
                       arch_of(R"({"input": 2, "layers": [{"units": 1, "activation": "leaky_relu", "slope": -0.2}],
                                   "loss": "squared"})");
                     }),
                     "layers[0].slope", "-0.2");
  EXPECT_MESSAGE_HAS(error_of([] {
                       arch_of(R"({"input": 2, "layers": [{"units": 1, "activation": "relu", "slope": 0.1}],
                                   "loss": "squared"})");
                     }),
                     "layers[0].slope", "relu");
  // The ends of [0, 1] are allowed.
  EXPECT_NO_THROW(
      arch_of(R"({"input": 1, "layers": [{"units": 1, "activation": "leaky_relu", "slope": 0}], "loss": "squared"})"));
  EXPECT_NO_THROW(
      arch_of(R"({"input": 1, "layers": [{"units": 1, "activation": "leaky_relu", "slope": 1}], "loss": "squared"})"));
}

TEST(Architecture, BiasMustBeBoolean) {
  EXPECT_MESSAGE_HAS(
      error_of([] {
        arch_of(R"({"input": 2, "layers": [{"units": 1, "activation": "relu"}], "loss": "squared", "bias": 1})");
      }),
      "bias");
}

// Widths whose parameter count overflows int64 (or is absurdly large) are refused up front, before
// the graph is allocated, with a message naming the layer.
TEST(Architecture, HugeNetworksAreRefusedBeforeAllocation) {
  EXPECT_MESSAGE_HAS(error_of([] {
                       arch_of(R"({"input": 4000000000, "layers": [{"units": 4000000000, "activation": "relu"}],
                                   "loss": "squared"})");
                     }),
                     "parameter count", "overflows 64-bit");
  EXPECT_MESSAGE_HAS(error_of([] {
                       arch_of(R"({"input": 2, "layers": [{"units": 3, "activation": "relu"},
                                   {"units": 100000000, "activation": "identity"}], "loss": "squared"})");
                     }),
                     "layers[1]", "100000000", "parameters");
}
