// MPI tests of the distributed builder, run under mpiexec at 1, 2 and 4 ranks:
//   - row, column and nonzero counts equal the closed forms of README, The polytope / Rows and columns (computed here
//   from the
//     spec, not taken from PolytopeLayout);
//   - every entry of the stored matrix (loaded with MatLoad) and of the assembled matrix sits where the README (The
//   polytope / Rows and columns)
//     puts it, checked row by row against a construction written out in this file;
//   - assembly preallocation is exact: no mallocs, and nothing allocated that is not used, both for the
//     reference assembly (assemble_matrix, MatSetValues) and the builder's in-place assembly, which
//     equals it; extract_rows gives back exactly the generated rows;
//   - MatLoad of a file equals the freshly assembled matrix (MatEqual), on the rank count that built it
//     and on others (sub-communicators of 1 and 2 ranks; a file built on one rank loaded on all);
//   - a compressed file (deflate) loads to the same A (MatEqual), b and c (VecEqual) as the uncompressed
//     one, both read through lpnn's loader (MatLoad, checksums verified);
// The file-level checks are in test_build_files.cpp.
// The CLI-level checks (h5diff across rank counts, bad input, interrupted writes, lpnn-info) are in the
// scripts next to this file; the value-by-value check of b, c, the cost template and the grids against
// an independent numpy evaluation is check_layout.py.
#include <gtest/gtest.h>
#include <mpi.h>

#include "build_cases.hpp"
#include "lpnn/solve/load.hpp"

