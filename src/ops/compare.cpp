// Whole-tensor comparisons that answer with one bool: allclose and equal. They are not tensor ops
// (no output tensor, no gradient), so they are not in the op registry.
//
// Both operands are converted to their promoted dtype's values on the host. allclose follows
// torch.isclose: exact equality first (so equal infinities are close), then
// |a - b| <= atol + rtol * |b| computed in the promoted floating type (float32 for 16-bit and
// integer inputs, as PyTorch's default dtype), so borderline float32 cases agree with PyTorch.
#include <cmath>

#include "ops/common.h"
#include "strata/ops.h"

namespace strata {
namespace {

// The values of `t` broadcast to `shape`, as doubles (floating dtypes) or int64 (the rest).
template <typename V>
std::vector<V> values_at(const Tensor& t, const Shape& shape) {
  NoGradGuard no_grad;
  return t.expand(shape).to_vector<V>();
}

// torch.isclose's test for one pair, with |a - b| already computed (exactly where it matters).
template <typename Acc>
bool within(Acc error, double b, double rtol, double atol) {
  const Acc allowed = static_cast<Acc>(atol) + std::fabs(static_cast<Acc>(rtol) * static_cast<Acc>(b));
  return std::isfinite(error) && error <= allowed;  // NaN fails both tests
}

template <typename Acc>
bool close_floats(double a, double b, double rtol, double atol) {
  if (a == b) return true;  // also equal infinities
  return within<Acc>(std::fabs(static_cast<Acc>(a) - static_cast<Acc>(b)), b, rtol, atol);
}

}  // namespace

bool allclose(const Tensor& a, const Tensor& b, double rtol, double atol) {
  ops::check_defined("allclose", {&a, &b});
  ops::check_same_device("allclose", {&a, &b});
  if (!(rtol >= 0.0)) fail("[allclose] rtol must be greater than or equal to zero, got {}", rtol);
  if (!(atol >= 0.0)) fail("[allclose] atol must be greater than or equal to zero, got {}", atol);
  const Shape shape = ops::broadcast_shapes("allclose", a, b);
  const DType dtype = promote_types(a.dtype(), b.dtype());
  if (dtype == kFloat64) {
    const auto x = values_at<double>(a, shape), y = values_at<double>(b, shape);
    for (size_t i = 0; i < x.size(); ++i)
      if (!close_floats<double>(x[i], y[i], rtol, atol)) return false;
    return true;
  }
  if (is_floating_point(dtype)) {
    const auto x = values_at<double>(a, shape), y = values_at<double>(b, shape);
    for (size_t i = 0; i < x.size(); ++i)
      if (!close_floats<float>(x[i], y[i], rtol, atol)) return false;
    return true;
  }
  // Integers: the difference is exact (as PyTorch's int64 subtraction; long double holds any
  // difference of two int64 values), only the comparison with the tolerance is in float32.
  const auto x = values_at<int64_t>(a, shape), y = values_at<int64_t>(b, shape);
  for (size_t i = 0; i < x.size(); ++i) {
    if (x[i] == y[i]) continue;
    const long double diff = static_cast<long double>(x[i]) - static_cast<long double>(y[i]);
    if (!within<float>(static_cast<float>(diff < 0 ? -diff : diff), static_cast<double>(y[i]), rtol, atol))
      return false;
  }
  return true;
}

bool equal(const Tensor& a, const Tensor& b) {
  ops::check_defined("equal", {&a, &b});
  ops::check_same_device("equal", {&a, &b});
  if (!(a.shape() == b.shape())) return false;
  const DType dtype = promote_types(a.dtype(), b.dtype());
  if (is_floating_point(dtype)) return values_at<double>(a, a.shape()) == values_at<double>(b, b.shape());
  return values_at<int64_t>(a, a.shape()) == values_at<int64_t>(b, b.shape());
}

}  // namespace strata
