// Rank 0's progress line for a long build: percentage, elapsed seconds and an ETA on stderr, at most
// twice a second, and a newline when done.
#pragma once

#include <chrono>
#include <cstdint>
#include <cstdio>

namespace lpnn {

class Progress {
 public:
  using Clock = std::chrono::steady_clock;
  // A disabled line (other ranks, or no --progress) prints nothing.
  Progress(bool enabled, std::int64_t total) : enabled_(enabled), total_(total), start_(Clock::now()), last_(start_) {}
  void update(std::int64_t done) {
    if (!enabled_ || total_ <= 0) return;
    const auto now = Clock::now();
    if (done < total_ && now - last_ < std::chrono::milliseconds(500)) return;
    last_ = now;
    const double elapsed = std::chrono::duration<double>(now - start_).count();
    const double fraction = static_cast<double>(done) / static_cast<double>(total_);
    const double eta = fraction > 0 ? elapsed * (1.0 - fraction) / fraction : 0.0;
    std::fprintf(stderr, "\r[lpnn-build] %5.1f%%  %.1f s elapsed, ETA %.1f s   %s", 100.0 * fraction, elapsed, eta,
                 done >= total_ ? "\n" : "");
    std::fflush(stderr);
  }

 private:
  bool enabled_;
  std::int64_t total_;
  Clock::time_point start_, last_;
};

}  // namespace lpnn
