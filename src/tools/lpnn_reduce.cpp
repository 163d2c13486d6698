// lpnn-reduce: the few directions of the input space that the labels depend on (filtered PCA), and
// the data projected onto them, ready for lpnn-train on a polytope with that many inputs.
//
//   mpirun -n 2 lpnn-reduce --data train.csv --outputs 1 -o reduced.csv --basis-out basis.json
//   mpirun -n 4 lpnn-reduce --data train.csv --outputs 1 -o reduced.csv --basis-out basis.json --whiten --rank-cap 2
//   lpnn-train --polytope poly.h5 --data reduced.csv --basis basis.json -o model.json   (model takes raw x)
//
// Every rank reads the CSV and keeps its block of rows; the second-moment statistics are summed
// over ranks in a fixed order, so any number of ranks writes the same basis.
#include <CLI/CLI.hpp>
#include <iostream>

#include "lpnn/hdf5/paths.hpp"
#include "lpnn/reduce/filtered_pca.hpp"
#include "lpnn/util/error.hpp"
#include "lpnn/util/files.hpp"
#include "lpnn/util/phase.hpp"
#include "tool_common.hpp"

namespace {

std::string join(const std::vector<double>& values) {
  std::string out;
  for (std::size_t k = 0; k < values.size(); ++k) out += fmt::format("{}{:.4g}", k ? " " : "", values[k]);
  return out;
}

void print_report(const lpnn::reduce::ReduceResult& result, const lpnn::reduce::LocalSamples& data,
                  const std::string& output, const std::string& basis_out) {
  std::cout << fmt::format("lpnn-reduce: {} samples, d = {} inputs, {} label column(s)\n", data.samples, data.inputs,
                           data.outputs);
  for (const auto& s : result.steps)
    std::cout << fmt::format(
        "  step {}: {} cell(s) x {} filters; eigenvalues {}; floor {:.4g} (permuted labels {:.4g}); "
        "kept {}\n",
        s.step, s.cells, s.filters, join(s.eigenvalues), s.floor, s.null_eigenvalue, s.kept);
  std::cout << fmt::format("  {} direction(s) kept, eigenvalues {}\n", result.reduction.rank(),
                           join(result.eigenvalues))
            << fmt::format("  reduced data (r = {} inputs in [-1, 1], then the labels) written to {}\n",
                           result.reduction.rank(), output)
            << fmt::format("  basis written to {}\n", basis_out);
}

std::string reduced_csv(const lpnn::reduce::ReduceResult& result, const lpnn::reduce::LocalSamples& data) {
  const std::int64_t r = result.reduction.rank(), m = data.outputs;
  std::string text;
  for (std::int64_t k = 0; k < r; ++k) text += fmt::format("{}z{}", k ? "," : "", k + 1);
  for (std::int64_t k = 0; k < m; ++k) text += fmt::format(",y{}", k + 1);
  text += '\n';
  for (std::int64_t i = 0; i < data.samples; ++i) {
    for (std::int64_t k = 0; k < r; ++k) text += fmt::format("{}{:.17g}", k ? "," : "", result.reduced[i * r + k]);
    for (std::int64_t k = 0; k < m; ++k) text += fmt::format(",{:.17g}", data.y[i * m + k]);
    text += '\n';
  }
  return text;
}

}  // namespace

int main(int argc, char** argv) {
  return lpnn::tool::run(argc, argv, "lpnn-reduce", [](int ac, char** av) {
    // 1. Arguments.
    CLI::App app{"Find the input directions the labels depend on (filtered PCA) and project the data onto them."};
    lpnn::reduce::ReduceOptions options;
    std::string data_path, output, basis_out;
    std::int64_t outputs = 0;
    app.add_option("--data,-d", data_path, "training data: CSV, d input columns then the label columns")->required();
    app.add_option("--outputs,-m", outputs, "number of label columns (the last columns of each row)")->required();
    app.add_option("-o,--output", output, "reduced data to write (CSV: r columns in [-1,1], then the labels)")
        ->required();
    app.add_option("--basis-out", basis_out, "basis file to write (JSON, for lpnn-train --basis)")->required();
    app.add_option("--rank-cap", options.rank_cap, "keep at most this many directions (at least 1)");
    app.add_flag("--whiten", options.whiten, "subtract the mean and whiten with the inverse square root covariance");
    app.add_option("--max-steps", options.max_steps, "conditioning steps after the first")
        ->check(CLI::NonNegativeNumber);
    app.add_option("--floor-factor", options.floor_factor,
                   "noise floor = factor x largest eigenvalue of the statistic with permuted labels")
        ->check(CLI::PositiveNumber);
    app.add_option("--seed", options.seed, "seed of the label permutation");
    lpnn::tool::parse_arguments(app, ac, av);

    // 2. Refuse bad options and unwritable outputs before reading.
    lpnn::run_phase(MPI_COMM_WORLD, "options", "checking the options and outputs", [&] {
      if (app.count("--rank-cap") && options.rank_cap < 1)
        lpnn::fail("--rank-cap is {}, it must be at least 1 (the largest number of directions to keep)",
                   options.rank_cap);
      lpnn::check_output_path(output, /*force=*/true);
      lpnn::check_output_path(basis_out, /*force=*/true);
    });

    // 3. Each rank reads the file and keeps its rows; the checks are the same on every rank.
    lpnn::reduce::LocalSamples data;
    lpnn::run_phase(MPI_COMM_WORLD, "read", "reading " + data_path, [&] {
      data = lpnn::reduce::load_samples(MPI_COMM_WORLD, data_path, outputs);
      lpnn::reduce::validate_input(data, options);
    });

    // 4. The filtered PCA (collective; its input errors are the same on every rank).
    lpnn::reduce::ReduceResult result;
    lpnn::run_phase(MPI_COMM_WORLD, "reduce", "computing the filtered statistics",
                    [&] { result = lpnn::reduce::filtered_pca(MPI_COMM_WORLD, data, options); });
    if (lpnn::tool::is_root() && !result.warning.empty())
      std::cerr << "lpnn-reduce: warning: " << result.warning << std::endl;

    // 5. Rank 0 writes both files and reports.
    lpnn::run_phase(MPI_COMM_WORLD, "write", "writing " + output + " and " + basis_out, [&] {
      if (!lpnn::tool::is_root()) return;
      lpnn::write_file_replacing(output, reduced_csv(result, data), "reduced data");
      lpnn::write_file_replacing(basis_out, lpnn::reduce::basis_json(result, data, options).dump(2) + '\n',
                                 "basis file");
    });
    if (lpnn::tool::is_root()) print_report(result, data, output, basis_out);
    return 0;
  });
}
