#include "tool_common.hpp"

#include <CLI/CLI.hpp>
#include <csignal>
#include <cstdio>

#include "lpnn/util/error.hpp"
#include "lpnn/util/mpi.hpp"
#include "lpnn/util/petsc.hpp"
#include "lpnn/util/phase.hpp"

namespace lpnn::tool {

namespace {
struct ExitRequest {
  int code;
};
}  // namespace

void parse_arguments(CLI::App& app, int argc, char** argv) {
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = e.get_exit_code();
    if (is_root()) code = app.exit(e);
    throw ExitRequest{code == 0 ? 0 : 2};
  }
}

int rank() {
  int r = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &r);
  return r;
}

bool is_root() { return rank() == 0; }

double parse_bytes(const std::string& text, const char* option) {
  std::size_t used = 0;
  double value = 0;
  try {
    value = std::stod(text, &used);
  } catch (const std::exception&) {
    fail("{}: \"{}\" is not a size (examples: 8G, 512M, 1e9)", option, text);
  }
  std::string unit = text.substr(used);
  for (auto& c : unit) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  const std::pair<const char*, double> units[] = {{"", 1},
                                                  {"B", 1},
                                                  {"K", 1024.0},
                                                  {"KB", 1024.0},
                                                  {"KIB", 1024.0},
                                                  {"M", 1048576.0},
                                                  {"MB", 1048576.0},
                                                  {"MIB", 1048576.0},
                                                  {"G", 1073741824.0},
                                                  {"GB", 1073741824.0},
                                                  {"GIB", 1073741824.0},
                                                  {"T", 1099511627776.0},
                                                  {"TB", 1099511627776.0},
                                                  {"TIB", 1099511627776.0}};
  for (const auto& [name, factor] : units)
    if (unit == name) {
      if (!(value > 0)) fail("{} must be positive, got {}", option, text);
      return value * factor;
    }
  fail("{}: unknown unit \"{}\" in \"{}\" (use K, M, G or T)", option, unit, text);
}

namespace {

// Called inside a catch handler: prints "NAME: error: rank R failed while PHASE: MESSAGE" on this rank
// and, with other ranks, aborts the job.
void report_unagreed(const char* name, int size) {
  std::string message;
  try {
    throw;
  } catch (const UnagreedFault& e) {
    message = e.message;
  } catch (...) {
    message = capture_failure([] { throw; });
  }
  const std::string& phase = current_phase();
  if (!phase.empty()) message = fmt::format("rank {} failed while {}: {}", rank(), phase, message);
  if (size > 1) abort_job(MPI_COMM_WORLD, message);
  std::fprintf(stderr, "%s: error: %s\n", name, message.c_str());
}

}  // namespace

int run(int argc, char** argv, const char* name, const std::function<int(int, char**)>& body) {
  // A file-size limit must surface as a write error we report, not as a silent SIGXFSZ death.
  std::signal(SIGXFSZ, SIG_IGN);
  // PETSc sees only what follows "--petsc" (e.g. -log_view); the tool's own parser sees the rest.
  int tool_argc = argc, petsc_argc = 1;
  std::vector<char*> petsc_argv{argv[0]};
  for (int i = 1; i < argc; ++i)
    if (std::string(argv[i]) == "--petsc") {
      tool_argc = i;
      for (int k = i + 1; k < argc; ++k) petsc_argv.push_back(argv[k]);
      petsc_argc = static_cast<int>(petsc_argv.size());
      break;
    }
  petsc_argv.push_back(nullptr);
  char** petsc_args = petsc_argv.data();
  int code = 0;
  try {
    PetscSession session(&petsc_argc, &petsc_args);
    int size = 1;
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    try {
      code = body(tool_argc, argv);
    } catch (const ExitRequest& request) {
      code = request.code;
    } catch (const CollectiveError& e) {
      if (is_root()) std::fprintf(stderr, "%s: error: %s\n", name, e.what());
      code = 1;
    } catch (...) {
      // A failure no agreement caught: this rank alone knows it, the others may wait in a collective.
      // Say where it happened and stop them rather than hang.
      report_unagreed(name, size);
      code = 1;
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s: error: %s\n", name, e.what());
    return 1;
  }
  return code;
}

}  // namespace lpnn::tool
