#include "lpnn/hdf5/chunk_writer.hpp"

#include <zlib.h>

#include <algorithm>
#include <climits>
#include <cstring>
#include <exception>
#include <optional>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "lpnn/hdf5/checksum.hpp"
#include "lpnn/hdf5/fast_deflate.hpp"
#include "lpnn/hdf5/handles.hpp"
#include "lpnn/util/error.hpp"
#include "lpnn/util/log.hpp"
#include "lpnn/util/mpi.hpp"

namespace lpnn::h5 {

namespace {

// 16 elements of 8 bytes are 128 bytes, 8 SSE registers. A byte's place in them is 7 bits: element-major
// e3 e2 e1 | e0 b2 b1 b0 (register | lane; e the element, b the byte), plane-major b2 b1 b0 | e3 e2 e1 e0.
// One round of interleaving the bytes of registers k and k + 4 (k = 0..3, low halves into register
// 2k, high into 2k + 1) rotates those 7 bits left by one: 4 rounds shuffle, 3 unshuffle.
#if defined(__SSE2__)
inline void interleave_rounds(__m128i r[8], int rounds) {
  for (int round = 0; round < rounds; ++round) {
    __m128i next[8];
    for (int k = 0; k < 4; ++k) {
      next[2 * k] = _mm_unpacklo_epi8(r[k], r[k + 4]);
      next[2 * k + 1] = _mm_unpackhi_epi8(r[k], r[k + 4]);
    }
    for (int k = 0; k < 8; ++k) r[k] = next[k];
  }
}
#endif

// Element e's byte k <-> plane k's byte e, for e in [first, last) of `elements`; `to_planes` picks the
// way.
void shuffle_elements(const std::uint8_t* in, std::uint8_t* out, std::size_t elements, std::size_t first,
                      std::size_t last, std::size_t size, bool to_planes) {
  std::size_t e = first;
#if defined(__SSE2__)
  if (size == 8) {
    for (; e + 16 <= last; e += 16) {
      __m128i r[8];
      for (int k = 0; k < 8; ++k)
        r[k] =
            _mm_loadu_si128(reinterpret_cast<const __m128i*>(to_planes ? in + e * 8 + 16 * k : in + k * elements + e));
      interleave_rounds(r, to_planes ? 4 : 3);
      for (int k = 0; k < 8; ++k)
        _mm_storeu_si128(reinterpret_cast<__m128i*>(to_planes ? out + k * elements + e : out + e * 8 + 16 * k), r[k]);
    }
  }
#endif
  for (; e < last; ++e)
    for (std::size_t k = 0; k < size; ++k) {
      if (to_planes)
        out[k * elements + e] = in[e * size + k];
      else
        out[e * size + k] = in[k * elements + e];
    }
}

void shuffle_or_unshuffle(const std::uint8_t* in, std::size_t bytes, std::size_t size, std::uint8_t* out,
                          bool to_planes) {
  if (bytes == 0) return;  // (an empty buffer's pointers may be null: memcpy must not see them)
  const std::size_t elements = size > 0 ? bytes / size : 0;
  if (size <= 1 || elements <= 1) {
    std::memcpy(out, in, bytes);
    return;
  }
  shuffle_elements(in, out, elements, 0, elements, size, to_planes);
  const std::size_t whole = elements * size;
  std::memcpy(out + whole, in + whole, bytes - whole);  // HDF5 leaves the trailing bytes where they are
}

// HDF5's shuffle of a whole chunk (no trailing bytes: a chunk is whole elements) with the CRC-32 of
// its first `logical` bytes taken on the way, a block at a time: each block is read from memory once,
// by the CRC, and shuffled from the cache.
std::uint32_t shuffle_with_crc(const std::uint8_t* in, std::size_t bytes, std::size_t size, std::size_t logical,
                               std::uint8_t* out) {
  constexpr std::size_t block = 16 << 10;  // elements: 128 KiB of 8-byte elements, well inside L2
  const std::size_t elements = bytes / size;
  std::uint32_t crc = 0;
  for (std::size_t first = 0; first < elements; first += block) {
    const std::size_t last = std::min(elements, first + block);
    const std::size_t from = first * size, to = std::min(logical, last * size);
    if (to > from) crc = crc32_update(crc, in + from, static_cast<std::int64_t>(to - from));
    shuffle_elements(in, out, elements, first, last, size, true);
  }
  return crc;
}

}  // namespace

void shuffle_bytes(const std::uint8_t* in, std::size_t bytes, std::size_t element_size, std::uint8_t* out) {
  shuffle_or_unshuffle(in, bytes, element_size, out, true);
}

void unshuffle_bytes(const std::uint8_t* in, std::size_t bytes, std::size_t element_size, std::uint8_t* out) {
  shuffle_or_unshuffle(in, bytes, element_size, out, false);
}

ChunkPipeline chunk_pipeline(hid_t dataset, hid_t memory_type) {
  ChunkPipeline p;
  Handle dcpl(H5Dget_create_plist(dataset), H5Pclose, "H5Dget_create_plist");
  if (H5Pget_layout(dcpl) != H5D_CHUNKED) return p;
  hsize_t chunk = 0;
  if (H5Pget_chunk(dcpl, 1, &chunk) != 1) return p;
  const int filters = H5Pget_nfilters(dcpl);
  if (filters < 1 || filters > 2) return p;
  for (int i = 0; i < filters; ++i) {
    unsigned flags = 0, values[8] = {}, config = 0;
    std::size_t count = 8;
    const H5Z_filter_t id = H5Pget_filter2(dcpl, static_cast<unsigned>(i), &flags, &count, values, 0, nullptr, &config);
    if (i == 0 && filters == 2 && id == H5Z_FILTER_SHUFFLE) {
      p.shuffle = true;
    } else if (i == filters - 1 && id == H5Z_FILTER_DEFLATE && count >= 1) {
      p.level = static_cast<int>(values[0]);
    } else {
      return p;
    }
  }
  Handle type(H5Dget_type(dataset), H5Tclose, "H5Dget_type");
  if (H5Tequal(type, memory_type) <= 0) return p;
  p.element = H5Tget_size(type);
  const std::vector<std::int64_t> dims = extent(dataset, 1, "a chunked dataset");
  p.chunk = static_cast<std::int64_t>(chunk);
  p.size = dims[0];
  p.applicable = p.element > 0 && p.chunk > 0;
  return p;
}

bool ChunkWriter::write(MPI_Comm comm, hid_t dataset, const ChunkPipeline& p, std::int64_t offset, std::int64_t count,
                        const void* data) {
  // Filtering is rank-local; whether every rank's range was whole chunks and every rank could filter it
  // is agreed before any collective, so that no rank waits in one that another never reaches.
  const bool whole = count == 0 || (offset % p.chunk == 0 && (count % p.chunk == 0 || offset + count == p.size));
  std::exception_ptr error;
  if (whole) {
    try {
      filter(p, offset, count, static_cast<const std::uint8_t*>(data));
    } catch (...) {
      error = std::current_exception();
    }
  }
  int flags[2] = {whole ? 1 : 0, error ? 0 : 1};
  LPNN_MPI(MPI_Allreduce(MPI_IN_PLACE, flags, 2, MPI_INT, MPI_MIN, comm));
  if (flags[0] == 0) return false;
  if (error) std::rethrow_exception(error);
  if (flags[1] == 0) fail("another rank could not filter its chunks");
  if (!gather(comm)) return false;
  // The same calls on every rank, in rank order.
  std::size_t at = 0;
  for (std::size_t i = 0; i < all_starts_.size(); i += 2) {
    const hsize_t start = static_cast<hsize_t>(all_starts_[i]);
    const std::size_t size = static_cast<std::size_t>(all_starts_[i + 1]);
    if (H5Dwrite_chunk(dataset, H5P_DEFAULT, 0, &start, size, all_streams_.data() + at) < 0)
      fail("writing the chunk at element {} ({} bytes) failed (disk full or file-size limit?)", start, size);
    at += size;
  }
  chunks_written_ += static_cast<std::int64_t>(starts_.size() / 2);
  return true;
}

void ChunkWriter::set_threads(int threads) {
  if (threads == this->threads()) return;
  workers_.reset();
  if (threads > 1) workers_ = std::make_unique<Workers>(threads);
}

void ChunkWriter::filter(const ChunkPipeline& p, std::int64_t offset, std::int64_t count, const std::uint8_t* data) {
  const std::int64_t chunks = (count + p.chunk - 1) / p.chunk;
  const int parts = static_cast<int>(std::max<std::int64_t>(1, std::min<std::int64_t>(threads(), chunks)));
  if (parts_.size() < static_cast<std::size_t>(parts)) parts_.resize(static_cast<std::size_t>(parts));
  const auto share = [&](int t) {
    filter_chunks(p, offset, count, data, chunks * t / parts, chunks * (t + 1) / parts, parts_[t]);
  };
  if (parts == 1) {
    share(0);
  } else {
    const DeflateScopes scopes = open_scopes();  // the workers deflate as this thread would
    workers_->run([&](int t) {
      if (t >= parts) return;
      std::optional<SameScopes> same;
      if (t > 0) same.emplace(scopes);
      share(t);
    });
  }
  starts_.clear();
  streams_.clear();
  range_crc_ = 0;
  for (int t = 0; t < parts; ++t) {
    const Part& part = parts_[t];
    starts_.insert(starts_.end(), part.starts.begin(), part.starts.end());
    streams_.insert(streams_.end(), part.streams.begin(), part.streams.end());
    for (std::size_t c = 0; c < part.crcs.size(); ++c) {
      const std::int64_t chunk_offset = part.starts[2 * c] - offset;  // a chunk's data: up to count
      range_crc_ = crc32_join(range_crc_, part.crcs[c],
                              std::min(p.chunk, count - chunk_offset) * static_cast<std::int64_t>(p.element));
    }
    crc_seconds_ += part.crc_seconds;
  }
}

void ChunkWriter::filter_chunks(const ChunkPipeline& p, std::int64_t offset, std::int64_t count,
                                const std::uint8_t* data, std::int64_t first_chunk, std::int64_t end_chunk,
                                Part& part) {
  // A partial last chunk is padded with zeros (the fill value) to the chunk's size, as HDF5 stores an
  // edge chunk.
  const std::size_t chunk_bytes = static_cast<std::size_t>(p.chunk) * p.element;
  part.starts.clear();
  part.streams.clear();
  part.crcs.clear();
  part.crc_seconds = 0.0;
  for (std::int64_t c = first_chunk; c < end_chunk; ++c) {
    const std::int64_t first = c * p.chunk;
    const std::size_t n = static_cast<std::size_t>(std::min(p.chunk, count - first)) * p.element;
    const std::uint8_t* in = data + static_cast<std::size_t>(first) * p.element;
    if (n < chunk_bytes) {
      part.padded.assign(chunk_bytes, 0);
      std::memcpy(part.padded.data(), in, n);
      in = part.padded.data();
    }
    // The checksum covers the data as given (not the padding), read once with the shuffle's reads.
    std::uint32_t crc = 0;
    if (p.shuffle && p.element > 1 && p.chunk > 1) {
      if (part.shuffled.size() < chunk_bytes) part.shuffled.resize(chunk_bytes);
      crc = shuffle_with_crc(in, chunk_bytes, p.element, n, part.shuffled.data());
      in = part.shuffled.data();
    } else {
      WallTimer timer(part.crc_seconds);
      crc = crc32_of(in, static_cast<std::int64_t>(n));
    }
    part.crcs.push_back(crc);
    uLongf size = compressBound(static_cast<uLong>(chunk_bytes));
    if (part.stream.size() < size) part.stream.resize(size);
    if (compress2(part.stream.data(), &size, in, static_cast<uLong>(chunk_bytes), p.level) != Z_OK)
      fail("deflating a chunk of {} bytes failed", chunk_bytes);
    part.streams.insert(part.streams.end(), part.stream.data(), part.stream.data() + size);
    part.starts.push_back(offset + first);
    part.starts.push_back(static_cast<std::int64_t>(size));
  }
}

bool ChunkWriter::gather(MPI_Comm comm) {
  int ranks = 0;
  LPNN_MPI(MPI_Comm_size(comm, &ranks));
  std::vector<int> counts(static_cast<std::size_t>(ranks)), displs(static_cast<std::size_t>(ranks));
  const int my_entries = static_cast<int>(starts_.size());
  LPNN_MPI(MPI_Allgather(&my_entries, 1, MPI_INT, counts.data(), 1, MPI_INT, comm));
  std::int64_t entries = 0;
  for (int r = 0; r < ranks; ++r) {
    displs[r] = static_cast<int>(entries);
    entries += counts[r];
  }
  all_starts_.resize(static_cast<std::size_t>(entries));
  LPNN_MPI(MPI_Allgatherv(starts_.data(), my_entries, MPI_INT64_T, all_starts_.data(), counts.data(), displs.data(),
                          MPI_INT64_T, comm));
  std::vector<int> byte_counts(static_cast<std::size_t>(ranks)), byte_displs(static_cast<std::size_t>(ranks));
  std::int64_t total = 0;
  for (int r = 0; r < ranks; ++r) {
    std::int64_t rank_bytes = 0;
    for (int i = displs[r]; i < displs[r] + counts[r]; i += 2) rank_bytes += all_starts_[i + 1];
    if (total + rank_bytes > INT_MAX) return false;  // every rank sees the same sizes: all return here
    byte_displs[r] = static_cast<int>(total);
    byte_counts[r] = static_cast<int>(rank_bytes);
    total += rank_bytes;
  }
  all_streams_.resize(static_cast<std::size_t>(total));
  LPNN_MPI(MPI_Allgatherv(streams_.data(), static_cast<int>(streams_.size()), MPI_BYTE, all_streams_.data(),
                          byte_counts.data(), byte_displs.data(), MPI_BYTE, comm));
  return true;
}

}  // namespace lpnn::h5
