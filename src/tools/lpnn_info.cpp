// lpnn-info: what a polytope file holds, checked; loads /A with PETSc's MatLoad on any rank count.
//
//   lpnn-info poly.h5
//   mpirun -n 4 lpnn-info poly.h5 --json
//   lpnn-info chain.h5 --bags --no-load     (a chain file's bags, one line each)
#include <CLI/CLI.hpp>
#include <iostream>

#include "lpnn/bags/planner.hpp"
#include "lpnn/hdf5/checksum.hpp"
#include "lpnn/hdf5/reader.hpp"
#include "lpnn/util/error.hpp"
#include "lpnn/util/mpi.hpp"
#include "lpnn/util/phase.hpp"
#include "tool_common.hpp"

namespace {

// The star's sizes name its bag template B; a chain's its rows, columns and nonzeros per sample and
// its node grid.
std::string per_sample_text(const lpnn::PolytopeLayout& l) {
  if (l.star()) return fmt::format("M = {}, B = {}", l.M, l.B);
  return fmt::format("M = {}, {} rows / {} columns / {} nonzeros per sample; node grid {}", l.M, l.rows_per_sample(),
                     l.B, l.nnz_per_sample(), l.node_grid == 0 ? std::string("integers") : std::to_string(l.node_grid));
}

// Variable names of `indices` from a family description, comma-separated.
std::string variable_names(const nlohmann::json& family, const nlohmann::json& indices) {
  std::string out;
  for (const auto& v : indices)
    out += (out.empty() ? "" : ", ") + family["variables"][v.get<std::size_t>()]["name"].get<std::string>();
  return out;
}

// A chain file's one-sample family: a summary line, and with `bags` one line per bag.
void print_family(const nlohmann::json& family, bool bags) {
  std::cout << fmt::format("  family      {} bags, {} variables, {} steps per sample (/family){}\n", family["bags"].size(),
                           family["variables"].size(), family["steps"].size(), bags ? "" : "; --bags lists the bags");
  if (!bags) return;
  for (const auto& b : family["bags"]) {
    const bool root = b["parent"].get<std::int64_t>() < 0;
    std::cout << fmt::format("    bag {:>3} {:<22} {} columns [{}, +{}), rows [{}, +{}); variables {}\n",
                             b["index"].get<std::int64_t>(), b["name"].get<std::string>(), root ? "global" : "local",
                             b["first_column"].get<std::int64_t>(), b["columns"].get<std::int64_t>(),
                             b["first_row"].get<std::int64_t>(), b["rows"].get<std::int64_t>(),
                             variable_names(family, b["variables"]));
  }
}

}  // namespace

