// MPI tests of the distributed builder (issue 3), run under mpiexec at 1, 2 and 4 ranks:
//   - row, column and nonzero counts equal the closed forms of design doc §3 (computed here from the
//     spec, not taken from PolytopeLayout);
//   - every entry of the stored matrix (loaded with MatLoad) and of the assembled matrix sits where §3
//     puts it, checked row by row against a construction written out in this file;
//   - assembly preallocation is exact: no mallocs, and nothing allocated that is not used, both for the
//     reference assembly (assemble_matrix, MatSetValues) and the builder's in-place assembly, which
//     equals it; extract_rows gives back exactly the generated rows;
//   - MatLoad of a file equals the freshly assembled matrix (MatEqual), on the rank count that built it
//     and on others (sub-communicators of 1 and 2 ranks; a file built on one rank loaded on all);
//   - streaming (tiny chunks, uneven chunk counts across ranks) and assembled builds write equal files;
//   - refusals (existing output, refused plan, unusable directory) raise the same CollectiveError on every
//     rank and leave no file behind; an existing output is left untouched.
// The CLI-level checks (h5diff across rank counts, bad input, interrupted writes, lpnn-info) are in the
// scripts next to this file; the value-by-value check of b, c, the cost template and the grids against
// an independent numpy evaluation is check_layout.py.
#include <gtest/gtest.h>
#include <hdf5.h>
#include <mpi.h>
#include <petscmat.h>
#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "lpnn/build/assembly.hpp"
#include "lpnn/build/builder.hpp"
#include "lpnn/build/distribution.hpp"
#include "lpnn/util/error.hpp"
#include "lpnn/hdf5/handles.hpp"
#include "lpnn/hdf5/paths.hpp"
#include "lpnn/hdf5/reader.hpp"
#include "lpnn/hdf5/writer.hpp"
#include "reference_assembly.hpp"

namespace {

namespace fs = std::filesystem;
using std::int64_t;

int rank_of(MPI_Comm comm) {
  int r = 0;
  MPI_Comm_rank(comm, &r);
  return r;
}
int size_of(MPI_Comm comm) {
  int s = 1;
  MPI_Comm_size(comm, &s);
  return s;
}
int world_rank() { return rank_of(MPI_COMM_WORLD); }
int world_size() { return size_of(MPI_COMM_WORLD); }

bool all_ranks(MPI_Comm comm, bool local) {
  int mine = local ? 1 : 0, all = 0;
  MPI_Allreduce(&mine, &all, 1, MPI_INT, MPI_LAND, comm);
  return all != 0;
}

// Every rank's `problems` (empty: none) collected on rank 0 and reported there (the test main prints on
// rank 0 only); the test fails on every rank if any rank has a problem.
void expect_no_problems(MPI_Comm comm, const std::string& problems, const std::string& what) {
  const int ranks = size_of(comm), rank = rank_of(comm);
  int length = static_cast<int>(problems.size());
  std::vector<int> lengths(static_cast<std::size_t>(ranks)), displs(static_cast<std::size_t>(ranks));
  MPI_Gather(&length, 1, MPI_INT, lengths.data(), 1, MPI_INT, 0, comm);
  int total = 0;
  for (int r = 0; r < ranks; ++r) {
    displs[static_cast<std::size_t>(r)] = total;
    total += lengths[static_cast<std::size_t>(r)];
  }
  std::string all(static_cast<std::size_t>(rank == 0 ? total : 0), '\0');
  MPI_Gatherv(problems.data(), length, MPI_CHAR, all.data(), lengths.data(), displs.data(), MPI_CHAR, 0, comm);
  const bool ok = all_ranks(comm, problems.empty());
  if (rank == 0) {
    std::string report;
    for (int r = 0; r < ranks; ++r)
      if (lengths[static_cast<std::size_t>(r)] > 0)
        report += "\n  rank " + std::to_string(r) + ": " +
                  all.substr(static_cast<std::size_t>(displs[static_cast<std::size_t>(r)]),
                             static_cast<std::size_t>(lengths[static_cast<std::size_t>(r)]));
    EXPECT_TRUE(ok) << what << report;
  } else {
    EXPECT_TRUE(ok) << what;
  }
}

// A fresh directory for one test, shared by all ranks (under $LPNN_TEST_TMPDIR, else the working
// directory, which ctest sets to the build tree), removed afterwards.
class TempDir {
 public:
  TempDir() {
    std::string name;
    if (world_rank() == 0) {
      const char* base = std::getenv("LPNN_TEST_TMPDIR");
      std::string pattern = (fs::path(base ? base : ".") / "lpnn-mpi-test-XXXXXX").string();
      if (::mkdtemp(pattern.data()) == nullptr) pattern.clear();
      name = fs::absolute(pattern).string();
    }
    int length = static_cast<int>(name.size());
    MPI_Bcast(&length, 1, MPI_INT, 0, MPI_COMM_WORLD);
    name.resize(static_cast<std::size_t>(length));
    MPI_Bcast(name.data(), length, MPI_CHAR, 0, MPI_COMM_WORLD);
    path_ = name;
  }
  ~TempDir() {
    MPI_Barrier(MPI_COMM_WORLD);
    std::error_code ec;
    if (world_rank() == 0) fs::remove_all(path_, ec);
  }
  std::string file(const std::string& name) const { return (fs::path(path_) / name).string(); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// ---------------------------------------------------------------------------------------------------
// The cases: tiny specs whose polytopes are checked entry by entry.

struct Case {
  const char* name;
  const char* spec;
  lpnn::GridSpec grid;
  int64_t samples;
};

const Case kCases[] = {
    // One identity unit with bias, squared loss (N = 2): the smallest network.
    {"identity K=3 D=3", R"({"input": 1, "layers": [{"units": 1, "activation": "identity"}], "loss": "squared"})",
     {3, 3, 3}, 3},
    // The same with an l2 regularizer, K = 4 and D = 7 (uneven split over 2 and 4 ranks).
    {"identity+l2 K=4 D=7",
     R"({"input": 1, "layers": [{"units": 1, "activation": "identity"}], "loss": "squared",
         "regularizer": {"kind": "l2", "weight": 0.25}})",
     {4, 4, 4}, 7},
    // Two layers, relu hidden units, a different K per group (N = 7, M = 128, S = 12).
    {"relu 2-layer K=2/3/4 D=5",
     R"({"input": 1, "layers": [{"units": 2, "activation": "relu"}, {"units": 1, "activation": "identity"}],
         "loss": "absolute"})",
     {2, 3, 4}, 5},
    // The xor network (two inputs, N = 9), one sample: at 4 ranks three ranks own no rows.
    {"xor K=2 D=1",
     R"({"input": 2, "layers": [{"units": 2, "activation": "relu"}, {"units": 1, "activation": "identity"}],
         "loss": "hinge"})",
     {2, 2, 2}, 1},
};

