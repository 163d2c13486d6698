#include "lpnn/hdf5/fast_deflate.hpp"

#include <dlfcn.h>
#include <isa-l/igzip_lib.h>
#include <zlib.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstring>
#include <limits>
#include <vector>

namespace lpnn::h5 {

namespace {

thread_local int fast_scopes = 0, zlib_scopes = 0, repeat_scopes = 0;
std::atomic<std::int64_t> isal_chunks{0}, repeats{0};

// The last input compress2 deflated in a RepeatedChunks scope, how, and its stream. Kept when the
// scope ends (one chunk's bytes), so the next scope's first chunk may repeat it too.
struct LastChunk {
  std::vector<Bytef> input, stream;
  int level = -1;
  bool isal = false;
};
thread_local LastChunk last_chunk;

bool repeats_last(const Bytef* source, uLong n, int level, bool isal) {
  return repeat_scopes > 0 && last_chunk.level == level && last_chunk.isal == isal && last_chunk.input.size() == n &&
         std::memcmp(last_chunk.input.data(), source, n) == 0;
}

// ISA-L's working buffer for `level` (1-3) at its default size, kept per thread between chunks.
std::vector<std::uint8_t>& level_buffer(int level) {
  static thread_local std::vector<std::uint8_t> buffers[ISAL_DEF_MAX_LEVEL + 1];
  static constexpr std::size_t sizes[] = {ISAL_DEF_LVL0_DEFAULT, ISAL_DEF_LVL1_DEFAULT, ISAL_DEF_LVL2_DEFAULT,
                                          ISAL_DEF_LVL3_DEFAULT};
  std::vector<std::uint8_t>& b = buffers[level];
  if (b.size() != sizes[level]) b.resize(sizes[level]);
  return b;
}

// One zlib stream of source[0, n) by ISA-L; Z_BUF_ERROR when it does not fit dest (compress2's contract).
int isal_compress(Bytef* dest, uLongf* dest_len, const Bytef* source, uLong n, int level) {
  // Zeroed first: the init leaves fields it does not use itself (hist_bits, the window) as they were.
  isal_zstream stream{};
  isal_deflate_stateless_init(&stream);
  std::vector<std::uint8_t>& buffer = level_buffer(level);
  stream.level = static_cast<std::uint32_t>(level);
  stream.level_buf = buffer.data();
  stream.level_buf_size = static_cast<std::uint32_t>(buffer.size());
  stream.gzip_flag = IGZIP_ZLIB;
  stream.next_in = const_cast<Bytef*>(source);  // ISA-L's field is not const; it only reads
  stream.avail_in = static_cast<std::uint32_t>(n);
  stream.next_out = dest;
  stream.avail_out = static_cast<std::uint32_t>(std::min<uLongf>(*dest_len, std::numeric_limits<std::uint32_t>::max()));
  stream.end_of_stream = 1;
  stream.flush = NO_FLUSH;
  if (isal_deflate_stateless(&stream) != COMP_OK) return Z_BUF_ERROR;
  *dest_len = stream.total_out;
  isal_chunks.fetch_add(1, std::memory_order_relaxed);
  return Z_OK;
}

// zlib's own compress2: the next definition after this program's (libz's), looked up once.
int zlib_compress(Bytef* dest, uLongf* dest_len, const Bytef* source, uLong n, int level) {
  using Compress2 = int (*)(Bytef*, uLongf*, const Bytef*, uLong, int);
  static const auto zlib_compress2 = reinterpret_cast<Compress2>(dlsym(RTLD_NEXT, "compress2"));
  return zlib_compress2 ? zlib_compress2(dest, dest_len, source, n, level) : Z_STREAM_ERROR;
}

}  // namespace

FastDeflate::FastDeflate() { ++fast_scopes; }
FastDeflate::~FastDeflate() { --fast_scopes; }
ZlibDeflate::ZlibDeflate() { ++zlib_scopes; }
ZlibDeflate::~ZlibDeflate() { --zlib_scopes; }
RepeatedChunks::RepeatedChunks() { ++repeat_scopes; }
RepeatedChunks::~RepeatedChunks() { --repeat_scopes; }

DeflateScopes open_scopes() { return {fast_scopes, zlib_scopes, repeat_scopes}; }
SameScopes::SameScopes(const DeflateScopes& scopes) : scopes_(scopes) {
  fast_scopes += scopes.fast;
  zlib_scopes += scopes.zlib;
  repeat_scopes += scopes.repeated;
}
SameScopes::~SameScopes() {
  fast_scopes -= scopes_.fast;
  zlib_scopes -= scopes_.zlib;
  repeat_scopes -= scopes_.repeated;
}

std::int64_t repeated_chunks() { return repeats.load(std::memory_order_relaxed); }

std::int64_t fast_deflate_chunks() { return isal_chunks.load(std::memory_order_relaxed); }

}  // namespace lpnn::h5

// zlib's compress2, as libhdf5's deflate filter calls it (fast_deflate.hpp). Same contract: Z_OK with
// *destLen the stream's size, Z_BUF_ERROR when dest is too small, Z_STREAM_ERROR for a bad level.
extern "C" __attribute__((visibility("default"))) int compress2(Bytef* dest, uLongf* destLen, const Bytef* source,
                                                                uLong sourceLen, int level) {
  const bool isal = lpnn::h5::fast_scopes > 0 && lpnn::h5::zlib_scopes == 0 && level >= 1 &&
                    level <= ISAL_DEF_MAX_LEVEL && sourceLen <= std::numeric_limits<std::uint32_t>::max();
  using lpnn::h5::last_chunk;
  if (lpnn::h5::repeats_last(source, sourceLen, level, isal)) {
    if (*destLen < last_chunk.stream.size()) return Z_BUF_ERROR;
    std::memcpy(dest, last_chunk.stream.data(), last_chunk.stream.size());
    *destLen = static_cast<uLongf>(last_chunk.stream.size());
    lpnn::h5::repeats.fetch_add(1, std::memory_order_relaxed);
    return Z_OK;
  }
  const int status = isal ? lpnn::h5::isal_compress(dest, destLen, source, sourceLen, level)
                          : lpnn::h5::zlib_compress(dest, destLen, source, sourceLen, level);
  if (lpnn::h5::repeat_scopes > 0 && status == Z_OK) {
    last_chunk.input.assign(source, source + sourceLen);
    last_chunk.stream.assign(dest, dest + *destLen);
    last_chunk.level = level;
    last_chunk.isal = isal;
  }
  return status;
}
