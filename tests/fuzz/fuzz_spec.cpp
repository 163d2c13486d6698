// libFuzzer target: the architecture spec parser, lpnn::Architecture::from_json_text.
// Input: the spec text, as lpnn-build --arch reads it from a file.
// Accepted specs must round-trip: from_json(to_json()) gives the same resolved spec and sizes.
#include <cstdint>
#include <string>

#include "fuzz_common.hpp"
#include "lpnn/arch/architecture.hpp"
#include "lpnn/util/error.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    const lpnn::Architecture arch = lpnn::Architecture::from_json_text(text, "fuzz.json");
    LPNN_FUZZ_CHECK(arch.inputs() >= 1);
    LPNN_FUZZ_CHECK(arch.outputs() >= 1);
    LPNN_FUZZ_CHECK(arch.parameters() >= 1);
    const nlohmann::json resolved = arch.to_json();
    const lpnn::Architecture again = lpnn::Architecture::from_json(resolved);
    LPNN_FUZZ_CHECK(again.to_json() == resolved);
    LPNN_FUZZ_CHECK(again.parameters() == arch.parameters());
    LPNN_FUZZ_CHECK(again.inputs() == arch.inputs() && again.outputs() == arch.outputs());
    // The resolved spec is also what polytope files store as text: it must parse back as text too.
    LPNN_FUZZ_CHECK(lpnn::Architecture::from_json_text(resolved.dump(), "resolved").to_json() == resolved);
  } catch (const lpnn::Error&) {
    // Rejected with a message: the expected outcome for a bad spec.
  }
  return 0;
}
