// GoogleTest main for every lpnn test binary: MPI and PETSc up first, results printed by rank 0 only,
// and the exit code agreed across ranks so that mpiexec fails when any rank fails.
#include <gtest/gtest.h>
#include <mpi.h>

#include "lpnn/util/petsc.hpp"

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  int result = 0;
  {
    lpnn::PetscSession session(&argc, &argv);
    int rank = 0;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    if (rank != 0) {
      auto& listeners = ::testing::UnitTest::GetInstance()->listeners();
      delete listeners.Release(listeners.default_result_printer());
    }
    const int local = RUN_ALL_TESTS();
    MPI_Allreduce(&local, &result, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
  }
  return result;
}
