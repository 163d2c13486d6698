#include "lpnn/hdf5/format.hpp"

#include <algorithm>
#include <charconv>

#include "lpnn/util/error.hpp"

namespace lpnn {

std::vector<DatasetSpec> polytope_datasets(const PolytopeLayout& l) {
  return {{"/A/jc", H5T_STD_I64LE, l.rows + 1},
          {"/A/ir", H5T_STD_I64LE, l.nnz},
          {"/A/data", H5T_IEEE_F64LE, l.nnz},
          {"/lp/b", H5T_IEEE_F64LE, l.rows},
          {"/lp/c", H5T_IEEE_F64LE, l.cols},
          {"/template/cost", H5T_IEEE_F64LE, l.B},
          {"/grids/param", H5T_IEEE_F64LE, l.grid.param},
          {"/grids/input", H5T_IEEE_F64LE, l.grid.input},
          {"/grids/output", H5T_IEEE_F64LE, l.grid.output}};
}

std::string StorageOptions::to_string() const {
  return compressed() ? "deflate:" + std::to_string(deflate_level) : "none";
}

StorageOptions StorageOptions::parse(const std::string& text) {
  StorageOptions storage;
  if (text == "none") return storage;
  if (text == "deflate") {
    storage.deflate_level = 1;
    return storage;
  }
  const std::string prefix = "deflate:";
  int level = 0;
  const char* end = text.data() + text.size();
  if (text.rfind(prefix, 0) == 0) {
    const auto [ptr, ec] = std::from_chars(text.data() + prefix.size(), end, level);
    if (ec == std::errc() && ptr == end && level >= 1 && level <= 9) {
      storage.deflate_level = level;
      return storage;
    }
  }
  fail("--compression {}: expected none, deflate or deflate:LEVEL with LEVEL in 1..9", text);
}

std::int64_t chunk_elements(const PolytopeLayout& layout, const std::string& dataset) {
  constexpr std::int64_t target = std::int64_t{1} << 20;  // 8 MiB of 8-byte elements
  if (dataset == "/A/ir" || dataset == "/A/data") return layout.nnz_per_sample();
  if (dataset == "/A/jc" || dataset == "/lp/b") return layout.rows_per_sample();
  if (dataset == "/lp/c") {
    // Past the X columns c repeats with period B (a sample's columns), so chunks of whole periods hold
    // the same bytes from the second on, and the writer deflates them once (h5::RepeatedChunks).
    const std::int64_t periodic = layout.B <= target ? layout.B * (target / layout.B) : target;
    return std::max<std::int64_t>(1, std::min(layout.cols, periodic));
  }
  if (dataset == "/template/cost") return std::max<std::int64_t>(1, std::min(layout.B, target));
  return 0;
}

bool shuffled(const PolytopeLayout& layout, const std::string& dataset) {
  return dataset != "/lp/c" || (layout.D & (layout.D - 1)) == 0;
}

void write_polytope_attributes(hid_t file, const PolytopeMetadata& meta) {
  h5::write_attribute(file, "format", std::string(kPolytopeFormat));
  h5::write_attribute(file, "format_version", polytope_format_version(meta.layout));
  if (!meta.layout.star()) {
    h5::write_attribute(file, "family", std::string(meta.layout.family()));
    h5::write_attribute(file, "node_grid", meta.layout.node_grid);
  }
  h5::write_attribute(file, "spec", meta.arch.to_json().dump());
  // The sizes, flat: the grid's three sizes as grid_param, grid_input, grid_output.
  const nlohmann::json sizes = layout_to_json(meta.layout);
  for (const auto& size : sizes.items()) {
    if (size.key() != "grid") h5::write_attribute(file, size.key(), size.value().get<std::int64_t>());
  }
  for (const auto& group : sizes["grid"].items())
    h5::write_attribute(file, "grid_" + group.key(), group.value().get<std::int64_t>());
  h5::write_attribute(file, "lipschitz_bmp", meta.lipschitz_bmp);
  h5::write_attribute(file, "lipschitz_numeric", meta.lipschitz_numeric);
  // Block-angular structure for structure-exploiting solvers (PIPS-IPM++ and the like): linking columns
  // X, no linking rows, one block per sample. Block d: rows first_block_row + d·rows_per_block (that many),
  // columns first_block_column + d·columns_per_block (that many). Derivable from the sizes; recorded so
  // that a reader need not know lpnn's layout.
  const PolytopeLayout& l = meta.layout;
  const nlohmann::json blocks{{"kind", "block-angular: linking columns, one block per sample"},
                              {"linking_columns", nlohmann::json::array({0, l.M})},
                              {"linking_rows", 0},
                              {"blocks", l.D},
                              {"first_block_row", 0},
                              {"rows_per_block", l.rows_per_sample()},
                              {"first_block_column", l.M},
                              {"columns_per_block", l.B}};
  h5::write_attribute(file, "block_structure", blocks.dump());
  h5::write_attribute(file, "complete", std::int64_t{0});
}

}  // namespace lpnn