int64_t ipow(int64_t base, int64_t exponent) {
  int64_t r = 1;
  for (int64_t i = 0; i < exponent; ++i) r *= base;
  return r;
}

// The §3 sizes of a case, computed from the spec text (not from lpnn::PolytopeLayout).
struct Sizes {
  int64_t N = 0, n = 0, m = 0, M = 0, Sx = 0, Sy = 0, S = 0, B = 0, D = 0, rows = 0, cols = 0, nnz = 0;
};

Sizes sizes_of(const Case& c) {
  const nlohmann::json spec = nlohmann::json::parse(c.spec);
  const bool bias = spec.value("bias", true);
  Sizes z;
  z.n = spec["input"].get<int64_t>();
  int64_t previous = z.n;
  for (const auto& layer : spec["layers"]) {
    const int64_t units = layer["units"].get<int64_t>();
    z.N += units * previous + (bias ? units : 0);
    previous = units;
  }
  z.m = previous;
  z.D = c.samples;
  z.M = ipow(c.grid.param, z.N);
  z.Sx = ipow(c.grid.input, z.n);
  z.Sy = ipow(c.grid.output, z.m);
  z.S = z.Sx * z.Sy;
  z.B = z.M * z.S;
  z.rows = z.D * (1 + z.M);
  z.cols = z.M + z.D * z.B;
  z.nnz = z.D * (2 * z.B + z.M);
  return z;
}

// Row `row` of the constraint matrix as §3 defines it, written out independently of lpnn's generator:
//   convexity   row d(1+M):         λ^d[j] for all j                          (+1 each)
//   consistency row d(1+M) + 1 + a: X[a] (−1), then λ^d[(a,s,t)] for all s, t (+1 each)
// with X[a] at column a and λ^d[j] at column M + d·B + j, j = (a·Sx + s)·Sy + t.
void expected_row(const Sizes& z, int64_t row, std::vector<int64_t>& cols, std::vector<double>& vals) {
  cols.clear();
  vals.clear();
  const int64_t d = row / (1 + z.M), r = row % (1 + z.M);
  if (r == 0) {
    for (int64_t j = 0; j < z.B; ++j) {
      cols.push_back(z.M + d * z.B + j);
      vals.push_back(1.0);
    }
    return;
  }
  const int64_t a = r - 1;
  cols.push_back(a);
  vals.push_back(-1.0);
  for (int64_t s = 0; s < z.Sx; ++s)
    for (int64_t t = 0; t < z.Sy; ++t) {
      cols.push_back(z.M + d * z.B + (a * z.Sx + s) * z.Sy + t);
      vals.push_back(1.0);
    }
}

