// hdf5/chunk_writer.hpp against HDF5 itself, at 1, 2 and 4 ranks. The oracles: a byte loop written here
// for HDF5's shuffle, and HDF5's own filter pipeline, which writes the same data to a twin dataset in
// the same file through H5Dwrite: every stored chunk of the two must be equal byte for byte (and carry
// filter mask 0), and both must read back, through HDF5's inflate and unshuffle, as the data written.
#include <gtest/gtest.h>
#include <hdf5.h>
#include <mpi.h>
#include <zlib.h>

#include <algorithm>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "lpnn/hdf5/chunk_writer.hpp"
#include "lpnn/hdf5/fast_deflate.hpp"
#include "lpnn/hdf5/handles.hpp"
#include "mpi_test_helpers.hpp"

namespace {

using lpnn::test::TempDir;
using lpnn::test::world_rank;
using lpnn::test::world_size;

using Bytes = std::vector<std::uint8_t>;

// HDF5's shuffle as its filter defines it, one byte at a time.
Bytes reference_shuffle(const Bytes& in, std::size_t size) {
  const std::size_t n = size > 0 ? in.size() / size : 0;
  if (size <= 1 || n <= 1) return in;
  Bytes out(in.size());
  for (std::size_t k = 0; k < size; ++k)
    for (std::size_t e = 0; e < n; ++e) out[k * n + e] = in[e * size + k];
  std::copy(in.begin() + static_cast<std::ptrdiff_t>(n * size), in.end(),
            out.begin() + static_cast<std::ptrdiff_t>(n * size));
  return out;
}

TEST(ChunkWriter, ShuffleIsHdf5sShuffleAndUnshuffleUndoesIt) {
  std::mt19937_64 rng(7);
  for (std::size_t size : {1, 2, 3, 4, 8, 16})
    for (std::size_t bytes : {0, 1, 7, 8, 9, 15, 16, 17, 127, 128, 129, 255, 256, 257, 1000, 4096 + 13, 65536}) {
      Bytes in(bytes), shuffled(bytes), back(bytes);
      for (std::uint8_t& b : in) b = static_cast<std::uint8_t>(rng());
      lpnn::h5::shuffle_bytes(in.data(), bytes, size, shuffled.data());
      EXPECT_EQ(shuffled, reference_shuffle(in, size)) << size << "-byte elements, " << bytes << " bytes";
      lpnn::h5::unshuffle_bytes(shuffled.data(), bytes, size, back.data());
      EXPECT_EQ(back, in) << size << "-byte elements, " << bytes << " bytes";
    }
}

struct Twin {
  hid_t type;
  std::size_t element;
  bool shuffle;
  int level;
};

lpnn::h5::Handle create(hid_t file, const char* name, const Twin& t, hsize_t size, hsize_t chunk) {
  lpnn::h5::Handle space(H5Screate_simple(1, &size, nullptr), H5Sclose, "H5Screate_simple");
  lpnn::h5::Handle dcpl(H5Pcreate(H5P_DATASET_CREATE), H5Pclose, "H5Pcreate");
  lpnn::h5::check(H5Pset_chunk(dcpl, 1, &chunk), "H5Pset_chunk");
  if (t.shuffle) lpnn::h5::check(H5Pset_shuffle(dcpl), "H5Pset_shuffle");
  lpnn::h5::check(H5Pset_deflate(dcpl, static_cast<unsigned>(t.level)), "H5Pset_deflate");
  return lpnn::h5::Handle(H5Dcreate2(file, name, t.type, space, H5P_DEFAULT, dcpl, H5P_DEFAULT), H5Dclose, name);
}

// Ranks take whole chunks in turn, unevenly (rank r gets r + 1 chunks, wrapping), the last rank's range
// ends at the dataset's end (a partial edge chunk), and at 4 ranks some ranks get nothing.
std::pair<std::int64_t, std::int64_t> range_of(int rank, int ranks, std::int64_t chunks, std::int64_t chunk,
                                               std::int64_t size) {
  std::int64_t first = 0;
  for (int r = 0; r < rank; ++r) first = std::min(chunks, first + r + 1);
  const std::int64_t end = rank == ranks - 1 ? chunks : std::min(chunks, first + rank + 1);
  return {std::min(size, first * chunk), std::min(size, end * chunk) - std::min(size, first * chunk)};
}

// The twins, written with `threads` filter threads on each rank.
void check_twins(int threads) {
  TempDir dir;
  const int rank = world_rank(), ranks = world_size();
  const std::int64_t chunk = 3000, chunks = 6, size = chunks * chunk - 1234;  // the last chunk partial
  const Twin twins[] = {{H5T_NATIVE_DOUBLE, 8, true, 1},
                        {H5T_NATIVE_INT64, 8, true, 3},
                        {H5T_NATIVE_INT32, 4, true, 1},
                        {H5T_NATIVE_DOUBLE, 8, false, 6}};
  // Column-index-like and ±1-like data: what the polytope's chunks hold.
  std::vector<double> values(static_cast<std::size_t>(size));
  std::vector<std::int64_t> columns(values.size());
  std::vector<std::int32_t> narrow(values.size());
  for (std::size_t i = 0; i < values.size(); ++i) {
    values[i] = i % 7 == 0 ? -1.0 : 1.0;
    columns[i] = static_cast<std::int64_t>(1000 + i + i / 97);
    narrow[i] = static_cast<std::int32_t>(i / 3);
  }
  const std::string path = dir.file("twins.h5");
  const auto [offset, count] = range_of(rank, ranks, chunks, chunk, size);
  {
    const lpnn::h5::FastDeflate fast;  // as the writer runs: levels 1-3 by ISA-L, for both twins
    lpnn::h5::Handle file = lpnn::h5::open_parallel(MPI_COMM_WORLD, path, true, true);
    lpnn::h5::Handle collective(H5Pcreate(H5P_DATASET_XFER), H5Pclose, "H5Pcreate");
    lpnn::h5::check(H5Pset_dxpl_mpio(collective, H5FD_MPIO_COLLECTIVE), "H5Pset_dxpl_mpio");
    lpnn::h5::ChunkWriter writer;
    writer.set_threads(threads);
    ASSERT_EQ(writer.threads(), threads);
    for (std::size_t t = 0; t < std::size(twins); ++t) {
      const Twin& twin = twins[t];
      const void* data = twin.element == 4               ? static_cast<const void*>(narrow.data())
                         : twin.type == H5T_NATIVE_INT64 ? static_cast<const void*>(columns.data())
                                                         : static_cast<const void*>(values.data());
      const auto* at = static_cast<const std::uint8_t*>(data) + offset * static_cast<std::int64_t>(twin.element);
      const std::string name = "/t" + std::to_string(t);
      lpnn::h5::Handle by_hdf5 = create(file, (name + "_hdf5").c_str(), twin, size, chunk);
      lpnn::h5::Handle by_lpnn = create(file, (name + "_lpnn").c_str(), twin, size, chunk);
      lpnn::h5::Handle filespace(H5Dget_space(by_hdf5), H5Sclose, "H5Dget_space");
      const hsize_t start = static_cast<hsize_t>(offset), n = static_cast<hsize_t>(std::max<std::int64_t>(count, 1));
      lpnn::h5::Handle memspace(H5Screate_simple(1, &n, nullptr), H5Sclose, "H5Screate_simple");
      if (count > 0) {
        lpnn::h5::check(H5Sselect_hyperslab(filespace, H5S_SELECT_SET, &start, nullptr, &n, nullptr), "hyperslab");
      } else {
        lpnn::h5::check(H5Sselect_none(filespace), "H5Sselect_none");
        lpnn::h5::check(H5Sselect_none(memspace), "H5Sselect_none");
      }
      ASSERT_GE(H5Dwrite(by_hdf5, twin.type, memspace, filespace, collective, at), 0);
      const lpnn::h5::ChunkPipeline pipeline = lpnn::h5::chunk_pipeline(by_lpnn, twin.type);
      ASSERT_TRUE(pipeline.applicable);
      EXPECT_EQ(pipeline.shuffle, twin.shuffle);
      EXPECT_EQ(pipeline.level, twin.level);
      EXPECT_TRUE(writer.write(MPI_COMM_WORLD, by_lpnn, pipeline, offset, count, at));
      // The range's CRC-32, taken while shuffling: zlib's own crc32 of the same bytes.
      const uLong expected_crc = crc32(0L, at, static_cast<uInt>(count * static_cast<std::int64_t>(twin.element)));
      EXPECT_EQ(writer.range_crc(), static_cast<std::uint32_t>(expected_crc)) << "twin " << t;
      // A range that is not whole chunks on one rank: nothing written, false on every rank.
      const bool misaligned_here = rank == ranks - 1;
      EXPECT_FALSE(writer.write(MPI_COMM_WORLD, by_lpnn, pipeline, misaligned_here ? 1 : offset,
                                misaligned_here ? 1 : count, at));
    }
    std::int64_t mine = writer.chunks_written(), all = 0;
    MPI_Allreduce(&mine, &all, 1, MPI_INT64_T, MPI_SUM, MPI_COMM_WORLD);
    EXPECT_EQ(all, chunks * static_cast<std::int64_t>(std::size(twins)));
  }
  MPI_Barrier(MPI_COMM_WORLD);
  if (rank != 0) return;
  lpnn::h5::Handle file(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), H5Fclose, "opening " + path);
  for (std::size_t t = 0; t < std::size(twins); ++t) {
    const std::string name = "/t" + std::to_string(t);
    lpnn::h5::Handle a(H5Dopen2(file, (name + "_hdf5").c_str(), H5P_DEFAULT), H5Dclose, name);
    lpnn::h5::Handle b(H5Dopen2(file, (name + "_lpnn").c_str(), H5P_DEFAULT), H5Dclose, name);
    for (std::int64_t c = 0; c < chunks; ++c) {
      const hsize_t at = static_cast<hsize_t>(c * chunk);
      hsize_t size_a = 0, size_b = 0;
      ASSERT_GE(H5Dget_chunk_storage_size(a, &at, &size_a), 0);
      ASSERT_GE(H5Dget_chunk_storage_size(b, &at, &size_b), 0);
      Bytes stored_a(size_a), stored_b(size_b);
      std::uint32_t mask_a = 1, mask_b = 1;
      ASSERT_GE(H5Dread_chunk(a, H5P_DEFAULT, &at, &mask_a, stored_a.data()), 0);
      ASSERT_GE(H5Dread_chunk(b, H5P_DEFAULT, &at, &mask_b, stored_b.data()), 0);
      EXPECT_EQ(mask_b, 0u) << name << " chunk " << c;
      EXPECT_EQ(mask_a, mask_b) << name << " chunk " << c;
      EXPECT_EQ(stored_b, stored_a) << name << " chunk " << c << ": " << size_b << " vs HDF5's " << size_a << " bytes";
    }
    const Twin& twin = twins[t];
    Bytes read_a(static_cast<std::size_t>(size) * twin.element), read_b(read_a.size());
    ASSERT_GE(H5Dread(a, twin.type, H5S_ALL, H5S_ALL, H5P_DEFAULT, read_a.data()), 0);
    ASSERT_GE(H5Dread(b, twin.type, H5S_ALL, H5S_ALL, H5P_DEFAULT, read_b.data()), 0);
    const void* data = twin.element == 4               ? static_cast<const void*>(narrow.data())
                       : twin.type == H5T_NATIVE_INT64 ? static_cast<const void*>(columns.data())
                                                       : static_cast<const void*>(values.data());
    const auto* expected = static_cast<const std::uint8_t*>(data);
    EXPECT_TRUE(std::equal(read_b.begin(), read_b.end(), expected)) << name << " read back";
    EXPECT_EQ(read_a, read_b) << name;
  }
}

