// lpnn-export: a polytope's LP, or the face of a data set, as free MPS for any LP solver (gzip when the
// name ends in .gz), streamed one sample's block at a time from the file.
//
//   lpnn-export --polytope poly.h5 --mps poly.mps.gz                       the full-data LP as stored
//   lpnn-export --polytope poly.h5 --data train.csv --mps face.mps         the face of a data set
//   glpsol --freemps face.mps --min -o face.sol      (or: clp face.mps -solve; highs face.mps)
// The writing is serial (rank 0); run it on one rank. Other ranks only share the checksum check.
#include <CLI/CLI.hpp>
#include <iostream>

#include "lpnn/hdf5/checksum.hpp"
#include "lpnn/hdf5/paths.hpp"
#include "lpnn/hdf5/reader.hpp"
#include "lpnn/solve/load.hpp"
#include "lpnn/solve/mps.hpp"
#include "lpnn/util/error.hpp"
#include "lpnn/util/phase.hpp"
#include "tool_common.hpp"

int main(int argc, char** argv) {
  return lpnn::tool::run(argc, argv, "lpnn-export", [](int ac, char** av) {
    // 1. Arguments.
    CLI::App app{"Write a polytope's LP, or the face of a data set, as free MPS (gzip when the name ends in .gz)."};
    std::string polytope, data, output, face = "bounds";
    bool skip_checksums = false, json = false;
    app.add_option("--polytope,-p", polytope, "polytope file from lpnn-build")->required();
    app.add_option("--data,-d", data, "data set (CSV or HDF5, in [-1, 1]): export its face instead of the full LP");
    app.add_option("--mps,-o", output, "MPS file to write; .gz: gzip-compressed")->required();
    app.add_option("--face", face, "bounds (off-face columns fixed at 0, default) or penalty (Farkas objective)")
        ->check(CLI::IsMember({"bounds", "penalty"}));
    app.add_flag("--skip-checksums", skip_checksums, "do not verify the polytope's dataset checksums");
    app.add_flag("--json", json, "print the sizes written as JSON");
    lpnn::tool::parse_arguments(app, ac, av);

    // 2. The file's metadata and checksums; the data's face (each rank alone, then agreed).
    lpnn::PolytopeMetadata meta;
    std::optional<lpnn::FaceInputs> face_inputs;
    lpnn::run_phase(MPI_COMM_WORLD, "metadata", "reading " + polytope + (data.empty() ? "" : " and " + data), [&] {
      lpnn::check_output_path(output, /*force=*/true);
      meta = lpnn::read_polytope_metadata(polytope);
      if (!data.empty())
        face_inputs = lpnn::prepare_face(meta, polytope, lpnn::read_dataset(data, meta.layout.n, meta.layout.m));
    });
    if (!skip_checksums) lpnn::verify_polytope_checksums(MPI_COMM_WORLD, polytope);

    // 3. Rank 0 streams the MPS file.
    lpnn::MpsReport report;
    lpnn::run_phase(MPI_COMM_WORLD, "export", "writing " + output, [&] {
      if (!lpnn::tool::is_root()) return;
      report = lpnn::write_mps(polytope, meta, face_inputs ? &*face_inputs : nullptr,
                               face == "bounds" ? lpnn::FaceMode::Bounds : lpnn::FaceMode::Penalty, output);
    });
    if (!lpnn::tool::is_root()) return 0;
    const nlohmann::json j{{"mps", output},
                           {"lp", face_inputs ? "face" : "polytope"},
                           {"rows", report.rows},
                           {"columns", report.columns},
                           {"nonzeros", report.entries},
                           {"fixed_columns", report.fixed_columns},
                           {"gzip", report.gzip}};
    if (json)
      std::cout << j.dump(2) << std::endl;
    else
      std::cout << fmt::format("wrote {} LP to {}: {} rows x {} columns, {} nonzeros{}\n", j["lp"].get<std::string>(),
                               output, report.rows, report.columns, report.entries,
                               face_inputs ? fmt::format(", {} columns fixed at 0", report.fixed_columns) : "");
    return 0;
  });
}