// Problems of the rows `A` owns against expected_row (empty: none); at most a few are described.
std::string check_owned_rows(Mat A, const Sizes& z) {
  std::ostringstream problems;
  int reported = 0;
  PetscInt lo = 0, hi = 0;
  if (MatGetOwnershipRange(A, &lo, &hi) != 0) return "MatGetOwnershipRange failed";
  std::vector<int64_t> cols;
  std::vector<double> vals;
  for (PetscInt row = lo; row < hi && reported < 5; ++row) {
    PetscInt ncols = 0;
    const PetscInt* c = nullptr;
    const PetscScalar* v = nullptr;
    if (MatGetRow(A, row, &ncols, &c, &v) != 0) return "MatGetRow failed";
    expected_row(z, row, cols, vals);
    if (static_cast<std::size_t>(ncols) != cols.size()) {
      problems << "row " << row << " has " << ncols << " entries, expected " << cols.size() << "; ";
      ++reported;
    } else {
      for (std::size_t k = 0; k < cols.size(); ++k)
        if (c[k] != cols[k] || v[k] != vals[k]) {
          problems << "row " << row << ", entry " << k << ": (column " << c[k] << ", " << v[k] << "), expected (column "
                   << cols[k] << ", " << vals[k] << "); ";
          ++reported;
          break;
        }
    }
    MatRestoreRow(A, row, &ncols, &c, &v);
  }
  return problems.str();
}

lpnn::Plan plan_of(const lpnn::Architecture& arch, const Case& c, int ranks, bool streaming = false,
                   int64_t chunk = int64_t{1} << 24) {
  lpnn::BuildRequest request;
  request.samples = c.samples;
  request.grid = c.grid;
  request.ranks = ranks;
  request.streaming = streaming;
  request.chunk_nonzeros = chunk;
  request.petsc_index_bytes = static_cast<int>(sizeof(PetscInt));
  return lpnn::make_plan(arch, request);
}

lpnn::BuildReport build(MPI_Comm comm, const lpnn::Architecture& arch, const lpnn::Plan& plan,
                        const std::string& path, bool streaming = false, int64_t chunk = int64_t{1} << 24,
                        bool force = false) {
  lpnn::BuildOptions options;
  options.output = path;
  options.force = force;
  options.streaming = streaming;
  options.chunk_nonzeros = chunk;
  return lpnn::build_polytope(comm, arch, plan, options);
}

// The freshly generated and assembled matrix of `layout` on `comm` (LocalPart's distribution).
lpnn::OwnedMat fresh_matrix(MPI_Comm comm, const lpnn::PolytopeLayout& layout) {
  const lpnn::LocalPart part = lpnn::LocalPart::of_rank(layout, rank_of(comm), size_of(comm));
  lpnn::CsrBlock<PetscInt> block;
  lpnn::generate_rows(layout, part.row_begin, part.row_end, block);
  return lpnn::testing::assemble_matrix(comm, layout, block);
}

// Problems (empty: none) of comparing `loaded` (MatLoad's own distribution) with `reference`: `loaded`
// is redistributed to `reference`'s row and column ownership, then compared with MatEqual. A copy
// scaled by 2 must then compare unequal, so the comparison cannot pass vacuously.
std::string compare_matrices(Mat reference, Mat loaded) {
  MPI_Comm comm = PetscObjectComm(reinterpret_cast<PetscObject>(reference));
  PetscInt rows_a = 0, cols_a = 0, rows_b = 0, cols_b = 0;
  MatGetSize(reference, &rows_a, &cols_a);
  MatGetSize(loaded, &rows_b, &cols_b);
  if (rows_a != rows_b || cols_a != cols_b)
    return "sizes differ: " + std::to_string(rows_a) + " x " + std::to_string(cols_a) + " vs " +
           std::to_string(rows_b) + " x " + std::to_string(cols_b);
  PetscInt rlo = 0, rhi = 0, clo = 0, chi = 0;
  MatGetOwnershipRange(reference, &rlo, &rhi);
  MatGetOwnershipRangeColumn(reference, &clo, &chi);
  lpnn::OwnedIS row_is, col_is;
  LPNN_PETSC(ISCreateStride(comm, rhi - rlo, rlo, 1, row_is.out()));
  LPNN_PETSC(ISCreateStride(comm, chi - clo, clo, 1, col_is.out()));
  lpnn::OwnedMat same_layout;
  LPNN_PETSC(MatCreateSubMatrix(loaded, row_is, col_is, MAT_INITIAL_MATRIX, same_layout.out()));
  PetscBool equal = PETSC_FALSE;
  LPNN_PETSC(MatEqual(reference, same_layout, &equal));
  if (!equal) return "MatEqual: the loaded matrix differs from the freshly assembled one";
  LPNN_PETSC(MatScale(same_layout, 2.0));
  LPNN_PETSC(MatEqual(reference, same_layout, &equal));
  if (equal) return "MatEqual found a matrix scaled by 2 equal: the comparison is vacuous";
  return {};
}

