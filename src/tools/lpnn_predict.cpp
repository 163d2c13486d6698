// lpnn-predict: predictions of a trained model as CSV, and its loss when the data has labels.
//
//   lpnn-predict --model model.json --data test.csv > predictions.csv
//   (a model trained with lpnn-train --basis reads raw d-dimensional inputs and reduces them itself)
#include <CLI/CLI.hpp>
#include <cstdio>
#include <iostream>

#include "lpnn/solve/model.hpp"
#include "lpnn/util/error.hpp"
#include "tool_common.hpp"

int main(int argc, char** argv) {
  return lpnn::tool::run(argc, argv, "lpnn-predict", [](int ac, char** av) {
    CLI::App app{"Predict with an lpnn model: CSV predictions on stdout, the loss on stderr when labels are given."};
    std::string model_path, data_path;
    app.add_option("--model,-m", model_path, "model file from lpnn-train")->required();
    app.add_option("--data,-d", data_path, "CSV (n inputs, optionally m labels) or HDF5 (X, Y)")->required();
    lpnn::tool::parse_arguments(app, ac, av);
    if (!lpnn::tool::is_root()) return 0;

    const lpnn::Model model = lpnn::Model::from_file(model_path);
    const lpnn::Dataset data =
        lpnn::read_dataset(data_path, model.input_columns(), model.arch.outputs(), /*labels_optional=*/true);
    const std::vector<double> z = model.predict(data);
    const std::int64_t m = model.arch.outputs();
    for (std::int64_t k = 0; k < m; ++k) std::cout << (k ? "," : "") << "prediction" << k + 1;
    std::cout << "\n";
    for (std::int64_t d = 0; d < data.samples; ++d) {
      for (std::int64_t k = 0; k < m; ++k) std::cout << (k ? "," : "") << fmt::format("{:.17g}", z[d * m + k]);
      std::cout << "\n";
    }
    std::cout.flush();
    if (data.outputs > 0)
      std::cerr << fmt::format("loss {:.10g} (mean {} loss over {} samples{})\n", model.loss(data),
                               lpnn::to_string(model.arch.loss()), data.samples,
                               model.scaling ? ", in the scaled box" : "");
    return 0;
  });
}
