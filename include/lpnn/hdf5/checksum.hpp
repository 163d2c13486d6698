// Dataset checksums: zlib's CRC-32 of each dataset's bytes as stored (little-endian int64 / float64),
// computed in pieces by whichever ranks wrote or read them and combined in order (crc32_combine64),
// so neither writing nor verifying needs one rank to see the whole file.
#pragma once

#include <mpi.h>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace lpnn {

struct CrcPiece {
  std::int64_t offset = 0;  // bytes from the dataset's start
  std::int64_t length = 0;  // bytes
  std::uint32_t crc = 0;
};

std::uint32_t crc32_of(const void* data, std::int64_t bytes);
// The CRC of the bytes before (crc) followed by data[0, bytes): crc32_update(crc32_of(a), b) = crc32_of(ab).
std::uint32_t crc32_update(std::uint32_t crc, const void* data, std::int64_t bytes);
// The CRC of a followed by b, from crc32_of(a), crc32_of(b) and b's length (zlib's crc32_combine64).
std::uint32_t crc32_join(std::uint32_t crc_a, std::uint32_t crc_b, std::int64_t bytes_b);

// Collective: the CRC of a dataset of `total` bytes from every rank's pieces, which must tile
// [0, total) exactly (in any order, empty pieces allowed). Same result on every rank; throws
// lpnn::Error when the pieces leave a gap or overlap.
std::uint32_t combine_pieces(MPI_Comm comm, const std::vector<CrcPiece>& mine, std::int64_t total);

// Collective: every rank reads a balanced slice of each dataset listed in the file's layout, the
// slices' CRCs are combined, and each is compared with the dataset's crc32 attribute. Throws
// lpnn::Error naming the first dataset whose checksum is missing or wrong.
void verify_polytope_checksums(MPI_Comm comm, const std::string& path);

}  // namespace lpnn