// The raw bytes of a dataset, in its native type, read on the calling rank.
std::vector<unsigned char> dataset_bytes(const std::string& path, const char* name) {
  lpnn::h5::quiet_errors();
  lpnn::h5::Handle file(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), H5Fclose, "opening " + path);
  lpnn::h5::Handle set(H5Dopen2(file, name, H5P_DEFAULT), H5Dclose, std::string("opening ") + name);
  lpnn::h5::Handle stored(H5Dget_type(set), H5Tclose, "H5Dget_type");
  lpnn::h5::Handle native(H5Tget_native_type(stored, H5T_DIR_ASCEND), H5Tclose, "H5Tget_native_type");
  lpnn::h5::Handle space(H5Dget_space(set), H5Sclose, "H5Dget_space");
  const hssize_t count = H5Sget_simple_extent_npoints(space);
  std::vector<unsigned char> bytes(static_cast<std::size_t>(count) * H5Tget_size(native));
  lpnn::h5::check(H5Dread(set, native, H5S_ALL, H5S_ALL, H5P_DEFAULT, bytes.data()), std::string("reading ") + name);
  return bytes;
}

const char* const kDatasets[] = {"/A/jc", "/A/ir", "/A/data", "/lp/b", "/lp/c", "/template/cost",
                                 "/grids/param", "/grids/input", "/grids/output"};

// Problems (empty: none) of comparing every dataset of two files byte for byte.
std::string compare_files(const std::string& a, const std::string& b) {
  std::string problems;
  for (const char* name : kDatasets)
    if (dataset_bytes(a, name) != dataset_bytes(b, name)) problems += std::string(name) + " differs; ";
  return problems;
}

// Runs `body` on every rank and returns its CollectiveError's message; a test failure unless every
// rank threw a CollectiveError (an Error on only some ranks would leave the others hanging in tools).
std::string collective_error_of(const std::function<void()>& body) {
  std::string message;
  bool collective = false;
  try {
    body();
  } catch (const lpnn::CollectiveError& e) {
    message = e.what();
    collective = true;
  } catch (const std::exception& e) {
    message = e.what();
  }
  const bool all = all_ranks(MPI_COMM_WORLD, collective);
  EXPECT_TRUE(all) << "expected lpnn::CollectiveError on every rank; rank " << world_rank() << " got \""
                   << message << "\"";
  return message;
}

#define EXPECT_HAS(message, needle)                                                       \
  EXPECT_NE(std::string(message).find(needle), std::string::npos)                          \
      << "message \"" << (message) << "\" lacks \"" << (needle) << "\""

// No file at `path` and none under its temporary name.
void expect_no_output(const std::string& path) {
  MPI_Barrier(MPI_COMM_WORLD);
  EXPECT_FALSE(fs::exists(path)) << path << " exists";
  EXPECT_FALSE(fs::exists(lpnn::partial_path(path))) << lpnn::partial_path(path) << " exists";
}

// ---------------------------------------------------------------------------------------------------

TEST(DistributedBuild, SizesEqualTheClosedForms) {
  TempDir dir;
  for (const Case& c : kCases) {
    SCOPED_TRACE(c.name);
    const Sizes z = sizes_of(c);
    const lpnn::Architecture arch = lpnn::Architecture::from_json(nlohmann::json::parse(c.spec));
    const lpnn::Plan plan = plan_of(arch, c, world_size());
    const std::string path = dir.file("sizes.h5");
    const lpnn::BuildReport report = build(MPI_COMM_WORLD, arch, plan, path, false, int64_t{1} << 24, true);
    EXPECT_EQ(report.layout.rows, z.rows);
    EXPECT_EQ(report.layout.cols, z.cols);
    EXPECT_EQ(report.layout.nnz, z.nnz);
    EXPECT_EQ(report.ranks, world_size());
    EXPECT_EQ(report.assembly_mallocs, 0.0);

    // The file's own description, checked by the reader against its datasets, on every rank.
    const lpnn::PolytopeMetadata meta = lpnn::read_polytope_metadata(path);
    EXPECT_EQ(meta.layout.rows, z.rows);
    EXPECT_EQ(meta.layout.cols, z.cols);
    EXPECT_EQ(meta.layout.nnz, z.nnz);
    EXPECT_EQ(meta.layout.M, z.M);
    EXPECT_EQ(meta.layout.B, z.B);
    EXPECT_EQ(lpnn::read_double_dataset(path, "/lp/b").size(), static_cast<std::size_t>(z.rows));
    EXPECT_EQ(lpnn::read_double_dataset(path, "/lp/c").size(), static_cast<std::size_t>(z.cols));
    EXPECT_EQ(lpnn::read_double_dataset(path, "/template/cost").size(), static_cast<std::size_t>(z.B));

    // What MatLoad sees.
    lpnn::OwnedMat A = lpnn::load_constraint_matrix(MPI_COMM_WORLD, path, meta.layout);
    PetscInt rows = 0, cols = 0;
    LPNN_PETSC(MatGetSize(A, &rows, &cols));
    MatInfo info;
    LPNN_PETSC(MatGetInfo(A, MAT_GLOBAL_SUM, &info));
    EXPECT_EQ(rows, z.rows);
    EXPECT_EQ(cols, z.cols);
    EXPECT_EQ(static_cast<int64_t>(info.nz_used), z.nnz);
  }
}

