// Pooling ops, shared rules and max pooling. Every pooling op runs one 2-d kernel over [N, C, H, W]:
// unbatched [C, H, W] inputs gain a batch dim, 1-d inputs [N, C, L] become [N, C, 1, L] (views, so
// their gradient flows through the view ops). Output sizes and argument checks are PyTorch's.
// Gradients: max pooling's gradient is its own op (max_pool2d_backward: grad_out added at the saved
// indices), whose gradient in turn gathers at those indices, so double backward works.
// Average pooling lives in pooling_avg.cpp.
#include <string>

#include "ops/common.h"
#include "ops/registry.h"
#include "strata/nn/functional/pooling.h"
#include "strata/ops.h"

namespace strata::ops::pooling {

using backend::Window2d;

std::string size_str(int dims, int64_t h, int64_t w) {
  return dims == 1 ? std::to_string(w) : fmt::format("{}x{}", h, w);
}

Tensor to_4d(std::string_view op, const Tensor& x, int dims) {
  check_defined(op, {&x});
  const int64_t rank = x.dim();
  if (rank != dims + 1 && rank != dims + 2) {
    if (dims == 2) fail("[{}] expected a 3-d [C, H, W] or 4-d [N, C, H, W] input, got {}", op, x.describe());
    fail("[{}] expected a 2-d [C, L] or 3-d [N, C, L] input, got {}", op, x.describe());
  }
  if (!x.is_floating_point() || (x.dtype() != kFloat32 && x.dtype() != kFloat64))
    fail("[{}] is implemented for float32 and float64 inputs, got {}; convert with .to(strata::kFloat32)", op,
         x.describe());
  for (int64_t d = rank - dims - 1; d < rank; ++d)
    if (x.size(d) == 0)
      fail("[{}] input {} has a dim of size 0 (dim {}); only the batch dim may be empty", op, x.describe(),
           d);
  Tensor t = rank == dims + 1 ? x.unsqueeze(0) : x;
  return dims == 1 ? t.unsqueeze(2) : t;
}

Tensor from_4d(const Tensor& y, int dims, int64_t rank) {
  Tensor t = dims == 1 ? y.squeeze(2) : y;
  return rank == dims + 1 ? t.squeeze(0) : t;
}

namespace {
int64_t floor_div(int64_t a, int64_t b) { return a >= 0 ? a / b : -((-a + b - 1) / b); }
}  // namespace

int64_t pooled_size(int64_t in, int64_t k, int64_t s, int64_t p, int64_t d, bool ceil_mode) {
  int64_t out = floor_div(in + 2 * p - d * (k - 1) - 1 + (ceil_mode ? s - 1 : 0), s) + 1;
  // The last window must start inside the input or the left padding, not in the right padding.
  if (ceil_mode && (out - 1) * s >= in + p) --out;
  return out;
}

// The window over x4 [N, C, H, W], after PyTorch's checks. `dims` (1 or 2) says how the user sees
// the sizes in messages.
Window2d make_window(std::string_view op, const Tensor& x, const Tensor& x4, int dims, int64_t kh, int64_t kw,
                     int64_t sh, int64_t sw, int64_t ph, int64_t pw, int64_t dh, int64_t dw, bool ceil_mode) {
  if (kh <= 0 || kw <= 0)
    fail("[{}] kernel_size must be positive, got kernel_size={}", op, size_str(dims, kh, kw));
  if (sh <= 0 || sw <= 0) fail("[{}] stride must be positive, got stride={}", op, size_str(dims, sh, sw));
  if (dh <= 0 || dw <= 0) fail("[{}] dilation must be positive, got dilation={}", op, size_str(dims, dh, dw));
  if (ph < 0 || pw < 0) fail("[{}] padding must be >= 0, got padding={}", op, size_str(dims, ph, pw));
  if (ph > kh / 2 || pw > kw / 2)
    fail("[{}] padding must be at most half the kernel size, got padding={} with kernel_size={}", op,
         size_str(dims, ph, pw), size_str(dims, kh, kw));
  Window2d w;
  w.kernel_h = kh, w.kernel_w = kw, w.stride_h = sh, w.stride_w = sw;
  w.pad_h = ph, w.pad_w = pw, w.dilation_h = dh, w.dilation_w = dw;
  w.out_h = pooled_size(x4.size(2), kh, sh, ph, dh, ceil_mode);
  w.out_w = pooled_size(x4.size(3), kw, sw, pw, dw, ceil_mode);
  if (w.out_h < 1 || w.out_w < 1)
    fail(
        "[{}] input {} is too small for kernel_size={} (stride={}, padding={}, dilation={}, ceil_mode={}): "
        "the output would be {}. Each output size must be at least 1; use a smaller kernel or pad the input",
        op, x.describe(), size_str(dims, kh, kw), size_str(dims, sh, sw), size_str(dims, ph, pw),
        size_str(dims, dh, dw), ceil_mode, size_str(dims, w.out_h, w.out_w));
  return w;
}

/// x's data, contiguous, for a kernel (the op records its own node against x itself).
Tensor contiguous_data(const Tensor& x) {
  if (x.is_contiguous()) return x;
  NoGradGuard no_grad;
  return x.contiguous();
}

}  // namespace strata::ops::pooling

