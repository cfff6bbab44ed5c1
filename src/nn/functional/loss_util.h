#pragma once
// Checks and reductions the loss functions share. Losses sit above the ops layer, so everything here
// uses public API only.
#include <algorithm>
#include <string>
#include <string_view>

#include "strata/nn/functional/loss.h"
#include "strata/ops.h"

namespace strata::nn::functional::detail {

inline Tensor reduce(const Tensor& loss, Reduction reduction) {
  switch (reduction) {
    case Reduction::Mean:
      return mean(loss);  // NaN for zero elements, as PyTorch
    case Reduction::Sum:
      return sum(loss);
    case Reduction::None:
      break;
  }
  return loss;
}

inline void check_defined(std::string_view op, const Tensor& t, std::string_view what) {
  if (!t.defined()) fail("[{}] {} is an undefined tensor", op, what);
}

/// The `strata::k...` constant naming a dtype, for "convert with .to(...)" hints.
inline std::string dtype_constant(DType dtype) {
  switch (dtype) {
    case kBool:
      return "strata::kBool";
    case kUInt8:
      return "strata::kUInt8";
    case kInt32:
      return "strata::kInt32";
    case kInt64:
      return "strata::kInt64";
    case kFloat16:
      return "strata::kFloat16";
    case kBFloat16:
      return "strata::kBFloat16";
    case kFloat32:
      return "strata::kFloat32";
    case kFloat64:
      return "strata::kFloat64";
  }
  return "strata::kFloat32";
}

inline void check_floating_input(std::string_view op, const Tensor& input, std::string_view what = "input") {
  if (!input.is_floating_point())
    fail("[{}] {} must be floating point, got {}; convert with .to(strata::kFloat32)", op, what,
         input.describe());
}

inline void check_same_device(std::string_view op, const Tensor& a, const Tensor& b, std::string_view what) {
  if (b.defined() && a.device() != b.device())
    fail("[{}] {} {} is on another device than the input {}; move it with .to(device)", op, what,
         b.describe(), a.describe());
}

/// `t` must broadcast TO `shape` without changing it (as PyTorch's weight.expand(input.size())).
inline void check_expands_to(std::string_view op, const Tensor& t, const Shape& shape,
                             std::string_view what) {
  bool ok = t.shape().size() <= shape.size();
  for (size_t k = 0; ok && k < t.shape().size(); ++k) {
    const int64_t have = t.shape()[t.shape().size() - 1 - k];
    ok = have == 1 || have == shape[shape.size() - 1 - k];
  }
  if (!ok)
    fail("[{}] {} {} does not broadcast to the input's shape {}; each of its dims must be 1 or the input's",
         op, what, t.describe(), shape.str());
}

/// `a` and `b` broadcast together (either may grow).
inline void check_broadcastable(std::string_view op, const Tensor& input, const Tensor& target) {
  const Shape& a = input.shape();
  const Shape& b = target.shape();
  const size_t n = std::min(a.size(), b.size());
  for (size_t k = 0; k < n; ++k) {
    const int64_t x = a[a.size() - 1 - k], y = b[b.size() - 1 - k];
    if (x != y && x != 1 && y != 1)
      fail(
          "[{}] target {} does not broadcast with input {} (dim {} from the end: {} vs {}); give the target "
          "the "
          "input's shape",
          op, target.describe(), input.describe(), k, y, x);
  }
}

/// "[1, 2]": where flat index `i` lies in `shape`, for messages about one element.
inline std::string position_of(int64_t i, const Shape& shape) {
  std::string s;
  for (size_t d = shape.size(); d-- > 0;) {
    const int64_t size = shape[d] > 0 ? shape[d] : 1;
    s = std::to_string(i % size) + (s.empty() ? "" : ", ") + s;
    i /= size;
  }
  return "[" + s + "]";
}

}  // namespace strata::nn::functional::detail
