// What every lpnn tool main shares: PETSc/MPI start-up, one place that turns lpnn::Error into a
// message and a non-zero exit (aborting the other ranks so that none hangs in a collective).
#pragma once

#include <mpi.h>

#include <functional>
#include <string>

namespace lpnn::tool {

// Runs body(argc, argv) inside a PETSc session. Arguments after "--petsc" (or unknown options
// starting with a single dash) go to PETSc's options database. Returns the process exit code.
int run(int argc, char** argv, const char* name, const std::function<int(int, char**)>& body);

int rank();
bool is_root();

}  // namespace lpnn::tool
