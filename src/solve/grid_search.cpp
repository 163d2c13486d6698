#include "lpnn/solve/grid_search.hpp"

#include <chrono>
#include <limits>

#include "lpnn/bags/layout.hpp"
#include "lpnn/solve/evaluate.hpp"
#include "lpnn/util/error.hpp"
#include "lpnn/util/mpi.hpp"
#include "lpnn/util/units.hpp"

namespace lpnn {

GridSearchResult grid_search(MPI_Comm comm, const Architecture& arch, const GridSpec& grid, const Dataset& data,
                             const RoundedNetwork* rounded) {
  const auto start = std::chrono::steady_clock::now();
  int rank = 0, ranks = 1;
  LPNN_MPI(MPI_Comm_rank(comm, &rank));
  LPNN_MPI(MPI_Comm_size(comm, &ranks));
  const std::int64_t points = checked_pow(grid.param, arch.parameters(), "the parameter grid size");
  const Dataset grid_data = round_to_grid(data, grid);
  const RoundedNetwork* const rounded_net = rounded;
  const Grid gp(grid.param);
  const SampleRange mine = SampleRange::of_rank(points, rank, ranks);
  std::vector<double> theta(arch.parameters());
  struct {
    double value;
    std::int64_t point;
  } best{std::numeric_limits<double>::infinity(), -1};
  for (std::int64_t a = mine.first; a < mine.first + mine.count; ++a) {
    grid_point(gp, a, theta);
    const double value =
        (rounded_net ? rounded_net->losses(theta, grid_data) : evaluate_losses(arch, theta, grid_data)).total();
    if (value < best.value) best = {value, a};
  }
  // Global minimum, ties to the smallest a: gather every rank's best.
  std::vector<double> values(ranks);
  std::vector<std::int64_t> indices(ranks);
  LPNN_MPI(MPI_Allgather(&best.value, 1, MPI_DOUBLE, values.data(), 1, MPI_DOUBLE, comm));
  LPNN_MPI(MPI_Allgather(&best.point, 1, MPI_INT64_T, indices.data(), 1, MPI_INT64_T, comm));
  GridSearchResult result;
  result.objective = std::numeric_limits<double>::infinity();
  for (int r = 0; r < ranks; ++r)
    if (indices[r] >= 0 && values[r] < result.objective) {
      result.objective = values[r];
      result.best_point = indices[r];
    }
  result.evaluations = points * data.samples;
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return result;
}

}  // namespace lpnn
