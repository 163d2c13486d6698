// The polytope file (HDF5), format version 1. Written in parallel by all ranks, read by PETSc's
// MatLoad, h5py or lpnn's own loader. The full format is documented in README.md ("File format").
//
//   /A               group, attribute MATLAB_sparse = columns (MatLoad's CSR layout)
//     jc             int64[rows + 1]  row pointers
//     ir             int64[nnz]       0-based column indices, ascending within a row
//     data           float64[nnz]     values (+1 / -1)
//   /lp/b            float64[rows]    right-hand sides (every row is an equality)
//   /lp/c            float64[cols]    full-data objective: λ_R·R(θ(a)) on X, c[j]/D on λ^d
//   /template/cost   float64[B]       the cost template c[j]
//   /grids/param, /grids/input, /grids/output   float64[K] grid values
//   every dataset    attribute crc32: zlib CRC-32 of its stored bytes (verify_polytope_checksums)
//   root attributes  format, format_version, complete, spec (JSON), samples, grid_*, sizes, Lipschitz,
//                    block_structure (JSON: linking columns X, one block of rows and columns per sample)
//   /provenance      attributes: lpnn_version, ranks, mode, created_utc, build_seconds, resumed_samples
//
// While a build runs, its temporary file also holds /build/samples_done (uint8[D]): 1 for every sample
// whose rows, right-hand sides and objective entries are on disk (written after an fsync of them).
// `lpnn-build --resume` reads it to finish a crashed or killed build; commit() removes it.
//
// A file is complete only when it carries complete = 1; the writer works under a temporary name and
// renames after every rank has finished, so a crashed build never leaves a file that looks complete.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "lpnn/arch/architecture.hpp"
#include "lpnn/bags/layout.hpp"
#include "lpnn/hdf5/handles.hpp"

namespace lpnn {

inline constexpr const char* kPolytopeFormat = "lpnn-polytope";
inline constexpr std::int64_t kPolytopeFormatVersion = 1;

// What the file's attributes record: the spec and grids (which decide every byte of the file) and
// the two Lipschitz constants computed when it was planned.
struct PolytopeMetadata {
  Architecture arch;
  PolytopeLayout layout;
  double lipschitz_bmp = 0.0;
  double lipschitz_numeric = 0.0;
};

// One dataset of the file: path, type on disk (8-byte elements: little-endian int64 or float64) and
// length in elements.
struct DatasetSpec {
  std::string name;
  hid_t file_type;
  std::int64_t size;
};

// Every dataset of a complete polytope file, in the order they are created.
std::vector<DatasetSpec> polytope_datasets(const PolytopeLayout& layout);

// The root attributes: format, version, spec, sizes (from layout_to_json), Lipschitz constants, and
// complete = 0 (set to 1 by the writer's commit).
void write_polytope_attributes(hid_t file, const PolytopeMetadata& meta);

}  // namespace lpnn
