// Where a polytope file is written: the output path's checks, the temporary name a build works
// under, disk space reserved before any data is written, and its pages sent to disk as they are written.
#pragma once

#include <cstdint>
#include <string>
#include <utility>

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

// The whole pages of the byte range [offset, offset + bytes): the first page-aligned offset at or
// after `offset` and the length up to the last page boundary at or before the range's end (0 when no
// page lies wholly inside). `page` is a power of two.
std::pair<std::int64_t, std::int64_t> whole_pages(std::int64_t offset, std::int64_t bytes, std::int64_t page);

// Starts the kernel writing a file's freshly written pages to disk while the writer goes on
// (sync_file_range with SYNC_FILE_RANGE_WRITE: it submits the I/O and does not wait for it). Without
// it every dirty page waits in the page cache for the build's sync, which then writes the whole file
// at once while nothing else runs. A hint only: durability still comes from the sync, which also
// covers the pages left out here (those shared with a neighbouring write). Move-only; inert when the
// file cannot be opened or the file system ignores the request.
class EarlyWriteback {
 public:
  EarlyWriteback() = default;
  explicit EarlyWriteback(const std::string& path);  // opens `path` read-only
  ~EarlyWriteback();
  EarlyWriteback(EarlyWriteback&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  EarlyWriteback& operator=(EarlyWriteback&& other) noexcept;
  EarlyWriteback(const EarlyWriteback&) = delete;
  EarlyWriteback& operator=(const EarlyWriteback&) = delete;

  // Starts write-out of the whole pages of [offset, offset + bytes) (file bytes); false when the
  // kernel refused (or the writer is inert), which costs nothing but the early start.
  bool start(std::int64_t offset, std::int64_t bytes) const;
  bool active() const { return fd_ >= 0; }

 private:
  int fd_ = -1;
};

}  // namespace lpnn
