// libFuzzer target: the CSV data reader, lpnn::read_dataset on a .csv file (-> lpnn::read_csv).
// Input: one configuration byte, then the file's contents. The byte c chooses the shape the polytope
// asks for: n = 1 + c % 4 inputs, m = 1 + (c / 4) % 2 outputs, labels optional when (c / 8) % 2 = 1
// (lpnn-predict's unlabelled rows). Seeds start with a printable byte and a newline, e.g. "1\n"
// (n = 2, m = 1, labelled), so the file itself begins with a blank line (skipped by the reader).
// Accepted data must be consistent: samples >= 1, x and y sized samples x n and samples x m, finite.
#include <cmath>
#include <cstdint>

#include "fuzz_common.hpp"
#include "lpnn/solve/dataset.hpp"
#include "lpnn/util/error.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static lpnn_fuzz::ScratchFile file(".csv");
  if (size < 1) return 0;
  const unsigned c = data[0];
  const std::int64_t inputs = 1 + c % 4, outputs = 1 + (c / 4) % 2;
  const bool labels_optional = (c / 8) % 2 == 1;
  const std::string& path = file.write(data + 1, size - 1);
  try {
    const lpnn::Dataset d = lpnn::read_dataset(path, inputs, outputs, labels_optional);
    lpnn_fuzz::check_accepted_dataset(d, inputs, outputs, labels_optional);
    // What lpnn-train does next with accepted data: the box check, or min-max scaling into the box.
    try {
      lpnn::require_in_box(d);
    } catch (const lpnn::Error&) {
    }
    if (d.outputs > 0) {
      const lpnn::MinMaxScaling scaling = lpnn::MinMaxScaling::fit(d);
      const lpnn::Dataset boxed = scaling.apply(d);
      for (double v : boxed.x) LPNN_FUZZ_CHECK(v >= -1.0 && v <= 1.0);
      for (double v : boxed.y) LPNN_FUZZ_CHECK(v >= -1.0 && v <= 1.0);
    }
  } catch (const lpnn::Error&) {
    // Rejected with a message naming the line and column: the expected outcome for bad data.
  }
  return 0;
}
