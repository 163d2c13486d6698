#include "lpnn/hdf5/handles.hpp"

#include <petscsys.h>

#include <array>
#include <limits>
#include <vector>

#include "lpnn/util/error.hpp"

namespace lpnn::h5 {

Handle::Handle(hid_t id, Closer closer, const std::string& what) : id_(id), closer_(closer) {
  if (id < 0) fail("HDF5: {} failed", what);
}

herr_t Handle::close() {
  herr_t status = 0;
  if (id_ >= 0 && closer_) status = closer_(id_);
  id_ = -1;
  return status;
}

void quiet_errors() { H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr); }

void check(herr_t status, const std::string& what) {
  if (status < 0) fail("HDF5: {} failed", what);
}

bool exists(hid_t location, const std::string& path) {
  // H5Lexists checks one link at a time: walk the path so a missing parent is "no", not an error.
  std::string prefix;
  std::size_t start = path[0] == '/' ? 1 : 0;
  while (start <= path.size()) {
    const std::size_t slash = path.find('/', start);
    prefix = path.substr(0, slash == std::string::npos ? path.size() : slash);
    if (H5Lexists(location, prefix.c_str(), H5P_DEFAULT) <= 0) return false;
    if (slash == std::string::npos) break;
    start = slash + 1;
  }
  return true;
}

template <>
hid_t native_type<std::int64_t>() {
  return H5T_NATIVE_INT64;
}
template <>
hid_t native_type<double>() {
  return H5T_NATIVE_DOUBLE;
}

namespace {
template <typename T>
void write_scalar_attribute(hid_t object, const std::string& name, hid_t file_type, const T& value) {
  Handle space(H5Screate(H5S_SCALAR), H5Sclose, "H5Screate");
  if (H5Aexists(object, name.c_str()) > 0) check(H5Adelete(object, name.c_str()), "deleting attribute " + name);
  Handle attr(H5Acreate2(object, name.c_str(), file_type, space, H5P_DEFAULT, H5P_DEFAULT), H5Aclose,
              "creating attribute " + name);
  check(H5Awrite(attr, native_type<T>(), &value), "writing attribute " + name);
}

Handle open_attribute(hid_t object, const std::string& name) {
  if (H5Aexists(object, name.c_str()) <= 0) fail("the attribute \"{}\" is missing", name);
  Handle attr(H5Aopen(object, name.c_str(), H5P_DEFAULT), H5Aclose, "opening attribute " + name);
  // H5Aread writes every element: an array attribute would overflow the single value read into.
  Handle space(H5Aget_space(attr), H5Sclose, "H5Aget_space");
  if (H5Sget_simple_extent_npoints(space) != 1) fail("the attribute \"{}\" is not a single value", name);
  return attr;
}
}  // namespace

void write_attribute(hid_t object, const std::string& name, std::int64_t value) {
  write_scalar_attribute(object, name, H5T_STD_I64LE, value);
}
void write_attribute(hid_t object, const std::string& name, double value) {
  write_scalar_attribute(object, name, H5T_IEEE_F64LE, value);
}
void write_attribute(hid_t object, const std::string& name, const std::string& value) {
  Handle type(H5Tcopy(H5T_C_S1), H5Tclose, "H5Tcopy");
  check(H5Tset_size(type, std::max<std::size_t>(1, value.size())), "H5Tset_size");
  check(H5Tset_strpad(type, H5T_STR_NULLPAD), "H5Tset_strpad");
  Handle space(H5Screate(H5S_SCALAR), H5Sclose, "H5Screate");
  if (H5Aexists(object, name.c_str()) > 0) check(H5Adelete(object, name.c_str()), "deleting attribute " + name);
  Handle attr(H5Acreate2(object, name.c_str(), type, space, H5P_DEFAULT, H5P_DEFAULT), H5Aclose,
              "creating attribute " + name);
  check(H5Awrite(attr, type, value.empty() ? "" : value.data()), "writing attribute " + name);
}

std::int64_t read_int_attribute(hid_t object, const std::string& name) {
  Handle attr = open_attribute(object, name);
  Handle type(H5Aget_type(attr), H5Tclose, "H5Aget_type");
  if (H5Tget_class(type) != H5T_INTEGER) fail("the attribute \"{}\" is not an integer", name);
  std::int64_t value = 0;
  check(H5Aread(attr, H5T_NATIVE_INT64, &value), "reading attribute " + name);
  return value;
}

double read_double_attribute(hid_t object, const std::string& name) {
  Handle attr = open_attribute(object, name);
  double value = 0;
  check(H5Aread(attr, H5T_NATIVE_DOUBLE, &value), "reading attribute " + name);
  return value;
}