TEST(DistributedBuild, EveryStoredEntryIsWhereTheLayoutPutsIt) {
  TempDir dir;
  for (const Case& c : kCases) {
    SCOPED_TRACE(c.name);
    const Sizes z = sizes_of(c);
    const lpnn::Architecture arch = lpnn::Architecture::from_json(nlohmann::json::parse(c.spec));
    const std::string path = dir.file("entries.h5");
    build(MPI_COMM_WORLD, arch, plan_of(arch, c, world_size()), path, false, int64_t{1} << 24, true);
    const lpnn::PolytopeMetadata meta = lpnn::read_polytope_metadata(path);
    lpnn::OwnedMat A = lpnn::load_constraint_matrix(MPI_COMM_WORLD, path, meta.layout);
    expect_no_problems(MPI_COMM_WORLD, check_owned_rows(A, z), std::string("stored rows of ") + c.name);
  }
}

TEST(DistributedBuild, AssemblyPreallocationIsExact) {
  for (const Case& c : kCases) {
    SCOPED_TRACE(c.name);
    const Sizes z = sizes_of(c);
    const lpnn::Architecture arch = lpnn::Architecture::from_json(nlohmann::json::parse(c.spec));
    const lpnn::PolytopeLayout layout = plan_of(arch, c, world_size()).layout;
    const lpnn::LocalPart part = lpnn::LocalPart::of_rank(layout, world_rank(), world_size());
    lpnn::CsrBlock<PetscInt> block;
    lpnn::generate_rows(layout, part.row_begin, part.row_end, block);
    lpnn::OwnedMat A = lpnn::testing::assemble_matrix(MPI_COMM_WORLD, layout, block);

    // Per rank: no malloc during MatSetValues, and every preallocated slot used.
    MatInfo local;
    LPNN_PETSC(MatGetInfo(A, MAT_LOCAL, &local));
    std::ostringstream problems;
    if (local.mallocs != 0) problems << local.mallocs << " mallocs during assembly; ";
    if (local.nz_allocated != local.nz_used)
      problems << local.nz_allocated << " slots preallocated but " << local.nz_used << " used; ";
    if (static_cast<int64_t>(local.nz_used) != block.nonzeros())
      problems << local.nz_used << " nonzeros in the matrix, " << block.nonzeros() << " generated; ";
    PetscInt lo = 0, hi = 0, clo = 0, chi = 0;
    LPNN_PETSC(MatGetOwnershipRange(A, &lo, &hi));
    LPNN_PETSC(MatGetOwnershipRangeColumn(A, &clo, &chi));
    if (lo != part.row_begin || hi != part.row_end) problems << "owns rows [" << lo << ", " << hi << "); ";
    if (clo != part.column_begin || chi != part.column_end) problems << "owns columns [" << clo << ", " << chi << "); ";
    problems << check_owned_rows(A, z);
    expect_no_problems(MPI_COMM_WORLD, problems.str(), std::string("assembled matrix of ") + c.name);

    MatInfo global;
    LPNN_PETSC(MatGetInfo(A, MAT_GLOBAL_SUM, &global));
    EXPECT_EQ(global.mallocs, 0.0);
    EXPECT_EQ(static_cast<int64_t>(global.nz_used), z.nnz);
    EXPECT_EQ(static_cast<int64_t>(global.nz_allocated), z.nnz);
  }
}

