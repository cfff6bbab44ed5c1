// layer_norm, batch_norm, group_norm and rms_norm. Shape rule: the output has the input's shape.
// Dtype rule: floating point only; weight, bias and running statistics share the input's dtype
// (PyTorch's CPU kernels refuse a mix too).
//
// layer_norm (twice in every transformer layer) is one op with its own kernels: a forward that
// makes mean and rstd in one visit to each row, and a backward computing the input, weight and bias
// gradients from them in one more. Its gradient's gradient (create_graph) is the closed form
// written with public ops. batch_norm, group_norm and rms_norm are composed from public ops (mean,
// var, rsqrt and elementwise arithmetic), so their gradients come from those parts.
#include <cmath>
#include <limits>

#include "ops/common.h"
#include "ops/registry.h"
#include "strata/factories.h"
#include "strata/nn/functional/normalization.h"
#include "strata/ops.h"

namespace strata {
namespace ops {
namespace {

void check_float_input(const char* name, const Tensor& x) {
  check_defined(name, {&x});
  if (!x.is_floating_point())
    fail("[{}] needs a floating-point input, got {}; convert with .to(strata::kFloat32)", name, x.describe());
}

// An optional per-feature tensor (weight, bias, running statistic): x's dtype and device, `shape`.
void check_companion(const char* name, const char* what, const Tensor& t, const Shape& shape,
                     const Tensor& x) {
  if (!t.defined()) return;
  if (t.dtype() != x.dtype())
    fail("[{}] {} is {} but the input is {}; both must have one dtype (convert {} with .to({}))", name, what,
         t.describe(), x.describe(), what, dtype_name(x.dtype()));
  check_same_device(name, {&x, &t});
  if (!(t.shape() == shape))
    fail("[{}] {} has shape {}, expected {} for input {}", name, what, t.shape().str(), shape.str(),
         x.describe());
}

// The trailing dims `normalized_shape` names in x, after checking that x ends in them.
Shape trailing_dims(const char* name, const Tensor& x, const Shape& normalized_shape) {
  const auto k = static_cast<int64_t>(normalized_shape.size());
  if (k == 0)
    fail("[{}] normalized_shape is empty; it must name at least the last dim of the input {}", name,
         x.describe());
  bool ok = x.dim() >= k;
  for (int64_t i = 0; ok && i < k; ++i)
    ok = x.size(x.dim() - k + i) == normalized_shape[static_cast<size_t>(i)];
  if (!ok)
    fail(
        "[{}] normalized_shape {} does not match the trailing dims of the input {}; the input must end in {}",
        name, normalized_shape.str(), x.describe(), normalized_shape.str());
  Shape dims;
  for (int64_t i = x.dim() - k; i < x.dim(); ++i) dims.push_back(i);
  return dims;
}

// [1, C, 1, ...] for a per-channel tensor against an input of `ndim` dims.
Shape channel_shape(int64_t channels, int64_t ndim) {
  Shape s(static_cast<size_t>(ndim), 1);
  s[1] = channels;
  return s;
}

Tensor affine(Tensor y, const Tensor& weight, const Tensor& bias, const Shape& shape) {
  if (weight.defined()) y = y * (weight.shape() == shape ? weight : weight.reshape(shape));
  if (bias.defined()) y = y + (bias.shape() == shape ? bias : bias.reshape(shape));
  return y;
}

// (x - mean) * rsqrt(var + eps) over `dims` (biased variance).
Tensor standardize(const Tensor& x, const Shape& dims, double eps) {
  const Tensor centered = x - mean(x, dims, true);
  return centered * rsqrt(var(x, dims, /*correction=*/0, true) + eps);
}

// ---- layer_norm ----

using autograd::SavedTensor;
using Grads = autograd::TensorList;

struct LayerNormSaved {
  SavedTensor x, weight, mean, rstd;  // mean and rstd: [rows], from the forward kernel
  Shape normalized_shape;
  Shape dims;  // the normalized (trailing) dims of x
  double eps = 0;
  bool has_weight = false, has_bias = false;
};

bool has_layer_norm_kernel(const Tensor& x) {
  return (x.dtype() == kFloat32 || x.dtype() == kFloat64) &&
         backend::kernels(x.device(), "layer_norm").layer_norm != nullptr;
}

// The gradient as a graph of public ops (for create_graph): mean and rstd are recomputed from x so
// that their dependence on x is differentiated too.
Grads layer_norm_grad_composed(const LayerNormSaved& s, const Tensor& x, const Tensor& w, const Tensor& g) {
  const Tensor rstd = rsqrt(var(x, s.dims, /*correction=*/0, true) + s.eps);
  const Tensor xhat = (x - mean(x, s.dims, true)) * rstd;
  const Tensor gw = w.defined() ? g * w : g;
  const Tensor gx = rstd * (gw - mean(gw, s.dims, true) - xhat * mean(gw * xhat, s.dims, true));
  return {gx, w.defined() ? sum_to(g * xhat, s.normalized_shape) : Tensor(),
          s.has_bias ? sum_to(g, s.normalized_shape) : Tensor()};
}

Grads layer_norm_backward(const LayerNormSaved& s, const Grads& grads) {
  const Tensor x = s.x.unpack("LayerNormBackward", "input");
  const Tensor w = s.has_weight ? s.weight.unpack("LayerNormBackward", "weight") : Tensor();
  const Tensor& g = grads[0];
  if (is_grad_enabled() || g.dtype() != x.dtype() || !(g.device() == x.device()) || !has_layer_norm_kernel(x))
    return layer_norm_grad_composed(s, x, w, g);
  const int64_t n = s.normalized_shape.numel();
  const int64_t rows = n == 0 ? 0 : x.numel() / n;
  Tensor gx = ops::empty_tensor(x.shape(), x.dtype(), x.device());
  Tensor gw = s.has_weight ? ops::empty_tensor(s.normalized_shape, x.dtype(), x.device()) : Tensor();
  Tensor gb = s.has_bias ? ops::empty_tensor(s.normalized_shape, x.dtype(), x.device()) : Tensor();
  if (n == 0 || rows == 0) {  // nothing to normalize: the sums over no rows are zeros
    if (gw.defined()) gw.zero_();
    if (gb.defined()) gb.zero_();
    return {gx, gw, gb};
  }
  const Tensor mean_rows = s.mean.unpack("LayerNormBackward", "mean");
  const Tensor rstd_rows = s.rstd.unpack("LayerNormBackward", "rstd");
  const Shape flat{rows, n}, row{n};
  backend::kernels(x.device(), "LayerNormBackward")
      .layer_norm_backward(gx.view(flat), gw.defined() ? gw.view(row) : Tensor(),
                           gb.defined() ? gb.view(row) : Tensor(), g.contiguous().view(flat),
                           x.contiguous().view(flat), mean_rows, rstd_rows,
                           w.defined() ? w.contiguous().view(row) : Tensor());
  return {gx, gw, gb};
}

Tensor layer_norm_fused(const Tensor& x, const Shape& normalized_shape, const Shape& dims,
                        const Tensor& weight, const Tensor& bias, double eps) {
  const int64_t n = normalized_shape.numel();
  const int64_t rows = n == 0 ? 0 : x.numel() / n;
  Tensor out = ops::empty_tensor(x.shape(), x.dtype(), x.device());
  Tensor mean_rows = ops::empty_tensor({rows}, x.dtype(), x.device());
  Tensor rstd_rows = ops::empty_tensor({rows}, x.dtype(), x.device());
  if (rows > 0) {
    const Shape flat{rows, n}, row{n};
    backend::kernels(x.device(), "layer_norm")
        .layer_norm(out.view(flat), mean_rows, rstd_rows, x.contiguous().view(flat),
                    weight.defined() ? weight.contiguous().view(row) : Tensor(),
                    bias.defined() ? bias.contiguous().view(row) : Tensor(), eps);
  }
  if (needs_grad({&x, &weight, &bias})) {
    LayerNormSaved saved{SavedTensor::input(x),
                         weight.defined() ? SavedTensor::input(weight) : SavedTensor(),
                         SavedTensor::input(mean_rows),
                         SavedTensor::input(rstd_rows),
                         normalized_shape,
                         dims,
                         eps,
                         weight.defined(),
                         bias.defined()};
    record<LayerNormSaved>("LayerNormBackward", layer_norm_backward, std::move(saved), {&x, &weight, &bias},
                           {&out});
  }
  return out;
}

}  // namespace

void register_normalization_ops(std::vector<OpInfo>& ops) {
  auto has_layer_norm = [](const backend::Kernels& k) {
    return k.layer_norm != nullptr && k.layer_norm_backward != nullptr;
  };
  ops.push_back(
      {"layer_norm", true, reinterpret_cast<const void*>(&layer_norm_backward), has_layer_norm, {}});
  ops.push_back({"batch_norm", true, nullptr, nullptr, "mean var sub add rsqrt mul reshape"});
  ops.push_back({"group_norm", true, nullptr, nullptr, "mean var sub add rsqrt mul reshape"});
  ops.push_back({"rms_norm", true, nullptr, nullptr, "mean mul add rsqrt"});
}

}  // namespace ops

namespace nn::functional {

Tensor layer_norm(const Tensor& x, const Shape& normalized_shape, const Tensor& weight, const Tensor& bias,
                  double eps) {
  ops::check_float_input("layer_norm", x);
  const Shape dims = ops::trailing_dims("layer_norm", x, normalized_shape);
  ops::check_companion("layer_norm", "weight", weight, normalized_shape, x);
  ops::check_companion("layer_norm", "bias", bias, normalized_shape, x);
  if (ops::has_layer_norm_kernel(x))
    return ops::layer_norm_fused(x, normalized_shape, dims, weight, bias, eps);
  return ops::affine(ops::standardize(x, dims, eps), weight, bias, normalized_shape);
}

Tensor batch_norm(const Tensor& x, const Tensor& running_mean, const Tensor& running_var,
                  const Tensor& weight, const Tensor& bias, bool training, double momentum, double eps) {
  ops::check_float_input("batch_norm", x);
  if (x.dim() < 2) fail("[batch_norm] expected an input [N, C, *] of at least 2 dims, got {}", x.describe());
  const int64_t channels = x.size(1);
  const Shape per_channel{channels};
  ops::check_companion("batch_norm", "running_mean", running_mean, per_channel, x);
  ops::check_companion("batch_norm", "running_var", running_var, per_channel, x);
  ops::check_companion("batch_norm", "weight", weight, per_channel, x);
  ops::check_companion("batch_norm", "bias", bias, per_channel, x);
  if (running_mean.defined() != running_var.defined())
    fail("[batch_norm] running_mean and running_var must be given together (got only {})",
         running_mean.defined() ? "running_mean" : "running_var");
  Shape dims;
  for (int64_t d = 0; d < x.dim(); ++d)
    if (d != 1) dims.push_back(d);
  const Shape bshape = ops::channel_shape(channels, x.dim());
  const int64_t count = channels > 0 ? x.numel() / channels : 0;
  if (training) {
    if (count == 1)
      fail("[batch_norm] Expected more than 1 value per channel when training, got input size {}",
           x.shape().str());
    const Tensor batch_mean = mean(x, dims, true);
    const Tensor batch_var = var(x, dims, /*correction=*/0, true);
    if (running_mean.defined() && count > 0) {
      NoGradGuard no_grad;
      const double unbias = static_cast<double>(count) / static_cast<double>(count - 1);
      Tensor rm = running_mean, rv = running_var;  // handles to the caller's storage
      rm.mul_(1.0 - momentum).add_(batch_mean.detach().reshape(per_channel) * momentum);
      rv.mul_(1.0 - momentum).add_(batch_var.detach().reshape(per_channel) * (momentum * unbias));
    }
    return ops::affine((x - batch_mean) * rsqrt(batch_var + eps), weight, bias, bshape);
  }
  if (!running_mean.defined())
    fail("[batch_norm] running_mean and running_var are needed out of training (training=false) for input {}",
         x.describe());
  const Tensor y = (x - running_mean.reshape(bshape)) * rsqrt(running_var.reshape(bshape) + eps);
  return ops::affine(y, weight, bias, bshape);
}

Tensor group_norm(const Tensor& x, int64_t num_groups, const Tensor& weight, const Tensor& bias, double eps) {
  ops::check_float_input("group_norm", x);
  if (x.dim() < 2) fail("[group_norm] expected an input [N, C, *] of at least 2 dims, got {}", x.describe());
  const int64_t channels = x.size(1);
  if (num_groups <= 0 || channels % num_groups != 0)
    fail("[group_norm] num_groups={} must be positive and divide the {} channels of input {}", num_groups,
         channels, x.describe());
  ops::check_companion("group_norm", "weight", weight, Shape{channels}, x);
  ops::check_companion("group_norm", "bias", bias, Shape{channels}, x);
  const int64_t n = x.size(0);
  // Counted from the dims (not numel / (N * groups)), so that an empty batch (N = 0) works.
  int64_t per_group = channels / num_groups;
  for (int64_t d = 2; d < x.dim(); ++d) per_group *= x.size(d);
  const Tensor grouped = x.reshape({n, num_groups, per_group});
  const Tensor y = ops::standardize(grouped, {2}, eps).reshape(x.shape());
  return ops::affine(y, weight, bias, ops::channel_shape(channels, x.dim()));
}

Tensor rms_norm(const Tensor& x, const Shape& normalized_shape, const Tensor& weight,
                std::optional<double> eps) {
  ops::check_float_input("rms_norm", x);
  const Shape dims = ops::trailing_dims("rms_norm", x, normalized_shape);
  ops::check_companion("rms_norm", "weight", weight, normalized_shape, x);
  // PyTorch 2.4: the epsilon of the dtype the mean of squares is computed in.
  const double e = eps ? *eps
                       : (x.dtype() == kFloat64 ? std::numeric_limits<double>::epsilon()
                                                : static_cast<double>(std::numeric_limits<float>::epsilon()));
  const Tensor y = x * rsqrt(mean(x * x, dims, true) + e);
  return weight.defined() ? y * weight : y;
}

}  // namespace nn::functional
}  // namespace strata
