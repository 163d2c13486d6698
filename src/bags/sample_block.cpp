#include "lpnn/bags/sample_block.hpp"

#include <cstdint>
#include <limits>
#include <span>

#include "family_internal.hpp"

namespace lpnn {

namespace {

// The block is only the D-sample LP if the family is one root plus one sample: a variable of another
// sample (or a sample-less non-parameter) would not be copied per sample. validate_family already
// holds the root to exactly the parameters.
void check_one_sample(const BagFamily& f) {
  validate_family(f);
  for (const FamilyVariable& v : f.variables) {
    if (v.kind == VariableKind::Parameter) continue;
    if (v.sample != 0)
      fail("bag family '{}' is not a one-sample family: {} '{}' belongs to sample {}, not 0", f.name, to_string(v.kind),
           v.name, v.sample);
  }
}

// Maximal runs of consecutive columns with one value, split at M so that a run is all root or all
// sample (the two are shifted differently).
void build_runs(SampleBlock& block) {
  block.run_pointer.assign(1, 0);
  for (std::int64_t r = 0; r < block.sample_rows; ++r) {
    for (std::int64_t q = block.row_pointer[r]; q < block.row_pointer[r + 1]; ++q) {
      const std::int64_t c = block.columns[q];
      const double v = block.values[q];
      const bool extends = q > block.row_pointer[r] && !block.runs.empty() &&
                           block.runs.back().first + block.runs.back().length == c && block.runs.back().value == v &&
                           (c < block.root_columns) == (block.runs.back().first < block.root_columns);
      if (extends)
        ++block.runs.back().length;
      else
        block.runs.push_back({c, 1, v});
    }
    block.run_pointer.push_back(static_cast<std::int64_t>(block.runs.size()));
  }
}

// Per local column, the data variables (inputs, labels) its bag holds and their values, bag by bag in
// column order (family_lp's numbering: the root's M columns, then each bag's).
void build_data(const BagFamily& f, SampleBlock& block) {
  const detail::FamilyIndex index = detail::FamilyIndex::of(f);
  block.data_pointer.assign(1, 0);
  for (std::int64_t t = 1; t < static_cast<std::int64_t>(f.bags.size()); ++t) {
    std::vector<std::int64_t> positions;
    const FamilyBag& bag = f.bags[t];
    for (std::size_t p = 0; p < bag.variables.size(); ++p) {
      const FamilyVariable& v = f.variables[bag.variables[p]];
      if (v.kind != VariableKind::Input && v.kind != VariableKind::Label) continue;
      if (v.coordinate < 0 || v.coordinate > INT32_MAX || v.points > INT32_MAX)
        fail("bag family '{}': data variable '{}' (coordinate {}, {} grid points) does not fit a block's 32-bit data",
             f.name, v.name, v.coordinate, v.points);
      positions.push_back(static_cast<std::int64_t>(p));
    }
    detail::enumerate_bag(
        f, t, detail::bag_structure(f, t, index), [&](std::int64_t, std::span<const std::int64_t> values) {
          for (std::int64_t p : positions) {
            const FamilyVariable& v = f.variables[bag.variables[p]];
            block.data.push_back({static_cast<std::int32_t>(v.coordinate), static_cast<std::int32_t>(values[p]),
                                  v.kind == VariableKind::Label});
          }
          block.data_pointer.push_back(static_cast<std::int64_t>(block.data.size()));
        });
  }
  if (static_cast<std::int64_t>(block.data_pointer.size()) != block.sample_columns + 1)
    fail("bag family '{}': {} sample columns enumerated, but its LP has {}", f.name, block.data_pointer.size() - 1,
         block.sample_columns);
}

}  // namespace

SampleBlock SampleBlock::from_family(const BagFamily& one_sample) {
  check_one_sample(one_sample);
  const FamilySizes sizes = family_sizes(one_sample);
  LinearProgram lp = family_lp(one_sample);
  SampleBlock block;
  block.root_columns = sizes.bag_columns[0];
  block.sample_rows = lp.rows;
  block.sample_columns = lp.cols - block.root_columns;
  block.sample_nonzeros = static_cast<std::int64_t>(lp.column.size());
  if (block.sample_rows < 1)
    fail("bag family '{}' has no sample rows: a block needs at least one bag besides the root", one_sample.name);
  block.row_pointer = std::move(lp.row_start);
  block.columns = std::move(lp.column);
  block.values = std::move(lp.value);
  block.rhs = std::move(lp.b);
  block.root_objective.assign(lp.c.begin(), lp.c.begin() + block.root_columns);
  block.sample_objective.assign(lp.c.begin() + block.root_columns, lp.c.end());
  build_runs(block);
  build_data(one_sample, block);
  return block;
}

BlockSizes SampleBlock::sizes(std::int64_t samples) const {
  if (samples < 1) fail("a sample block needs at least one sample, got {}", samples);
  BlockSizes s;
  s.rows = detail::checked_product(samples, sample_rows, "the block's row count");
  s.nnz = detail::checked_product(samples, sample_nonzeros, "the block's nonzero count");
  s.cols = detail::checked_product(samples, sample_columns, "the block's column count");
  if (__builtin_add_overflow(s.cols, root_columns, &s.cols))
    fail("the block's column count overflows 64-bit arithmetic");
  return s;
}

void generate_block_rhs(const SampleBlock& block, std::int64_t row_begin, std::vector<double>& out) {
  std::int64_t r = row_begin % block.sample_rows;
  for (double& b : out) {
    b = block.rhs[r];
    if (++r == block.sample_rows) r = 0;
  }
}

// Sample costs times 1/D, computed as family_lp does (0 + (1/D)·ℓ): the same double, bit for bit,
// when a sample column carries one cost term.
void generate_block_objective(const SampleBlock& block, std::int64_t samples, std::int64_t column_begin,
                              std::vector<double>& out) {
  const double weight = 1.0 / static_cast<double>(samples);
  const std::int64_t M = block.root_columns;
  for (std::size_t k = 0; k < out.size(); ++k) {
    const std::int64_t c = column_begin + static_cast<std::int64_t>(k);
    out[k] = c < M ? block.root_objective[c] : weight * block.sample_objective[(c - M) % block.sample_columns];
  }
}

LinearProgram block_lp(const SampleBlock& block, std::int64_t samples) {
  const BlockSizes s = block.sizes(samples);
  CsrBlock<std::int64_t> rows;
  generate_rows(block, samples, 0, s.rows, rows);
  LinearProgram lp;
  lp.rows = s.rows;
  lp.cols = s.cols;
  lp.row_start = std::move(rows.row_pointer);
  lp.column = std::move(rows.columns);
  lp.value = std::move(rows.values);
  lp.b.resize(s.rows);
  generate_block_rhs(block, 0, lp.b);
  lp.c.resize(s.cols);
  generate_block_objective(block, samples, 0, lp.c);
  lp.lower.assign(s.cols, 0.0);
  lp.upper.assign(s.cols, std::numeric_limits<double>::infinity());
  lp.validate();
  return lp;
}

}  // namespace lpnn