// The builder's own assembly (generate_split_rows into the arrays MATMPIAIJ uses in place) equals the
// reference assembly through MatSetValues, needs no mallocs, and extract_rows gives
// back exactly the rows generate_rows produces, for any row range (the file is written from it).
TEST(DistributedBuild, InPlaceAssemblyEqualsTheReferenceAndGivesBackTheGeneratedRows) {
  for (const Case& c : kCases) {
    SCOPED_TRACE(c.name);
    const Sizes z = sizes_of(c);
    const lpnn::Architecture arch = lpnn::Architecture::from_json(nlohmann::json::parse(c.spec));
    const lpnn::PolytopeLayout layout = plan_of(arch, c, world_size()).layout;
    const lpnn::LocalPart part = lpnn::LocalPart::of_rank(layout, world_rank(), world_size());
    lpnn::AssembledMatrix assembled;
    lpnn::generate_split_rows(layout, part.row_begin, part.row_end, part.column_begin, part.column_end,
                              assembled.storage);
    lpnn::assemble_in_place(MPI_COMM_WORLD, layout, assembled);

    std::ostringstream problems;
    MatInfo local;
    LPNN_PETSC(MatGetInfo(assembled.matrix, MAT_LOCAL, &local));
    const int64_t generated = assembled.storage.diagonal_nonzeros + assembled.storage.off_diagonal_nonzeros;
    // (PETSc allocates nothing here, the arrays are the generator's: MatGetInfo reports 0 slots
    // allocated, so only mallocs and the nonzeros in use are meaningful.)
    if (local.mallocs != 0) problems << local.mallocs << " mallocs; ";
    if (static_cast<int64_t>(local.nz_used) != generated)
      problems << local.nz_used << " nonzeros in the matrix, " << generated << " generated; ";
    problems << check_owned_rows(assembled.matrix, z);

    // extract_rows over chunks of several sizes against generate_rows of the same rows.
    const int64_t rows = part.row_end - part.row_begin;
    for (const int64_t chunk : {int64_t{1}, int64_t{7}, z.M + 1, std::max<int64_t>(rows, 1)}) {
      lpnn::CsrBlock<PetscInt> extracted, generated_rows;
      for (int64_t begin = part.row_begin; begin < part.row_end; begin += chunk) {
        const int64_t end = std::min(begin + chunk, part.row_end);
        lpnn::extract_rows(assembled.matrix, begin, end, extracted);
        lpnn::generate_rows(layout, begin, end, generated_rows);
        if (extracted.row_begin != begin || extracted.row_pointer != generated_rows.row_pointer ||
            extracted.columns != generated_rows.columns || extracted.values != generated_rows.values) {
          problems << "extract_rows(" << begin << ", " << end << ") differs from generate_rows; ";
          break;
        }
      }
    }
    expect_no_problems(MPI_COMM_WORLD, problems.str(), std::string("in-place matrix of ") + c.name);

    MatInfo global;
    LPNN_PETSC(MatGetInfo(assembled.matrix, MAT_GLOBAL_SUM, &global));
    EXPECT_EQ(global.mallocs, 0.0);
    EXPECT_EQ(static_cast<int64_t>(global.nz_used), z.nnz);
    lpnn::OwnedMat reference = fresh_matrix(MPI_COMM_WORLD, layout);
    expect_no_problems(MPI_COMM_WORLD, compare_matrices(reference, assembled.matrix),
                       std::string("in-place vs MatSetValues assembly of ") + c.name);
  }
}

TEST(DistributedBuild, MatLoadEqualsTheFreshlyAssembledMatrix) {
  TempDir dir;
  for (const Case& c : kCases) {
    SCOPED_TRACE(c.name);
    const lpnn::Architecture arch = lpnn::Architecture::from_json(nlohmann::json::parse(c.spec));
    const lpnn::Plan plan = plan_of(arch, c, world_size());
    for (const bool streaming : {false, true}) {
      const std::string path = dir.file(streaming ? "streaming.h5" : "assembled.h5");
      build(MPI_COMM_WORLD, arch, plan, path, streaming, sizes_of(c).B + 1, true);
      lpnn::OwnedMat loaded = lpnn::load_constraint_matrix(MPI_COMM_WORLD, path, plan.layout);
      lpnn::OwnedMat fresh = fresh_matrix(MPI_COMM_WORLD, plan.layout);
      expect_no_problems(MPI_COMM_WORLD, compare_matrices(fresh, loaded),
                         std::string(streaming ? "streaming" : "assembled") + " build of " + c.name);
    }
  }
}

