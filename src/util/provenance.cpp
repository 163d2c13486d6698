#include "lpnn/util/provenance.hpp"

#include <ctime>

namespace lpnn {

std::string utc_timestamp() {
  const std::time_t t = std::time(nullptr);
  std::tm parts{};
  gmtime_r(&t, &parts);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &parts);
  return text;
}

}  // namespace lpnn