namespace strata::ops {
namespace {

using autograd::SavedTensor;
using backend::Window2d;
using Grads = autograd::TensorList;

struct MaxPoolSaved {
  SavedTensor indices;
  Window2d w;
  int64_t in_h = 0, in_w = 0;
};

Tensor max_pool2d_grad(const Tensor& grad_out, const Tensor& indices, const Window2d& w, int64_t in_h,
                       int64_t in_w);

// Of the forward, with respect to x: each window's upstream gradient lands on its maximum.
Grads max_pool2d_backward(const MaxPoolSaved& s, const Grads& g) {
  const Tensor indices = s.indices.unpack("MaxPool2DWithIndicesBackward", "indices");
  return {max_pool2d_grad(g[0], indices, s.w, s.in_h, s.in_w)};
}

// Of max_pool2d_grad, with respect to grad_out: a linear map whose adjoint reads each window's
// gradient back at its index.
Grads max_pool2d_grad_backward(const MaxPoolSaved& s, const Grads& g) {
  const Tensor indices = s.indices.unpack("MaxPool2DBackwardBackward", "indices");
  const int64_t n = indices.size(0), c = indices.size(1);
  const Tensor flat = g[0].reshape({n, c, s.in_h * s.in_w});
  const Tensor picked = gather(flat, 2, indices.reshape({n, c, s.w.out_h * s.w.out_w}));
  return {picked.reshape(indices.shape()), Tensor()};
}

Tensor max_pool2d_grad(const Tensor& grad_out, const Tensor& indices, const Window2d& w, int64_t in_h,
                       int64_t in_w) {
  const Tensor g = pooling::contiguous_data(grad_out);
  Tensor grad_x = empty_tensor({g.size(0), g.size(1), in_h, in_w}, g.dtype(), g.device());
  backend::kernels(g.device(), "max_pool2d_backward").max_pool2d_backward(grad_x, g, indices, w);
  if (needs_grad({&grad_out}))
    record<MaxPoolSaved>("MaxPool2DBackwardBackward", max_pool2d_grad_backward,
                         {SavedTensor::input(indices), w, in_h, in_w}, {&grad_out, &indices}, {&grad_x});
  return grad_x;
}

struct MaxPoolArgs {
  int64_t kh, kw, sh, sw, ph, pw, dh, dw;
  bool ceil_mode;
};

// The op on the user's input of rank dims + 1 or dims + 2; the indices are computed only when
// asked for or needed by the gradient.
std::pair<Tensor, Tensor> max_pool(std::string_view op, const Tensor& x, int dims, const MaxPoolArgs& a,
                                   bool want_indices) {
  const Tensor x4 = pooling::to_4d(op, x, dims);
  const Window2d w =
      pooling::make_window(op, x, x4, dims, a.kh, a.kw, a.sh, a.sw, a.ph, a.pw, a.dh, a.dw, a.ceil_mode);
  const Tensor data = pooling::contiguous_data(x4);
  const Shape out_shape{x4.size(0), x4.size(1), w.out_h, w.out_w};
  Tensor out = empty_tensor(out_shape, x.dtype(), x.device());
  const bool grad = needs_grad({&x4});
  Tensor indices = grad || want_indices ? empty_tensor(out_shape, kInt64, x.device()) : Tensor();
  backend::kernels(x.device(), "max_pool2d").max_pool2d(out, indices, data, w);
  if (grad)
    record<MaxPoolSaved>("MaxPool2DWithIndicesBackward", max_pool2d_backward,
                         {SavedTensor::input(indices), w, x4.size(2), x4.size(3)}, {&x4}, {&out});
  const int64_t rank = x.dim();
  return {pooling::from_4d(out, dims, rank),
          indices.defined() ? pooling::from_4d(indices, dims, rank) : Tensor()};
}

MaxPoolArgs args_2d(nn::functional::Size2 k, std::optional<nn::functional::Size2> s, nn::functional::Size2 p,
                    nn::functional::Size2 d, bool ceil_mode) {
  const nn::functional::Size2 st = s.value_or(k);
  return {k.h, k.w, st.h, st.w, p.h, p.w, d.h, d.w, ceil_mode};
}

MaxPoolArgs args_1d(int64_t k, std::optional<int64_t> s, int64_t p, int64_t d, bool ceil_mode) {
  return {1, k, 1, s.value_or(k), 0, p, 1, d, ceil_mode};
}

}  // namespace

void register_avg_pooling_ops(std::vector<OpInfo>& ops);  // ops/pooling_avg.cpp

void register_pooling_ops(std::vector<OpInfo>& ops) {
  auto fn = [](auto f) { return reinterpret_cast<const void*>(f); };
  ops.push_back({"max_pool2d",
                 true,
                 fn(&max_pool2d_backward),
                 [](const backend::Kernels& k) { return k.max_pool2d != nullptr; },
                 {}});
  ops.push_back({"max_pool2d_backward",
                 true,
                 fn(&max_pool2d_grad_backward),
                 [](const backend::Kernels& k) { return k.max_pool2d_backward != nullptr; },
                 {}});
  ops.push_back({"max_pool1d", true, nullptr, nullptr, "max_pool2d unsqueeze squeeze"});
  register_avg_pooling_ops(ops);
}

}  // namespace strata::ops

