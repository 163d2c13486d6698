// util/workers.hpp: every index runs once per run, concurrently, on the same thread from run to run;
// the first failing index's exception reaches the caller after every other index has returned; and
// cores_per_rank shares a rank's affinity mask with the ranks on the node that have the same one
// (all ranks here are on one node).
#include <gtest/gtest.h>
#include <mpi.h>
#include <sched.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "lpnn/util/workers.hpp"

namespace {

TEST(Workers, EveryIndexRunsOncePerRunOnItsOwnThread) {
  lpnn::Workers workers(4);
  ASSERT_EQ(workers.size(), 4);
  std::vector<std::thread::id> first(4), again(4);
  std::vector<int> runs(4, 0);
  for (int run = 0; run < 50; ++run) {
    workers.run([&](int i) {
      ++runs[static_cast<std::size_t>(i)];
      (run == 0 ? first : again)[static_cast<std::size_t>(i)] = std::this_thread::get_id();
    });
    for (int i = 0; i < 4; ++i) ASSERT_EQ(runs[static_cast<std::size_t>(i)], run + 1) << "index " << i;
  }
  EXPECT_EQ(first[0], std::this_thread::get_id());  // index 0 is the caller
  for (int i = 0; i < 4; ++i) EXPECT_EQ(first[i], again[i]) << "index " << i << " changed threads";
  for (int i = 1; i < 4; ++i) EXPECT_NE(first[i], first[0]) << "index " << i;
}

TEST(Workers, RunsConcurrently) {
  // Each index waits until all have arrived: a pool that ran them one after another would never return
  // (the test's timeout would catch it).
  lpnn::Workers workers(3);
  std::atomic<int> arrived{0};
  workers.run([&](int) {
    ++arrived;
    while (arrived.load() < 3) std::this_thread::yield();
  });
  EXPECT_EQ(arrived.load(), 3);
}

TEST(Workers, AFailureReachesTheCallerAfterTheOthersFinish) {
  lpnn::Workers workers(4);
  std::atomic<int> finished{0};
  try {
    workers.run([&](int i) {
      if (i == 2) throw std::runtime_error("index 2 failed");
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
      ++finished;
    });
    FAIL() << "no exception";
  } catch (const std::runtime_error& e) {
    EXPECT_EQ(std::string(e.what()), "index 2 failed");
  }
  EXPECT_EQ(finished.load(), 3);
  // The pool still works after a failure.
  std::atomic<int> count{0};
  workers.run([&](int) { ++count; });
  EXPECT_EQ(count.load(), 4);
}

TEST(Workers, OneThreadIsTheCallerAlone) {
  lpnn::Workers workers(1);
  EXPECT_EQ(workers.size(), 1);
  std::thread::id ran;
  workers.run([&](int i) {
    EXPECT_EQ(i, 0);
    ran = std::this_thread::get_id();
  });
  EXPECT_EQ(ran, std::this_thread::get_id());
}

// The oracle compares whole masks: ranks with the same mask share its CPUs evenly.
TEST(CoresPerRank, TheAffinityMaskSharedByTheRanksThatHaveIt) {
  cpu_set_t mask;
  CPU_ZERO(&mask);
  ASSERT_EQ(sched_getaffinity(0, sizeof(mask), &mask), 0);
  int ranks = 1;
  MPI_Comm_size(MPI_COMM_WORLD, &ranks);
  std::vector<cpu_set_t> masks(static_cast<std::size_t>(ranks));
  MPI_Allgather(&mask, sizeof(mask), MPI_BYTE, masks.data(), sizeof(mask), MPI_BYTE, MPI_COMM_WORLD);
  int same = 0;
  for (const cpu_set_t& m : masks) same += CPU_EQUAL(&m, &mask) ? 1 : 0;
  EXPECT_EQ(lpnn::cores_per_rank(MPI_COMM_WORLD), std::max(1, CPU_COUNT(&mask) / same));
}

}  // namespace
