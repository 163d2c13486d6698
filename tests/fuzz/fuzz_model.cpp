// libFuzzer target: the model file reader, lpnn::Model::from_file on arbitrary bytes (what lpnn-predict
// reads), then a prediction with an accepted model on a small data set of its input width. Accepted
// models must be usable: predictions sized samples x outputs, no out-of-bounds reads of the scaling.
#include <cstdint>

#include "fuzz_common.hpp"
#include "lpnn/solve/model.hpp"
#include "lpnn/util/error.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static lpnn_fuzz::ScratchFile file(".json");
  const std::string& path = file.write(data, size);
  try {
    const lpnn::Model model = lpnn::Model::from_file(path);
    LPNN_FUZZ_CHECK(static_cast<std::int64_t>(model.parameters.size()) == model.arch.parameters());
    // A network wider than a few thousand inputs is valid but not worth evaluating here.
    if (model.arch.inputs() > 4096 || model.arch.neurons().size() > 4096) return 0;
    lpnn::Dataset raw;
    raw.origin = "fuzz";
    raw.samples = 2;
    raw.inputs = model.arch.inputs();
    raw.x.assign(static_cast<std::size_t>(2 * raw.inputs), 0.5);
    const std::vector<double> predictions = model.predict(raw);
    LPNN_FUZZ_CHECK(static_cast<std::int64_t>(predictions.size()) == 2 * model.arch.outputs());
  } catch (const lpnn::Error&) {
    // Rejected with a message: the expected outcome for a damaged model file.
  }
  return 0;
}