TEST(ChunkWriter, WholeChunksAreHdf5sChunksByteForByte) { check_twins(1); }

// Threads filter contiguous runs of a rank's chunks (up to 5 of 6 here): the same streams, and each
// worker deflates by ISA-L as the calling thread does (else its streams differ from HDF5's).
TEST(ChunkWriter, ThreadsStoreTheSameChunks) { check_twins(3); }

// A dataset lpnn cannot filter itself (another filter, or no deflate) is left to H5Dwrite.
TEST(ChunkWriter, OtherPipelinesAreNotApplicable) {
  TempDir dir;
  lpnn::h5::Handle file = lpnn::h5::open_parallel(MPI_COMM_WORLD, dir.file("other.h5"), true, true);
  const hsize_t size = 100, chunk = 10;
  lpnn::h5::Handle space(H5Screate_simple(1, &size, nullptr), H5Sclose, "H5Screate_simple");
  lpnn::h5::Handle shuffle_only(H5Pcreate(H5P_DATASET_CREATE), H5Pclose, "H5Pcreate");
  lpnn::h5::check(H5Pset_chunk(shuffle_only, 1, &chunk), "H5Pset_chunk");
  lpnn::h5::check(H5Pset_shuffle(shuffle_only), "H5Pset_shuffle");
  lpnn::h5::Handle set(H5Dcreate2(file, "s", H5T_NATIVE_DOUBLE, space, H5P_DEFAULT, shuffle_only, H5P_DEFAULT),
                       H5Dclose, "s");
  EXPECT_FALSE(lpnn::h5::chunk_pipeline(set, H5T_NATIVE_DOUBLE).applicable);
  lpnn::h5::Handle deflated(H5Pcreate(H5P_DATASET_CREATE), H5Pclose, "H5Pcreate");
  lpnn::h5::check(H5Pset_chunk(deflated, 1, &chunk), "H5Pset_chunk");
  lpnn::h5::check(H5Pset_deflate(deflated, 1), "H5Pset_deflate");
  lpnn::h5::Handle d(H5Dcreate2(file, "d", H5T_NATIVE_DOUBLE, space, H5P_DEFAULT, deflated, H5P_DEFAULT), H5Dclose,
                     "d");
  EXPECT_TRUE(lpnn::h5::chunk_pipeline(d, H5T_NATIVE_DOUBLE).applicable);
  EXPECT_FALSE(lpnn::h5::chunk_pipeline(d, H5T_NATIVE_INT32).applicable);  // memory type != file type
}

}  // namespace
