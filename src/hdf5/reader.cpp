#include "lpnn/hdf5/reader.hpp"

#include <petscviewerhdf5.h>

#include <algorithm>
#include <filesystem>

#include "lpnn/bags/block_layout.hpp"
#include "lpnn/bags/family_record.hpp"
#include "lpnn/hdf5/checksum.hpp"
#include "lpnn/util/error.hpp"

namespace lpnn {

namespace {

std::int64_t dataset_size(hid_t file, const std::string& path, const std::string& name) {
  if (!h5::exists(file, name)) fail("{}: the dataset {} is missing; the file is damaged, rebuild it", path, name);
  h5::Handle set(H5Dopen2(file, name.c_str(), H5P_DEFAULT), H5Dclose, "opening " + name);
  return h5::extent(set, 1, path + ": the dataset " + name)[0];
}

h5::Handle open_readonly(const std::string& path) {
  h5::quiet_errors();
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) fail("the polytope file {} does not exist", path);
  if (H5Fis_hdf5(path.c_str()) <= 0) fail("{} is not an HDF5 file, so not an lpnn polytope file", path);
  const hid_t file = H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  if (file < 0) fail("{} looks like an HDF5 file but HDF5 cannot open it (truncated or damaged?); rebuild it", path);
  return h5::Handle(file, H5Fclose, "opening " + path);
}

}  // namespace

namespace {

// The layout a file's attributes describe: the star's from spec, grid and D; a chain's also from its
// node grid (one sample's family is rebuilt in memory). A star-only reader refuses a chain file here,
// before reading anything it would misinterpret.
PolytopeLayout stored_layout(hid_t file, const std::string& path, std::int64_t version, const Architecture& arch,
                             Families families) {
  const GridSpec grid{h5::read_int_attribute(file, "grid_param"), h5::read_int_attribute(file, "grid_input"),
                      h5::read_int_attribute(file, "grid_output")};
  const std::int64_t samples = h5::read_int_attribute(file, "samples");
  if (version == kPolytopeFormatVersion)
    return PolytopeLayout::make(arch.parameters(), arch.inputs(), arch.outputs(), grid, samples);
  const std::string family = H5Aexists(file, "family") > 0 ? h5::read_string_attribute(file, "family") : "";
  if (family != "chain")
    fail("{} has polytope format version {} but bag family '{}', not chain; the file is damaged", path, version,
         family);
  if (families == Families::StarOnly)
    fail(
        "{} holds the chain bag family's polytope (format version {}); this reader interprets only the star's "
        "(version {}): its columns, faces and cost template are the star's, so it would misread a chain file. "
        "Build the star with lpnn-build without --family (or --family star) for it; lpnn-train trains on chain "
        "files and lpnn-info describes chain files",
        path, version, kPolytopeFormatVersion);
  // One sample's LP is rebuilt in memory: first the sizes, counted without enumerating a column, must be
  // the file's, so that a damaged node_grid or spec cannot ask for an enormous block.
  const std::int64_t node_grid = h5::read_int_attribute(file, "node_grid");
  const std::int64_t nonzeros = chain_family_sizes(arch, chain_options(grid, node_grid), samples).nnz;
  if (nonzeros != h5::read_int_attribute(file, "nonzeros"))
    fail(
        "{}: attribute nonzeros = {} disagrees with the chain of its spec, grid and node grid {}, which has {}; the "
        "file is damaged",
        path, h5::read_int_attribute(file, "nonzeros"), node_grid, nonzeros);
  return chain_layout(arch, grid, samples, node_grid);
}

// Reads a whole 1-D dataset of `count` elements of `memory_type` after checking its extent, so that a
// damaged extent never sizes a buffer; checks the bytes against its crc32 attribute.
template <typename T>
std::vector<T> read_checked(hid_t file, const std::string& path, const char* name, hid_t memory_type,
                            std::int64_t count) {
  const std::int64_t size = dataset_size(file, path, name);
  if (size != count)
    fail("{}: {} has {} entries, the file's spec and grids give {}; the file is damaged, rebuild it", path, name,
         size, count);
  h5::Handle set(H5Dopen2(file, name, H5P_DEFAULT), H5Dclose, std::string("opening ") + name);
  std::vector<T> values(static_cast<std::size_t>(count));
  if (H5Dread(set, memory_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data()) < 0)
    fail("{}: reading {} failed; the file is damaged or truncated, rebuild it", path, name);
  const std::uint32_t crc = crc32_of(values.data(), count * static_cast<std::int64_t>(sizeof(T)));
  if (H5Aexists(set, "crc32") <= 0 || h5::read_int_attribute(set, "crc32") != static_cast<std::int64_t>(crc))
    fail("{}: {} has no crc32 attribute or one that disagrees with its bytes ({:08x}); the file is damaged, rebuild it",
         path, name, crc);
  return values;
}

// A version-2 file's /family must be exactly the record of its spec, grids and node grid.
void check_family(hid_t file, const std::string& path, const PolytopeMetadata& meta) {
  if (!h5::exists(file, "/family"))
    fail("{}: the chain file has no /family group (written by an older lpnn-build?); rebuild it", path);
  const FamilyRecord expected = family_record(meta.arch, meta.layout);
  const std::vector<unsigned char> description = read_checked<unsigned char>(
      file, path, kFamilyDescription, H5T_NATIVE_UCHAR, static_cast<std::int64_t>(expected.description.size()));
  if (!std::equal(description.begin(), description.end(), expected.description.begin(),
                  [](unsigned char a, char b) { return a == static_cast<unsigned char>(b); }))
    fail("{}: {} disagrees with the chain family of the file's spec, grids and node grid; the file is damaged, "
         "rebuild it",
         path, kFamilyDescription);
  const std::vector<std::int32_t> assignments = read_checked<std::int32_t>(
      file, path, kFamilyAssignments, H5T_NATIVE_INT32, static_cast<std::int64_t>(expected.assignments.size()));
  if (assignments != expected.assignments)
    fail("{}: {} disagrees with the chain family of the file's spec, grids and node grid; the file is damaged, "
         "rebuild it",
         path, kFamilyAssignments);
}

}  // namespace

