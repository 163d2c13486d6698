// The sample statistics filtered PCA is made of, each summed over ranks deterministically
// (chunked_sum.hpp): first and second moments, label filters, and the filtered second moments
//     M̂_g = (1/s) Σ_i g(i) (x_i xᵢᵀ − Σ̂)
// for indicator weights g(i) ∈ {0, 1} (a label filter, possibly restricted to a cell of samples).
#pragma once

#include <mpi.h>

#include <Eigen/Dense>
#include <cstdint>
#include <string>
#include <vector>

#include "lpnn/reduce/filtered_pca.hpp"

namespace lpnn::reduce {

struct Moments {
  Eigen::VectorXd mean;        // (1/s) Σ x_i
  Eigen::MatrixXd covariance;  // (1/s) Σ (x_i − μ)(x_i − μ)ᵀ
};
// Collective.
Moments moments(MPI_Comm comm, const LocalSamples& data);

// Indicator vectors over all s samples, built from the labels alone (identically on every rank).
struct Filters {
  std::vector<std::vector<char>> member;  // member[j][i]: sample i passes filter j
  std::vector<std::string> names;         // for reports: "|y1 - median| > q0.5", "y1 in bin 2/3"
  std::int64_t size() const { return static_cast<std::int64_t>(member.size()); }
};
// Per label column that varies: |y − median(y)| above its 50% and 80% quantiles, and y in each of
// three quantile bins. Filters passing no sample or every sample (they carry no information),
// and repeats of an earlier filter (binary labels), are left out.
Filters label_filters(const LocalSamples& data);
// The same filters applied to labels permuted across samples by a fixed seeded shuffle: a null
// model with the same filter sizes and no dependence on x.
Filters permuted(const Filters& filters, std::uint64_t seed);

// Collective. `xw`: this rank's rows (data.rows) in the coordinates the statistic uses; `cell`: per
// local row, its cell in [0, cells); `mean` x̄ and `second` Σ̂ = (1/s) Σ_i x_i xᵢᵀ over all samples in
// those coordinates. For each group g = cell·F + j, with p_g = (1/s) Σ_i g(i):
//     second[g] = M̂_g = (1/s) Σ_i g(i) x_i xᵢᵀ − p_g Σ̂,      first[g] = v̂_g = (1/s) Σ_i g(i) x_i − p_g x̄,
// over all samples, without any projection. For standardized Gaussian x, Σ̂ ≈ I, x̄ ≈ 0 and M̂_g is the
// (1/s) Σ g(i)(x_i xᵢᵀ − I) of the method; subtracting the sample moments instead of I and 0 removes
// their own sampling error, so a filter independent of x (the permuted null) gives M̂ ≈ 0 and v̂ ≈ 0
// whatever the scale of x. v̂_g = E[g(y) x] lies in V by the same argument as M̂_g (the part of x off
// V is independent of y and has mean 0); it carries class-mean directions that second moments of
// non-Gaussian data can bury, and vanishes for symmetric networks, where M̂_g takes over.
struct FilteredMoments {
  std::vector<Eigen::MatrixXd> second;
  std::vector<Eigen::VectorXd> first;
};
FilteredMoments filtered_moments(MPI_Comm comm, const LocalSamples& data, const RowMatrix& xw,
                                 const std::vector<int>& cell, int cells, const Filters& filters,
                                 const Eigen::VectorXd& mean, const Eigen::MatrixXd& second);

}  // namespace lpnn::reduce