// A file built on P ranks loaded on fewer ranks (sub-communicators of 1 and 2 ranks), and a file built
// on one rank loaded on all P ranks: each equals the matrix freshly assembled on the loading ranks.
TEST(DistributedBuild, MatLoadOnOtherRankCountsEqualsTheFreshMatrix) {
  TempDir dir;
  const int ranks = world_size(), rank = world_rank();
  for (const Case& c : kCases) {
    SCOPED_TRACE(c.name);
    const lpnn::Architecture arch = lpnn::Architecture::from_json(nlohmann::json::parse(c.spec));
    const lpnn::Plan plan = plan_of(arch, c, ranks);

    // Built on all ranks, loaded on fewer.
    const std::string wide = dir.file("built-on-all.h5");
    build(MPI_COMM_WORLD, arch, plan, wide, false, int64_t{1} << 24, true);
    for (const int loaders : {1, 2}) {
      if (loaders >= ranks) continue;
      MPI_Comm sub = MPI_COMM_NULL;
      MPI_Comm_split(MPI_COMM_WORLD, rank < loaders ? 0 : MPI_UNDEFINED, rank, &sub);
      std::string problems;
      if (sub != MPI_COMM_NULL) {
        try {
          lpnn::OwnedMat loaded = lpnn::load_constraint_matrix(sub, wide, plan.layout);
          lpnn::OwnedMat fresh = fresh_matrix(sub, plan.layout);
          problems = compare_matrices(fresh, loaded);
        } catch (const std::exception& e) {
          problems = e.what();
        }
        MPI_Comm_free(&sub);
      }
      expect_no_problems(MPI_COMM_WORLD, problems,
                         "file built on " + std::to_string(ranks) + " rank(s), loaded on " + std::to_string(loaders));
    }

    // Built on one rank (rank 0 alone, on MPI_COMM_SELF), loaded on all.
    const std::string narrow = dir.file("built-on-one.h5");
    std::string problems;
    if (rank == 0) {
      try {
        const lpnn::BuildReport report = build(MPI_COMM_SELF, arch, plan_of(arch, c, 1), narrow, false,
                                               int64_t{1} << 24, true);
        if (report.ranks != 1) problems = "the build on MPI_COMM_SELF reports " + std::to_string(report.ranks) + " ranks";
      } catch (const std::exception& e) {
        problems = e.what();
      }
    }
    expect_no_problems(MPI_COMM_WORLD, problems, "building on one rank");
    lpnn::OwnedMat loaded = lpnn::load_constraint_matrix(MPI_COMM_WORLD, narrow, plan.layout);
    lpnn::OwnedMat fresh = fresh_matrix(MPI_COMM_WORLD, plan.layout);
    expect_no_problems(MPI_COMM_WORLD, compare_matrices(fresh, loaded),
                       "file built on 1 rank, loaded on " + std::to_string(ranks));
    if (rank == 0) {
      EXPECT_EQ(compare_files(narrow, wide), "") << "files built on 1 and " << ranks << " ranks";
    }
  }
}

// Streaming and assembled builds write the same file whatever the chunk: one row per chunk, about
// one sample per chunk, a few samples per chunk, all rows in one chunk. D is not a multiple of the
// rank count in most cases, so ranks make different numbers of writes and some write empty chunks.
TEST(DistributedBuild, StreamingAndAssembledFilesAreEqual) {
  TempDir dir;
  for (const Case& c : kCases) {
    SCOPED_TRACE(c.name);
    const lpnn::Architecture arch = lpnn::Architecture::from_json(nlohmann::json::parse(c.spec));
    const lpnn::Plan plan = plan_of(arch, c, world_size());
    const std::string assembled = dir.file("assembled.h5");
    build(MPI_COMM_WORLD, arch, plan, assembled, false, int64_t{1} << 24, true);
    const Sizes z = sizes_of(c);
    for (const int64_t chunk : {int64_t{1}, z.B + 1, 3 * z.B, int64_t{1} << 24}) {
      // Both modes write in chunks of chunk_nonzeros (assembled: read back from the matrix).
      for (const bool streaming : {true, false}) {
        const std::string other = dir.file("chunked.h5");
        const lpnn::BuildReport report = build(MPI_COMM_WORLD, arch, plan, other, streaming, chunk, true);
        EXPECT_EQ(report.streaming, streaming);
        if (world_rank() == 0) {
          EXPECT_EQ(compare_files(assembled, other), "")
              << (streaming ? "streaming" : "assembled") << ", chunk_nonzeros " << chunk;
        }
        MPI_Barrier(MPI_COMM_WORLD);
      }
    }
  }
}

TEST(DistributedBuild, ExistingOutputIsRefusedOnEveryRankAndLeftUntouched) {
  TempDir dir;
  const Case& c = kCases[1];
  const lpnn::Architecture arch = lpnn::Architecture::from_json(nlohmann::json::parse(c.spec));
  const lpnn::Plan plan = plan_of(arch, c, world_size());
  const std::string path = dir.file("existing.h5");
  const std::string content = "an existing file that is not ours to replace\n";
  if (world_rank() == 0) std::ofstream(path) << content;
  MPI_Barrier(MPI_COMM_WORLD);

  const std::string message = collective_error_of([&] { build(MPI_COMM_WORLD, arch, plan, path); });
  EXPECT_HAS(message, "already exists");
  EXPECT_HAS(message, "--force");
  MPI_Barrier(MPI_COMM_WORLD);
  std::stringstream kept;
  kept << std::ifstream(path).rdbuf();
  EXPECT_EQ(kept.str(), content);
  EXPECT_FALSE(fs::exists(lpnn::partial_path(path)));

  // With force the file is replaced by a complete polytope.
  build(MPI_COMM_WORLD, arch, plan, path, false, int64_t{1} << 24, true);
  EXPECT_EQ(lpnn::read_polytope_metadata(path).layout.nnz, sizes_of(c).nnz);
}

