// The cases and checks shared by the distributed builder's MPI tests: tiny specs, their sizes and rows
// written out independently of lpnn's generator, and comparisons of matrices and files.
#pragma once

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
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "lpnn/distribute/assembly.hpp"
#include "lpnn/distribute/builder.hpp"
#include "lpnn/distribute/distribution.hpp"
#include "lpnn/hdf5/handles.hpp"
#include "lpnn/hdf5/paths.hpp"
#include "lpnn/hdf5/reader.hpp"
#include "lpnn/hdf5/writer.hpp"
#include "lpnn/util/error.hpp"
#include "mpi_test_helpers.hpp"
#include "reference_assembly.hpp"

namespace lpnn::test {

namespace fs = std::filesystem;
using std::int64_t;

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
    {"identity K=3 D=3",
     R"({"input": 1, "layers": [{"units": 1, "activation": "identity"}], "loss": "squared"})",
     {3, 3, 3},
     3},
    // The same with an l2 regularizer, K = 4 and D = 7 (uneven split over 2 and 4 ranks).
    {"identity+l2 K=4 D=7",
     R"({"input": 1, "layers": [{"units": 1, "activation": "identity"}], "loss": "squared",
         "regularizer": {"kind": "l2", "weight": 0.25}})",
     {4, 4, 4},
     7},
    // Two layers, relu hidden units, a different K per group (N = 7, M = 128, S = 12).
    {"relu 2-layer K=2/3/4 D=5",
     R"({"input": 1, "layers": [{"units": 2, "activation": "relu"}, {"units": 1, "activation": "identity"}],
         "loss": "absolute"})",
     {2, 3, 4},
     5},
    // The xor network (two inputs, N = 9), one sample: at 4 ranks three ranks own no rows.
    {"xor K=2 D=1",
     R"({"input": 2, "layers": [{"units": 2, "activation": "relu"}, {"units": 1, "activation": "identity"}],
         "loss": "hinge"})",
     {2, 2, 2},
     1},
};

inline int64_t ipow(int64_t base, int64_t exponent) {
  int64_t r = 1;
  for (int64_t i = 0; i < exponent; ++i) r *= base;
  return r;
}

// The README's sizes of a case, computed from the spec text (not from lpnn::PolytopeLayout).
struct Sizes {
  int64_t N = 0, n = 0, m = 0, M = 0, Sx = 0, Sy = 0, S = 0, B = 0, D = 0, rows = 0, cols = 0, nnz = 0;
};

inline Sizes sizes_of(const Case& c) {
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

// Row `row` of the constraint matrix as the README defines it, written out independently of lpnn's generator:
//   convexity   row d(1+M):         λ^d[j] for all j                          (+1 each)
//   consistency row d(1+M) + 1 + a: X[a] (−1), then λ^d[(a,s,t)] for all s, t (+1 each)
// with X[a] at column a and λ^d[j] at column M + d·B + j, j = (a·Sx + s)·Sy + t.
inline void expected_row(const Sizes& z, int64_t row, std::vector<int64_t>& cols, std::vector<double>& vals) {
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
inline std::string check_owned_rows(Mat A, const Sizes& z) {
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

inline lpnn::Architecture arch_of(const Case& c) {
  return lpnn::Architecture::from_json(nlohmann::json::parse(c.spec));
}

inline lpnn::Plan plan_of(const lpnn::Architecture& arch, const Case& c, int ranks, bool streaming = false,
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

inline lpnn::BuildReport build(MPI_Comm comm, const lpnn::Architecture& arch, const lpnn::Plan& plan,
                               const std::string& path, bool streaming = false, int64_t chunk = int64_t{1} << 24,
                               bool force = false, lpnn::StorageOptions storage = {}) {
  lpnn::BuildOptions options;
  options.output = path;
  options.storage = storage;
  options.force = force;
  options.streaming = streaming;
  options.chunk_nonzeros = chunk;
  return lpnn::build_polytope(comm, arch, plan, options);
}

// The freshly generated and assembled matrix of `layout` on `comm` (LocalPart's distribution).
inline lpnn::OwnedMat fresh_matrix(MPI_Comm comm, const lpnn::PolytopeLayout& layout) {
  const lpnn::LocalPart part = lpnn::LocalPart::of_rank(layout, rank_of(comm), size_of(comm));
  lpnn::CsrBlock<PetscInt> block;
  lpnn::generate_rows(layout, part.row_begin, part.row_end, block);
  return lpnn::testing::assemble_matrix(comm, layout, block);
}

// Problems (empty: none) of comparing `loaded` (MatLoad's own distribution) with `reference`: `loaded`
// is redistributed to `reference`'s row and column ownership, then compared with MatEqual. A copy
// scaled by 2 must then compare unequal, so the comparison cannot pass vacuously.
inline std::string compare_matrices(Mat reference, Mat loaded) {
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
inline std::vector<unsigned char> dataset_bytes(const std::string& path, const char* name) {
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

const char* const kDatasets[] = {"/A/jc",          "/A/ir",        "/A/data",      "/lp/b",        "/lp/c",
                                 "/template/cost", "/grids/param", "/grids/input", "/grids/output"};

// Problems (empty: none) of comparing every dataset of two files byte for byte.
inline std::string compare_files(const std::string& a, const std::string& b) {
  std::string problems;
  for (const char* name : kDatasets)
    if (dataset_bytes(a, name) != dataset_bytes(b, name)) problems += std::string(name) + " differs; ";
  return problems;
}

// Runs `body` on every rank and returns its CollectiveError's message; a test failure unless every
// rank threw a CollectiveError (an Error on only some ranks would leave the others hanging in tools).
inline std::string collective_error_of(const std::function<void()>& body) {
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
  EXPECT_TRUE(all) << "expected lpnn::CollectiveError on every rank; rank " << world_rank() << " got \"" << message
                   << "\"";
  return message;
}

#define EXPECT_HAS(message, needle)                               \
  EXPECT_NE(std::string(message).find(needle), std::string::npos) \
      << "message \"" << (message) << "\" lacks \"" << (needle) << "\""

// No file at `path` and none under its temporary name.
inline void expect_no_output(const std::string& path) {
  MPI_Barrier(MPI_COMM_WORLD);
  EXPECT_FALSE(fs::exists(path)) << path << " exists";
  EXPECT_FALSE(fs::exists(lpnn::partial_path(path))) << lpnn::partial_path(path) << " exists";
}

}  // namespace lpnn::test
