#include "lpnn/solve/mps.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <iterator>
#include <utility>
#include <vector>

#include "lpnn/hdf5/handles.hpp"
#include "lpnn/util/error.hpp"

namespace lpnn {

namespace {

// The output file: text buffered in memory up to a MiB, then written (or deflated) to a temporary file
// beside `path`, renamed over `path` by commit(); removed by the destructor otherwise.
class MpsSink {
 public:
  explicit MpsSink(const std::string& path) : path_(path) {
    const std::filesystem::path p(path);
    gzip_ = p.extension() == ".gz";
    const std::filesystem::path dir = p.parent_path().empty() ? std::filesystem::path(".") : p.parent_path();
    temporary_ = (dir / ("." + p.filename().string() + ".XXXXXX")).string();
    fd_ = ::mkstemp(temporary_.data());
    if (fd_ < 0) {
      temporary_.clear();
      fail("cannot create the MPS file {} (a temporary file in {}): {}", path, dir.string(), std::strerror(errno));
    }
    if (gzip_) {
      sync_fd_ = ::dup(fd_);  // gzclose closes fd_; the copy lets commit() sync the file after it
      gz_ = sync_fd_ < 0 ? nullptr : gzdopen(fd_, "wb6");
      if (gz_ == nullptr) {  // a throwing constructor runs no destructor: clean up here
        for (int fd : {fd_, sync_fd_})
          if (fd >= 0) ::close(fd);
        ::unlink(temporary_.c_str());
        fail("cannot start gzip compression of {}", path);
      }
      fd_ = -1;
    }
  }
  ~MpsSink() {
    if (gz_ != nullptr) (void)gzclose(gz_);
    for (int fd : {fd_, sync_fd_})
      if (fd >= 0) ::close(fd);
    if (!temporary_.empty()) ::unlink(temporary_.c_str());
  }
  MpsSink(const MpsSink&) = delete;
  MpsSink& operator=(const MpsSink&) = delete;

  template <typename... Args>
  void line(fmt::format_string<Args...> format, Args&&... args) {
    fmt::format_to(std::back_inserter(buffer_), format, std::forward<Args>(args)...);
    buffer_.push_back('\n');
    if (buffer_.size() >= (1u << 20)) flush();
  }

  void commit() {
    flush();
    if (gz_ != nullptr && gzclose(std::exchange(gz_, nullptr)) != Z_OK) fail("compressing {} failed", path_);
    const int fd = gzip_ ? sync_fd_ : fd_;
    const mode_t mask = ::umask(0);
    ::umask(mask);
    if (::fchmod(fd, 0666 & ~mask) != 0 || ::fsync(fd) != 0) fail("writing {} failed: {}", path_, std::strerror(errno));
    if (std::rename(temporary_.c_str(), path_.c_str()) != 0)
      fail("cannot move the MPS file into place at {}: {}", path_, std::strerror(errno));
    temporary_.clear();
  }

 private:
  void flush() {
    const char* data = buffer_.data();
    std::size_t left = buffer_.size();
    while (left > 0) {
      const long n = gzip_ ? gzwrite(gz_, data, static_cast<unsigned>(left)) : ::write(fd_, data, left);
      if (n < 0 && !gzip_ && errno == EINTR) continue;
      if (n <= 0) fail("writing {} failed: {}", path_, gzip_ ? "zlib error" : std::strerror(errno));
      data += n;
      left -= static_cast<std::size_t>(n);
    }
    buffer_.clear();
  }

