// libFuzzer target: the polytope-file reader, lpnn::read_polytope_metadata (lpnn-info, lpnn-train),
// then what lpnn-train reads next on an accepted file: the cost template and the grids.
// Input: the whole file. Seeds: real polytope files written by lpnn-build at test time (complete, and
// truncated at several lengths), see tests/fuzz/make_polytope_seeds.sh, plus the committed non-HDF5
// files in corpus/polytope. A mutated file must be rejected with lpnn::Error or accepted, consistently.
//
// No MPI_Init: read_polytope_metadata opens the file with the default (POSIX, sec2) file-access
// property list, which parallel HDF5 serves without MPI; nothing on this path communicates.
#include <cstdint>
#include <vector>

#include "fuzz_common.hpp"
#include "lpnn/hdf5/reader.hpp"
#include "lpnn/util/error.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static lpnn_fuzz::ScratchFile file(".h5");
  const std::string& path = file.write(data, size);
  try {
    const lpnn::PolytopeMetadata meta = lpnn::read_polytope_metadata(path);
    const lpnn::PolytopeLayout& l = meta.layout;
    LPNN_FUZZ_CHECK(l.N == meta.arch.parameters() && l.n == meta.arch.inputs() && l.m == meta.arch.outputs());
    LPNN_FUZZ_CHECK(l.D >= 1 && l.rows >= 1 && l.cols >= 1 && l.nnz >= 1 && l.B >= 1 && l.M >= 1);
    const std::vector<double> cost = lpnn::read_double_dataset(path, "/template/cost");
    LPNN_FUZZ_CHECK(static_cast<std::int64_t>(cost.size()) == l.B);
    LPNN_FUZZ_CHECK(static_cast<std::int64_t>(lpnn::read_double_dataset(path, "/grids/param").size()) == l.grid.param);
  } catch (const lpnn::Error&) {
    // Rejected with a message saying what is wrong with the file: the expected outcome.
  }
  return 0;
}
