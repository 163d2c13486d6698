// The one-sample bag family as a version-2 polytope file records it (/family, hdf5/format.hpp), so that
// a reader can interpret every column without lpnn:
//   description  JSON text: the variables (kind, grid points and values, data coordinate), the bags
//                (parent, variables in order, which are free, column and row ranges, separator), the
//                steps, the cost terms and the rule numbering the D-sample LP from one sample's;
//   assignments  int32: for each bag in order, for each of its columns in order, the values (grid
//                indices) of all the bag's variables in the bag's order; bag t's run starts at its
//                "assignment_offset" and holds columns·|variables| entries.
// Both are pure functions of the spec, the grids and the node grid: every rank computes the same bytes,
// so the file's bytes do not depend on the rank count, the build mode or a resume.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "lpnn/arch/architecture.hpp"
#include "lpnn/bags/layout.hpp"

namespace lpnn {

struct FamilyRecord {
  std::string description;                // JSON, the bytes of /family/description
  std::vector<std::int32_t> assignments;  // /family/assignments
};

// The record of a block layout's one-sample family (the chain: chain_family(arch, options, 1) with the
// layout's grids and node grid). Enumerates every column of one sample (like SampleBlock::from_family);
// throws lpnn::Error for a star layout or a grid index beyond int32.
FamilyRecord family_record(const Architecture& arch, const PolytopeLayout& layout);

// The bytes of both /family datasets (description + 4 per assignment) without enumerating a column:
// what a plan counts on disk beside the matrix (a sizes-only layout will do).
std::int64_t family_record_bytes(const Architecture& arch, const PolytopeLayout& layout);

}  // namespace lpnn
