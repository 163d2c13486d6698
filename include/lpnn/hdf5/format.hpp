// The polytope file (HDF5), format version 1 (the star) or 2 (another bag family, see below). Written
// in parallel by all ranks, read by PETSc's MatLoad, h5py or lpnn's own loader. The full format is
// documented in README.md ("File format").
//
//   /A               group, attribute MATLAB_sparse = columns (MatLoad's CSR layout)
//     jc             int64[rows + 1]  row pointers
//     ir             int64[nnz]       0-based column indices, ascending within a row
//     data           float64[nnz]     values (+1 / -1)
//   /lp/b            float64[rows]    right-hand sides (every row is an equality)
//   /lp/c            float64[cols]    full-data objective: λ_R·R(θ(a)) on X, c[j]/D on λ^d
//   /template/cost   float64[B]       the cost template c[j] (version 2: the one-sample objective, c1)
//   /grids/param, /grids/input, /grids/output   float64[K] grid values
//   every dataset    attribute crc32: zlib CRC-32 of its stored bytes (verify_polytope_checksums)
//   root attributes  format, format_version, complete, spec (JSON), samples, grid_*, sizes, Lipschitz,
//                    block_structure (JSON: linking columns X, one block of rows and columns per sample)
//   /provenance      attributes: lpnn_version, ranks, mode, created_utc, build_seconds, resumed_samples
//
// Version 2 is the same datasets for a non-star bag family (the root's M columns, then D identical
// sample blocks of c1 columns): root attributes family = "chain" and node_grid (K_v; 0 = the integer
// lattice), columns_per_sample in place of bag_size. Star files stay version 1 without a family
// attribute, so every reader of the star is unaffected; readers that interpret the star's columns
// (training, export) refuse version 2 by name. Version 2 also records the one-sample family
// (bags/family_record.hpp), so that a reader interprets every column without lpnn:
//   /family/description  uint8[]  JSON text: variables, bags (columns, rows, separators), steps, costs
//   /family/assignments  int32[]   every bag's columns' values of the bag's variables, bag by bag
// Both are written whole at creation (before any sample), carry crc32 attributes like every dataset,
// and are pure functions of the spec, grids and node grid; the reader compares them with its own.
//
// While a build runs, its temporary file also holds /build/samples_done (uint8[D]): 1 for every sample
// whose rows, right-hand sides and objective entries are on disk (written after an fsync of them).
// `lpnn-build --resume` reads it to finish a crashed or killed build; commit() removes it.
//
// Storage: contiguous and uncompressed (`none`), or `deflate[:LEVEL]`: the bulk datasets chunked with
// HDF5's shuffle + deflate filters, which every HDF5 build has, so MatLoad and h5py read the file
// unchanged. A chunk of /A/jc, /A/ir, /A/data or /lp/b is exactly one sample (every sample has the same
// number of rows and nonzeros), so write steps of whole samples write every chunk once, whole: no
// chunk the ledger vouches for is ever rewritten, and HDF5 never frees (and reuses) space a flushed
// chunk index still points to. /lp/c and /template/cost, which follow from the template alone, take
// chunks of up to 1 Mi entries and are written once all samples are on disk (a compressed partial's
// ledger covers /A and /lp/b); /lp/c skips shuffle unless D is a power of two (shuffled(), below).
// Checksums cover the logical bytes whatever the storage. Root attribute `storage`.
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
inline constexpr std::int64_t kPolytopeFormatVersion = 1;       // star files
inline constexpr std::int64_t kBlockPolytopeFormatVersion = 2;  // other bag families (chain)

inline constexpr const char* kFamilyDescription = "/family/description";
inline constexpr const char* kFamilyAssignments = "/family/assignments";

// The version a file of `layout` carries.
inline std::int64_t polytope_format_version(const PolytopeLayout& layout) {
  return layout.star() ? kPolytopeFormatVersion : kBlockPolytopeFormatVersion;
}

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

// How the bulk datasets are stored: deflate_level 0 = contiguous, uncompressed; 1..9 = chunked,
// shuffle + deflate at that level (unshuffled /lp/c: zlib at level 3 or more, writer.cpp).
struct StorageOptions {
  int deflate_level = 0;
  bool compressed() const { return deflate_level > 0; }
  std::string to_string() const;  // "none" or "deflate:L"
  // "none", "deflate" (level 1) or "deflate:L" with L in 1..9; throws lpnn::Error naming the option.
  static StorageOptions parse(const std::string& text);
};

// The chunk length (elements) of `dataset` in a compressed file; 0 for datasets stored contiguously
// (the grids): one sample's share for the per-sample datasets, up to 1 Mi entries for /lp/c (whole
// multiples of a sample's columns B, when B <= 1 Mi) and the template.
std::int64_t chunk_elements(const PolytopeLayout& layout, const std::string& dataset);

// Whether a chunked `dataset` goes through the shuffle filter before deflate. Shuffle puts the bytes
// of equal significance together: column indices that climb by one and values of ±1 become long runs.
// Not /lp/c unless D is a power of two: c = template/D holds a few distinct costs whose 8 bytes all
// vary for other D, and deflate then finds each value whole (unshuffled, 2.6x smaller on XOR at
// D = 100); for D = 2^k the costs keep the template's short mantissas, which shuffle stores best.
bool shuffled(const PolytopeLayout& layout, const std::string& dataset);

// Every dataset of a complete polytope file, in the order they are created.
std::vector<DatasetSpec> polytope_datasets(const PolytopeLayout& layout);

// The root attributes: format, version, spec, sizes (from layout_to_json), Lipschitz constants, and
// complete = 0 (set to 1 by the writer's commit).
void write_polytope_attributes(hid_t file, const PolytopeMetadata& meta);

}  // namespace lpnn
