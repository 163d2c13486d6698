// A rank's writing cut into steps: each step writes a bounded number of rows and objective entries,
// and records which samples are then complete on disk (what a resumed build trusts).
#pragma once

#include <cstdint>
#include <vector>

#include "lpnn/arch/architecture.hpp"
#include "lpnn/bags/layout.hpp"
#include "lpnn/distribute/distribution.hpp"

namespace lpnn {

// One lockstep step of a rank's writing: rows [row_begin, row_end) of /A and /lp/b, entries
// [column_begin, column_end) of /lp/c, and the samples that are complete on disk once the step is
// written. Every rank runs the same number of steps (collective writes), padding with empty ones.
struct WriteStep {
  std::int64_t row_begin = 0, row_end = 0;
  std::int64_t column_begin = 0, column_end = 0;
  SampleInterval completes;
};

// Steps covering exactly the rows and λ columns of `samples` (plus the X columns [0, M) first when
// `with_x_columns`: beside the first rows when the samples begin with sample 0, in steps of their own
// otherwise), at most `chunk_rows` rows and `chunk_columns` columns per step. A sample completes in
// the step that writes its last objective entry, which comes after its last row.
std::vector<WriteStep> plan_write_steps(const PolytopeLayout& layout, const std::vector<SampleInterval>& samples,
                                        bool with_x_columns, std::int64_t chunk_rows, std::int64_t chunk_columns);

// The full-data objective on columns [begin, end) (README, The polytope / Rows and columns):
// λ_R·R(θ(a)) on X[a], c[j]/D on λ^d[j]. `cost` is the whole template.
void objective_entries(const Architecture& arch, const PolytopeLayout& layout, const std::vector<double>& cost,
                       std::int64_t begin, std::int64_t end, std::vector<double>& out);

}  // namespace lpnn