TEST(DistributedBuild, RefusedPlanIsRefusedOnEveryRank) {
  TempDir dir;
  const Case& c = kCases[0];
  const lpnn::Architecture arch = lpnn::Architecture::from_json(nlohmann::json::parse(c.spec));
  lpnn::BuildRequest request;
  request.samples = c.samples;
  request.grid = c.grid;
  request.ranks = world_size();
  request.memory_budget = 1024.0;
  request.petsc_index_bytes = static_cast<int>(sizeof(PetscInt));
  const lpnn::Plan plan = lpnn::make_plan(arch, request);
  ASSERT_FALSE(plan.refusal.empty());
  const std::string path = dir.file("refused.h5");
  const std::string message = collective_error_of([&] { build(MPI_COMM_WORLD, arch, plan, path); });
  EXPECT_HAS(message, "refused");
  EXPECT_HAS(message, "memory budget");
  expect_no_output(path);
}

TEST(DistributedBuild, UnusableOutputDirectoryIsRefusedOnEveryRank) {
  TempDir dir;
  const Case& c = kCases[0];
  const lpnn::Architecture arch = lpnn::Architecture::from_json(nlohmann::json::parse(c.spec));
  const lpnn::Plan plan = plan_of(arch, c, world_size());

  const std::string missing = dir.file("no-such-directory/out.h5");
  std::string message = collective_error_of([&] { build(MPI_COMM_WORLD, arch, plan, missing); });
  EXPECT_HAS(message, "does not exist");
  expect_no_output(missing);

  // Root ignores permission bits (a chmod 0555 directory is writable for root), so "unwritable" is
  // a path whose directory is a regular file, and a directory of a file system that refuses new files.
  const std::string file = dir.file("regular-file");
  if (world_rank() == 0) std::ofstream(file) << "x";
  MPI_Barrier(MPI_COMM_WORLD);
  const std::string under_file = file + "/out.h5";
  message = collective_error_of([&] { build(MPI_COMM_WORLD, arch, plan, under_file); });
  EXPECT_HAS(message, "not a directory");

  const std::string in_proc = "/proc/lpnn-test-" + std::to_string(::getpid()) + ".h5";
  message = collective_error_of([&] { build(MPI_COMM_WORLD, arch, plan, in_proc); });
  EXPECT_HAS(message, "not writable");
  expect_no_output(in_proc);

  const std::string directory = dir.path();
  message = collective_error_of([&] { build(MPI_COMM_WORLD, arch, plan, directory, false, int64_t{1} << 24, true); });
  EXPECT_HAS(message, "is a directory");
}

// A writer destroyed without commit() (what a failing build does) leaves nothing behind, and a file
// that lacks complete = 1 is refused by the reader.
TEST(PolytopeWriter, AbandonedWriteLeavesNoFileAndIncompleteFilesAreRefused) {
  TempDir dir;
  const Case& c = kCases[0];
  const lpnn::Architecture arch = lpnn::Architecture::from_json(nlohmann::json::parse(c.spec));
  const lpnn::Plan plan = plan_of(arch, c, world_size());
  const std::string path = dir.file("abandoned.h5");
  {
    lpnn::PolytopeWriter writer(MPI_COMM_WORLD, path, {arch, plan.layout, plan.lipschitz_bmp, plan.lipschitz_numeric});
    MPI_Barrier(MPI_COMM_WORLD);
    EXPECT_TRUE(fs::exists(lpnn::partial_path(path)));
    EXPECT_FALSE(fs::exists(path));
  }
  expect_no_output(path);

  // A complete file with its complete flag cleared is what a crash between the writes and the flag
  // would leave under the final name: the reader must refuse it.
  build(MPI_COMM_WORLD, arch, plan, path);
  if (world_rank() == 0) {
    lpnn::h5::Handle file(H5Fopen(path.c_str(), H5F_ACC_RDWR, H5P_DEFAULT), H5Fclose, "opening " + path);
    lpnn::h5::write_attribute(file, "complete", int64_t{0});
  }
  MPI_Barrier(MPI_COMM_WORLD);
  std::string message;
  try {
    lpnn::read_polytope_metadata(path);
  } catch (const lpnn::Error& e) {
    message = e.what();
  }
  EXPECT_HAS(message, "incomplete");
}

}  // namespace
