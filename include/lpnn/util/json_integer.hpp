// Integer fields of the JSON files lpnn reads back (models, reductions). nlohmann's get<std::int64_t>
// converts any JSON number: 1e70 (undefined behaviour for a double out of range) or 2^64 - 1 (wrapped to
// -1). A damaged file must be refused with a message instead.
#pragma once

#include <cstdint>
#include <limits>
#include <nlohmann/json.hpp>
#include <string>

#include "lpnn/util/error.hpp"

namespace lpnn {

// v as a 64-bit integer; throws lpnn::Error naming `what` unless v is a JSON integer that fits.
inline std::int64_t json_integer(const nlohmann::json& v, const std::string& what) {
  if (!v.is_number_integer() ||
      (v.is_number_unsigned() &&
       v.get<std::uint64_t>() > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())))
    fail("{} must be an integer of at most 2^63 - 1, got {}", what, v.dump());
  return v.get<std::int64_t>();
}

}  // namespace lpnn
