#include "lpnn/reduce/statistics.hpp"

#include <algorithm>
#include <cmath>
#include <random>

#include "lpnn/util/error.hpp"
#include "lpnn/util/mpi.hpp"

namespace lpnn::reduce {

namespace {

std::int64_t triangle(std::int64_t d) { return d * (d + 1) / 2; }

// Lower triangle of a symmetric d × d matrix, column by column, added into `out`.
void add_lower(const Eigen::MatrixXd& m, double* out) {
  const std::int64_t d = m.rows();
  for (std::int64_t j = 0, k = 0; j < d; ++j)
    for (std::int64_t i = j; i < d; ++i, ++k) out[k] += m(i, j);
}

Eigen::MatrixXd from_lower(const double* packed, std::int64_t d) {
  Eigen::MatrixXd m(d, d);
  for (std::int64_t j = 0, k = 0; j < d; ++j)
    for (std::int64_t i = j; i < d; ++i, ++k) m(i, j) = m(j, i) = packed[k];
  return m;
}

// The q-quantile of sorted values (lower interpolation: an actual value, so ties stay ties).
double quantile(const std::vector<double>& sorted, double q) {
  return sorted[static_cast<std::size_t>(std::floor(q * static_cast<double>(sorted.size() - 1)))];
}

}  // namespace

Moments moments(MPI_Comm comm, const LocalSamples& data) {
  const std::int64_t d = data.inputs;
  const std::vector<double> sum = deterministic_sum(comm, data.samples, d + triangle(d), [&](RowRange rows, auto& out) {
    const auto block = data.x.middleRows(rows.begin - data.rows.begin, rows.size());
    Eigen::VectorXd first = block.colwise().sum().transpose();
    std::copy(first.data(), first.data() + d, out.begin());
    Eigen::MatrixXd second = Eigen::MatrixXd::Zero(d, d);
    second.selfadjointView<Eigen::Lower>().rankUpdate(block.transpose());
    add_lower(second, out.data() + d);
  });
  const double s = static_cast<double>(data.samples);
  Moments m;
  m.mean = Eigen::Map<const Eigen::VectorXd>(sum.data(), d) / s;
  m.covariance = from_lower(sum.data() + d, d) / s - m.mean * m.mean.transpose();
  return m;
}

Filters label_filters(const LocalSamples& data) {
  Filters f;
  const std::int64_t s = data.samples, m = data.outputs;
  auto add = [&](std::vector<char> member, std::string name) {
    const auto passing = std::count(member.begin(), member.end(), 1);
    if (passing == 0 || passing == s) return;
    if (std::find(f.member.begin(), f.member.end(), member) != f.member.end()) return;
    f.member.push_back(std::move(member));
    f.names.push_back(std::move(name));
  };
  for (std::int64_t k = 0; k < m; ++k) {
    std::vector<double> y(s);
    for (std::int64_t i = 0; i < s; ++i) y[i] = data.y[i * m + k];
    std::vector<double> sorted = y;
    std::sort(sorted.begin(), sorted.end());
    const double median = quantile(sorted, 0.5);
    std::vector<double> spread(s);
    for (std::int64_t i = 0; i < s; ++i) spread[i] = std::abs(y[i] - median);
    std::vector<double> spread_sorted = spread;
    std::sort(spread_sorted.begin(), spread_sorted.end());
    for (double q : {0.5, 0.8}) {
      const double tau = quantile(spread_sorted, q);
      std::vector<char> member(s);
      for (std::int64_t i = 0; i < s; ++i) member[i] = spread[i] > tau;
      add(std::move(member), fmt::format("|y{} - median| > q{}", k + 1, q));
    }
    const double edges[] = {-INFINITY, quantile(sorted, 1.0 / 3), quantile(sorted, 2.0 / 3), INFINITY};
    for (int b = 0; b < 3; ++b) {
      std::vector<char> member(s);
      for (std::int64_t i = 0; i < s; ++i) member[i] = y[i] > edges[b] && y[i] <= edges[b + 1];
      add(std::move(member), fmt::format("y{} in bin {}/3", k + 1, b + 1));
    }
  }
  return f;
}

Filters permuted(const Filters& filters, std::uint64_t seed) {
  Filters out = filters;
  if (filters.member.empty()) return out;
  const std::size_t s = filters.member[0].size();
  std::vector<std::size_t> order(s);
  for (std::size_t i = 0; i < s; ++i) order[i] = i;
  // Fisher-Yates with the raw engine (std::shuffle's use of the engine is implementation-defined; this
  // permutation is the same on every rank of one build, which is all the determinism needs).
  std::mt19937_64 engine(seed);
  for (std::size_t i = s - 1; i > 0; --i) std::swap(order[i], order[engine() % (i + 1)]);
  for (std::size_t j = 0; j < filters.member.size(); ++j) {
    for (std::size_t i = 0; i < s; ++i) out.member[j][i] = filters.member[j][order[i]];
    out.names[j] = "permuted " + filters.names[j];
  }
  return out;
}

FilteredMoments filtered_moments(MPI_Comm comm, const LocalSamples& data, const RowMatrix& xw,
                                 const std::vector<int>& cell, int cells, const Filters& filters,
                                 const Eigen::VectorXd& mean, const Eigen::MatrixXd& second) {
  // Per group: the lower triangle of Σ g x xᵀ, then Σ g x, then Σ g.
  const std::int64_t d = data.inputs, groups = cells * filters.size(), stride = triangle(d) + d + 1;
  const std::vector<double> sum = deterministic_sum(comm, data.samples, groups * stride, [&](RowRange rows, auto& out) {
    // Rows of this chunk per group, in row order; then one symmetric rank-n update per group.
    std::vector<std::vector<std::int64_t>> members(groups);
    for (std::int64_t i = rows.begin; i < rows.end; ++i) {
      const std::int64_t local = i - data.rows.begin;
      for (std::int64_t j = 0; j < filters.size(); ++j)
        if (filters.member[j][i]) members[cell[local] * filters.size() + j].push_back(local);
    }
    Eigen::MatrixXd block, outer(d, d);
    for (std::int64_t g = 0; g < groups; ++g) {
      if (members[g].empty()) continue;
      block.resize(static_cast<Eigen::Index>(members[g].size()), d);
      for (std::size_t r = 0; r < members[g].size(); ++r) block.row(r) = xw.row(members[g][r]);
      outer.setZero();
      outer.selfadjointView<Eigen::Lower>().rankUpdate(block.transpose());
      add_lower(outer, out.data() + g * stride);
      const Eigen::VectorXd first = block.colwise().sum().transpose();
      for (std::int64_t k = 0; k < d; ++k) out[g * stride + triangle(d) + k] += first(k);
      out[g * stride + stride - 1] += static_cast<double>(members[g].size());
    }
  });
  const double s = static_cast<double>(data.samples);
  FilteredMoments result;
  result.second.resize(groups);
  result.first.resize(groups);
  for (std::int64_t g = 0; g < groups; ++g) {
    const double share = sum[g * stride + stride - 1] / s;
    result.second[g] = from_lower(sum.data() + g * stride, d) / s - share * second;
    result.first[g] = Eigen::Map<const Eigen::VectorXd>(sum.data() + g * stride + triangle(d), d) / s - share * mean;
  }
  return result;
}

}  // namespace lpnn::reduce
