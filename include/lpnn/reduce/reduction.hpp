// The linear map lpnn-reduce found, as stored in basis.json and in models trained on reduced data.
//
// A raw sample x ∈ R^d becomes the reduced point
//     t = U · W · (x − μ) ∈ R^r,     then t_k ↦ 2 (t_k − lo_k) / (hi_k − lo_k) − 1  ∈ [-1, 1],
// where U (r × d) has orthonormal rows spanning the directions the labels depend on, W is the
// whitening matrix (the inverse square root of the sample covariance; the identity without
// whitening), μ the sample mean (0 without whitening), and [lo_k, hi_k] the range of t_k over the
// training samples. P = U·W is kept as "projection" so that applying the map is one product. Values
// outside the training range are clamped to the box, as min-max scaling does for the raw data.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <span>
#include <string>
#include <vector>

#include "lpnn/solve/dataset.hpp"

namespace lpnn {

inline constexpr const char* kBasisFormat = "lpnn-basis";
inline constexpr int kBasisFormatVersion = 1;

struct Reduction {
  std::int64_t dimension = 0;                    // d: raw inputs
  std::vector<double> basis;                     // r × d row-major, orthonormal rows (whitened coordinates)
  std::vector<double> whitening;                 // d × d row-major W, or empty (no whitening)
  std::vector<double> offset;                    // d: μ subtracted before projecting (zeros without whitening)
  std::vector<double> projection;                // r × d row-major: U·W
  std::vector<double> reduced_min, reduced_max;  // r: range of U·W·(x − μ) on the training data

  std::int64_t rank() const { return dimension ? static_cast<std::int64_t>(basis.size()) / dimension : 0; }
  // U·W·(x − μ), unscaled.
  void project(std::span<const double> x, std::span<double> t) const;
  // Projected and scaled into the box.
  void apply(std::span<const double> x, std::span<double> out) const;
  // A d-input data set (labels kept) as the r-input data set the reduced model was trained on.
  Dataset apply(const Dataset& raw) const;

  // "dimension", "rank", "basis", "whitening" (null or {"mean", "matrix"}), "projection", "offset",
  // "scaling" {"kind": "minmax", "reduced_min", "reduced_max"}.
  nlohmann::json to_json() const;
  // Throws lpnn::Error naming `origin` for missing fields or inconsistent sizes.
  static Reduction from_json(const nlohmann::json& j, const std::string& origin);
  // A basis file written by lpnn-reduce.
  static Reduction from_file(const std::string& path);
};

}  // namespace lpnn
