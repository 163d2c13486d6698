#include "lpnn/hdf5/paths.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>

#include "lpnn/util/error.hpp"
#include "lpnn/util/files.hpp"
#include "lpnn/util/units.hpp"

namespace lpnn {

namespace fs = std::filesystem;

std::string partial_path(const std::string& path) {
  const fs::path p(path);
  return (p.parent_path() / ("." + p.filename().string() + ".partial")).string();
}

void check_output_path(const std::string& path, bool force, const char* force_flag) {
  if (path.empty()) fail("no output file given (-o FILE)");
  const fs::path p(path);
  const fs::path dir = p.parent_path().empty() ? fs::path(".") : p.parent_path();
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) {
    if (fs::exists(dir, ec)) fail("the output directory {} is not a directory; choose another -o path", dir.string());
    fail("the output directory {} does not exist; create it first (mkdir -p {})", dir.string(), dir.string());
  }
  if (::access(dir.c_str(), W_OK | X_OK) != 0)
    fail("the output directory {} is not writable ({}); choose another -o path", dir.string(), std::strerror(errno));
  if (fs::is_directory(p, ec)) fail("the output {} is a directory; give a file name", path);
  if (fs::exists(p, ec) && !force)
    fail("the output {} already exists; pass {} to replace it, or choose another path", path, force_flag);
  // access() answers yes to root whatever the permission bits, and knows nothing of file systems that
  // refuse new files (/proc, /sys): creating a file is the only real test.
  // A fresh random name (mkstemp): a name planted in a shared directory can neither be written
  // through nor make the probe fail.
  std::string probe = (dir / ".lpnn-write-test-XXXXXX").string();
  const int fd = ::mkstemp(probe.data());
  if (fd < 0)
    fail("the output directory {} is not writable: creating a file there failed ({}); choose another -o path",
         dir.string(), std::strerror(errno));
  ::close(fd);
  ::unlink(probe.c_str());
}

namespace {

// Makes the file behind `fd` at least `bytes` long with its blocks allocated: posix_fallocate uses the
// file system's fallocate and, where there is none (NFS v3, some parallel file systems), glibc writes
// a byte into every block, so the space is really reserved either way. Only where even that is
// refused is the size merely set, which still meets a file-size limit. Returns what went wrong, or an
// empty string.
std::string reserve(int fd, std::int64_t bytes) {
  if (bytes <= 0) return {};
  int code = ::posix_fallocate(fd, 0, static_cast<off_t>(bytes));  // returns the error, not -1
  if (code == EOPNOTSUPP || code == ENOSYS || code == EINVAL) {
    struct stat st {};
    code = ::fstat(fd, &st) != 0 ? errno : 0;
    if (code == 0 && st.st_size < bytes && ::ftruncate(fd, static_cast<off_t>(bytes)) != 0) code = errno;
  }
  if (code == 0) return {};
  if (code == EFBIG) return fmt::format("{} (a file-size limit, ulimit -f, is lower than that)", std::strerror(code));
  if (code == ENOSPC || code == EDQUOT) return fmt::format("{} (free space or write elsewhere)", std::strerror(code));
  return std::strerror(code);
}

}  // namespace

std::string reserve_file_space(const std::string& path, std::int64_t bytes, bool create) {
  int fd = -1;
  if (create) {
    try {
      fd = create_exclusively(path);  // never through a link planted at the temporary name
    } catch (const Error& e) {
      return e.what();
    }
  } else {
    fd = ::open(path.c_str(), O_WRONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) return fmt::format("cannot open {}: {}", path, std::strerror(errno));
  }
  std::string error = reserve(fd, bytes);
  ::close(fd);
  if (!error.empty())
    return fmt::format("cannot reserve {} ({} bytes) for {}: {}", human_bytes(static_cast<double>(bytes)), bytes, path,
                       error);
  return {};
}

std::pair<std::int64_t, std::int64_t> whole_pages(std::int64_t offset, std::int64_t bytes, std::int64_t page) {
  const std::int64_t first = (offset + page - 1) & ~(page - 1);
  const std::int64_t end = (offset + bytes) & ~(page - 1);
  return {first, std::max<std::int64_t>(end - first, 0)};
}

EarlyWriteback::EarlyWriteback(const std::string& path) : fd_(::open(path.c_str(), O_RDONLY | O_CLOEXEC)) {}

EarlyWriteback::~EarlyWriteback() {
  if (fd_ >= 0) ::close(fd_);
}

EarlyWriteback& EarlyWriteback::operator=(EarlyWriteback&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = std::exchange(other.fd_, -1);
  }
  return *this;
}

bool EarlyWriteback::start(std::int64_t offset, std::int64_t bytes) const {
  static const std::int64_t page = ::sysconf(_SC_PAGESIZE);
  const auto [first, length] = whole_pages(offset, bytes, page);
  if (fd_ < 0 || length == 0) return false;
  return ::sync_file_range(fd_, static_cast<off64_t>(first), static_cast<off64_t>(length), SYNC_FILE_RANGE_WRITE) == 0;
}

}  // namespace lpnn
