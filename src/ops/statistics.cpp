// var, std and norm over a set of dims. Dtype rule: floating point only, as PyTorch; the result
// keeps the input's dtype. Each is one autograd node: the forward is composed from other ops under
// NoGradGuard (two passes for var, which is more accurate than E[x^2] - E[x]^2), and the gradient
// is PyTorch's closed form, which also defines the points where composing would give NaN (the
// std of a constant, the 2-norm at 0).
#include <cmath>
#include <limits>

#include "ops/reduce.h"
#include "strata/factories.h"
#include "strata/ops.h"

namespace strata {
namespace ops {
namespace {

using Grads = autograd::TensorList;
using autograd::SavedTensor;
using namespace reduction;

void check_float_input(const char* name, const Tensor& x) {
  check_defined(name, {&x});
  if (!x.is_floating_point())
    fail("[{}] needs a floating-point tensor, got {}; convert with .to(strata::kFloat32)", name,
         x.describe());
}

struct StatSaved {
  Shape dims;  // the reduced dims (empty: all, for a 0-d input)
  Shape keep_shape;
  double denom = 1;  // var/std: max(0, n - correction)
  double p = 2;      // norm
  SavedTensor x, out;
};

// ---- var / std ----

Tensor var_grad(const StatSaved& s, const Tensor& x, const Tensor& gk) {
  // d var / d x_i = 2 (x_i - mean) / (n - correction); the mean is recomputed with public ops so
  // that double backward sees its dependence on x.
  return gk * (x - mean(x, s.dims, true)) * (2.0 / s.denom);
}

Grads var_backward(const StatSaved& s, const Grads& g) {
  return {var_grad(s, s.x.unpack("VarBackward", "self"), g[0].reshape(s.keep_shape))};
}

Grads std_backward(const StatSaved& s, const Grads& g) {
  const Tensor out = s.out.unpack("StdBackward", "result").reshape(s.keep_shape);
  // d std = d var / (2 std); PyTorch takes it as 0 where std is 0 (a constant group).
  const Tensor safe = where(out == 0.0, ones_like(out), out);
  const Tensor gvar = where(out == 0.0, zeros_like(out), g[0].reshape(s.keep_shape) / (safe * 2.0));
  return {var_grad(s, s.x.unpack("StdBackward", "self"), gvar)};
}

Tensor var_std(const char* name, const Tensor& x, const Shape& dims, int64_t correction, bool keepdim,
               bool is_std) {
  check_float_input(name, x);
  const auto mask = reduced_mask(name, dims, x.dim());
  const Shape reduce_dims = mask_dims(mask);
  const int64_t n = reduced_count(x.shape(), mask);
  // n <= correction divides by 0 (inf, or NaN for a zero sum of squares), as PyTorch.
  const double denom = static_cast<double>(std::max<int64_t>(0, n - correction));
  Tensor out;
  {
    NoGradGuard no_grad;
    const Tensor centered = x - mean(x, reduce_dims, true);
    out = sum(centered * centered, reduce_dims, keepdim) / denom;
    if (is_std) out = sqrt(out);
  }
  if (needs_grad({&x})) {
    StatSaved saved{reduce_dims, keepdim_shape(x.shape(), mask), denom, 0, SavedTensor::input(x), {}};
    auto& s = record<StatSaved>(is_std ? "StdBackward" : "VarBackward", is_std ? std_backward : var_backward,
                                std::move(saved), {&x}, {&out});
    if (is_std) s.out = SavedTensor::output(out);
  }
  return out;
}

// ---- norm ----

// sum(|x|^p)^(1/p), with p = 0 counting non-zeros and p = +-inf the largest/smallest |x|.
Tensor norm_forward(const Tensor& x, double p, const std::vector<bool>& mask, bool keepdim) {
  const Shape dims = mask_dims(mask);
  const Tensor a = abs(x);
  if (p == 2) return sqrt(sum(a * a, dims, keepdim));
  if (p == 1) return sum(a, dims, keepdim);
  if (p == 0) return cast(sum(x != 0.0, dims, keepdim), x.dtype());
  if (std::isinf(p)) {
    const Shape final = final_shape(x.shape(), mask, keepdim);
    // An empty group has norm 0 (PyTorch's torch.norm), not the identity of max/min.
    if (reduced_count(x.shape(), mask) == 0) return zeros(final, {.dtype = x.dtype(), .device = x.device()});
    const auto kind = p > 0 ? backend::ReduceOp::Max : backend::ReduceOp::Min;
    return drop_reduced(reduce_keep("norm", kind, a, mask, x.dtype()), final);
  }
  return pow(sum(pow(a, p), dims, keepdim), 1.0 / p);
}

// PyTorch 1.13's norm_backward, case by case; divisions use zero-free denominators so that the
// masked-out branch holds no inf/NaN for double backward to multiply by 0.
Grads norm_backward(const StatSaved& s, const Grads& g) {
  const Tensor x = s.x.unpack("NormBackward", "self");
  const Tensor out = s.out.unpack("NormBackward", "result").reshape(s.keep_shape);
  const Tensor gk = g[0].reshape(s.keep_shape);
  const double p = s.p;
  const Tensor zero = zeros_like(x);
  if (p == 0) return {zero};
  if (p == 1) return {sign(x) * gk};
  if (std::isinf(p)) {
    // The gradient is shared evenly by the elements whose |x| is the result (or NaN).
    const Tensor a = abs(x);
    const Tensor hit = logical_or(a == out, a != a);
    return {where(hit, sign(x) * (gk / sum(hit, s.dims, true)), zero)};
  }
  const Tensor out_zero = out == 0.0;
  const Tensor out_safe = where(out_zero, ones_like(out), out);
  if (p == 2) return {x * where(out_zero, zeros_like(out), gk / out_safe)};
  const Tensor x_zero = x == 0.0;
  const Tensor a_safe = where(x_zero, ones_like(x), abs(x));
  if (p < 1) {
    const Tensor scaled = where(x_zero, zero, sign(x) * pow(a_safe, p - 1));
    return {scaled * gk * pow(out, 1 - p)};
  }
  const Tensor scale = where(out_zero, zeros_like(out), gk / pow(out_safe, p - 1));
  if (p < 2) return {where(x_zero, zero, sign(x) * pow(a_safe, p - 1)) * scale};
  return {x * pow(a_safe, p - 2) * scale};
}

}  // namespace

namespace reduction {
void register_statistics_ops(std::vector<OpInfo>& ops) {
  // Forwards are compositions of reductions and elementwise ops; the gradients are their own.
  auto has_parts = [](const backend::Kernels& k) {
    return k.reduce != nullptr && k.binary != nullptr && k.unary != nullptr;
  };
  ops.push_back({"var", true, reinterpret_cast<const void*>(&var_backward), has_parts, {}});
  ops.push_back({"std", true, reinterpret_cast<const void*>(&std_backward), has_parts, {}});
  ops.push_back({"norm", true, reinterpret_cast<const void*>(&norm_backward), has_parts, {}});
}
}  // namespace reduction

}  // namespace ops

Tensor var(const Tensor& x, const Shape& dims, int64_t correction, bool keepdim) {
  return ops::var_std("var", x, dims, correction, keepdim, false);
}
Tensor std(const Tensor& x, const Shape& dims, int64_t correction, bool keepdim) {
  return ops::var_std("std", x, dims, correction, keepdim, true);
}

Tensor norm(const Tensor& x, double p, const Shape& dims, bool keepdim) {
  ops::check_float_input("norm", x);
  if (std::isnan(p)) fail("[norm] p must be a number (or +-infinity), got NaN for {}", x.describe());
  const auto mask = ops::reduction::reduced_mask("norm", dims, x.dim());
  Tensor out;
  {
    NoGradGuard no_grad;
    out = ops::norm_forward(x, p, mask, keepdim);
  }
  if (ops::needs_grad({&x})) {
    ops::StatSaved saved{ops::reduction::mask_dims(mask),
                         ops::reduction::keepdim_shape(x.shape(), mask),
                         1,
                         p,
                         autograd::SavedTensor::input(x),
                         {}};
    auto& s = ops::record<ops::StatSaved>("NormBackward", ops::norm_backward, std::move(saved), {&x}, {&out});
    s.out = autograd::SavedTensor::output(out);
  }
  return out;
}

Tensor Tensor::var(const Shape& dims, int64_t correction, bool keepdim) const {
  return strata::var(*this, dims, correction, keepdim);
}
Tensor Tensor::std(const Shape& dims, int64_t correction, bool keepdim) const {
  return strata::std(*this, dims, correction, keepdim);
}
Tensor Tensor::norm(double p) const { return strata::norm(*this, p); }

}  // namespace strata
