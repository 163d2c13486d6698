#include "lpnn/distribute/write_steps.hpp"

#include <algorithm>
#include <span>

#include "lpnn/bags/cost_template.hpp"
#include "lpnn/bags/sample_block.hpp"

namespace lpnn {

std::vector<WriteStep> plan_write_steps(const PolytopeLayout& layout, const std::vector<SampleInterval>& samples,
                                        bool with_x_columns, std::int64_t chunk_rows, std::int64_t chunk_columns) {
  chunk_rows = std::max<std::int64_t>(1, chunk_rows);
  chunk_columns = std::max<std::int64_t>(1, chunk_columns);
  std::vector<WriteStep> steps;
  // The X columns [0, M) precede sample 0's: a rank that writes both takes them in its first steps,
  // beside its first rows, so that its first step is not one of columns alone while the other ranks'
  // first steps generate rows (a lockstep round with one rank idle). Otherwise, steps of their own.
  const bool x_with_rows = with_x_columns && !samples.empty() && samples.front().first == 0;
  if (with_x_columns && !x_with_rows)
    for (std::int64_t c = 0; c < layout.M; c += chunk_columns)
      steps.push_back({0, 0, c, std::min(c + chunk_columns, layout.M), {}});
  const std::int64_t per_sample = layout.rows_per_sample();
  for (const SampleInterval& interval : samples) {
    std::int64_t row = interval.first * per_sample, column = layout.lambda_column(interval.first, 0);
    if (x_with_rows && interval.first == 0) column = 0;
    std::int64_t completed = interval.first;
    const std::int64_t row_end = interval.end * per_sample, column_end = layout.lambda_column(interval.end, 0);
    while (row < row_end || column < column_end) {
      WriteStep step;
      step.row_begin = row;
      step.row_end = row = std::min(row + chunk_rows, row_end);
      // Objective entries only of samples whose rows are all written: a sample is complete with its
      // last objective entry.
      const std::int64_t rows_complete = row / per_sample;
      step.column_begin = column;
      step.column_end = column = std::min(column + chunk_columns, layout.lambda_column(rows_complete, 0));
      const std::int64_t now_complete = column > layout.M ? (column - layout.M) / layout.B : interval.first;
      step.completes = {completed, now_complete};
      completed = now_complete;
      steps.push_back(step);
    }
  }
  return steps;
}

void objective_entries(const Architecture& arch, const PolytopeLayout& layout, const std::vector<double>& cost,
                       std::int64_t begin, std::int64_t end, std::vector<double>& out) {
  out.resize(static_cast<std::size_t>(end - begin));
  const double weight = 1.0 / static_cast<double>(layout.D);
  for (std::int64_t column = begin; column < end;) {
    const std::int64_t k = column - begin;
    if (column < layout.M) {
      const std::int64_t stop = std::min(end, layout.M);
      if (layout.block)  // the family's own root costs, as family_lp gives them
        std::copy(layout.block->root_objective.begin() + column, layout.block->root_objective.begin() + stop,
                  out.begin() + k);
      else
        compute_regularizer_costs(arch, layout, column, std::span<double>(out).subspan(k, stop - column));
      column = stop;
    } else {  // a run of one sample's costs, up to the end of its period B (one division per run)
      const std::int64_t offset = (column - layout.M) % layout.B;
      const std::int64_t run = std::min(end - column, layout.B - offset);
      const double* from = cost.data() + offset;
      double* to = out.data() + k;
      for (std::int64_t i = 0; i < run; ++i) to[i] = from[i] * weight;
      column += run;
    }
  }
}

}  // namespace lpnn
