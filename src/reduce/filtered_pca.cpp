#include "lpnn/reduce/filtered_pca.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

#include "lpnn/reduce/statistics.hpp"
#include "lpnn/util/error.hpp"
#include "lpnn/util/mpi.hpp"
#include "lpnn/util/phase.hpp"

namespace lpnn::reduce {

// The cells of a conditioning step: signs of uᵀx along at most this many found directions (2^3
// cells); more would split the samples too thinly for a d × d statistic per cell.
constexpr int kCellDirections = 3;

LocalSamples load_samples(MPI_Comm comm, const std::string& path, std::int64_t outputs) {
  if (outputs < 1) fail("--outputs must be at least 1 (the number of label columns at the end of each row)");
  for (const char* ext : {".h5", ".hdf5"})
    if (path.size() > std::strlen(ext) && path.compare(path.size() - std::strlen(ext), std::string::npos, ext) == 0)
      fail("{}: lpnn-reduce reads CSV only (d input columns, then the labels); write X and Y side by side as CSV",
           path);
  const std::int64_t columns = csv_data_columns(path);
  if (columns <= outputs)
    fail("{}: the first data row has {} columns, but --outputs {} leaves no input column", path, columns, outputs);
  Dataset full = read_csv(path, columns - outputs, outputs);
  int rank = 0, ranks = 1;
  LPNN_MPI(MPI_Comm_rank(comm, &rank));
  LPNN_MPI(MPI_Comm_size(comm, &ranks));
  LocalSamples data;
  data.samples = full.samples;
  data.inputs = full.inputs;
  data.outputs = outputs;
  data.origin = path;
  data.rows = owned_chunks(full.samples, rank, ranks).rows;
  data.x = Eigen::Map<const RowMatrix>(full.x.data() + data.rows.begin * data.inputs, data.rows.size(), data.inputs);
  data.y = std::move(full.y);
  return data;
}

void validate_input(const LocalSamples& data, const ReduceOptions& options) {
  if (options.rank_cap != -1 && options.rank_cap < 1)
    fail("--rank-cap is {}, it must be at least 1 (the largest number of directions to keep)", options.rank_cap);
  if (data.samples <= data.inputs)
    fail(
        "{}: {} samples for {} input dimensions; the method estimates d × d second moments and needs more samples "
        "than dimensions (at least {}, in practice many times d)",
        data.origin, data.samples, data.inputs, data.inputs + 1);
  for (std::int64_t k = 0; k < data.outputs; ++k)
    for (std::int64_t i = 1; i < data.samples; ++i)
      if (data.y[i * data.outputs + k] != data.y[k]) return;
  fail(
      "{}: every label column is constant (label column 1 holds only {}); the filters split the samples by label, "
      "so the labels must vary. Check --outputs ({}) and the column order: labels come last",
      data.origin, data.y[0], data.outputs);
}

namespace {

// Whitens (or not) the local rows; records the map in `red` and a warning for uncentered data.
RowMatrix prepare_inputs(const LocalSamples& data, const Moments& mom, const ReduceOptions& options, Reduction& red,
                         std::string& warning) {
  const std::int64_t d = data.inputs;
  red.dimension = d;
  red.offset.assign(d, 0.0);
  if (!options.whiten) {
    // The statistic assumes E[x] = 0: a mean shows up as spurious directions. Warn when a coordinate's
    // mean is both significant (beyond 5 standard errors) and not negligible (beyond 5% of its spread).
    const double s = static_cast<double>(data.samples);
    std::int64_t worst = -1;
    double worst_ratio = 0;
    for (std::int64_t i = 0; i < d; ++i) {
      const double sd = std::sqrt(std::max(mom.covariance(i, i), 0.0)), mu = std::abs(mom.mean(i));
      const double ratio = mu / std::max(sd, 1e-300);
      if (mu > 5.0 * sd / std::sqrt(s) && ratio > 0.05 && ratio > worst_ratio) worst = i, worst_ratio = ratio;
    }
    if (worst >= 0)
      warning = fmt::format(
          "the inputs are not centered: column {} has mean {:.6g} (standard deviation {:.6g}); the largest |mean| "
          "over all columns is {:.6g}. Filtered PCA assumes zero mean and identity covariance: pass --whiten, or "
          "center the data",
          worst + 1, mom.mean(worst), std::sqrt(mom.covariance(worst, worst)), mom.mean.cwiseAbs().maxCoeff());
    return data.x;
  }
  Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> eig(mom.covariance);
  const double top = eig.eigenvalues().maxCoeff(), bottom = eig.eigenvalues().minCoeff();
  if (!(top > 0) || bottom <= 1e-12 * top) {
    std::int64_t flat = 0;
    eig.eigenvectors().col(0).cwiseAbs().maxCoeff(&flat);
    fail(
        "{}: the input covariance is singular (smallest eigenvalue {:.3g}, largest {:.3g}), so it cannot be "
        "whitened: some columns are constant or linear combinations of others (column {} is most involved); "
        "drop them",
        data.origin, bottom, top, flat + 1);
  }
  const Eigen::MatrixXd w =
      eig.eigenvectors() * eig.eigenvalues().cwiseSqrt().cwiseInverse().asDiagonal() * eig.eigenvectors().transpose();
  red.whitening.resize(d * d);
  Eigen::Map<RowMatrix>(red.whitening.data(), d, d) = w;
  std::copy(mom.mean.data(), mom.mean.data() + d, red.offset.begin());
  return (data.x.rowwise() - mom.mean.transpose()) * w;  // W symmetric: rows W(x − μ)
}

// Per local row: the cell of the sign pattern of uᵀx along the first found directions.
std::vector<int> cells_of(const RowMatrix& xw, const Eigen::MatrixXd& u, int& cells) {
  const int directions = static_cast<int>(std::min<Eigen::Index>(u.cols(), kCellDirections));
  cells = 1 << directions;
  std::vector<int> cell(xw.rows(), 0);
  for (int t = 0; t < directions; ++t) {
    const Eigen::VectorXd side = xw * u.col(t);
    for (Eigen::Index i = 0; i < xw.rows(); ++i) cell[i] |= (side(i) > 0) << t;
  }
  return cell;
}

// One step: statistics in the current cells on the residual, eigen-decomposition, directions above
// the floor appended to `u` (at most `room`).
ReduceStep find_directions(MPI_Comm comm, const LocalSamples& data, const RowMatrix& xw, const Eigen::VectorXd& mean,
                           const Eigen::MatrixXd& second, const Filters& both, std::int64_t real_filters,
                           const ReduceOptions& options, std::int64_t room, Eigen::MatrixXd& u,
                           std::vector<double>& kept_eigenvalues) {
  const std::int64_t d = data.inputs;
  ReduceStep step;
  int cells = 1;
  const std::vector<int> cell = cells_of(xw, u, cells);
  const FilteredMoments m = filtered_moments(comm, data, xw, cell, cells, both, mean, second);
  const Eigen::MatrixXd q = Eigen::MatrixXd::Identity(d, d) - u * u.transpose();
  Eigen::MatrixXd a = Eigen::MatrixXd::Zero(d, d), null = Eigen::MatrixXd::Zero(d, d);
  for (int c = 0; c < cells; ++c)
    for (std::int64_t j = 0; j < both.size(); ++j) {
      const Eigen::MatrixXd mq = q * m.second[c * both.size() + j] * q;
      const Eigen::VectorXd vq = q * m.first[c * both.size() + j];
      (j < real_filters ? a : null).noalias() += mq * mq + vq * vq.transpose();
    }
  step.cells = cells;
  step.filters = real_filters;
  Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> eig(a), eig_null(null, Eigen::EigenvaluesOnly);
  step.null_eigenvalue = eig_null.eigenvalues()(d - 1);
  step.floor = options.floor_factor * step.null_eigenvalue;
  for (std::int64_t k = d - 1; k >= 0 && k >= d - 8; --k) step.eigenvalues.push_back(eig.eigenvalues()(k));
  for (std::int64_t k = d - 1; k >= 0 && step.kept < room && eig.eigenvalues()(k) > step.floor; --k) {
    Eigen::VectorXd v = eig.eigenvectors().col(k);
    v -= u * (u.transpose() * v);  // exact orthogonality to earlier directions despite rounding
    v.normalize();
    Eigen::Index largest = 0;
    v.cwiseAbs().maxCoeff(&largest);
    if (v(largest) < 0) v = -v;  // a fixed sign, so bases compare entry by entry
    u.conservativeResize(d, u.cols() + 1);
    u.col(u.cols() - 1) = v;
    kept_eigenvalues.push_back(eig.eigenvalues()(k));
    ++step.kept;
  }
  return step;
}

// The reduced coordinates of all samples: scaling fitted over every rank, values gathered to rank 0.
void project_and_gather(MPI_Comm comm, const LocalSamples& data, ReduceResult& result) {
  Reduction& red = result.reduction;
  const std::int64_t r = red.rank();
  int rank = 0, ranks = 1;
  LPNN_MPI(MPI_Comm_rank(comm, &rank));
  LPNN_MPI(MPI_Comm_size(comm, &ranks));
  std::vector<double> local;
  // Rank-local (the root's buffer for every sample can run out of memory there alone): agreed first.
  run_phase(comm, "reduce_project", "projecting this rank's samples", [&] {
    local.resize(static_cast<std::size_t>(data.rows.size() * r));
    if (rank == 0) result.reduced.resize(static_cast<std::size_t>(data.samples * r));
    for (std::int64_t i = 0; i < data.rows.size(); ++i)
      red.project(std::span<const double>(data.x.row(i).data(), data.inputs),
                  std::span<double>(local.data() + i * r, static_cast<std::size_t>(r)));
    red.reduced_min.assign(r, std::numeric_limits<double>::infinity());
    red.reduced_max.assign(r, -std::numeric_limits<double>::infinity());
    for (std::size_t k = 0; k < local.size(); ++k) {
      red.reduced_min[k % r] = std::min(red.reduced_min[k % r], local[k]);
      red.reduced_max[k % r] = std::max(red.reduced_max[k % r], local[k]);
    }
  });
  LPNN_MPI(MPI_Allreduce(MPI_IN_PLACE, red.reduced_min.data(), static_cast<int>(r), MPI_DOUBLE, MPI_MIN, comm));
  LPNN_MPI(MPI_Allreduce(MPI_IN_PLACE, red.reduced_max.data(), static_cast<int>(r), MPI_DOUBLE, MPI_MAX, comm));
  std::vector<int> counts(ranks), displacements(ranks);
  for (int p = 0; p < ranks; ++p) {
    const RowRange rows = owned_chunks(data.samples, p, ranks).rows;
    counts[p] = static_cast<int>(rows.size() * r);
    displacements[p] = static_cast<int>(rows.begin * r);
  }
  LPNN_MPI(MPI_Gatherv(local.data(), static_cast<int>(local.size()), MPI_DOUBLE, result.reduced.data(), counts.data(),
                       displacements.data(), MPI_DOUBLE, 0, comm));
  if (rank != 0) return;
  for (std::size_t k = 0; k < result.reduced.size(); ++k) {
    const double lo = red.reduced_min[k % r], hi = red.reduced_max[k % r];
    result.reduced[k] = hi <= lo ? 0.0 : std::clamp(2.0 * (result.reduced[k] - lo) / (hi - lo) - 1.0, -1.0, 1.0);
  }
}

}  // namespace

ReduceResult filtered_pca(MPI_Comm comm, const LocalSamples& data, const ReduceOptions& options) {
  validate_input(data, options);
  if (data.samples * data.inputs > std::numeric_limits<int>::max())
    fail("{}: {} × {} reduced values exceed one MPI message; split the data", data.origin, data.samples, data.inputs);
  const std::int64_t d = data.inputs;
  ReduceResult result;
  // 1. Moments; whitening or the centering check.
  const Moments mom = moments(comm, data);
  result.mean.assign(mom.mean.data(), mom.mean.data() + d);
  const RowMatrix xw = prepare_inputs(data, mom, options, result.reduction, result.warning);
  // x̄ and Σ̂ = (1/s) Σ x xᵀ in the coordinates of xw: W(μ − o) and W (C + (μ − o)(μ − o)ᵀ) W, with W = I
  // and o = 0 unwhitened.
  const Eigen::VectorXd shift = mom.mean - Eigen::Map<const Eigen::VectorXd>(result.reduction.offset.data(), d);
  Eigen::MatrixXd second = mom.covariance + shift * shift.transpose();
  Eigen::VectorXd mean = shift;
  if (options.whiten) {
    const Eigen::Map<const RowMatrix> w(result.reduction.whitening.data(), d, d);
    second = w * second * w.transpose();
    mean = w * shift;
  }
  // 2. Label filters and their permuted twins (the null model for the floor), as one filter list.
  const Filters real = label_filters(data), null = permuted(real, options.seed);
  Filters both = real;
  both.member.insert(both.member.end(), null.member.begin(), null.member.end());
  both.names.insert(both.names.end(), null.names.begin(), null.names.end());
  // 3. Steps: find, condition on what was found, find again.
  const std::int64_t cap = options.rank_cap > 0 ? std::min(options.rank_cap, d) : d;
  Eigen::MatrixXd u(d, 0);
  for (int step = 0; step <= options.max_steps && u.cols() < cap; ++step) {
    result.steps.push_back(find_directions(comm, data, xw, mean, second, both, real.size(), options, cap - u.cols(), u,
                                           result.eigenvalues));
    result.steps.back().step = step;
    if (result.steps.back().kept == 0) break;
  }
  if (u.cols() == 0)
    fail(
        "{}: no direction stands above the noise floor (largest eigenvalue {:.4g}, floor {:.4g}): at {} samples "
        "the labels show no dependence on the inputs that this statistic can see. Use more samples, or lower "
        "--floor-factor (now {}) at the risk of keeping noise{}",
        data.origin, result.steps[0].eigenvalues[0], result.steps[0].floor, data.samples, options.floor_factor,
        result.warning.empty() ? "" : ". Note: " + result.warning);
  // 4. The map and the reduced data.
  Reduction& red = result.reduction;
  red.basis.resize(u.cols() * d);
  Eigen::Map<RowMatrix>(red.basis.data(), u.cols(), d) = u.transpose();
  red.projection = red.basis;
  if (options.whiten)
    Eigen::Map<RowMatrix>(red.projection.data(), u.cols(), d) =
        u.transpose() * Eigen::Map<const RowMatrix>(red.whitening.data(), d, d);
  project_and_gather(comm, data, result);
  return result;
}

nlohmann::json basis_json(const ReduceResult& result, const LocalSamples& data, const ReduceOptions& options) {
  nlohmann::json j{{"format", kBasisFormat}, {"format_version", kBasisFormatVersion}};
  const nlohmann::json reduction = result.reduction.to_json();  // items() must not outlive it
  for (const auto& item : reduction.items()) j[item.key()] = item.value();
  nlohmann::json steps = nlohmann::json::array(), floors = nlohmann::json::array();
  for (const ReduceStep& s : result.steps) {
    steps.push_back({{"step", s.step},
                     {"cells", s.cells},
                     {"filters", s.filters},
                     {"eigenvalues", s.eigenvalues},
                     {"null_eigenvalue", s.null_eigenvalue},
                     {"floor", s.floor},
                     {"kept", s.kept}});
    floors.push_back(s.floor);
  }
  j["eigenvalues"] = result.eigenvalues;
  j["floor"] = floors;
  j["steps"] = steps;
  j["floor_method"] = {{"kind", "permuted labels"}, {"factor", options.floor_factor}, {"seed", options.seed}};
  j["input_mean"] = result.mean;
  j["samples"] = data.samples;
  j["outputs"] = data.outputs;
  j["source"] = data.origin;
  return j;
}

}  // namespace lpnn::reduce