  std::string path_, temporary_, buffer_;
  bool gzip_ = false;
  int fd_ = -1, sync_fd_ = -1;
  gzFile gz_ = nullptr;
};

// Serial reads of 1-D slices of the polytope file's datasets.
class PolytopeSlices {
 public:
  explicit PolytopeSlices(const std::string& path) : path_(path) {
    h5::quiet_errors();
    file_ = h5::Handle(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), H5Fclose, "opening " + path);
  }
  template <typename T>
  void read(const char* name, std::int64_t offset, std::int64_t count, std::vector<T>& out) const {
    out.resize(static_cast<std::size_t>(count));
    if (count == 0) return;
    h5::Handle set(H5Dopen2(file_, name, H5P_DEFAULT), H5Dclose, std::string("opening ") + name);
    h5::Handle space(H5Dget_space(set), H5Sclose, "H5Dget_space");
    const hsize_t start = static_cast<hsize_t>(offset), size = static_cast<hsize_t>(count);
    h5::check(H5Sselect_hyperslab(space, H5S_SELECT_SET, &start, nullptr, &size, nullptr), "selecting a slice");
    h5::Handle memory(H5Screate_simple(1, &size, nullptr), H5Sclose, "H5Screate_simple");
    if (H5Dread(set, h5::native_type<T>(), memory, space, H5P_DEFAULT, out.data()) < 0)
      fail("{}: reading {} failed; the file is damaged or truncated", path_, name);
  }

 private:
  std::string path_;
  h5::Handle file_;
};

// One sample's rows of /A (its convexity row, then its M consistency rows), checked against the layout.
struct SampleBlock {
  std::vector<std::int64_t> row_start, column;
  std::vector<double> value;

  void read(const PolytopeSlices& file, const PolytopeLayout& l, std::int64_t d, const std::string& path) {
    const std::int64_t first_row = l.convexity_row(d);
    file.read("/A/jc", first_row, l.rows_per_sample() + 1, row_start);
    const std::int64_t first = row_start.front(), count = row_start.back() - first;
    if (first != l.nnz_before_row(first_row) || count != l.nnz_per_sample())
      fail("{}: sample {}'s rows of /A do not have the layout's lengths; the file is damaged", path, d);
    file.read("/A/ir", first, count, column);
    file.read("/A/data", first, count, value);
    check(l, d, path);
  }

  // The canonical pattern (bags/layout.hpp): convexity over the whole bag, consistency row a over X[a]
  // (coefficient −1) and λ^d[(a, ·, ·)], in that order. The X columns are written from it.
  void check(const PolytopeLayout& l, std::int64_t d, const std::string& path) const {
    const std::int64_t base = l.lambda_column(d, 0);
    for (std::int64_t j = 0; j < l.B; ++j)
      if (column[j] != base + j) fail("{}: convexity row of sample {} is not the canonical layout", path, d);
    for (std::int64_t a = 0; a < l.M; ++a) {
      const std::int64_t k = l.B + a * (1 + l.S);
      if (column[k] != l.x_column(a) || value[k] != -1.0)
        fail("{}: consistency row ({}, {}) does not start with X[{}] = -1; the file is damaged", path, d, a, a);
      for (std::int64_t st = 0; st < l.S; ++st)
        if (column[k + 1 + st] != base + a * l.S + st)
          fail("{}: consistency row ({}, {}) is not the canonical layout", path, d, a);
    }
  }
  double convexity_value(std::int64_t j) const { return value[j]; }
  double consistency_value(const PolytopeLayout& l, std::int64_t j) const {
    return value[l.B + (j / l.S) * (1 + l.S) + 1 + j % l.S];
  }
};

// Objective and upper bounds of columns [first, first + count): the file's /lp/c, or the face's.
struct ColumnCosts {
  const PolytopeLayout& layout;
  const PolytopeSlices& file;
  const FaceInputs* face;
  FaceObjective objective;
  std::vector<double> cost, upper;

