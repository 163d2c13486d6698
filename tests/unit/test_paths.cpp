// hdf5/paths.hpp's early write-back: whole_pages against a page-by-page oracle, and EarlyWriteback
// against the kernel's own count of a file's dirty pages (cachestat, Linux 6.5 and later): after
// start(), the only dirty pages left in a written range are the two it shares with its neighbours.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <string>
#include <vector>

#include "lpnn/hdf5/paths.hpp"

namespace {

TEST(WholePages, MatchPageByPage) {
  for (const std::int64_t page : {1, 8, 4096}) {
    const std::int64_t step = page > 8 ? page / 4 + 1 : 1;  // every byte for small pages
    for (std::int64_t offset = 0; offset < 3 * page + 3; offset += step) {
      for (std::int64_t bytes = 0; bytes < 4 * page + 3; bytes += step) {
        std::int64_t first = -1, count = 0;  // the pages lying wholly inside [offset, offset + bytes)
        for (std::int64_t p = 0; p * page < offset + bytes; ++p)
          if (p * page >= offset && (p + 1) * page <= offset + bytes) {
            if (first < 0) first = p * page;
            ++count;
          }
        const auto [start, length] = lpnn::whole_pages(offset, bytes, page);
        EXPECT_EQ(length, count * page) << "page " << page << " offset " << offset << " bytes " << bytes;
        if (count > 0) {
          EXPECT_EQ(start, first) << "page " << page << " offset " << offset << " bytes " << bytes;
        }
      }
    }
  }
}

// The kernel's page-cache counts for [offset, offset + bytes) of `fd`; false without cachestat.
struct CacheCounts {
  std::uint64_t cached = 0, dirty = 0, writeback = 0, evicted = 0, recently_evicted = 0;
};
bool cache_counts(int fd, std::uint64_t offset, std::uint64_t bytes, CacheCounts& counts) {
  constexpr long kCachestat = 451;  // the syscall number on every architecture (newer than the headers)
  const std::uint64_t range[2] = {offset, bytes};
  return ::syscall(kCachestat, fd, range, &counts, 0) == 0;
}

TEST(EarlyWriteback, LeavesOnlyTheSharedPagesDirty) {
  const std::string path = "early_writeback_test.bin";
  const int fd = ::open(path.c_str(), O_CREAT | O_TRUNC | O_WRONLY | O_CLOEXEC, 0644);
  ASSERT_GE(fd, 0);
  CacheCounts counts;
  if (!cache_counts(fd, 0, 0, counts)) {
    ::close(fd);
    ::unlink(path.c_str());
    GTEST_SKIP() << "no cachestat on this kernel (errno " << errno << ")";
  }
  const long page = ::sysconf(_SC_PAGESIZE);
  const std::int64_t offset = 1000, bytes = 2048 * page + 100;  // neither end on a page boundary
  const std::vector<char> data(static_cast<std::size_t>(bytes), 'x');
  ASSERT_EQ(::pwrite(fd, data.data(), data.size(), offset), bytes);
  ASSERT_TRUE(cache_counts(fd, 0, 0, counts));
  const std::uint64_t dirty_before = counts.dirty;

  const lpnn::EarlyWriteback inert;
  EXPECT_FALSE(inert.active());
  EXPECT_FALSE(inert.start(offset, bytes));
  const lpnn::EarlyWriteback writeback(path);
  ASSERT_TRUE(writeback.active());
  EXPECT_TRUE(writeback.start(offset, bytes));
  ASSERT_TRUE(cache_counts(fd, 0, 0, counts));
  // The first and last pages are shared with neighbouring bytes and stay for the sync. (The kernel's
  // own flusher may have written pages earlier: it only ever lowers the count.)
  EXPECT_LE(counts.dirty, 2u) << "dirty pages before start(): " << dirty_before;
  EXPECT_FALSE(lpnn::EarlyWriteback("no/such/directory/file").active());
  ::close(fd);
  ::unlink(path.c_str());
}

}  // namespace
