// ISA-L's deflate under HDF5's deflate filter, for lpnn's compressed writes; files are unchanged.
//
// HDF5's deflate filter (H5Z_FILTER_DEFLATE) compresses each chunk by calling zlib's compress2. lpnn
// defines compress2 itself, and the dynamic linker binds libhdf5's call to the executable's definition
// before libz's (ELF symbol interposition; HDF5 does not let a program replace a predefined filter).
// Inside a FastDeflate scope, levels 1-3 are compressed by ISA-L's deflate at the same level; outside
// one, and for levels 0 and 4-9, by zlib's own compress2 (the next definition, dlsym(RTLD_NEXT)).
// Either way a chunk is a zlib stream (RFC 1950) under filter id 1 with the level HDF5 records, so
// h5py, PETSc's MatLoad and any other reader inflate it with zlib and no plugin. Only the writing
// speed changes: on XOR K = 3's shuffled 8.7 MB chunks ISA-L's level 1 deflates column indices at
// 5.2 GB/s and values at 7.6 GB/s on one core, zlib's level 1 at 0.44 and 0.59 GB/s; ISA-L's streams
// are also smaller (59 KB and 12 KB against 80 KB and 40 KB).
//
// Where the binding cannot happen (lpnn linked into a shared library that loads after libz), HDF5
// calls zlib: the files are the same kind, only slower to write. fast_deflate_chunks() counts the
// chunks ISA-L compressed, so a test or a report can tell which happened.
#pragma once

#include <cstdint>

namespace lpnn::h5 {

// While one exists on this thread, compress2 at levels 1-3 runs ISA-L. Nests.
class FastDeflate {
 public:
  FastDeflate();
  ~FastDeflate();
  FastDeflate(const FastDeflate&) = delete;
  FastDeflate& operator=(const FastDeflate&) = delete;
};

// While one exists on this thread, compress2 runs zlib's own deflate even inside a FastDeflate scope:
// for data whose matches zlib's lazy matching (level 3 and up) finds and ISA-L's greedy one does not,
// such as unshuffled costs (1.8x smaller at zlib's level 3 than at ISA-L's level 1, at 0.3 GB/s).
class ZlibDeflate {
 public:
  ZlibDeflate();
  ~ZlibDeflate();
  ZlibDeflate(const ZlibDeflate&) = delete;
  ZlibDeflate& operator=(const ZlibDeflate&) = delete;
};

// While one exists on this thread, compress2 keeps the last input it deflates and the stream: a call on
// the same bytes, at the same level and by the same deflate, returns a copy of that stream without
// deflating again (the costs' chunks, which repeat from sample to sample). The copy is compared byte
// for byte, so a different chunk is never answered from it. One chunk is kept per thread.
class RepeatedChunks {
 public:
  RepeatedChunks();
  ~RepeatedChunks();
  RepeatedChunks(const RepeatedChunks&) = delete;
  RepeatedChunks& operator=(const RepeatedChunks&) = delete;
};

// The scopes above open on the calling thread; SameScopes opens the same ones on another thread that
// deflates on its behalf (a chunk filter's worker), for as long as it lives.
struct DeflateScopes {
  int fast = 0, zlib = 0, repeated = 0;
};
DeflateScopes open_scopes();
class SameScopes {
 public:
  explicit SameScopes(const DeflateScopes& scopes);
  ~SameScopes();
  SameScopes(const SameScopes&) = delete;
  SameScopes& operator=(const SameScopes&) = delete;

 private:
  DeflateScopes scopes_;
};

// Chunks compressed by ISA-L in this process so far.
std::int64_t fast_deflate_chunks();
// Chunks answered from a RepeatedChunks scope's last stream so far.
std::int64_t repeated_chunks();

}  // namespace lpnn::h5
