#include "lpnn/hdf5/checksum.hpp"

#include <isa-l/crc.h>
#include <zlib.h>

#include <algorithm>

#include "lpnn/bags/layout.hpp"
#include "lpnn/hdf5/handles.hpp"
#include "lpnn/hdf5/reader.hpp"
#include "lpnn/util/error.hpp"
#include "lpnn/util/mpi.hpp"
#include "lpnn/util/phase.hpp"
#include "lpnn/util/units.hpp"

namespace lpnn {

// The CRC-32 of zlib's crc32 (IEEE, reflected), computed by ISA-L with carry-less multiplication: about
// 10x zlib's speed, which matters when the CRC of every written byte runs beside the write.
std::uint32_t crc32_of(const void* data, std::int64_t bytes) {
  return bytes > 0 ? crc32_gzip_refl(0, static_cast<const unsigned char*>(data), static_cast<std::uint64_t>(bytes)) : 0;
}

std::uint32_t crc32_update(std::uint32_t crc, const void* data, std::int64_t bytes) {
  return bytes > 0 ? crc32_gzip_refl(crc, static_cast<const unsigned char*>(data), static_cast<std::uint64_t>(bytes))
                   : crc;
}

std::uint32_t crc32_join(std::uint32_t crc_a, std::uint32_t crc_b, std::int64_t bytes_b) {
  return static_cast<std::uint32_t>(crc32_combine64(crc_a, crc_b, static_cast<z_off64_t>(bytes_b)));
}

std::uint32_t combine_pieces(MPI_Comm comm, const std::vector<CrcPiece>& mine, std::int64_t total) {
  int ranks = 1;
  LPNN_MPI(MPI_Comm_size(comm, &ranks));
  // Pieces travel as int64 triples.
  std::vector<std::int64_t> flat;
  for (const CrcPiece& p : mine)
    if (p.length > 0) flat.insert(flat.end(), {p.offset, p.length, static_cast<std::int64_t>(p.crc)});
  int count = checked_int(static_cast<std::int64_t>(flat.size()), "this rank's checksum pieces");
  std::vector<int> counts(ranks), displs(ranks);
  LPNN_MPI(MPI_Allgather(&count, 1, MPI_INT, counts.data(), 1, MPI_INT, comm));
  int all = 0;
  for (int r = 0; r < ranks; ++r) {
    displs[r] = all;
    all += counts[r];
  }
  std::vector<std::int64_t> gathered(static_cast<std::size_t>(all));
  LPNN_MPI(MPI_Allgatherv(flat.data(), count, MPI_INT64_T, gathered.data(), counts.data(), displs.data(), MPI_INT64_T,
                          comm));
  std::vector<CrcPiece> pieces;
  for (int k = 0; k + 2 < all; k += 3)
    pieces.push_back({gathered[k], gathered[k + 1], static_cast<std::uint32_t>(gathered[k + 2])});
  std::sort(pieces.begin(), pieces.end(), [](const CrcPiece& a, const CrcPiece& b) { return a.offset < b.offset; });
  uLong crc = crc32(0L, Z_NULL, 0);
  std::int64_t covered = 0;
  for (const CrcPiece& p : pieces) {
    if (p.offset != covered)
      fail("internal: checksum pieces do not tile the dataset (gap or overlap at byte {})", covered);
    crc = crc32_combine64(crc, p.crc, static_cast<z_off64_t>(p.length));
    covered += p.length;
  }
  if (covered != total) fail("internal: checksum pieces cover {} of {} bytes", covered, total);
  return static_cast<std::uint32_t>(crc);
}

namespace {

// This rank's slice of one dataset as CRC pieces, and the checksum the file records for the dataset.
std::vector<CrcPiece> checksum_slice(hid_t file, const std::string& path, const DatasetSpec& dataset, int rank,
                                     int ranks, std::int64_t& stored) {
  const std::string& name = dataset.name;
  h5::Handle set(H5Dopen2(file, name.c_str(), H5P_DEFAULT), H5Dclose, "opening " + name);
  if (H5Aexists(set, "crc32") <= 0) fail("{}: the dataset {} has no crc32 attribute; rebuild the file", path, name);
  stored = h5::read_int_attribute(set, "crc32");
  h5::Handle type(H5Dget_type(set), H5Tclose, "H5Dget_type");
  const hid_t memory_type = H5Tget_class(type) == H5T_INTEGER ? H5T_STD_I64LE : H5T_IEEE_F64LE;
  // This rank's slice, read in pieces of at most 8 Mi elements.
  const SampleRange slice = SampleRange::of_rank(dataset.size, rank, ranks);
  std::vector<CrcPiece> pieces;
  std::vector<std::uint8_t> buffer;
  h5::Handle filespace(H5Dget_space(set), H5Sclose, "H5Dget_space");
  for (std::int64_t done = 0; done < slice.count;) {
    const std::int64_t n = std::min<std::int64_t>(slice.count - done, std::int64_t{1} << 23);
    const hsize_t start = static_cast<hsize_t>(slice.first + done), size = static_cast<hsize_t>(n);
    buffer.resize(static_cast<std::size_t>(n * 8));
    h5::Handle memspace(H5Screate_simple(1, &size, nullptr), H5Sclose, "H5Screate_simple");
    h5::check(H5Sselect_hyperslab(filespace, H5S_SELECT_SET, &start, nullptr, &size, nullptr), "selecting " + name);
    if (H5Dread(set, memory_type, memspace, filespace, H5P_DEFAULT, buffer.data()) < 0)
      fail("{}: reading {} failed; the file is damaged or truncated", path, name);
    pieces.push_back({(slice.first + done) * 8, n * 8, crc32_of(buffer.data(), n * 8)});
    done += n;
  }
  return pieces;
}

}  // namespace

void verify_polytope_checksums(MPI_Comm comm, const std::string& path) {
  int rank = 0, ranks = 1;
  LPNN_MPI(MPI_Comm_rank(comm, &rank));
  LPNN_MPI(MPI_Comm_size(comm, &ranks));
  // Every read is rank-local (each rank opens the file alone); a damaged slice may fail on some ranks
  // only, so each dataset's reads are agreed on before the collective combine.
  PolytopeMetadata meta;
  h5::Handle file;
  run_phase(comm, "checksum", "opening " + path + " to verify its checksums", [&] {
    meta = read_polytope_metadata(path, Families::Any);
    h5::quiet_errors();
    file = h5::Handle(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), H5Fclose, "opening " + path);
  });
  for (const DatasetSpec& dataset : polytope_datasets(meta.layout)) {
    std::vector<CrcPiece> pieces;
    std::int64_t stored = 0;
    run_phase(comm, "checksum", fmt::format("reading {} of {}", dataset.name, path),
              [&] { pieces = checksum_slice(file, path, dataset, rank, ranks, stored); });
    const std::uint32_t actual = combine_pieces(comm, pieces, dataset.size * 8);
    if (static_cast<std::int64_t>(actual) != stored)
      throw CollectiveError(
          fmt::format("{}: the checksum of {} is {:08x}, the file records {:08x}: the data is "
                      "corrupt; rebuild the file",
                      path, dataset.name, actual, static_cast<std::uint32_t>(stored)));
  }
}

}  // namespace lpnn
