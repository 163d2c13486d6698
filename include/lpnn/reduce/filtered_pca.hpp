// Filtered PCA (after Chen, Klivans and Meka): the subspace of R^d a ReLU network's labels depend on.
//
// The fact it rests on. Let the labels be y = F(x) with F depending on x only through Px, P the
// orthogonal projector onto a subspace V (for a network: the span of the first layer's weight rows),
// and x ~ N(0, I). For any function g of the label,
//     M_g = E[ g(y) (x xᵀ − I) ]
// satisfies M_g = P M_g P: the part of x orthogonal to V is independent of Px and has identity
// covariance, so it averages out. Every eigenvector of M_g with a non-zero eigenvalue lies in V.
// Plain PCA (E[x xᵀ] = I) sees nothing, and the correlational statistic E[y (x xᵀ − I)] only sees
// the second Hermite coefficient of F, which cancels for networks with mixed-sign output weights.
// Indicator "filters" of the label (|y − median| above a quantile; y in a quantile bin) are not
// linear in y and do not share that blind spot.
//
// What is computed, from s samples:
//   1. Moments: mean μ and covariance C. With whitening, x ← C^{-1/2} (x − μ); without, x is used as
//      given and a mean far from 0 is reported as a warning (the statistic assumes E[x] = 0, Cov = I).
//   2. Statistics: for filters g_j and cells c (below), M̂_cj = (1/s) Σ_i 1[i ∈ c] g_j(y_i) Q(x_i xᵢᵀ − Σ̂)Q,
//      Q = I − UUᵀ the projector off the directions U found so far, Σ̂ = (1/s) Σ_i x_i xᵢᵀ (≈ I; using the
//      sample value instead of I removes the second moment's own sampling error, statistics.hpp), and
//      A = Σ_cj (M̂_cj² + v̂_cj v̂_cjᵀ), v̂_cj = (1/s) Σ_i 1[i ∈ c] g_j(y_i) Q x_i the filtered mean, which
//      lies in V as well and carries class-mean directions (statistics.hpp).
//   3. Noise floor: the same A computed with the labels randomly permuted across samples (which
//      breaks every dependence of y on x while keeping both distributions), times floor_factor: its
//      largest eigenvalue is what sampling noise alone produces at this s, d and filter set.
//   4. Directions: eigenvectors of A whose eigenvalue stands above the floor join U.
//   5. Conditioning: the next step cuts the samples into cells by the signs of uᵀx for the first
//      (up to 3) found directions u, the activation pattern of units along them, and repeats 2-4 on
//      the residual Qx. Directions that only matter once the found ones are fixed appear here.
//      It stops when a step finds nothing, the rank cap is reached, or after max_steps steps.
// Sums over samples are exact-order deterministic (chunked_sum.hpp): any rank count, same basis.
#pragma once

#include <mpi.h>

#include <Eigen/Dense>
#include <cstdint>
#include <string>
#include <vector>

#include "lpnn/reduce/chunked_sum.hpp"
#include "lpnn/reduce/reduction.hpp"
#include "lpnn/solve/dataset.hpp"

namespace lpnn::reduce {

using RowMatrix = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

struct ReduceOptions {
  std::int64_t rank_cap = -1;  // at most this many directions; -1: no cap besides d
  bool whiten = false;
  int max_steps = 4;           // conditioning steps after the first
  double floor_factor = 2.0;   // floor = factor × largest eigenvalue of the label-permuted statistic
  std::uint64_t seed = 12345;  // the label permutation
};

// This rank's share of the samples: its rows of X (chunk-aligned), and all labels (s × m, small).
struct LocalSamples {
  std::int64_t samples = 0, inputs = 0, outputs = 0;
  RowRange rows;          // global rows held in x
  RowMatrix x;            // rows.size() × d, raw
  std::vector<double> y;  // samples × outputs, every sample
  std::string origin;
};

// Collective. Every rank reads `path` (CSV: d inputs then `outputs` label columns; d from the first
// data row) and keeps its chunk rows of X. Throws lpnn::Error for unreadable files and bad cells.
LocalSamples load_samples(MPI_Comm comm, const std::string& path, std::int64_t outputs);

// Rank-local, the same on every rank: throws lpnn::Error for input the method cannot use (fewer
// samples than dimensions, no label column that varies, a rank cap below 1 (-1 means none)).
void validate_input(const LocalSamples& data, const ReduceOptions& options);

struct ReduceStep {
  int step = 0;
  std::int64_t cells = 1, filters = 0;  // statistics formed: cells × filters
  std::vector<double> eigenvalues;      // largest first (at most 8)
  double null_eigenvalue = 0;           // largest eigenvalue with permuted labels
  double floor = 0;
  std::int64_t kept = 0;
};

struct ReduceResult {
  Reduction reduction;
  std::vector<double> eigenvalues;  // per kept direction, the eigenvalue of A when it was found
  std::vector<ReduceStep> steps;
  std::vector<double> mean;     // of the raw inputs
  std::string warning;          // non-empty: the data are not centered and whitening is off
  std::vector<double> reduced;  // root only: samples × r, scaled into [-1, 1]
};

// Collective: the filtered PCA above. All ranks return the same result (`reduced` on rank 0 only).
ReduceResult filtered_pca(MPI_Comm comm, const LocalSamples& data, const ReduceOptions& options);

// basis.json: the reduction plus "eigenvalues", "floor" (per step), "steps", "samples", "outputs".
nlohmann::json basis_json(const ReduceResult& result, const LocalSamples& data, const ReduceOptions& options);

}  // namespace lpnn::reduce
