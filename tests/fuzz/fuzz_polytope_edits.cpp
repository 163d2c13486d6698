// libFuzzer target: lpnn::read_polytope_metadata (+ the cost template, as lpnn-train reads it) on
// polytope files damaged at the level of HDF5 objects rather than bytes.
//
// Each input is a program of edits applied with the HDF5 API to a real polytope file written by
// lpnn-build (LPNN_FUZZ_POLYTOPE_BASE, made by the fuzz.polytope_seeds fixture): attributes deleted,
// re-typed (int32/uint64/float/string/variable-length string), given other values or non-scalar
// shapes; datasets and groups deleted, resized (up to 2^40 entries, unallocated), re-ranked,
// re-typed or swapped for each other; the spec attribute replaced with other or damaged JSON; the file
// truncated. Every file is written by HDF5 itself, so this exercises lpnn's validation of well-formed
// HDF5 files that are not what lpnn wrote -- without re-finding the memory errors HDF5 1.10's own
// decoder has on corrupted bytes (fuzz_polytope covers byte-level damage, see make_polytope_seeds.sh
// and classify_findings.py).
//
// The first input bytes are the edit program (FuzzedDataProvider); an empty input is the intact file,
// which must be accepted. Edits that HDF5 refuses are skipped.
#include <fuzzer/FuzzedDataProvider.h>
#include <hdf5.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <string>
#include <vector>

#include "fuzz_common.hpp"
#include "lpnn/hdf5/reader.hpp"
#include "lpnn/util/error.hpp"

