// Shared pieces of lpnn's libFuzzer targets (see tests/fuzz/CMakeLists.txt).
//
// Contract of every target: an input either passes or makes lpnn throw lpnn::Error (the documented
// error channel for bad user input). Anything else -- another exception type (std::bad_alloc,
// nlohmann::json::type_error, std::out_of_range, ...), a crash, an ASan/UBSan report, a hang past
// -timeout, or memory past -rss_limit_mb -- is a finding: an exception escaping
// LLVMFuzzerTestOneInput terminates the process, which libFuzzer records as a crash with the input.
#pragma once

#include <unistd.h>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "lpnn/solve/dataset.hpp"

namespace lpnn_fuzz {

// The readers under test take a path, so each input is written to one scratch file per process,
// created once (mkstemps keeps the extension, which read_dataset dispatches on) and removed at exit.
class ScratchFile {
 public:
  explicit ScratchFile(const char* suffix) {
    const char* dir = std::getenv("TMPDIR");
    path_ = std::string(dir && *dir ? dir : "/tmp") + "/lpnn-fuzz-XXXXXX" + suffix;
    const int fd = ::mkstemps(path_.data(), static_cast<int>(std::char_traits<char>::length(suffix)));
    if (fd < 0) {
      std::perror("lpnn fuzz: mkstemps");
      std::abort();
    }
    ::close(fd);
  }
  ~ScratchFile() { ::unlink(path_.c_str()); }
  ScratchFile(const ScratchFile&) = delete;
  ScratchFile& operator=(const ScratchFile&) = delete;

  // Replaces the file's contents with data[0, size).
  const std::string& write(const std::uint8_t* data, std::size_t size) {
    std::FILE* f = std::fopen(path_.c_str(), "wb");
    if (!f || (size > 0 && std::fwrite(data, 1, size, f) != size) || std::fclose(f) != 0) {
      std::perror("lpnn fuzz: writing the scratch file");
      std::abort();
    }
    return path_;
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// A broken invariant on an accepted input: report it and abort, so libFuzzer keeps the input.
[[noreturn]] inline void invariant_failed(const char* what) {
  std::fprintf(stderr, "lpnn fuzz: invariant violated on an accepted input: %s\n", what);
  std::abort();
}
#define LPNN_FUZZ_CHECK(condition)                               \
  do {                                                           \
    if (!(condition)) ::lpnn_fuzz::invariant_failed(#condition); \
  } while (0)

// What every accepted data set must satisfy, whatever file it came from: at least one sample, x and y
// sized samples x n and samples x m (m = 0 only when labels are optional), every value finite.
inline void check_accepted_dataset(const lpnn::Dataset& d, std::int64_t inputs, std::int64_t outputs,
                                   bool labels_optional) {
  LPNN_FUZZ_CHECK(d.samples >= 1);
  LPNN_FUZZ_CHECK(d.inputs == inputs);
  LPNN_FUZZ_CHECK(d.outputs == outputs || (labels_optional && d.outputs == 0));
  LPNN_FUZZ_CHECK(static_cast<std::int64_t>(d.x.size()) == d.samples * d.inputs);
  LPNN_FUZZ_CHECK(static_cast<std::int64_t>(d.y.size()) == d.samples * d.outputs);
  for (double v : d.x) LPNN_FUZZ_CHECK(std::isfinite(v));
  for (double v : d.y) LPNN_FUZZ_CHECK(std::isfinite(v));
}

}  // namespace lpnn_fuzz
