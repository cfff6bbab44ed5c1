// Average and adaptive average pooling (the shared rules are in pooling.cpp). Both are linear maps;
// each one's gradient is its adjoint, a *_backward op whose own gradient is the forward op again,
// so gradients of any order work.
#include "ops/common.h"
#include "ops/registry.h"
#include "strata/nn/functional/pooling.h"
#include "strata/ops.h"

namespace strata::ops::pooling {
// Defined in pooling.cpp.
Tensor to_4d(std::string_view op, const Tensor& x, int dims);
Tensor from_4d(const Tensor& y, int dims, int64_t rank);
backend::Window2d make_window(std::string_view op, const Tensor& x, const Tensor& x4, int dims, int64_t kh,
                              int64_t kw, int64_t sh, int64_t sw, int64_t ph, int64_t pw, int64_t dh,
                              int64_t dw, bool ceil_mode);
Tensor contiguous_data(const Tensor& x);
}  // namespace strata::ops::pooling

namespace strata::ops {
namespace {

using autograd::SavedTensor;
using backend::Window2d;
using Grads = autograd::TensorList;

struct AvgPoolSaved {
  Window2d w;
  bool count_include_pad = true;
  int64_t divisor_override = 0;
  int64_t in_h = 0, in_w = 0;
};

Tensor avg_pool4d(const Tensor& x4, const AvgPoolSaved& s);
Tensor avg_pool4d_grad(const Tensor& grad_out, const AvgPoolSaved& s);

Grads avg_pool2d_backward(const AvgPoolSaved& s, const Grads& g) { return {avg_pool4d_grad(g[0], s)}; }
Grads avg_pool2d_grad_backward(const AvgPoolSaved& s, const Grads& g) { return {avg_pool4d(g[0], s)}; }

Tensor avg_pool4d(const Tensor& x4, const AvgPoolSaved& s) {
  const Tensor data = pooling::contiguous_data(x4);
  Tensor out = empty_tensor({x4.size(0), x4.size(1), s.w.out_h, s.w.out_w}, x4.dtype(), x4.device());
  backend::kernels(x4.device(), "avg_pool2d")
      .avg_pool2d(out, data, s.w, s.count_include_pad, s.divisor_override);
  if (needs_grad({&x4})) record<AvgPoolSaved>("AvgPool2DBackward", avg_pool2d_backward, s, {&x4}, {&out});
  return out;
}

Tensor avg_pool4d_grad(const Tensor& grad_out, const AvgPoolSaved& s) {
  const Tensor g = pooling::contiguous_data(grad_out);
  Tensor grad_x = empty_tensor({g.size(0), g.size(1), s.in_h, s.in_w}, g.dtype(), g.device());
  backend::kernels(g.device(), "avg_pool2d_backward")
      .avg_pool2d_backward(grad_x, g, s.w, s.count_include_pad, s.divisor_override);
  if (needs_grad({&grad_out}))
    record<AvgPoolSaved>("AvgPool2DBackwardBackward", avg_pool2d_grad_backward, s, {&grad_out}, {&grad_x});
  return grad_x;
}

Tensor avg_pool(std::string_view op, const Tensor& x, int dims, int64_t kh, int64_t kw, int64_t sh,
                int64_t sw, int64_t ph, int64_t pw, bool ceil_mode, bool count_include_pad,
                std::optional<int64_t> divisor_override) {
  const Tensor x4 = pooling::to_4d(op, x, dims);
  if (divisor_override && *divisor_override <= 0)
    fail("[{}] divisor_override must be positive, got {}", op, *divisor_override);
  AvgPoolSaved s;
  s.w = pooling::make_window(op, x, x4, dims, kh, kw, sh, sw, ph, pw, 1, 1, ceil_mode);
  s.count_include_pad = count_include_pad;
  s.divisor_override = divisor_override.value_or(0);
  s.in_h = x4.size(2), s.in_w = x4.size(3);
  return pooling::from_4d(avg_pool4d(x4, s), dims, x.dim());
}

struct AdaptiveSaved {
  int64_t out_h = 0, out_w = 0, in_h = 0, in_w = 0;
};

Tensor adaptive4d(const Tensor& x4, const AdaptiveSaved& s);
Tensor adaptive4d_grad(const Tensor& grad_out, const AdaptiveSaved& s);

Grads adaptive_backward(const AdaptiveSaved& s, const Grads& g) { return {adaptive4d_grad(g[0], s)}; }
Grads adaptive_grad_backward(const AdaptiveSaved& s, const Grads& g) { return {adaptive4d(g[0], s)}; }

Tensor adaptive4d(const Tensor& x4, const AdaptiveSaved& s) {
  const Tensor data = pooling::contiguous_data(x4);
  Tensor out = empty_tensor({x4.size(0), x4.size(1), s.out_h, s.out_w}, x4.dtype(), x4.device());
  backend::kernels(x4.device(), "adaptive_avg_pool2d").adaptive_avg_pool2d(out, data);
  if (needs_grad({&x4}))
    record<AdaptiveSaved>("AdaptiveAvgPool2DBackward", adaptive_backward, s, {&x4}, {&out});
  return out;
}

Tensor adaptive4d_grad(const Tensor& grad_out, const AdaptiveSaved& s) {
  const Tensor g = pooling::contiguous_data(grad_out);
  Tensor grad_x = empty_tensor({g.size(0), g.size(1), s.in_h, s.in_w}, g.dtype(), g.device());
  backend::kernels(g.device(), "adaptive_avg_pool2d_backward").adaptive_avg_pool2d_backward(grad_x, g);
  if (needs_grad({&grad_out}))
    record<AdaptiveSaved>("AdaptiveAvgPool2DBackwardBackward", adaptive_grad_backward, s, {&grad_out},
                          {&grad_x});
  return grad_x;
}

Tensor adaptive_avg_pool(std::string_view op, const Tensor& x, int dims, int64_t oh, int64_t ow) {
  const Tensor x4 = pooling::to_4d(op, x, dims);
  if (oh < 0 || ow < 0)
    fail("[{}] output_size must be >= 0, got {}", op,
         dims == 1 ? std::to_string(ow) : fmt::format("{}x{}", oh, ow));
  const AdaptiveSaved s{oh, ow, x4.size(2), x4.size(3)};
  return pooling::from_4d(adaptive4d(x4, s), dims, x.dim());
}

}  // namespace

void register_avg_pooling_ops(std::vector<OpInfo>& ops) {
  auto fn = [](auto f) { return reinterpret_cast<const void*>(f); };
  ops.push_back({"avg_pool2d",
                 true,
                 fn(&avg_pool2d_backward),
                 [](const backend::Kernels& k) { return k.avg_pool2d != nullptr; },
                 {}});
  ops.push_back({"avg_pool2d_backward",
                 true,
                 fn(&avg_pool2d_grad_backward),
                 [](const backend::Kernels& k) { return k.avg_pool2d_backward != nullptr; },
                 {}});
  ops.push_back({"adaptive_avg_pool2d",
                 true,
                 fn(&adaptive_backward),
                 [](const backend::Kernels& k) { return k.adaptive_avg_pool2d != nullptr; },
                 {}});
  ops.push_back({"adaptive_avg_pool2d_backward",
                 true,
                 fn(&adaptive_grad_backward),
                 [](const backend::Kernels& k) { return k.adaptive_avg_pool2d_backward != nullptr; },
                 {}});
  ops.push_back({"avg_pool1d", true, nullptr, nullptr, "avg_pool2d unsqueeze squeeze"});
  ops.push_back({"adaptive_avg_pool1d", true, nullptr, nullptr, "adaptive_avg_pool2d unsqueeze squeeze"});
}

}  // namespace strata::ops