namespace {

std::vector<std::uint8_t> base_file;

const char* const kRootAttributes[] = {
    "format",     "format_version", "complete",   "spec",     "samples",       "grid_param",
    "grid_input", "grid_output",    "parameters", "inputs",   "outputs",       "parameter_grid_points",
    "bag_size",   "rows",           "columns",    "nonzeros", "lipschitz_bmp", "lipschitz_numeric"};
const char* const kDatasets[] = {"/A/jc",          "/A/ir",        "/A/data",      "/lp/b",        "/lp/c",
                                 "/template/cost", "/grids/param", "/grids/input", "/grids/output"};
const char* const kGroups[] = {"/A", "/lp", "/template", "/grids", "/provenance"};
const char* const kSpecs[] = {
    R"({"input": 1, "layers": [{"units": 1, "activation": "identity"}], "bias": true, "loss": "squared"})",
    R"({"input": 2, "layers": [{"units": 2, "activation": "relu"}, {"units": 1, "activation": "identity"}], "loss": "squared"})",
    R"({"input": 1, "layers": [{"units": 1, "activation": "identity"}], "bias": false, "loss": "hinge"})",
    R"({"input": 1, "layers": [{"units": 1, "activation": "leaky_relu", "slope": 0.5}], "bias": false, "loss": "absolute", "regularizer": {"kind": "l1", "weight": 0.25}})",
    R"({"input": 62, "layers": [{"units": 1, "activation": "identity"}], "bias": false, "loss": "squared"})",
    R"({"input": 1, "layers": [{"units": 1, "activation": "identity"}], "loss": "squared", "extra": 1})",
    R"({"input": 1e400})",
    R"([])",
    ""};

// Scoped HDF5 identifier (the fuzz target must not depend on lpnn::h5, which throws on failure).
struct Id {
  hid_t id;
  herr_t (*close)(hid_t);
  ~Id() {
    if (id >= 0) close(id);
  }
  operator hid_t() const { return id; }
};

std::int64_t interesting_integer(FuzzedDataProvider& in, std::int64_t original) {
  switch (in.ConsumeIntegralInRange(0, 5)) {
    // Wrapping arithmetic: the original may itself be an extreme value from an earlier edit.
    case 0:
      return static_cast<std::int64_t>(static_cast<std::uint64_t>(original) +
                                       static_cast<std::uint64_t>(in.ConsumeIntegralInRange<std::int64_t>(-2, 2)));
    case 1:
      return in.PickValueInArray<std::int64_t>({0, 1, -1, 2, 3, 62, 63, 64, std::int64_t{1} << 31,
                                                std::int64_t{1} << 40, std::numeric_limits<std::int64_t>::max(),
                                                std::numeric_limits<std::int64_t>::min()});
    case 2:
      return static_cast<std::int64_t>(static_cast<std::uint64_t>(original) *
                                       in.ConsumeIntegralInRange<std::uint64_t>(2, 4));
    default:
      return in.ConsumeIntegral<std::int64_t>();
  }
}

std::int64_t read_original(hid_t object, const char* name) {
  if (H5Aexists(object, name) <= 0) return 1;
  Id attr{H5Aopen(object, name, H5P_DEFAULT), H5Aclose};
  std::int64_t value = 1;
  Id space{H5Aget_space(attr), H5Sclose};
  if (attr < 0 || H5Sget_simple_extent_npoints(space) != 1 || H5Aread(attr, H5T_NATIVE_INT64, &value) < 0) return 1;
  return value;
}

std::string fuzzed_spec(FuzzedDataProvider& in) {
  std::string spec = in.PickValueInArray(kSpecs);
  switch (in.ConsumeIntegralInRange(0, 2)) {
    case 0:
      return spec;
    case 1: {  // damage a range of a real spec
      if (spec.empty()) return in.ConsumeRandomLengthString(256);
      const std::size_t at = in.ConsumeIntegralInRange<std::size_t>(0, spec.size() - 1);
      const std::size_t length = in.ConsumeIntegralInRange<std::size_t>(0, spec.size() - at);
      return spec.replace(at, length, in.ConsumeRandomLengthString(64));
    }
    default:
      return in.ConsumeRandomLengthString(1024);
  }
}

// Writes attribute `name` on `object` (replacing it) with a type, shape and value chosen by `in`.
void write_attribute(FuzzedDataProvider& in, hid_t object, const char* name, bool is_spec) {
  const std::int64_t original = read_original(object, name);
  if (H5Aexists(object, name) > 0) H5Adelete(object, name);
  // Shape: mostly scalar, sometimes a 1-D array of 0..4 elements (lpnn expects one value).
  const bool scalar = in.ConsumeIntegralInRange(0, 3) != 0;
  const hsize_t count = scalar ? 1 : in.ConsumeIntegralInRange<hsize_t>(0, 4);
  Id space{scalar ? H5Screate(H5S_SCALAR) : H5Screate_simple(1, &count, nullptr), H5Sclose};
  const int kind = in.ConsumeIntegralInRange(0, is_spec ? 7 : 6);
  std::vector<std::int64_t> integers(std::max<hsize_t>(count, 1));
  for (auto& v : integers) v = interesting_integer(in, original);
  switch (kind) {
    case 0:
    case 1: {  // the file's own type, other values
      Id attr{H5Acreate2(object, name, H5T_STD_I64LE, space, H5P_DEFAULT, H5P_DEFAULT), H5Aclose};
      if (attr >= 0) H5Awrite(attr, H5T_NATIVE_INT64, integers.data());
      break;
    }
    case 2: {  // narrower or unsigned integers (HDF5 converts, saturating)
      const hid_t type = in.PickValueInArray<hid_t>({H5T_STD_I32LE, H5T_STD_U64LE, H5T_STD_I8BE, H5T_STD_U8LE});
      Id attr{H5Acreate2(object, name, type, space, H5P_DEFAULT, H5P_DEFAULT), H5Aclose};
      if (attr >= 0) H5Awrite(attr, H5T_NATIVE_INT64, integers.data());
      break;
    }
    case 3: {  // floating point
      std::vector<double> values(integers.size());
      for (auto& v : values)
        v = in.PickValueInArray<double>({0.0, -0.0, 1.0, 1.5, -1.0, 1e300, -1e300,
                                         std::numeric_limits<double>::quiet_NaN(),
                                         std::numeric_limits<double>::infinity(), 5e-324, 4.0, 9.2233720368547758e18});
      const hid_t type = in.ConsumeBool() ? H5T_IEEE_F64LE : H5T_IEEE_F32BE;
      Id attr{H5Acreate2(object, name, type, space, H5P_DEFAULT, H5P_DEFAULT), H5Aclose};
      if (attr >= 0) H5Awrite(attr, H5T_NATIVE_DOUBLE, values.data());
      break;
    }
    case 4:
    case 7: {  // fixed-length string (for "spec": other or damaged JSON)
      std::string text =
          is_spec ? fuzzed_spec(in) : in.PickValueInArray<std::string>({"lpnn-polytope", "lpnn-polytop", "1", ""});
      if (!is_spec && in.ConsumeBool()) text = in.ConsumeRandomLengthString(64);
      Id type{H5Tcopy(H5T_C_S1), H5Tclose};
      H5Tset_size(type, std::max<std::size_t>(1, text.size()));
      H5Tset_strpad(type, in.PickValueInArray({H5T_STR_NULLPAD, H5T_STR_NULLTERM, H5T_STR_SPACEPAD}));
      std::vector<char> buffer(std::max<std::size_t>(1, text.size()) * integers.size(), '\0');
      for (std::size_t k = 0; k < integers.size(); ++k)
        std::copy(text.begin(), text.end(), buffer.begin() + k * std::max<std::size_t>(1, text.size()));
      Id attr{H5Acreate2(object, name, type, space, H5P_DEFAULT, H5P_DEFAULT), H5Aclose};
      if (attr >= 0) H5Awrite(attr, type, buffer.data());
      break;
    }
    case 5: {  // variable-length string (h5py's default for str attributes)
      const std::string text = is_spec ? fuzzed_spec(in) : in.ConsumeRandomLengthString(64);
      Id type{H5Tcopy(H5T_C_S1), H5Tclose};
      H5Tset_size(type, H5T_VARIABLE);
      std::vector<const char*> pointers(integers.size(), text.c_str());
      Id attr{H5Acreate2(object, name, type, space, H5P_DEFAULT, H5P_DEFAULT), H5Aclose};
      if (attr >= 0) H5Awrite(attr, type, pointers.data());
      break;
    }
    default:  // 6: deleted (done above)
      break;
  }
}

// Replaces dataset `name` by one of another length, rank or type; storage stays unallocated, so huge
// extents cost nothing on disk (reads of unallocated data return fill values).
void replace_dataset(FuzzedDataProvider& in, hid_t file, const char* name) {
  if (H5Lexists(file, name, H5P_DEFAULT) > 0) H5Ldelete(file, name, H5P_DEFAULT);
  if (in.ConsumeIntegralInRange(0, 4) == 0) return;  // just deleted
  const int rank = in.PickValueInArray({1, 1, 1, 2, 0});
  hsize_t dims[2] = {in.PickValueInArray<hsize_t>({0, 1, 2, 3, 4, 5, 20, 36, 100, hsize_t{1} << 32, hsize_t{1} << 40}),
                     in.PickValueInArray<hsize_t>({1, 2})};
  if (in.ConsumeBool()) dims[0] = in.ConsumeIntegralInRange<hsize_t>(0, 4096);
  Id space{rank == 0 ? H5Screate(H5S_SCALAR) : H5Screate_simple(rank, dims, nullptr), H5Sclose};
  const hid_t type =
      in.PickValueInArray<hid_t>({H5T_IEEE_F64LE, H5T_STD_I64LE, H5T_STD_I32LE, H5T_IEEE_F32LE, H5T_C_S1});
  Id dcpl{H5Pcreate(H5P_DATASET_CREATE), H5Pclose};
  H5Pset_alloc_time(dcpl, H5D_ALLOC_TIME_LATE);
  Id lcpl{H5Pcreate(H5P_LINK_CREATE), H5Pclose};
  H5Pset_create_intermediate_group(lcpl, 1);
  Id set{H5Dcreate2(file, name, type, space, lcpl, dcpl, H5P_DEFAULT), H5Dclose};
  // Small ones get data, so reads are not only fill values.
  if (set >= 0 && rank == 1 && dims[0] > 0 && dims[0] <= 4096 && type != H5T_C_S1) {
    std::vector<double> values(dims[0]);
    for (auto& v : values) v = in.ConsumeFloatingPoint<double>();
    H5Dwrite(set, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data());
  }
}

void apply_edits(FuzzedDataProvider& in, const std::string& path) {
  Id file{H5Fopen(path.c_str(), H5F_ACC_RDWR, H5P_DEFAULT), H5Fclose};
  if (file < 0) lpnn_fuzz::invariant_failed("the base polytope file does not open for writing");
  for (int edit = 0; edit < 8 && in.remaining_bytes() > 0; ++edit) {
    switch (in.ConsumeIntegralInRange(0, 6)) {
      case 0:
      case 1: {
        const char* name = in.PickValueInArray(kRootAttributes);
        write_attribute(in, file, name, std::string(name) == "spec");
      } break;
      case 2: {
        Id group{H5Gopen2(file, "/A", H5P_DEFAULT), H5Gclose};
        if (group >= 0) write_attribute(in, group, "MATLAB_sparse", false);
        break;
      }
      case 3:
        replace_dataset(in, file, in.PickValueInArray(kDatasets));
        break;
      case 4: {  // a whole group deleted, or a group where a dataset belongs and vice versa
        const bool group_for_dataset = in.ConsumeBool();
        const char* name = group_for_dataset ? in.PickValueInArray(kDatasets) : in.PickValueInArray(kGroups);
        if (H5Lexists(file, name, H5P_DEFAULT) > 0) H5Ldelete(file, name, H5P_DEFAULT);
        if (group_for_dataset) {
          Id group{H5Gcreate2(file, name, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), H5Gclose};
        } else if (in.ConsumeBool()) {
          const hsize_t one = 1;
          Id space{H5Screate_simple(1, &one, nullptr), H5Sclose};
          Id set{H5Dcreate2(file, name, H5T_IEEE_F64LE, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), H5Dclose};
        }
        break;
      }
      case 5: {  // an attribute lpnn does not know: must be ignored
        Id space{H5Screate(H5S_SCALAR), H5Sclose};
        const std::string name = "x" + in.ConsumeRandomLengthString(16);
        Id attr{H5Acreate2(file, name.c_str(), H5T_STD_I64LE, space, H5P_DEFAULT, H5P_DEFAULT), H5Aclose};
        break;
      }
      default: {  // the root attribute `name` as a dataset (H5Aexists says no, H5Lexists says yes)
        const char* name = in.PickValueInArray(kRootAttributes);
        if (H5Aexists(file, name) > 0) H5Adelete(file, name);
        Id space{H5Screate(H5S_SCALAR), H5Sclose};
        Id set{H5Dcreate2(file, name, H5T_STD_I64LE, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), H5Dclose};
        break;
      }
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  const char* base = std::getenv("LPNN_FUZZ_POLYTOPE_BASE");
  if (!base || !*base) {
    std::fprintf(stderr,
                 "fuzz_polytope_edits: set LPNN_FUZZ_POLYTOPE_BASE to a polytope file written by lpnn-build "
                 "(ctest does: tests/fuzz/CMakeLists.txt)\n");
    std::exit(2);
  }
  std::ifstream in(base, std::ios::binary);
  base_file.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  if (base_file.empty()) {
    std::fprintf(stderr, "fuzz_polytope_edits: cannot read %s\n", base);
    std::exit(2);
  }
  H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);  // edits HDF5 refuses are expected; stay quiet
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static lpnn_fuzz::ScratchFile file(".h5");
  const std::string& path = file.write(base_file.data(), base_file.size());
  FuzzedDataProvider in(data, size);
  const bool intact = size == 0;
  // The last byte (consumed first) may truncate the edited file: a copy cut short.
  const int truncate = size > 0 ? in.ConsumeIntegralInRange(0, 15) : 0;
  apply_edits(in, path);
  if (truncate == 1 || truncate == 2) {
    const auto length = std::filesystem::file_size(path);
    std::filesystem::resize_file(path, truncate == 1 ? length / 2 : length - 1);
  }
  try {
    const lpnn::PolytopeMetadata meta = lpnn::read_polytope_metadata(path);
    const lpnn::PolytopeLayout& l = meta.layout;
    LPNN_FUZZ_CHECK(l.N == meta.arch.parameters() && l.n == meta.arch.inputs() && l.m == meta.arch.outputs());
    LPNN_FUZZ_CHECK(l.D >= 1 && l.rows >= 1 && l.cols >= 1 && l.nnz >= 1 && l.B >= 1 && l.M >= 1);
    const std::vector<double> cost = lpnn::read_double_dataset(path, "/template/cost");
    LPNN_FUZZ_CHECK(static_cast<std::int64_t>(cost.size()) == l.B);
  } catch (const lpnn::Error&) {
    LPNN_FUZZ_CHECK(!intact);  // the file lpnn-build wrote must be accepted
  }
  return 0;
}
