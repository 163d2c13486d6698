// Where a polytope file is written: the output path's checks, the temporary name a build works
// under, and disk space reserved before any data is written.
#pragma once

#include <cstdint>
#include <string>

namespace lpnn {

// The temporary name a build of `path` writes under: ".<name>.partial" in the same directory.
std::string partial_path(const std::string& path);

// Checks that `path` can be created: its directory exists and is writable, and it does not exist
// unless `force`. Throws lpnn::Error naming the path and the fix.
void check_output_path(const std::string& path, bool force, const char* force_flag = "--force");

// Makes `path` (created first when `create`: whatever is at the name, a stale file or a link, is
// replaced by a new regular file, never written through) at least `bytes` long with its blocks
// allocated, so that a full disk or a file-size limit shows here and not in the middle of a parallel
// write. Returns what went wrong, or an empty string.
std::string reserve_file_space(const std::string& path, std::int64_t bytes, bool create);

}  // namespace lpnn