int main(int argc, char** argv) {
  return lpnn::tool::run(argc, argv, "lpnn-info", [](int ac, char** av) {
    CLI::App app{"Describe and check an lpnn polytope file; load its matrix with PETSc MatLoad."};
    std::string path;
    bool json = false, no_load = false, verify = false, bags = false;
    app.add_option("file", path, "polytope file (.h5)")->required();
    app.add_flag("--json", json, "print as one JSON object");
    app.add_flag("--no-load", no_load, "skip MatLoad of /A");
    app.add_flag("--bags", bags, "list a chain file's bags (name, columns, rows, variables)");
    app.add_flag("--verify", verify, "check every dataset's CRC-32 against the file's record (in parallel)");
    std::string budget;
    app.add_option("--memory-budget", budget, "refuse to load a matrix needing more memory per rank (e.g. 8G)");
    lpnn::tool::parse_arguments(app, ac, av);
    int ranks = 1;
    MPI_Comm_size(MPI_COMM_WORLD, &ranks);

    // 1. Metadata and consistency checks (every rank reads the same file: errors are collective).
    lpnn::PolytopeMetadata meta;
    lpnn::run_phase(MPI_COMM_WORLD, "metadata", "reading the metadata of " + path, [&] {
      meta = lpnn::read_polytope_metadata(path, lpnn::Families::Any);
      if (!no_load) {
        std::optional<double> limit;
        if (!budget.empty()) limit = lpnn::tool::parse_bytes(budget, "--memory-budget");
        const lpnn::LoadPlan load =
            lpnn::plan_matrix_load(meta.layout, ranks, static_cast<int>(sizeof(PetscInt)), limit);
        if (!load.refusal.empty()) lpnn::fail("refused: {} (or pass --no-load)", load.refusal);
      }
    });
    const lpnn::PolytopeLayout& l = meta.layout;
    if (verify) lpnn::verify_polytope_checksums(MPI_COMM_WORLD, path);  // throws CollectiveError on damage

    // 2. MatLoad on this run's ranks.
    PetscInt rows = 0, cols = 0;
    MatInfo info{};
    std::string mat_type;  // AIJ unless -mat_type says otherwise
    if (!no_load) {
      lpnn::run_phase(MPI_COMM_WORLD, "load", "loading /A of " + path, [&] {
        lpnn::OwnedMat A = lpnn::load_constraint_matrix(MPI_COMM_WORLD, path, l);
        LPNN_PETSC(MatGetSize(A, &rows, &cols));
        LPNN_PETSC(MatGetInfo(A, MAT_GLOBAL_SUM, &info));
        MatType type = nullptr;
        LPNN_PETSC(MatGetType(A, &type));
        mat_type = type;
      });
      if (static_cast<std::int64_t>(info.nz_used) != l.nnz)
        throw lpnn::CollectiveError(fmt::format("{}: MatLoad found {} nonzeros, the layout says {}", path,
                                                static_cast<std::int64_t>(info.nz_used), l.nnz));
    }
    if (!lpnn::tool::is_root()) return 0;
    nlohmann::json j = lpnn::layout_to_json(l);
    j.update({{"file", path},
              {"format", lpnn::kPolytopeFormat},
              {"format_version", lpnn::polytope_format_version(l)},
              {"family", l.family()},
              {"spec", meta.arch.to_json()},
              {"lipschitz_bmp", meta.lipschitz_bmp},
              {"lipschitz_numeric", meta.lipschitz_numeric}});
    nlohmann::json family;  // a chain file's /family/description, validated by read_polytope_metadata
    if (!l.star()) {
      j["node_grid"] = l.node_grid;
      family = nlohmann::json::parse(lpnn::read_family_description(path));
      j["family_description"] = family;
    }
    if (verify) j["checksums"] = "verified";
    if (!no_load)
      j["matload"] = {
          {"ranks", ranks}, {"rows", rows}, {"columns", cols}, {"nonzeros", info.nz_used}, {"type", mat_type}};
    if (json) {
      std::cout << j.dump(2) << std::endl;
      return 0;
    }
    std::cout << fmt::format("{}: lpnn polytope, format version {}, bag family {}\n", path,
                             lpnn::polytope_format_version(l), l.family())
              << fmt::format("  spec        {}\n", meta.arch.to_json().dump())
              << fmt::format("  samples D   {}\n  grid K      param {} / input {} / output {}\n", l.D, l.grid.param,
                             l.grid.input, l.grid.output)
              << fmt::format("  sizes       {} rows x {} columns, {} nonzeros ({})\n", l.rows, l.cols, l.nnz,
                             per_sample_text(l))
              << fmt::format("  Lipschitz   BMP {:.6g}, numeric {:.6g}\n", meta.lipschitz_bmp, meta.lipschitz_numeric);
    if (!l.star()) print_family(family, bags);
    if (verify)
      std::cout << fmt::format("  checksums   CRC-32 of all {} datasets verified\n", lpnn::polytope_datasets(l).size());
    if (!no_load)
      std::cout << fmt::format("  MatLoad     ok on {} rank(s): {} x {}, {} nonzeros ({})\n", ranks, rows, cols,
                               static_cast<std::int64_t>(info.nz_used), mat_type);
    return 0;
  });
}
