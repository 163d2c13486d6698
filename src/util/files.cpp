#include "lpnn/util/files.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <utility>

#include "lpnn/util/error.hpp"

namespace lpnn {

namespace {

// Closes the descriptor and removes the temporary file unless released.
class TemporaryFile {
 public:
  explicit TemporaryFile(std::string pattern) : path_(std::move(pattern)) {
    fd_ = ::mkstemp(path_.data());
    if (fd_ < 0) path_.clear();
  }
  ~TemporaryFile() {
    if (fd_ >= 0) ::close(fd_);
    if (!path_.empty()) ::unlink(path_.c_str());
  }
  TemporaryFile(const TemporaryFile&) = delete;
  TemporaryFile& operator=(const TemporaryFile&) = delete;
  int fd() const { return fd_; }
  const std::string& path() const { return path_; }
  int close() { return ::close(std::exchange(fd_, -1)); }
  void keep() { path_.clear(); }

 private:
  std::string path_;
  int fd_ = -1;
};

mode_t default_mode() {
  const mode_t mask = ::umask(0);
  ::umask(mask);
  return 0666 & ~mask;
}

}  // namespace

void write_file_replacing(const std::string& path, std::string_view content, const char* what) {
  const std::filesystem::path p(path);
  const std::filesystem::path dir = p.parent_path().empty() ? std::filesystem::path(".") : p.parent_path();
  TemporaryFile temporary((dir / ("." + p.filename().string() + ".XXXXXX")).string());
  if (temporary.fd() < 0)
    fail("cannot create a temporary file for the {} {} in {}: {}", what, path, dir.string(), std::strerror(errno));
  const char* data = content.data();
  std::size_t left = content.size();
  while (left > 0) {
    const ssize_t n = ::write(temporary.fd(), data, left);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) fail("writing the {} {} failed: {}", what, path, std::strerror(errno));
    data += n;
    left -= static_cast<std::size_t>(n);
  }
  if (::fchmod(temporary.fd(), default_mode()) != 0 || ::fsync(temporary.fd()) != 0 || temporary.close() != 0)
    fail("writing the {} {} failed: {}", what, path, std::strerror(errno));
  if (std::rename(temporary.path().c_str(), path.c_str()) != 0)
    fail("cannot move the {} into place at {}: {}", what, path, std::strerror(errno));
  temporary.keep();
}

std::string read_text_file(const std::string& path, const char* what) {
  std::ifstream in(path);
  if (!in) fail("cannot open the {} {}: {}", what, path, std::strerror(errno));
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

int create_exclusively(const std::string& path) {
  if (::unlink(path.c_str()) != 0 && errno != ENOENT)
    fail("cannot remove the old {} to create it afresh: {}", path, std::strerror(errno));
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
  if (fd >= 0) return fd;
  if (errno == EEXIST)
    fail("{} was created by another process while lpnn was creating it; make sure no other build writes there", path);
  fail("cannot create {}: {}", path, std::strerror(errno));
}

bool is_symlink(const std::string& path) {
  struct stat st {};
  return ::lstat(path.c_str(), &st) == 0 && S_ISLNK(st.st_mode);
}

std::int64_t free_space_bytes(const std::string& path) {
  const std::filesystem::path dir = std::filesystem::path(path).parent_path();
  struct statvfs fs {};
  if (::statvfs(dir.empty() ? "." : dir.c_str(), &fs) != 0 || fs.f_blocks == 0) return -1;
  return static_cast<std::int64_t>(fs.f_bavail) * static_cast<std::int64_t>(fs.f_frsize);
}

}  // namespace lpnn
