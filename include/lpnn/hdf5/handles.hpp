// RAII for HDF5 identifiers and the small typed helpers the polytope file is written and read with.
#pragma once

#include <hdf5.h>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace lpnn::h5 {

class Handle {
 public:
  using Closer = herr_t (*)(hid_t);
  Handle() = default;
  Handle(hid_t id, Closer closer, const std::string& what);  // throws lpnn::Error if id < 0
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;
  Handle(Handle&& o) noexcept : id_(std::exchange(o.id_, -1)), closer_(o.closer_) {}
  Handle& operator=(Handle&& o) noexcept {
    if (this != &o) {
      close();
      id_ = std::exchange(o.id_, -1);
      closer_ = o.closer_;
    }
    return *this;
  }
  ~Handle() { close(); }
  herr_t close();
  // Gives up the identifier without closing it: for a file whose close is collective, on a rank that
  // cannot know its peers will close it too.
  hid_t release() { return std::exchange(id_, -1); }
  hid_t get() const { return id_; }
  operator hid_t() const { return id_; }  // NOLINT: pass straight to HDF5 calls

 private:
  hid_t id_ = -1;
  Closer closer_ = nullptr;
};

// Silences HDF5's automatic error-stack printing; lpnn reports errors itself.
void quiet_errors();
void check(herr_t status, const std::string& what);  // throws lpnn::Error for status < 0

bool exists(hid_t location, const std::string& path);
void write_attribute(hid_t object, const std::string& name, std::int64_t value);
void write_attribute(hid_t object, const std::string& name, double value);
void write_attribute(hid_t object, const std::string& name, const std::string& value);
std::int64_t read_int_attribute(hid_t object, const std::string& name);
double read_double_attribute(hid_t object, const std::string& name);
std::string read_string_attribute(hid_t object, const std::string& name);

// The extent of a dataset of rank `rank`, each dimension as int64 and their product checked: a file
// may declare any hsize_t (2^64-1), which must be refused, not wrapped. `what` names the dataset.
std::vector<std::int64_t> extent(hid_t dataset, int rank, const std::string& what);
std::int64_t element_count(const std::vector<std::int64_t>& extent, const std::string& what);

template <typename T>
hid_t native_type();

// Opens (or creates, truncating) `path` for parallel I/O through MPI-IO on `comm`. Collective.
// `chunked` (a compressed file): create with HDF5 1.10's file format, whose fixed-array chunk index is
// written in place (no B-tree splits that move the entries of chunks already on disk; readers need
// HDF5 >= 1.10), and pack chunks without the 1 MiB alignment of contiguous datasets.
Handle open_parallel(MPI_Comm comm, const std::string& path, bool create, bool chunked = false);

}  // namespace lpnn::h5