std::string read_string_attribute(hid_t object, const std::string& name) {
  Handle attr = open_attribute(object, name);
  Handle type(H5Aget_type(attr), H5Tclose, "H5Aget_type");
  if (H5Tget_class(type) != H5T_STRING) fail("the attribute \"{}\" is not a string", name);
  if (H5Tis_variable_str(type) > 0) {
    // Variable-length strings are what h5py and most tools write: read them too.
    Handle space(H5Aget_space(attr), H5Sclose, "H5Aget_space");
    if (H5Sget_simple_extent_npoints(space) != 1) fail("the attribute \"{}\" is not a single string", name);
    Handle memory(H5Tcopy(H5T_C_S1), H5Tclose, "H5Tcopy");
    check(H5Tset_size(memory, H5T_VARIABLE), "H5Tset_size");
    check(H5Tset_cset(memory, H5Tget_cset(type)), "H5Tset_cset");
    char* text = nullptr;
    check(H5Aread(attr, memory, &text), "reading attribute " + name);
    std::string value = text ? text : "";
    H5free_memory(text);
    return value;
  }
  std::vector<char> buffer(H5Tget_size(type) + 1, '\0');
  check(H5Aread(attr, type, buffer.data()), "reading attribute " + name);
  return std::string(buffer.data());
}

std::vector<std::int64_t> extent(hid_t dataset, int rank, const std::string& what) {
  Handle space(H5Dget_space(dataset), H5Sclose, "H5Dget_space of " + what);
  const int actual = H5Sget_simple_extent_ndims(space);
  if (actual != rank) fail("{} has {} dimension(s), expected {}", what, actual, rank);
  std::vector<hsize_t> dims(static_cast<std::size_t>(rank), 0);
  if (H5Sget_simple_extent_dims(space, dims.data(), nullptr) < 0) fail("reading the extent of {} failed", what);
  std::vector<std::int64_t> out;
  for (hsize_t d : dims) {
    if (d > static_cast<hsize_t>(std::numeric_limits<std::int64_t>::max()))
      fail("{} declares a dimension of {}, beyond 64-bit signed sizes; the file is damaged", what, d);
    out.push_back(static_cast<std::int64_t>(d));
  }
  return out;
}

std::int64_t element_count(const std::vector<std::int64_t>& extent, const std::string& what) {
  std::int64_t count = 1;
  for (std::int64_t d : extent)
    if (__builtin_mul_overflow(count, d, &count))
      fail("{} declares more elements than 64-bit sizes hold; the file is damaged", what);
  return count;
}

namespace {

// MPI-IO hints from PETSc's options database, -lpnn_mpiio_hints key=value[,key=value...] (e.g.
// striping_factor=8,romio_cb_write=enable on Lustre): the file system's tuning is the site's, not lpnn's.
class MpiIoHints {
 public:
  MpiIoHints() {
    std::array<char*, 32> items{};
    PetscInt count = static_cast<PetscInt>(items.size());
    PetscBool set = PETSC_FALSE;
    if (PetscOptionsGetStringArray(nullptr, nullptr, "-lpnn_mpiio_hints", items.data(), &count, &set) != 0)
      fail("-lpnn_mpiio_hints: cannot read the option (at most {} key=value items)", items.size());
    std::vector<std::string> pairs(items.begin(), items.begin() + (set ? count : 0));
    for (PetscInt k = 0; k < (set ? count : 0); ++k) (void)PetscFree(items[k]);
    if (pairs.empty()) return;
    MPI_Info_create(&info_);
    for (const std::string& pair : pairs) {
      const std::size_t eq = pair.find('=');
      if (eq == 0 || eq == std::string::npos || eq + 1 == pair.size())
        fail("-lpnn_mpiio_hints: \"{}\" is not key=value (e.g. -lpnn_mpiio_hints romio_cb_write=enable)", pair);
      MPI_Info_set(info_, pair.substr(0, eq).c_str(), pair.substr(eq + 1).c_str());
    }
  }
  ~MpiIoHints() {
    if (info_ != MPI_INFO_NULL) MPI_Info_free(&info_);
  }
  MpiIoHints(const MpiIoHints&) = delete;
  MpiIoHints& operator=(const MpiIoHints&) = delete;
  MPI_Info get() const { return info_; }

 private:
  MPI_Info info_ = MPI_INFO_NULL;
};

}  // namespace

Handle open_parallel(MPI_Comm comm, const std::string& path, bool create, bool chunked) {
  Handle fapl(H5Pcreate(H5P_FILE_ACCESS), H5Pclose, "H5Pcreate");
  if (chunked) check(H5Pset_libver_bounds(fapl, H5F_LIBVER_V110, H5F_LIBVER_V110), "H5Pset_libver_bounds");
  const MpiIoHints hints;  // H5Pset_fapl_mpio copies the info
  check(H5Pset_fapl_mpio(fapl, comm, hints.get()), "H5Pset_fapl_mpio");
  // Large contiguous datasets start on 1 MiB boundaries: the MPI-IO layer writes whole stripes/pages.
  // Not chunks: a compressed chunk of just over 1 MiB would take 2 (at D = 100 on XOR, 43% of the file
  // was such padding). A file opened to resume allocates only chunks: its contiguous datasets were
  // allocated when it was created.
  if (create && !chunked) check(H5Pset_alignment(fapl, 1 << 20, 1 << 20), "H5Pset_alignment");
  const hid_t file =
      create ? H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, fapl) : H5Fopen(path.c_str(), H5F_ACC_RDWR, fapl);
  return Handle(file, H5Fclose, (create ? "creating " : "opening ") + path + " (is the directory writable?)");
}

}  // namespace lpnn::h5
