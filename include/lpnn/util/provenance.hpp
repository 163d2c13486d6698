// Provenance stamps written into polytope and model files.
#pragma once

#include <string>

namespace lpnn {

// The current UTC time as ISO 8601, e.g. 2026-11-22T00:06:06Z.
std::string utc_timestamp();

}  // namespace lpnn
