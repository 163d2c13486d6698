// Shared helpers of the unit tests.
#pragma once

#include <gtest/gtest.h>

#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "lpnn/arch/architecture.hpp"
#include "lpnn/util/error.hpp"

namespace lpnn::test {

// The message of the lpnn::Error that `body` throws; a test failure if it throws nothing (or anything else).
inline std::string error_of(const std::function<void()>& body) {
  try {
    body();
  } catch (const lpnn::Error& e) {
    return e.what();
  } catch (const std::exception& e) {
    ADD_FAILURE() << "expected lpnn::Error, got another exception: " << e.what();
    return "";
  }
  ADD_FAILURE() << "expected lpnn::Error, nothing was thrown";
  return "";
}

// Every needle occurs in the message. (The needles are copied first: a temporary such as
// std::to_string(k).c_str() would not outlive a range-for's initializer before C++23.)
#define EXPECT_MESSAGE_HAS(message, ...)                                             \
  do {                                                                               \
    const std::string lpnn_message_ = (message);                                     \
    const std::vector<std::string> lpnn_needles_{__VA_ARGS__};                       \
    for (const std::string& lpnn_needle_ : lpnn_needles_)                            \
      EXPECT_NE(lpnn_message_.find(lpnn_needle_), std::string::npos)                 \
          << "message \"" << lpnn_message_ << "\" lacks \"" << lpnn_needle_ << "\""; \
  } while (0)

inline Architecture arch_of(const char* text) { return Architecture::from_json(nlohmann::json::parse(text)); }

// The 2-2-1 network of the examples (N = 9).
inline Architecture xor_net(const char* loss = "squared", const char* hidden = "relu") {
  nlohmann::json spec = nlohmann::json::parse(
      R"({"input": 2, "layers": [{"units": 2, "activation": "relu"}, {"units": 1, "activation": "identity"}],
          "loss": "squared"})");
  spec["loss"] = loss;
  spec["layers"][0]["activation"] = hidden;
  return Architecture::from_json(spec);
}

}  // namespace lpnn::test