  void compute(std::int64_t first, std::int64_t count) {
    upper.assign(static_cast<std::size_t>(count), INFINITY);
    if (face == nullptr) {
      file.read("/lp/c", first, count, cost);
      return;
    }
    cost.resize(static_cast<std::size_t>(count));
    objective.columns(layout, face->face, face->cost_template, face->x_costs, first, cost, upper);
  }
};

void write_rows(MpsSink& out, const PolytopeLayout& l) {
  out.line("ROWS");
  out.line(" N obj");
  for (std::int64_t d = 0; d < l.D; ++d) {
    out.line(" E conv_{}", d);
    for (std::int64_t a = 0; a < l.M; ++a) out.line(" E cons_{}_{}", d, a);
  }
}

// COLUMNS: sample d's bag from its block of /A, then the linking columns X (−1 in cons_<d>_<a> for every
// d, as every block's check confirmed).
void write_columns(MpsSink& out, const PolytopeLayout& l, const std::string& path, const PolytopeSlices& file,
                   ColumnCosts& costs, MpsReport& report) {
  out.line("COLUMNS");
  SampleBlock block;
  for (std::int64_t d = 0; d < l.D; ++d) {
    block.read(file, l, d, path);
    costs.compute(l.lambda_column(d, 0), l.B);
    for (std::int64_t j = 0; j < l.B; ++j) {
      if (costs.cost[j] != 0.0) out.line(" lam_{}_{} obj {}", d, j, costs.cost[j]);
      out.line(" lam_{}_{} conv_{} {}", d, j, d, block.convexity_value(j));
      out.line(" lam_{}_{} cons_{}_{} {}", d, j, d, j / l.S, block.consistency_value(l, j));
    }
    report.entries += 2 * l.B;
  }
  costs.compute(0, l.M);
  for (std::int64_t a = 0; a < l.M; ++a) {
    if (costs.cost[a] != 0.0) out.line(" X_{} obj {}", a, costs.cost[a]);
    for (std::int64_t d = 0; d < l.D; ++d) out.line(" X_{} cons_{}_{} -1", a, d, a);
  }
  report.entries += l.D * l.M;
}

void write_rhs(MpsSink& out, const PolytopeLayout& l, const PolytopeSlices& file) {
  out.line("RHS");
  std::vector<double> b;
  for (std::int64_t d = 0; d < l.D; ++d) {
    file.read("/lp/b", l.convexity_row(d), l.rows_per_sample(), b);
    for (std::int64_t k = 0; k < l.rows_per_sample(); ++k) {
      if (b[k] == 0.0) continue;
      if (k == 0)
        out.line(" rhs conv_{} {}", d, b[k]);
      else
        out.line(" rhs cons_{}_{} {}", d, k - 1, b[k]);
    }
  }
}

// BOUNDS: only the face's fixed columns (every column is ≥ 0 by MPS's default).
void write_bounds(MpsSink& out, const PolytopeLayout& l, ColumnCosts& costs, MpsReport& report) {
  out.line("BOUNDS");
  for (std::int64_t d = 0; d < l.D; ++d) {
    costs.compute(l.lambda_column(d, 0), l.B);
    for (std::int64_t j = 0; j < l.B; ++j)
      if (costs.upper[j] == 0.0) {
        out.line(" FX bnd lam_{}_{} 0.0", d, j);  // "0.0": Clp reads a bare "0" as fixed-format MPS
        ++report.fixed_columns;
      } else if (std::isfinite(costs.upper[j])) {
        out.line(" UP bnd lam_{}_{} {}", d, j, costs.upper[j]);
      }
  }
}

}  // namespace

MpsReport write_mps(const std::string& polytope, const PolytopeMetadata& meta, const FaceInputs* face, FaceMode mode,
                    const std::string& out) {
  std::error_code ec;
  if (std::filesystem::exists(out, ec) && std::filesystem::equivalent(out, polytope, ec))
    fail("the MPS output {} is the polytope file itself; choose another name", out);
  if (std::filesystem::is_directory(out, ec)) fail("the MPS output {} is a directory", out);
  const PolytopeLayout& l = meta.layout;
  PolytopeSlices file(polytope);
  ColumnCosts costs{l, file, face, {}, {}, {}};
  if (face != nullptr) costs.objective = FaceObjective::make(mode, face->cost_template, face->x_costs);
  MpsReport report;
  report.rows = l.rows;
  report.columns = l.cols;
  MpsSink sink(out);
  report.gzip = out.ends_with(".gz");
  sink.line("* lpnn {} of {}: rows conv_<d>, cons_<d>_<a>; columns lam_<d>_<j> (bag d), X_<a> (linking)",
            face == nullptr ? "polytope LP" : "face LP", std::filesystem::path(polytope).filename().string());
  sink.line("NAME lpnn");
  write_rows(sink, l);
  write_columns(sink, l, polytope, file, costs, report);
  write_rhs(sink, l, file);
  if (face != nullptr) write_bounds(sink, l, costs, report);
  sink.line("ENDATA");
  sink.commit();
  return report;
}

}  // namespace lpnn
