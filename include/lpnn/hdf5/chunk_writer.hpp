// Whole chunks of a compressed dataset, filtered by lpnn and stored by HDF5 as they are (H5Dwrite_chunk).
//
// A chunked dataset's filter pipeline, shuffle then deflate, is HDF5's to run in H5Dwrite. Parallel
// HDF5 1.10 runs it with a byte-at-a-time shuffle and two copies of every chunk (the collective filtered
// path gathers the rank's bytes, then scatters them into the chunk), and it will not let a program
// replace a predefined filter (H5Zregister refuses filter ids 1 and 2). Here lpnn applies the same
// pipeline itself: the shuffle of HDF5's filter (byte k of every element, for k = 0 .. size-1, then any
// trailing bytes unchanged), 8 elements at a time for 8-byte elements, then compress2 (ISA-L inside a
// FastDeflate scope, fast_deflate.hpp). HDF5 records the stream with filter mask 0 (every filter
// applied), so a reader cannot tell the chunk from one HDF5 filtered: h5py and MatLoad read it with
// HDF5's own inflate and unshuffle.
//
// Parallel HDF5 1.10 changes a dataset's chunk index collectively: every rank must make the same
// H5Dwrite_chunk calls, in the same order, with the same bytes (ranks writing different chunks hang).
// So each rank filters its own chunks, the compressed streams (about 1% of the data on lpnn's
// polytopes) are gathered on every rank, and every rank writes every chunk, the same bytes to the same
// place. The file holds each chunk once; the ranks together write the compressed bytes P times.
#pragma once

#include <hdf5.h>
#include <mpi.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "lpnn/util/workers.hpp"

namespace lpnn::h5 {

// HDF5's shuffle filter on `bytes` bytes of `element_size`-byte elements, into out (not overlapping in):
// out holds byte 0 of every element, then byte 1 of every element, ..., then the bytes%element_size
// bytes past the last whole element. Fewer than 2 elements, or 1-byte elements: a copy.
void shuffle_bytes(const std::uint8_t* in, std::size_t bytes, std::size_t element_size, std::uint8_t* out);
// The inverse (HDF5's unshuffle): unshuffle_bytes(shuffle_bytes(x)) == x.
void unshuffle_bytes(const std::uint8_t* in, std::size_t bytes, std::size_t element_size, std::uint8_t* out);

// What lpnn can apply itself of a dataset's creation properties: a 1-D chunked dataset whose pipeline
// is deflate alone or shuffle then deflate, and whose file type is the memory type given.
struct ChunkPipeline {
  bool applicable = false;
  std::int64_t chunk = 0;   // elements per chunk
  std::int64_t size = 0;    // elements in the dataset
  std::size_t element = 0;  // bytes per element
  bool shuffle = false;
  int level = 0;  // deflate level
};
ChunkPipeline chunk_pipeline(hid_t dataset, hid_t memory_type);

// Writes the elements [offset, offset + count) of each rank as whole chunks, filtered as `pipeline`
// says. Collective over comm. Returns false on every rank, having written nothing, when some rank's
// range is not whole chunks (a chunk's start, and a whole number of chunks or the dataset's end) or
// the streams would not fit one MPI_Allgatherv: the caller then writes with H5Dwrite. Throws on every
// rank when one rank cannot filter its chunks (agreed before any other collective), and lpnn::Error on
// a rank whose chunk HDF5 refuses. The buffers are kept for the next call (no fresh pages).
//
// A rank's chunks are filtered by `threads` threads (set_threads; 1 by default), each a contiguous
// run of them, so that a thread's RepeatedChunks scope still sees the chunks in order. The streams are
// the same whatever the count: a chunk's stream depends on its bytes alone.
class ChunkWriter {
 public:
  void set_threads(int threads);
  int threads() const { return workers_ ? workers_->size() : 1; }
  bool write(MPI_Comm comm, hid_t dataset, const ChunkPipeline& pipeline, std::int64_t offset, std::int64_t count,
             const void* data);
  std::int64_t chunks_written() const { return chunks_written_; }  // by this rank's own filtering
  // The CRC-32 (checksum.hpp) of the data the last write that returned true was given, its count
  // elements on this rank: taken while shuffling, so the data is read from memory once for both.
  std::uint32_t range_crc() const { return range_crc_; }
  double crc_seconds() const { return crc_seconds_; }  // unshuffled chunks' checksums, summed over threads

 private:
  // This rank's chunks filtered into streams_, their first elements and sizes into starts_.
  void filter(const ChunkPipeline& pipeline, std::int64_t offset, std::int64_t count, const std::uint8_t* data);
  // Every rank's starts_ and streams_ into all_starts_ and all_streams_, in rank order; false on every
  // rank when the streams exceed one MPI_Allgatherv's int counts.
  bool gather(MPI_Comm comm);

  // One thread's share: its scratch buffers, its chunks' streams and their starts and sizes.
  struct Part {
    std::vector<std::uint8_t> padded, shuffled, stream, streams;
    std::vector<std::int64_t> starts;
    std::vector<std::uint32_t> crcs;  // per chunk, of its data (not the padding)
    double crc_seconds = 0.0;
  };
  static void filter_chunks(const ChunkPipeline& pipeline, std::int64_t offset, std::int64_t count,
                            const std::uint8_t* data, std::int64_t first_chunk, std::int64_t end_chunk, Part& part);

  std::unique_ptr<Workers> workers_;
  std::vector<Part> parts_;
  std::vector<std::uint8_t> streams_, all_streams_;
  std::vector<std::int64_t> starts_, all_starts_;  // per chunk: first element, stream bytes
  std::int64_t chunks_written_ = 0;
  std::uint32_t range_crc_ = 0;
  double crc_seconds_ = 0.0;
};

}  // namespace lpnn::h5