namespace strata::nn::functional {

Tensor max_pool2d(const Tensor& x, Size2 kernel_size, std::optional<Size2> stride, Size2 padding,
                  Size2 dilation, bool ceil_mode) {
  return ops::max_pool("max_pool2d", x, 2, ops::args_2d(kernel_size, stride, padding, dilation, ceil_mode),
                       false)
      .first;
}

std::pair<Tensor, Tensor> max_pool2d_with_indices(const Tensor& x, Size2 kernel_size,
                                                  std::optional<Size2> stride, Size2 padding, Size2 dilation,
                                                  bool ceil_mode) {
  return ops::max_pool("max_pool2d", x, 2, ops::args_2d(kernel_size, stride, padding, dilation, ceil_mode),
                       true);
}

Tensor max_pool1d(const Tensor& x, int64_t kernel_size, std::optional<int64_t> stride, int64_t padding,
                  int64_t dilation, bool ceil_mode) {
  return ops::max_pool("max_pool1d", x, 1, ops::args_1d(kernel_size, stride, padding, dilation, ceil_mode),
                       false)
      .first;
}

std::pair<Tensor, Tensor> max_pool1d_with_indices(const Tensor& x, int64_t kernel_size,
                                                  std::optional<int64_t> stride, int64_t padding,
                                                  int64_t dilation, bool ceil_mode) {
  return ops::max_pool("max_pool1d", x, 1, ops::args_1d(kernel_size, stride, padding, dilation, ceil_mode),
                       true);
}

}  // namespace strata::nn::functional
