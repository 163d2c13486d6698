// ISA-L under HDF5's deflate filter (hdf5/fast_deflate.hpp) and the ISA-L CRC-32 of the checksums,
// each against zlib as the independent oracle: every stream compress2 returns inflates with zlib's
// uncompress to its input; HDF5's own deflate filter reaches ISA-L inside a FastDeflate scope (counted)
// and zlib outside one, and the chunks it stores inflate with zlib to the shuffled data; crc32_of
// equals zlib's crc32 on every length; inside a ZlibDeflate scope the stream is zlib's, byte for byte;
// inside a RepeatedChunks scope a repeated chunk is deflated once.
#include <gtest/gtest.h>
#include <hdf5.h>
#include <zlib.h>

#include <cstdint>
#include <cstring>
#include <filesystem>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "lpnn/hdf5/checksum.hpp"
#include "lpnn/hdf5/fast_deflate.hpp"
#include "lpnn/hdf5/handles.hpp"

namespace {

using Bytes = std::vector<Bytef>;

// Column indices shaped like a polytope's: runs of consecutive integers with jumps, as int64 bytes.
Bytes column_like(std::size_t count, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<std::int64_t> v(count);
  std::int64_t c = 0;
  for (std::size_t i = 0; i < count; ++i) {
    c = (rng() % 64 == 0) ? static_cast<std::int64_t>(rng() % 100000000) : c + 1;
    v[i] = c;
  }
  const auto* p = reinterpret_cast<const Bytef*>(v.data());
  return Bytes(p, p + count * sizeof(std::int64_t));
}

Bytes random_bytes(std::size_t count, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  Bytes b(count);
  for (Bytef& x : b) x = static_cast<Bytef>(rng());
  return b;
}

// compress2 into a buffer of compressBound's size: the stream, and compress2's status.
Bytes deflated(const Bytes& in, int level, int& status) {
  uLongf size = compressBound(static_cast<uLong>(in.size()));
  Bytes z(size);
  status = compress2(z.data(), &size, in.data(), static_cast<uLong>(in.size()), level);
  z.resize(status == Z_OK ? size : 0);
  return z;
}
Bytes deflated(const Bytes& in, int level) {
  int status = Z_OK;
  Bytes z = deflated(in, level, status);
  EXPECT_EQ(status, Z_OK) << "level " << level;
  return z;
}

// compress2, then zlib's uncompress: the round trip's bytes.
Bytes round_trip(const Bytes& in, int level, int& status) {
  const Bytes z = deflated(in, level, status);
  if (status != Z_OK) return {};
  uLongf back_size = static_cast<uLongf>(in.size());
  Bytes back(in.size() + 1);
  EXPECT_EQ(uncompress(back.data(), &back_size, z.data(), static_cast<uLong>(z.size())), Z_OK);
  back.resize(back_size);
  return back;
}

std::vector<Bytes> inputs() {
  return {column_like(1 << 20, 1),  column_like(3, 2), Bytes(5000000, 7),
          random_bytes(1 << 16, 3), Bytes(1, 42),      Bytes{}};
}

TEST(FastDeflate, EveryStreamInflatesWithZlib) {
  const lpnn::h5::FastDeflate scope;
  for (int level : {1, 2, 3, 6, 9}) {
    const std::int64_t before = lpnn::h5::fast_deflate_chunks();
    const std::vector<Bytes> all = inputs();
    for (std::size_t k = 0; k < all.size(); ++k) {
      int status = Z_OK;
      EXPECT_EQ(round_trip(all[k], level, status), all[k]) << "level " << level << ", input " << k;
      EXPECT_EQ(status, Z_OK) << "level " << level << ", input " << k;
    }
    // Levels 1-3 are ISA-L's (every input), 4-9 zlib's.
    EXPECT_EQ(lpnn::h5::fast_deflate_chunks() - before, level <= 3 ? static_cast<std::int64_t>(all.size()) : 0);
  }
}

TEST(FastDeflate, OutsideAScopeItIsZlib) {
  const std::int64_t before = lpnn::h5::fast_deflate_chunks();
  int status = Z_OK;
  const Bytes in = column_like(1 << 18, 5);
  EXPECT_EQ(round_trip(in, 1, status), in);
  EXPECT_EQ(lpnn::h5::fast_deflate_chunks(), before);
}

// zlib's deflate through its stream API, the way zlib's compress2 runs it: the oracle of the zlib path.
Bytes zlib_deflate(const Bytes& in, int level) {
  z_stream stream{};
  EXPECT_EQ(deflateInit(&stream, level), Z_OK);
  Bytes out(deflateBound(&stream, static_cast<uLong>(in.size())));
  stream.next_in = const_cast<Bytef*>(in.data());
  stream.avail_in = static_cast<uInt>(in.size());
  stream.next_out = out.data();
  stream.avail_out = static_cast<uInt>(out.size());
  EXPECT_EQ(deflate(&stream, Z_FINISH), Z_STREAM_END);
  out.resize(stream.total_out);
  deflateEnd(&stream);
  return out;
}

// Inside a ZlibDeflate scope compress2 is zlib's own even within a FastDeflate scope, at every level:
// the stream is byte for byte zlib's, and ISA-L counts nothing.
TEST(FastDeflate, ZlibScopeIsZlibsDeflateByteForByte) {
  const lpnn::h5::FastDeflate fast;
  const Bytes in = column_like(1 << 18, 11);
  for (int level : {1, 3, 6}) {
    std::optional<lpnn::h5::ZlibDeflate> zlib;
    zlib.emplace();
    const std::int64_t before = lpnn::h5::fast_deflate_chunks();
    EXPECT_EQ(deflated(in, level), zlib_deflate(in, level)) << "level " << level;
    EXPECT_EQ(lpnn::h5::fast_deflate_chunks(), before) << "level " << level;
    // Not vacuous: once the scope ends, levels 1-3 are ISA-L's again, whose stream is not zlib's.
    zlib.reset();
    EXPECT_EQ(deflated(in, level) != zlib_deflate(in, level), level <= 3) << "level " << level;
  }
}

// Inside a RepeatedChunks scope a chunk equal to the last one gets the last stream back without being
// deflated again; a chunk that differs in its last byte, or another level, is deflated afresh, and
// every stream inflates with zlib to its own input.
TEST(FastDeflate, RepeatedChunksAreDeflatedOnce) {
  const lpnn::h5::FastDeflate fast;
  const Bytes chunk = column_like(1 << 18, 13);
  Bytes other = chunk;
  other.back() ^= 1;
  const auto inflates_to = [](const Bytes& z, const Bytes& in) {
    uLongf size = static_cast<uLongf>(in.size());
    Bytes back(in.size());
    return uncompress(back.data(), &size, z.data(), static_cast<uLong>(z.size())) == Z_OK && back == in;
  };
  std::optional<lpnn::h5::RepeatedChunks> scope;
  scope.emplace();
  const std::int64_t isal = lpnn::h5::fast_deflate_chunks(), repeats = lpnn::h5::repeated_chunks();
  const Bytes first = deflated(chunk, 1);
  EXPECT_EQ(deflated(chunk, 1), first);
  EXPECT_EQ(deflated(chunk, 1), first);
  EXPECT_EQ(lpnn::h5::repeated_chunks() - repeats, 2);
  EXPECT_EQ(lpnn::h5::fast_deflate_chunks() - isal, 1);
  EXPECT_TRUE(inflates_to(deflated(other, 1), other));  // differs in one byte: deflated afresh
  EXPECT_TRUE(inflates_to(deflated(other, 2), other));  // another level: deflated afresh
  EXPECT_EQ(lpnn::h5::repeated_chunks() - repeats, 2);
  EXPECT_EQ(lpnn::h5::fast_deflate_chunks() - isal, 3);
  EXPECT_TRUE(inflates_to(first, chunk));
  // Outside the scope nothing is answered from the last stream.
  scope.reset();
  EXPECT_TRUE(inflates_to(deflated(other, 2), other));
  EXPECT_EQ(lpnn::h5::repeated_chunks() - repeats, 2);
  EXPECT_EQ(lpnn::h5::fast_deflate_chunks() - isal, 4);
}

// compress2's contract for a destination too small: Z_BUF_ERROR, on both paths.
TEST(FastDeflate, TooSmallDestinationIsABufferError) {
  const Bytes in = random_bytes(1 << 16, 9);
  for (bool fast : {true, false}) {
    std::optional<lpnn::h5::FastDeflate> scope;
    if (fast) scope.emplace();
    Bytes z(in.size() / 2);
    uLongf size = static_cast<uLongf>(z.size());
    EXPECT_EQ(compress2(z.data(), &size, in.data(), static_cast<uLong>(in.size()), 1), Z_BUF_ERROR) << fast;
  }
}

// HDF5's deflate filter goes through compress2: inside a scope every chunk is ISA-L's, and what the file
// stores is a zlib stream of the shuffled chunk, read back by HDF5 to the values written.
TEST(FastDeflate, HdfChunksAreIsalsAndInflateWithZlib) {
  lpnn::h5::quiet_errors();
  const std::string path = (std::filesystem::temp_directory_path() / "lpnn_fast_deflate_test.h5").string();
  const Bytes bytes = column_like(3 * 100000, 11);
  std::vector<std::int64_t> values(bytes.size() / 8);
  std::memcpy(values.data(), bytes.data(), bytes.size());
  for (bool fast : {true, false}) {
    const std::int64_t before = lpnn::h5::fast_deflate_chunks();
    {
      std::optional<lpnn::h5::FastDeflate> scope;
      if (fast) scope.emplace();
      lpnn::h5::Handle file(H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT), H5Fclose, path);
      const hsize_t n = values.size(), chunk = 100000;
      lpnn::h5::Handle space(H5Screate_simple(1, &n, nullptr), H5Sclose, "space");
      lpnn::h5::Handle dcpl(H5Pcreate(H5P_DATASET_CREATE), H5Pclose, "dcpl");
      H5Pset_chunk(dcpl, 1, &chunk);
      H5Pset_shuffle(dcpl);
      H5Pset_deflate(dcpl, 1);
      lpnn::h5::Handle set(H5Dcreate2(file, "v", H5T_STD_I64LE, space, H5P_DEFAULT, dcpl, H5P_DEFAULT), H5Dclose, "v");
      ASSERT_GE(H5Dwrite(set, H5T_NATIVE_INT64, H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data()), 0);
    }
    EXPECT_EQ(lpnn::h5::fast_deflate_chunks() - before, fast ? 3 : 0) << "the interposed compress2 was not called";
    lpnn::h5::Handle file(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), H5Fclose, path);
    lpnn::h5::Handle set(H5Dopen2(file, "v", H5P_DEFAULT), H5Dclose, "v");
    std::vector<std::int64_t> back(values.size());
    ASSERT_GE(H5Dread(set, H5T_NATIVE_INT64, H5S_ALL, H5S_ALL, H5P_DEFAULT, back.data()), 0);
    EXPECT_EQ(back, values);
    // The second chunk as stored: zlib inflates it to the shuffled bytes (byte j of element i at j·n + i).
    const hsize_t offset = 100000;
    hsize_t stored = 0;
    ASSERT_GE(H5Dget_chunk_storage_size(set, &offset, &stored), 0);
    Bytes raw(stored);
    std::uint32_t mask = 0;
    ASSERT_GE(H5Dread_chunk(set, H5P_DEFAULT, &offset, &mask, raw.data()), 0);
    EXPECT_EQ(mask, 0u);
    Bytes shuffled(100000 * 8), inflated(shuffled.size());
    for (std::size_t i = 0; i < 100000; ++i)
      for (std::size_t j = 0; j < 8; ++j) shuffled[j * 100000 + i] = bytes[(100000 + i) * 8 + j];
    uLongf size = static_cast<uLongf>(inflated.size());
    ASSERT_EQ(uncompress(inflated.data(), &size, raw.data(), static_cast<uLong>(raw.size())), Z_OK);
    EXPECT_EQ(inflated, shuffled);
    // And it is compact: within 1.5x of zlib's level 1 on the same shuffled bytes (ISA-L's are smaller
    // on such data; a misconfigured window once made them 20x larger, still valid).
    uLongf zlib_size = compressBound(static_cast<uLong>(shuffled.size()));
    Bytes z(zlib_size);
    ASSERT_EQ(compress2(z.data(), &zlib_size, shuffled.data(), static_cast<uLong>(shuffled.size()), 1), Z_OK);
    EXPECT_LE(static_cast<double>(stored), 1.5 * static_cast<double>(zlib_size)) << zlib_size;
  }
  std::filesystem::remove(path);
}

TEST(Checksum, Crc32IsZlibsOnEveryLength) {
  const Bytes data = random_bytes(3 << 20, 17);
  for (std::size_t length : {std::size_t{0}, std::size_t{1}, std::size_t{7}, std::size_t{64}, std::size_t{4099},
                             std::size_t{1 << 20}, data.size()}) {
    const uLong zlib = crc32(crc32(0L, Z_NULL, 0), data.data(), static_cast<uInt>(length));
    EXPECT_EQ(lpnn::crc32_of(data.data(), static_cast<std::int64_t>(length)), static_cast<std::uint32_t>(zlib))
        << length;
  }
}

}  // namespace
