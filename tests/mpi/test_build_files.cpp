// MPI tests of the distributed builder's files, run under mpiexec at 1, 2 and 4 ranks:
//   - streaming (tiny chunks, uneven chunk counts across ranks) and assembled builds write equal files;
//   - refusals (existing output, refused plan, unusable directory) raise the same CollectiveError on every
//     rank and leave no file behind; an existing output is left untouched.
//   - an abandoned write leaves no file, and incomplete files are refused.
#include <gtest/gtest.h>
#include <mpi.h>

#include "build_cases.hpp"

namespace {

using namespace lpnn::test;
namespace fs = std::filesystem;
using std::int64_t;

TEST(DistributedBuild, StreamingAndAssembledFilesAreEqual) {
  TempDir dir;
  for (const Case& c : kCases) {
    SCOPED_TRACE(c.name);
    const lpnn::Architecture arch = lpnn::Architecture::from_json(nlohmann::json::parse(c.spec));
    const lpnn::Plan plan = plan_of(arch, c, world_size());
    const std::string assembled = dir.file("assembled.h5");
    build(MPI_COMM_WORLD, arch, plan, assembled, false, int64_t{1} << 24, true);
    const Sizes z = sizes_of(c);
    for (const int64_t chunk : {int64_t{1}, z.B + 1, 3 * z.B, int64_t{1} << 24}) {
      // Both modes write in chunks of chunk_nonzeros (assembled: read back from the matrix).
      for (const bool streaming : {true, false}) {
        const std::string other = dir.file("chunked.h5");
        const lpnn::BuildReport report = build(MPI_COMM_WORLD, arch, plan, other, streaming, chunk, true);
        EXPECT_EQ(report.streaming, streaming);
        if (world_rank() == 0) {
          EXPECT_EQ(compare_files(assembled, other), "")
              << (streaming ? "streaming" : "assembled") << ", chunk_nonzeros " << chunk;
        }
        MPI_Barrier(MPI_COMM_WORLD);
      }
    }
  }
}

TEST(DistributedBuild, ExistingOutputIsRefusedOnEveryRankAndLeftUntouched) {
  TempDir dir;
  const Case& c = kCases[1];
  const lpnn::Architecture arch = lpnn::Architecture::from_json(nlohmann::json::parse(c.spec));
  const lpnn::Plan plan = plan_of(arch, c, world_size());
  const std::string path = dir.file("existing.h5");
  const std::string content = "an existing file that is not ours to replace\n";
  if (world_rank() == 0) std::ofstream(path) << content;
  MPI_Barrier(MPI_COMM_WORLD);

  const std::string message = collective_error_of([&] { build(MPI_COMM_WORLD, arch, plan, path); });
  EXPECT_HAS(message, "already exists");
  EXPECT_HAS(message, "--force");
  MPI_Barrier(MPI_COMM_WORLD);
  std::stringstream kept;
  kept << std::ifstream(path).rdbuf();
  EXPECT_EQ(kept.str(), content);
  EXPECT_FALSE(fs::exists(lpnn::partial_path(path)));

  // With force the file is replaced by a complete polytope.
  build(MPI_COMM_WORLD, arch, plan, path, false, int64_t{1} << 24, true);
  EXPECT_EQ(lpnn::read_polytope_metadata(path).layout.nnz, sizes_of(c).nnz);
}

TEST(DistributedBuild, RefusedPlanIsRefusedOnEveryRank) {
  TempDir dir;
  const Case& c = kCases[0];
  const lpnn::Architecture arch = lpnn::Architecture::from_json(nlohmann::json::parse(c.spec));
  lpnn::BuildRequest request;
  request.samples = c.samples;
  request.grid = c.grid;
  request.ranks = world_size();
  request.memory_budget = 1024.0;
  request.petsc_index_bytes = static_cast<int>(sizeof(PetscInt));
  const lpnn::Plan plan = lpnn::make_plan(arch, request);
  ASSERT_FALSE(plan.refusal.empty());
  const std::string path = dir.file("refused.h5");
  const std::string message = collective_error_of([&] { build(MPI_COMM_WORLD, arch, plan, path); });
  EXPECT_HAS(message, "refused");
  EXPECT_HAS(message, "memory budget");
  expect_no_output(path);
}

TEST(DistributedBuild, UnusableOutputDirectoryIsRefusedOnEveryRank) {
  TempDir dir;
  const Case& c = kCases[0];
  const lpnn::Architecture arch = lpnn::Architecture::from_json(nlohmann::json::parse(c.spec));
  const lpnn::Plan plan = plan_of(arch, c, world_size());

  const std::string missing = dir.file("no-such-directory/out.h5");
  std::string message = collective_error_of([&] { build(MPI_COMM_WORLD, arch, plan, missing); });
  EXPECT_HAS(message, "does not exist");
  expect_no_output(missing);

  // Root ignores permission bits (a chmod 0555 directory is writable for root), so "unwritable" is
  // a path whose directory is a regular file, and a directory of a file system that refuses new files.
  const std::string file = dir.file("regular-file");
  if (world_rank() == 0) std::ofstream(file) << "x";
  MPI_Barrier(MPI_COMM_WORLD);
  const std::string under_file = file + "/out.h5";
  message = collective_error_of([&] { build(MPI_COMM_WORLD, arch, plan, under_file); });
  EXPECT_HAS(message, "not a directory");

  const std::string in_proc = "/proc/lpnn-test-" + std::to_string(::getpid()) + ".h5";
  message = collective_error_of([&] { build(MPI_COMM_WORLD, arch, plan, in_proc); });
  EXPECT_HAS(message, "not writable");
  expect_no_output(in_proc);

  const std::string directory = dir.path();
  message = collective_error_of([&] { build(MPI_COMM_WORLD, arch, plan, directory, false, int64_t{1} << 24, true); });
  EXPECT_HAS(message, "is a directory");
}

// A writer destroyed without commit() (what a failing build does) leaves nothing behind, and a file
// that lacks complete = 1 is refused by the reader.
TEST(PolytopeWriter, AbandonedWriteLeavesNoFileAndIncompleteFilesAreRefused) {
  TempDir dir;
  const Case& c = kCases[0];
  const lpnn::Architecture arch = lpnn::Architecture::from_json(nlohmann::json::parse(c.spec));
  const lpnn::Plan plan = plan_of(arch, c, world_size());
  const std::string path = dir.file("abandoned.h5");
  {
    lpnn::PolytopeWriter writer(MPI_COMM_WORLD, path, {arch, plan.layout, plan.lipschitz_bmp, plan.lipschitz_numeric});
    MPI_Barrier(MPI_COMM_WORLD);
    EXPECT_TRUE(fs::exists(lpnn::partial_path(path)));
    EXPECT_FALSE(fs::exists(path));
  }
  expect_no_output(path);

  // A complete file with its complete flag cleared is what a crash between the writes and the flag
  // would leave under the final name: the reader must refuse it.
  build(MPI_COMM_WORLD, arch, plan, path);
  if (world_rank() == 0) {
    lpnn::h5::Handle file(H5Fopen(path.c_str(), H5F_ACC_RDWR, H5P_DEFAULT), H5Fclose, "opening " + path);
    lpnn::h5::write_attribute(file, "complete", int64_t{0});
  }
  MPI_Barrier(MPI_COMM_WORLD);
  std::string message;
  try {
    lpnn::read_polytope_metadata(path);
  } catch (const lpnn::Error& e) {
    message = e.what();
  }
  EXPECT_HAS(message, "incomplete");
}

// -lpnn_mpiio_hints from PETSc's options database reach the MPI-IO file access properties HDF5 opens
// the parallel file with (what it hands to MPI_File_open).
TEST(PolytopeWriter, MpiIoHintsFromTheOptionsDatabaseReachTheFile) {
  struct OptionGuard {  // the database outlives this test: leave it as it was, whatever fails
    OptionGuard() { PetscOptionsSetValue(nullptr, "-lpnn_mpiio_hints", "cb_buffer_size=3145728,lpnn_test_hint=yes"); }
    ~OptionGuard() { PetscOptionsClearValue(nullptr, "-lpnn_mpiio_hints"); }
  } guard;
  TempDir dir;
  const std::string path = dir.file("hinted.h5");
  std::string buffer_size, custom;
  {
    lpnn::h5::Handle file = lpnn::h5::open_parallel(MPI_COMM_WORLD, path, true);
    lpnn::h5::Handle fapl(H5Fget_access_plist(file), H5Pclose, "H5Fget_access_plist");
    MPI_Comm comm = MPI_COMM_NULL;
    MPI_Info info = MPI_INFO_NULL;
    ASSERT_GE(H5Pget_fapl_mpio(fapl, &comm, &info), 0);
    char value[MPI_MAX_INFO_VAL + 1] = {};
    int found = 0;
    if (info != MPI_INFO_NULL) {
      MPI_Info_get(info, "cb_buffer_size", MPI_MAX_INFO_VAL, value, &found);
      if (found) buffer_size = value;
      MPI_Info_get(info, "lpnn_test_hint", MPI_MAX_INFO_VAL, value, &found);
      if (found) custom = value;
      MPI_Info_free(&info);
    }
    if (comm != MPI_COMM_NULL) MPI_Comm_free(&comm);
  }
  EXPECT_EQ(buffer_size, "3145728");
  EXPECT_EQ(custom, "yes");
}

}  // namespace