PolytopeMetadata read_polytope_metadata(const std::string& path, Families families) {
  h5::Handle file = open_readonly(path);
  std::string format;
  try {
    if (H5Aexists(file, "format") > 0) format = h5::read_string_attribute(file, "format");
  } catch (const Error&) {
    format.clear();  // not a string: not lpnn's either
  }
  if (format != kPolytopeFormat)
    fail("{} is an HDF5 file but not an lpnn polytope file (no format = \"{}\" attribute)", path, kPolytopeFormat);
  const std::int64_t version = h5::read_int_attribute(file, "format_version");
  if (version != kPolytopeFormatVersion && version != kBlockPolytopeFormatVersion)
    fail("{} has polytope format version {}, but this lpnn reads versions {} and {}; rebuild it with this lpnn-build",
         path, version, kPolytopeFormatVersion, kBlockPolytopeFormatVersion);
  if (H5Aexists(file, "complete") <= 0 || h5::read_int_attribute(file, "complete") != 1)
    fail("{} is an incomplete build (its writer did not finish); rebuild it", path);

  PolytopeMetadata meta{
      Architecture::from_json_text(h5::read_string_attribute(file, "spec"), path + ":spec"), {}, 0, 0};
  meta.layout = stored_layout(file, path, version, meta.arch, families);
  meta.lipschitz_bmp = h5::read_double_attribute(file, "lipschitz_bmp");
  meta.lipschitz_numeric = h5::read_double_attribute(file, "lipschitz_numeric");
  const PolytopeLayout& l = meta.layout;
  const std::pair<const char*, std::int64_t> sizes[] = {{"rows", l.rows},
                                                        {"columns", l.cols},
                                                        {"nonzeros", l.nnz},
                                                        {"parameter_grid_points", l.M},
                                                        {l.star() ? "bag_size" : "columns_per_sample", l.B}};
  for (const auto& [name, expected] : sizes) {
    const std::int64_t stored = h5::read_int_attribute(file, name);
    if (stored != expected)
      fail("{}: attribute {} = {} disagrees with the spec and grid, which give {}; the file is damaged", path, name,
           stored, expected);
  }
  for (const DatasetSpec& d : polytope_datasets(l)) {
    const std::int64_t size = dataset_size(file, path, d.name);
    if (size != d.size)
      fail("{}: the dataset {} has {} entries but the layout needs {}; the file is damaged or truncated", path, d.name,
           size, d.size);
  }
  {
    h5::Handle a(H5Gopen2(file, "/A", H5P_DEFAULT), H5Gclose, "opening /A");
    if (h5::read_int_attribute(a, "MATLAB_sparse") != l.cols)
      fail("{}: /A's MATLAB_sparse attribute disagrees with the column count {}", path, l.cols);
  }
  if (!l.star()) check_family(file, path, meta);
  return meta;
}

std::string read_family_description(const std::string& path) {
  h5::Handle file = open_readonly(path);
  if (!h5::exists(file, kFamilyDescription))
    fail("{}: there is no {} (a star file records no family)", path, kFamilyDescription);
  const std::int64_t size = dataset_size(file, path, kFamilyDescription);
  const std::vector<unsigned char> bytes =
      read_checked<unsigned char>(file, path, kFamilyDescription, H5T_NATIVE_UCHAR, size);
  return std::string(bytes.begin(), bytes.end());
}

std::vector<double> read_double_dataset(const std::string& path, const std::string& dataset) {
  h5::Handle file = open_readonly(path);
  const std::int64_t size = dataset_size(file, path, dataset);
  std::vector<double> values(static_cast<std::size_t>(size));
  h5::Handle set(H5Dopen2(file, dataset.c_str(), H5P_DEFAULT), H5Dclose, "opening " + dataset);
  if (H5Dread(set, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data()) < 0)
    fail("{}: reading {} failed; the file is damaged or truncated", path, dataset);
  return values;
}

OwnedMat load_constraint_matrix(MPI_Comm comm, const std::string& path, const PolytopeLayout& layout) {
  OwnedViewer viewer;
  LPNN_PETSC(PetscViewerHDF5Open(comm, path.c_str(), FILE_MODE_READ, viewer.out()));
  OwnedMat A;
  LPNN_PETSC(MatCreate(comm, A.out()));
  LPNN_PETSC(PetscObjectSetName(reinterpret_cast<PetscObject>(A.get()), "A"));
  // AIJ by default; the options database last, so that -mat_type (another AIJ-family storage with an
  // HDF5 MatLoad, e.g. aijperm or aijsell) and other -mat_ options apply as in any PETSc program.
  LPNN_PETSC(MatSetType(A, MATAIJ));
  LPNN_PETSC(MatSetFromOptions(A));
  if (const PetscErrorCode code = MatLoad(A, viewer)) {
    // A failed MatLoad may be this rank's alone: closing the viewer (H5Fclose, collective) would wait
    // for peers still inside MatLoad. Leave both to the process's end.
    viewer.release();
    A.release();
    LPNN_PETSC(code);
  }
  PetscInt rows = 0, cols = 0;
  LPNN_PETSC(MatGetSize(A, &rows, &cols));
  if (rows != layout.rows || cols != layout.cols)
    fail("{}: MatLoad gave a {} x {} matrix, the layout says {} x {}", path, rows, cols, layout.rows, layout.cols);
  return A;
}

}  // namespace lpnn
