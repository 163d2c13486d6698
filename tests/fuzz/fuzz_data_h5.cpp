// libFuzzer target: the HDF5 data reader, lpnn::read_dataset on an .h5 file (datasets X and Y) made of
// arbitrary bytes. One leading byte c picks the shape the polytope asks for: n = 1 + c % 4 inputs,
// m = 1 + (c / 4) % 2 outputs, labels optional when (c / 8) % 2 = 1. Accepted data must be consistent:
// samples >= 1, x and y sized samples x n and samples x m, finite. Seeds are real files written with
// h5py (corpus/data_h5). HDF5's own decoder has memory errors on some damaged files, so this target
// runs under classify_findings.py like the polytope reader.
#include <cmath>
#include <cstdint>

#include "fuzz_common.hpp"
#include "lpnn/solve/dataset.hpp"
#include "lpnn/util/error.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static lpnn_fuzz::ScratchFile file(".h5");
  if (size < 1) return 0;
  const unsigned c = data[0];
  const std::int64_t inputs = 1 + c % 4, outputs = 1 + (c / 4) % 2;
  const bool labels_optional = (c / 8) % 2 == 1;
  const std::string& path = file.write(data + 1, size - 1);
  try {
    const lpnn::Dataset d = lpnn::read_dataset(path, inputs, outputs, labels_optional);
    lpnn_fuzz::check_accepted_dataset(d, inputs, outputs, labels_optional);
  } catch (const lpnn::Error&) {
    // Rejected with a message: the expected outcome for a damaged file.
  }
  return 0;
}
