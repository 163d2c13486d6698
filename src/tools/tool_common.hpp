// What every lpnn tool main shares: PETSc/MPI start-up, one place that turns lpnn::Error into a
// message and a non-zero exit (aborting the other ranks so that none hangs in a collective).
#pragma once

#include <mpi.h>

#include <CLI/CLI.hpp>
#include <functional>
#include <string>

namespace lpnn::tool {

// Runs body(argc, argv) inside a PETSc session. Arguments after "--petsc" (or unknown options
// starting with a single dash) go to PETSc's options database. Returns the process exit code.
int run(int argc, char** argv, const char* name, const std::function<int(int, char**)>& body);

// Parses the tool's arguments. --help, --version and usage errors print once (rank 0, through CLI11's
// own formatter) and end the tool with CLI11's exit code.
void parse_arguments(CLI::App& app, int argc, char** argv);

int rank();
bool is_root();

// A size such as "8G", "512MiB" or "1e9" (binary units, suffix optional) in bytes; `option` names the
// option in the error for anything else.
double parse_bytes(const std::string& text, const char* option);

}  // namespace lpnn::tool