namespace {

using namespace lpnn::test;
namespace fs = std::filesystem;
using std::int64_t;

// ---------------------------------------------------------------------------------------------------

TEST(DistributedBuild, SizesEqualTheClosedForms) {
  TempDir dir;
  for (const Case& c : kCases) {
    SCOPED_TRACE(c.name);
    const Sizes z = sizes_of(c);
    const lpnn::Architecture arch = arch_of(c);
    const lpnn::Plan plan = plan_of(arch, c, world_size());
    const std::string path = dir.file("sizes.h5");
    const lpnn::BuildReport report = build(MPI_COMM_WORLD, arch, plan, path, false, int64_t{1} << 24, true);
    EXPECT_EQ(report.layout.rows, z.rows);
    EXPECT_EQ(report.layout.cols, z.cols);
    EXPECT_EQ(report.layout.nnz, z.nnz);
    EXPECT_EQ(report.ranks, world_size());
    EXPECT_EQ(report.assembly_mallocs, 0.0);

    // The file's own description, checked by the reader against its datasets, on every rank.
    const lpnn::PolytopeMetadata meta = lpnn::read_polytope_metadata(path);
    EXPECT_EQ(meta.layout.rows, z.rows);
    EXPECT_EQ(meta.layout.cols, z.cols);
    EXPECT_EQ(meta.layout.nnz, z.nnz);
    EXPECT_EQ(meta.layout.M, z.M);
    EXPECT_EQ(meta.layout.B, z.B);
    EXPECT_EQ(lpnn::read_double_dataset(path, "/lp/b").size(), static_cast<std::size_t>(z.rows));
    EXPECT_EQ(lpnn::read_double_dataset(path, "/lp/c").size(), static_cast<std::size_t>(z.cols));
    EXPECT_EQ(lpnn::read_double_dataset(path, "/template/cost").size(), static_cast<std::size_t>(z.B));

    // What MatLoad sees.
    lpnn::OwnedMat A = lpnn::load_constraint_matrix(MPI_COMM_WORLD, path, meta.layout);
    PetscInt rows = 0, cols = 0;
    LPNN_PETSC(MatGetSize(A, &rows, &cols));
    MatInfo info;
    LPNN_PETSC(MatGetInfo(A, MAT_GLOBAL_SUM, &info));
    EXPECT_EQ(rows, z.rows);
    EXPECT_EQ(cols, z.cols);
    EXPECT_EQ(static_cast<int64_t>(info.nz_used), z.nnz);
  }
}

TEST(DistributedBuild, EveryStoredEntryIsWhereTheLayoutPutsIt) {
  TempDir dir;
  for (const Case& c : kCases) {
    SCOPED_TRACE(c.name);
    const Sizes z = sizes_of(c);
    const lpnn::Architecture arch = arch_of(c);
    const std::string path = dir.file("entries.h5");
    build(MPI_COMM_WORLD, arch, plan_of(arch, c, world_size()), path, false, int64_t{1} << 24, true);
    const lpnn::PolytopeMetadata meta = lpnn::read_polytope_metadata(path);
    lpnn::OwnedMat A = lpnn::load_constraint_matrix(MPI_COMM_WORLD, path, meta.layout);
    expect_no_problems(MPI_COMM_WORLD, check_owned_rows(A, z), std::string("stored rows of ") + c.name);
  }
}

TEST(DistributedBuild, AssemblyPreallocationIsExact) {
  for (const Case& c : kCases) {
    SCOPED_TRACE(c.name);
    const Sizes z = sizes_of(c);
    const lpnn::Architecture arch = arch_of(c);
    const lpnn::PolytopeLayout layout = plan_of(arch, c, world_size()).layout;
    const lpnn::LocalPart part = lpnn::LocalPart::of_rank(layout, world_rank(), world_size());
    lpnn::CsrBlock<PetscInt> block;
    lpnn::generate_rows(layout, part.row_begin, part.row_end, block);
    lpnn::OwnedMat A = lpnn::testing::assemble_matrix(MPI_COMM_WORLD, layout, block);

    // Per rank: no malloc during MatSetValues, and every preallocated slot used.
    MatInfo local;
    LPNN_PETSC(MatGetInfo(A, MAT_LOCAL, &local));
    std::ostringstream problems;
    if (local.mallocs != 0) problems << local.mallocs << " mallocs during assembly; ";
    if (local.nz_allocated != local.nz_used)
      problems << local.nz_allocated << " slots preallocated but " << local.nz_used << " used; ";
    if (static_cast<int64_t>(local.nz_used) != block.nonzeros())
      problems << local.nz_used << " nonzeros in the matrix, " << block.nonzeros() << " generated; ";
    PetscInt lo = 0, hi = 0, clo = 0, chi = 0;
    LPNN_PETSC(MatGetOwnershipRange(A, &lo, &hi));
    LPNN_PETSC(MatGetOwnershipRangeColumn(A, &clo, &chi));
    if (lo != part.row_begin || hi != part.row_end) problems << "owns rows [" << lo << ", " << hi << "); ";
    if (clo != part.column_begin || chi != part.column_end) problems << "owns columns [" << clo << ", " << chi << "); ";
    problems << check_owned_rows(A, z);
    expect_no_problems(MPI_COMM_WORLD, problems.str(), std::string("assembled matrix of ") + c.name);

    MatInfo global;
    LPNN_PETSC(MatGetInfo(A, MAT_GLOBAL_SUM, &global));
    EXPECT_EQ(global.mallocs, 0.0);
    EXPECT_EQ(static_cast<int64_t>(global.nz_used), z.nnz);
    EXPECT_EQ(static_cast<int64_t>(global.nz_allocated), z.nnz);
  }
}

// The builder's own assembly (generate_split_rows into the arrays MATMPIAIJ uses in place) equals the
// reference assembly through MatSetValues, needs no mallocs, and extract_rows gives
// back exactly the rows generate_rows produces, for any row range (the file is written from it).
TEST(DistributedBuild, InPlaceAssemblyEqualsTheReferenceAndGivesBackTheGeneratedRows) {
  for (const Case& c : kCases) {
    SCOPED_TRACE(c.name);
    const Sizes z = sizes_of(c);
    const lpnn::Architecture arch = arch_of(c);
    const lpnn::PolytopeLayout layout = plan_of(arch, c, world_size()).layout;
    const lpnn::LocalPart part = lpnn::LocalPart::of_rank(layout, world_rank(), world_size());
    lpnn::AssembledMatrix assembled;
    lpnn::generate_split_rows(layout, part.row_begin, part.row_end, part.column_begin, part.column_end,
                              assembled.storage);
    lpnn::assemble_in_place(MPI_COMM_WORLD, layout, assembled);

    std::ostringstream problems;
    MatInfo local;
    LPNN_PETSC(MatGetInfo(assembled.matrix, MAT_LOCAL, &local));
    const int64_t generated = assembled.storage.diagonal_nonzeros + assembled.storage.off_diagonal_nonzeros;
    // (PETSc allocates nothing here, the arrays are the generator's: MatGetInfo reports 0 slots
    // allocated, so only mallocs and the nonzeros in use are meaningful.)
    if (local.mallocs != 0) problems << local.mallocs << " mallocs; ";
    if (static_cast<int64_t>(local.nz_used) != generated)
      problems << local.nz_used << " nonzeros in the matrix, " << generated << " generated; ";
    problems << check_owned_rows(assembled.matrix, z);

    // extract_rows over chunks of several sizes against generate_rows of the same rows.
    const int64_t rows = part.row_end - part.row_begin;
    for (const int64_t chunk : {int64_t{1}, int64_t{7}, z.M + 1, std::max<int64_t>(rows, 1)}) {
      lpnn::CsrBlock<PetscInt> extracted, generated_rows;
      for (int64_t begin = part.row_begin; begin < part.row_end; begin += chunk) {
        const int64_t end = std::min(begin + chunk, part.row_end);
        lpnn::extract_rows(assembled.matrix, begin, end, extracted);
        lpnn::generate_rows(layout, begin, end, generated_rows);
        if (extracted.row_begin != begin || extracted.row_pointer != generated_rows.row_pointer ||
            extracted.columns != generated_rows.columns || extracted.values != generated_rows.values) {
          problems << "extract_rows(" << begin << ", " << end << ") differs from generate_rows; ";
          break;
        }
      }
    }
    expect_no_problems(MPI_COMM_WORLD, problems.str(), std::string("in-place matrix of ") + c.name);

    MatInfo global;
    LPNN_PETSC(MatGetInfo(assembled.matrix, MAT_GLOBAL_SUM, &global));
    EXPECT_EQ(global.mallocs, 0.0);
    EXPECT_EQ(static_cast<int64_t>(global.nz_used), z.nnz);
    lpnn::OwnedMat reference = fresh_matrix(MPI_COMM_WORLD, layout);
    expect_no_problems(MPI_COMM_WORLD, compare_matrices(reference, assembled.matrix),
                       std::string("in-place vs MatSetValues assembly of ") + c.name);
  }
}

TEST(DistributedBuild, MatLoadEqualsTheFreshlyAssembledMatrix) {
  TempDir dir;
  for (const Case& c : kCases) {
    SCOPED_TRACE(c.name);
    const lpnn::Architecture arch = arch_of(c);
    const lpnn::Plan plan = plan_of(arch, c, world_size());
    for (const bool streaming : {false, true}) {
      const std::string path = dir.file(streaming ? "streaming.h5" : "assembled.h5");
      build(MPI_COMM_WORLD, arch, plan, path, streaming, sizes_of(c).B + 1, true);
      lpnn::OwnedMat loaded = lpnn::load_constraint_matrix(MPI_COMM_WORLD, path, plan.layout);
      lpnn::OwnedMat fresh = fresh_matrix(MPI_COMM_WORLD, plan.layout);
      expect_no_problems(MPI_COMM_WORLD, compare_matrices(fresh, loaded),
                         std::string(streaming ? "streaming" : "assembled") + " build of " + c.name);
    }
  }
}

// A file built on P ranks loaded on fewer ranks (sub-communicators of 1 and 2 ranks), and a file built
// on one rank loaded on all P ranks: each equals the matrix freshly assembled on the loading ranks.
TEST(DistributedBuild, MatLoadOnOtherRankCountsEqualsTheFreshMatrix) {
  TempDir dir;
  const int ranks = world_size(), rank = world_rank();
  for (const Case& c : kCases) {
    SCOPED_TRACE(c.name);
    const lpnn::Architecture arch = arch_of(c);
    const lpnn::Plan plan = plan_of(arch, c, ranks);

    // Built on all ranks, loaded on fewer.
    const std::string wide = dir.file("built-on-all.h5");
    build(MPI_COMM_WORLD, arch, plan, wide, false, int64_t{1} << 24, true);
    for (const int loaders : {1, 2}) {
      if (loaders >= ranks) continue;
      MPI_Comm sub = MPI_COMM_NULL;
      MPI_Comm_split(MPI_COMM_WORLD, rank < loaders ? 0 : MPI_UNDEFINED, rank, &sub);
      std::string problems;
      if (sub != MPI_COMM_NULL) {
        try {
          lpnn::OwnedMat loaded = lpnn::load_constraint_matrix(sub, wide, plan.layout);
          lpnn::OwnedMat fresh = fresh_matrix(sub, plan.layout);
          problems = compare_matrices(fresh, loaded);
        } catch (const std::exception& e) {
          problems = e.what();
        }
        MPI_Comm_free(&sub);
      }
      expect_no_problems(MPI_COMM_WORLD, problems,
                         "file built on " + std::to_string(ranks) + " rank(s), loaded on " + std::to_string(loaders));
    }

    // Built on one rank (rank 0 alone, on MPI_COMM_SELF), loaded on all.
    const std::string narrow = dir.file("built-on-one.h5");
    std::string problems;
    if (rank == 0) {
      try {
        const lpnn::BuildReport report =
            build(MPI_COMM_SELF, arch, plan_of(arch, c, 1), narrow, false, int64_t{1} << 24, true);
        if (report.ranks != 1)
          problems = "the build on MPI_COMM_SELF reports " + std::to_string(report.ranks) + " ranks";
      } catch (const std::exception& e) {
        problems = e.what();
      }
    }
    expect_no_problems(MPI_COMM_WORLD, problems, "building on one rank");
    lpnn::OwnedMat loaded = lpnn::load_constraint_matrix(MPI_COMM_WORLD, narrow, plan.layout);
    lpnn::OwnedMat fresh = fresh_matrix(MPI_COMM_WORLD, plan.layout);
    expect_no_problems(MPI_COMM_WORLD, compare_matrices(fresh, loaded),
                       "file built on 1 rank, loaded on " + std::to_string(ranks));
    if (rank == 0) {
      EXPECT_EQ(compare_files(narrow, wide), "") << "files built on 1 and " << ranks << " ranks";
    }
  }
}

// Every chunk of every bulk dataset of two compressed files, as stored (H5Dread_chunk), equal.
void expect_same_chunks(const std::string& a_path, const std::string& b_path) {
  lpnn::h5::Handle a(H5Fopen(a_path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), H5Fclose, "opening " + a_path);
  lpnn::h5::Handle b(H5Fopen(b_path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), H5Fclose, "opening " + b_path);
  for (const char* name : {"/A/jc", "/A/ir", "/A/data", "/lp/b", "/lp/c", "/template/cost"}) {
    lpnn::h5::Handle da(H5Dopen2(a, name, H5P_DEFAULT), H5Dclose, name),
        db(H5Dopen2(b, name, H5P_DEFAULT), H5Dclose, name);
    lpnn::h5::Handle space(H5Dget_space(da), H5Sclose, name);
    hsize_t chunks = 0, chunks_b = 0;
    ASSERT_GE(H5Dget_num_chunks(da, space, &chunks), 0);
    lpnn::h5::Handle space_b(H5Dget_space(db), H5Sclose, name);
    ASSERT_GE(H5Dget_num_chunks(db, space_b, &chunks_b), 0);
    ASSERT_EQ(chunks, chunks_b) << name;
    for (hsize_t i = 0; i < chunks; ++i) {
      hsize_t at = 0, size_a = 0, size_b = 0;
      unsigned mask = 0;
      haddr_t address = 0;
      ASSERT_GE(H5Dget_chunk_info(da, space, i, &at, &mask, &address, &size_a), 0);
      ASSERT_GE(H5Dget_chunk_storage_size(db, &at, &size_b), 0);
      std::vector<std::uint8_t> stored_a(size_a), stored_b(size_b);
      std::uint32_t mask_a = 1, mask_b = 1;
      ASSERT_GE(H5Dread_chunk(da, H5P_DEFAULT, &at, &mask_a, stored_a.data()), 0);
      ASSERT_GE(H5Dread_chunk(db, H5P_DEFAULT, &at, &mask_b, stored_b.data()), 0);
      EXPECT_EQ(mask_a, mask_b) << name << " chunk at " << at;
      EXPECT_TRUE(stored_a == stored_b) << name << " chunk at " << at << ": " << size_a << " vs " << size_b << " bytes";
    }
  }
}

// The same polytope stored uncompressed and with shuffle + deflate: MatLoad reads equal matrices (and
// both equal the freshly assembled one), the vectors b and c are equal, and the compressed file really is
// chunked and filtered. (The h5py side of the same comparison is in check_layout.py.)
// Two cases keep it to seconds: D = 7 split unevenly, and one sample (at 4 ranks three own no rows).
TEST(DistributedBuild, CompressedFileLoadsEqualToTheUncompressedOne) {
  TempDir dir;
  for (const Case& c : {kCases[1], kCases[3]}) {
    SCOPED_TRACE(c.name);
    const lpnn::Architecture arch = arch_of(c);
    const lpnn::Plan plan = plan_of(arch, c, world_size());
    const std::string plain = dir.file("none.h5"), packed = dir.file("deflate.h5");
    EXPECT_EQ(build(MPI_COMM_WORLD, arch, plan, plain, false, int64_t{1} << 24, true).isal_chunks, 0);
    const lpnn::BuildReport report = build(MPI_COMM_WORLD, arch, plan, packed, false, int64_t{1} << 24, true,
                                           lpnn::StorageOptions::parse("deflate"));
    // The same build with 3 filter threads per rank stores the same chunks, byte for byte.
    const std::string threaded = dir.file("deflate-threads.h5");
    LPNN_PETSC(PetscOptionsSetValue(nullptr, "-lpnn_filter_threads", "3"));
    const lpnn::BuildReport threaded_report = build(MPI_COMM_WORLD, arch, plan, threaded, false, int64_t{1} << 24, true,
                                                    lpnn::StorageOptions::parse("deflate"));
    LPNN_PETSC(PetscOptionsClearValue(nullptr, "-lpnn_filter_threads"));
    EXPECT_EQ(threaded_report.filter_threads, 3);
    EXPECT_EQ(threaded_report.direct_chunks, report.direct_chunks);
    if (world_rank() == 0) expect_same_chunks(packed, threaded);
    if (world_rank() == 0) {
      lpnn::h5::quiet_errors();
      lpnn::h5::Handle file(H5Fopen(packed.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), H5Fclose, "opening " + packed);
      EXPECT_EQ(lpnn::h5::read_string_attribute(file, "storage"), "deflate:1");
      lpnn::h5::Handle set(H5Dopen2(file, "/A/ir", H5P_DEFAULT), H5Dclose, "opening /A/ir");
      lpnn::h5::Handle dcpl(H5Dget_create_plist(set), H5Pclose, "H5Dget_create_plist");
      EXPECT_EQ(H5Pget_layout(dcpl), H5D_CHUNKED);
      EXPECT_EQ(H5Pget_nfilters(dcpl), 2);  // shuffle, deflate
      // /lp/c is shuffled at level 1 when D is a power of two (D = 1 here), else unshuffled at zlib's
      // level 3 (D = 7): hdf5/format.hpp, shuffled().
      const bool c_shuffled = (c.samples & (c.samples - 1)) == 0;
      lpnn::h5::Handle costs(H5Dopen2(file, "/lp/c", H5P_DEFAULT), H5Dclose, "opening /lp/c");
      lpnn::h5::Handle costs_dcpl(H5Dget_create_plist(costs), H5Pclose, "H5Dget_create_plist");
      ASSERT_EQ(H5Pget_nfilters(costs_dcpl), c_shuffled ? 2 : 1);
      unsigned flags = 0, level = 0;
      std::size_t n_values = 1;
      const int deflate = c_shuffled ? 1 : 0;
      EXPECT_EQ(H5Pget_filter2(costs_dcpl, deflate, &flags, &n_values, &level, 0, nullptr, nullptr),
                H5Z_FILTER_DEFLATE);
      EXPECT_EQ(level, c_shuffled ? 1u : 3u);
      // HDF5's deflate filter reached ISA-L (hdf5/fast_deflate.hpp) for every chunk in the file but the
      // unshuffled costs' (zlib's), and for each dataset's fill-value chunk, which every rank deflates
      // when HDF5 allocates the chunks.
      hsize_t chunks = 0, stored = 0, template_chunks = 0;
      for (const char* name : {"/A/jc", "/A/ir", "/A/data", "/lp/b", "/lp/c", "/template/cost"}) {
        lpnn::h5::Handle d(H5Dopen2(file, name, H5P_DEFAULT), H5Dclose, name);
        lpnn::h5::Handle space(H5Dget_space(d), H5Sclose, name);
        hsize_t n = 0;
        ASSERT_GE(H5Dget_num_chunks(d, space, &n), 0);
        if (c_shuffled || std::string(name) != "/lp/c") chunks += n;
        stored += n;
        if (std::string(name) == "/template/cost") template_chunks = n;
      }
      EXPECT_GE(report.isal_chunks, static_cast<std::int64_t>(chunks));
      EXPECT_LE(report.isal_chunks, static_cast<std::int64_t>(chunks) + 6 * world_size());
      // Write steps and /lp/c's runs are whole chunks: lpnn filtered each of their chunks itself, on
      // one rank (hdf5/chunk_writer.hpp). The template's one chunk is split between the ranks, so at
      // several ranks it goes through HDF5's filters.
      EXPECT_EQ(report.direct_chunks, static_cast<std::int64_t>(stored - (world_size() > 1 ? template_chunks : 0)));
    }
    const lpnn::Polytope a = lpnn::load_polytope(MPI_COMM_WORLD, plain);
    lpnn::Polytope b = lpnn::load_polytope(MPI_COMM_WORLD, packed);
    PetscBool equal = PETSC_FALSE;
    LPNN_PETSC(MatEqual(a.A, b.A, &equal));
    EXPECT_TRUE(equal) << "MatEqual: compressed and uncompressed /A differ";
    LPNN_PETSC(VecEqual(a.b, b.b, &equal));
    EXPECT_TRUE(equal) << "VecEqual: /lp/b differs";
    LPNN_PETSC(VecEqual(a.c, b.c, &equal));
    EXPECT_TRUE(equal) << "VecEqual: /lp/c differs";
    // Not vacuous: the compressed file's matrix is the freshly assembled one (which a scaled copy is not),
    // and a changed b compares unequal.
    lpnn::OwnedMat fresh = fresh_matrix(MPI_COMM_WORLD, plan.layout);
    expect_no_problems(MPI_COMM_WORLD, compare_matrices(fresh, b.A), std::string("compressed build of ") + c.name);
    LPNN_PETSC(VecScale(b.b, 2.0));
    LPNN_PETSC(VecEqual(a.b, b.b, &equal));
    EXPECT_FALSE(equal) << "VecEqual found b scaled by 2 equal: the comparison is vacuous";
  }
}

// Streaming and assembled builds write the same file whatever the chunk: one row per chunk, about
// one sample per chunk, a few samples per chunk, all rows in one chunk. D is not a multiple of the
// rank count in most cases, so ranks make different numbers of writes and some write empty chunks.
}  // namespace