namespace strata::nn::functional {

Tensor avg_pool2d(const Tensor& x, Size2 kernel_size, std::optional<Size2> stride, Size2 padding,
                  bool ceil_mode, bool count_include_pad, std::optional<int64_t> divisor_override) {
  const Size2 s = stride.value_or(kernel_size);
  return ops::avg_pool("avg_pool2d", x, 2, kernel_size.h, kernel_size.w, s.h, s.w, padding.h, padding.w,
                       ceil_mode, count_include_pad, divisor_override);
}

Tensor avg_pool1d(const Tensor& x, int64_t kernel_size, std::optional<int64_t> stride, int64_t padding,
                  bool ceil_mode, bool count_include_pad) {
  return ops::avg_pool("avg_pool1d", x, 1, 1, kernel_size, 1, stride.value_or(kernel_size), 0, padding,
                       ceil_mode, count_include_pad, std::nullopt);
}

Tensor adaptive_avg_pool2d(const Tensor& x, Size2 output_size) {
  return ops::adaptive_avg_pool("adaptive_avg_pool2d", x, 2, output_size.h, output_size.w);
}

Tensor adaptive_avg_pool1d(const Tensor& x, int64_t output_size) {
  return ops::adaptive_avg_pool("adaptive_avg_pool1d", x, 1, 1, output_size);
}

}  // namespace strata::nn::functional
