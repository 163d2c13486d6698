// The build report: what build_polytope did and how long each phase took, as JSON and as text.
#include <fmt/format.h>

#include "lpnn/distribute/builder.hpp"
#include "lpnn/util/units.hpp"

namespace lpnn {

nlohmann::json BuildReport::to_json() const {
  const double gen = generate_seconds + assemble_seconds;
  return {
      {"family", layout.family()},
      {"rows", layout.rows},
      {"columns", layout.cols},
      {"nonzeros", layout.nnz},
      {"ranks", ranks},
      {"mode", streaming ? "streaming" : "assembled"},
      {"storage", storage},
      {"isal_chunks", isal_chunks},
      {"direct_chunks", direct_chunks},
      {"filter_threads", filter_threads},
      {"generate_threads", generate_threads},
      {"step_rows", step_rows},
      {"resumed", resumed},
      {"resumed_samples", resumed_samples},
      {"already_complete", already_complete},
      {"seconds",
       {{"template", template_seconds},
        {"generate", generate_seconds},
        {"assemble", assemble_seconds},
        {"write", write_seconds},
        {"total", total_seconds},
        {"hdf5_write", hdf5_write_seconds},
        {"checksum", checksum_seconds},
        {"sync", sync_seconds}}},
      {"nonzeros_per_second_per_rank", gen > 0 ? static_cast<double>(layout.nnz) / gen / ranks : 0.0},
      {"bytes_written", bytes_written},
      {"write_mb_per_second", write_seconds > 0 ? static_cast<double>(bytes_written) / 1e6 / write_seconds : 0.0},
      // The disk-facing part alone: H5Dwrite calls plus the syncs that put their bytes on disk.
      {"hdf5_write_mb_per_second", hdf5_write_seconds + sync_seconds > 0
                                       ? static_cast<double>(bytes_written) / 1e6 / (hdf5_write_seconds + sync_seconds)
                                       : 0.0}};
}

std::string BuildReport::to_text() const {
  const nlohmann::json j = to_json();
  if (already_complete)
    return fmt::format("the {} x {} polytope, {} nonzeros, is already complete: nothing to resume\n", layout.rows,
                       layout.cols, layout.nnz);
  std::string s = fmt::format(
      "built {} x {} {}polytope, {} nonzeros, on {} rank(s), {} storage {}{}\n", layout.rows, layout.cols,
      layout.star() ? "" : "chain ", layout.nnz, ranks,
      fmt::format("{} mode (rows generated on {} thread(s) per rank),", streaming ? "streaming" : "assembled",
                  generate_threads),
      storage,
      storage == "none" ? ""
                        : fmt::format(" ({} chunks deflated by ISA-L, {} filtered by lpnn on {} thread(s) per rank)",
                                      isal_chunks, direct_chunks, filter_threads));
  // A streamed build has no assembly (its rows go from the generators to the file): its line omits it.
  const std::string assemble = streaming ? "" : fmt::format(" assemble {:.3f} s,", assemble_seconds);
  s += fmt::format("  template {:.3f} s, generate {:.3f} s,{} write {:.3f} s, total {:.3f} s\n", template_seconds,
                   generate_seconds, assemble, write_seconds, total_seconds);
  s += fmt::format("  {:.3g} nonzeros/s per rank ({}), {} (uncompressed) written at {:.1f} MB/s\n",
                   j["nonzeros_per_second_per_rank"].get<double>(), streaming ? "generate" : "generate + assemble",
                   human_bytes(static_cast<double>(bytes_written)), j["write_mb_per_second"].get<double>());
  s += fmt::format("  write = H5Dwrite {:.3f} s + sync {:.3f} s ({:.1f} MB/s) + the rest; CRC-32 {:.3f} s apart (shuffled chunks take theirs while filtering)\n",
                   hdf5_write_seconds, sync_seconds, j["hdf5_write_mb_per_second"].get<double>(), checksum_seconds);
  if (resumed)
    s += fmt::format("  resumed: {} of {} samples were already on disk; wrote the other {}\n", resumed_samples,
                     layout.D, layout.D - resumed_samples);
  return s;
}

}  // namespace lpnn
