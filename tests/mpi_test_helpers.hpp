// Helpers shared by the MPI test binaries (they run under mpiexec at 1, 2 and 4 ranks, with the main
// in mpi_test_main.cpp): rank queries, agreement of every rank's verdict, a shared temporary directory.
#pragma once

#include <gtest/gtest.h>
#include <mpi.h>
#include <stdlib.h>

#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

namespace lpnn::test {

inline int rank_of(MPI_Comm comm) {
  int r = 0;
  MPI_Comm_rank(comm, &r);
  return r;
}
inline int size_of(MPI_Comm comm) {
  int s = 1;
  MPI_Comm_size(comm, &s);
  return s;
}
inline int world_rank() { return rank_of(MPI_COMM_WORLD); }
inline int world_size() { return size_of(MPI_COMM_WORLD); }

inline bool all_ranks(MPI_Comm comm, bool local) {
  int mine = local ? 1 : 0, all = 0;
  MPI_Allreduce(&mine, &all, 1, MPI_INT, MPI_LAND, comm);
  return all != 0;
}

// Every rank's `problems` (empty: none) collected on rank 0 and reported there (the test main prints on
// rank 0 only); the test fails on every rank if any rank has a problem.
inline void expect_no_problems(MPI_Comm comm, const std::string& problems, const std::string& what) {
  const int ranks = size_of(comm), rank = rank_of(comm);
  int length = static_cast<int>(problems.size());
  std::vector<int> lengths(static_cast<std::size_t>(ranks)), displs(static_cast<std::size_t>(ranks));
  MPI_Gather(&length, 1, MPI_INT, lengths.data(), 1, MPI_INT, 0, comm);
  int total = 0;
  for (int r = 0; r < ranks; ++r) {
    displs[static_cast<std::size_t>(r)] = total;
    total += lengths[static_cast<std::size_t>(r)];
  }
  std::string all(static_cast<std::size_t>(rank == 0 ? total : 0), '\0');
  MPI_Gatherv(problems.data(), length, MPI_CHAR, all.data(), lengths.data(), displs.data(), MPI_CHAR, 0, comm);
  const bool ok = all_ranks(comm, problems.empty());
  if (rank == 0) {
    std::string report;
    for (int r = 0; r < ranks; ++r)
      if (lengths[static_cast<std::size_t>(r)] > 0)
        report += "\n  rank " + std::to_string(r) + ": " +
                  all.substr(static_cast<std::size_t>(displs[static_cast<std::size_t>(r)]),
                             static_cast<std::size_t>(lengths[static_cast<std::size_t>(r)]));
    EXPECT_TRUE(ok) << what << report;
  } else {
    EXPECT_TRUE(ok) << what;
  }
}

// A fresh directory shared by all ranks (under $LPNN_TEST_TMPDIR, else the working directory, which
// ctest sets to the build tree), removed when it goes out of scope. Collective.
class TempDir {
 public:
  explicit TempDir(const std::string& prefix = "lpnn-mpi-test") {
    std::string name;
    if (world_rank() == 0) {
      const char* base = std::getenv("LPNN_TEST_TMPDIR");
      std::string pattern = (std::filesystem::path(base ? base : ".") / (prefix + "-XXXXXX")).string();
      if (::mkdtemp(pattern.data()) == nullptr) pattern.clear();
      name = std::filesystem::absolute(pattern).string();
    }
    int length = static_cast<int>(name.size());
    MPI_Bcast(&length, 1, MPI_INT, 0, MPI_COMM_WORLD);
    name.resize(static_cast<std::size_t>(length));
    MPI_Bcast(name.data(), length, MPI_CHAR, 0, MPI_COMM_WORLD);
    path_ = name;
  }
  ~TempDir() {
    MPI_Barrier(MPI_COMM_WORLD);
    std::error_code ec;
    if (world_rank() == 0) std::filesystem::remove_all(path_, ec);
  }
  std::string file(const std::string& name) const { return (std::filesystem::path(path_) / name).string(); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// Every rank must hold the same value: compared through min/max reductions.
inline void expect_same_on_every_rank(double value, const char* what) {
  double lo = value, hi = value;
  MPI_Allreduce(MPI_IN_PLACE, &lo, 1, MPI_DOUBLE, MPI_MIN, MPI_COMM_WORLD);
  MPI_Allreduce(MPI_IN_PLACE, &hi, 1, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
  EXPECT_EQ(lo, hi) << what << " differs between ranks";
}

}  // namespace lpnn::test
