// nn::functional::conv1d / conv2d / conv_transpose2d: argument checks with PyTorch's rules, the
// padding modes, unbatched and 1-d inputs as views of the 4-d ops in conv.cpp.
#include "strata/nn/functional/conv.h"

#include "ops/common.h"
#include "ops/conv.h"
#include "strata/ops.h"

namespace strata {
namespace ops {

namespace {

// One call's arguments, for 1-d and 2-d alike (1-d ones use the w fields; h is 1 row, no padding).
struct Args {
  const char* op;
  int64_t nd;  // spatial dims: 1 or 2
  nn::functional::Size2 stride, dilation, output_padding{0};
  nn::functional::Padding padding;
  int64_t groups;
};

std::string pair_str(int64_t nd, int64_t h, int64_t w) {
  return nd == 1 ? std::to_string(w) : fmt::format("{}x{}", h, w);
}

void check_operands(const Args& a, const Tensor& x, const Tensor& weight, const Tensor& bias) {
  check_defined(a.op, {&x, &weight});
  check_same_device(a.op, {&x, &weight, &bias});
  const int64_t nd = a.nd;
  if (x.dim() != nd + 1 && x.dim() != nd + 2)
    fail("[{}] expected a {}-d (unbatched) or {}-d (batched) input [N, C{}], got {}", a.op, nd + 1, nd + 2,
         nd == 1 ? ", L" : ", H, W", x.describe());
  if (weight.dim() != nd + 2)
    fail("[{}] expected a {}-d weight [{}{}], got {}", a.op, nd + 2,
         std::string_view(a.op) == "conv_transpose2d" ? "in_channels, out_channels / groups"
                                                      : "out_channels, in_channels / groups",
         nd == 1 ? ", K" : ", KH, KW", weight.describe());
  if (x.dtype() != kFloat32 && x.dtype() != kFloat64)
    fail("[{}] is implemented for float32 and float64 inputs, got {}; convert with .to(strata::kFloat32)",
         a.op, x.describe());
  if (weight.dtype() != x.dtype() || (bias.defined() && bias.dtype() != x.dtype()))
    fail("[{}] dtype mismatch: input {}, weight {}, bias {}: all need one dtype; convert with .to()", a.op,
         x.describe(), weight.describe(), bias.defined() ? bias.describe() : "none");
  if (a.groups < 1) fail("[{}] groups must be >= 1, got {}", a.op, a.groups);
  if (a.stride.h < 1 || a.stride.w < 1)
    fail("[{}] stride must be >= 1, got {}", a.op, pair_str(nd, a.stride.h, a.stride.w));
  if (a.dilation.h < 1 || a.dilation.w < 1)
    fail("[{}] dilation must be >= 1, got {}", a.op, pair_str(nd, a.dilation.h, a.dilation.w));
  for (int64_t d = 2; d < weight.dim(); ++d)
    if (weight.size(d) < 1)
      fail("[{}] the kernel must be at least 1 wide, got weight {}", a.op, weight.describe());
}

// Channel checks: `in_ch` of x must equal what the weight expects; `out_ch` is the bias's size.
void check_channels(const Args& a, const Tensor& x, const Tensor& weight, const Tensor& bias,
                    bool transposed) {
  const int64_t ch_dim = x.dim() == a.nd + 2 ? 1 : 0, C = x.size(ch_dim);
  const int64_t G = a.groups;
  const int64_t split = weight.size(0);  // out_channels (conv) or in_channels (transposed)
  if (split % G != 0)
    fail("[{}] groups={} must divide {} ({} of weight {})", a.op, G,
         transposed ? "in_channels" : "out_channels", split, transposed ? "dim 0" : "dim 0",
         weight.describe());
  const int64_t want = transposed ? weight.size(0) : weight.size(1) * G;
  if (C != want)
    fail("[{}] input {} has {} channels (dim {}), but weight {} with groups={} expects {}", a.op,
         x.describe(), C, ch_dim, weight.describe(), G, want);
  const int64_t out_ch = transposed ? weight.size(1) * G : weight.size(0);
  if (bias.defined() && (bias.dim() != 1 || bias.size(0) != out_ch))
    fail("[{}] bias {} does not fit: expected [{}] (one value per output channel)", a.op, bias.describe(),
         out_ch);
}

// The conv geometry of conv1d/conv2d: padding resolved, output size checked.
ConvGeometry conv_geometry(const Args& a, const Tensor& x, const Tensor& weight) {
  ConvGeometry g;
  const bool one_d = a.nd == 1;
  g.image_h = one_d ? 1 : x.size(-2);
  g.image_w = x.size(-1);
  g.groups = a.groups;
  backend::Window2d& w = g.w;
  w.kernel_h = one_d ? 1 : weight.size(2);
  w.kernel_w = weight.size(-1);
  w.stride_h = one_d ? 1 : a.stride.h;
  w.stride_w = a.stride.w;
  w.dilation_h = one_d ? 1 : a.dilation.h;
  w.dilation_w = a.dilation.w;
  const int64_t span_h = w.dilation_h * (w.kernel_h - 1), span_w = w.dilation_w * (w.kernel_w - 1);
  int64_t extra_h = 0, extra_w = 0;  // padding on the far side beyond pad_h / pad_w ("same")
  const auto& p = a.padding;
  if (p.mode == "same") {
    if (w.stride_h != 1 || w.stride_w != 1)
      fail("[{}] padding=\"same\" needs stride 1 (got {}): the output could not keep the input's size", a.op,
           pair_str(a.nd, a.stride.h, a.stride.w));
    w.pad_h = span_h / 2;
    w.pad_w = span_w / 2;
    extra_h = span_h - 2 * w.pad_h;
    extra_w = span_w - 2 * w.pad_w;
  } else if (p.mode == "valid") {
    w.pad_h = w.pad_w = 0;
  } else if (p.mode.empty()) {
    if (one_d && p.per_dim)
      fail("[{}] padding takes one number for a 1-d convolution, got ({}, {})", a.op, p.h, p.w);
    w.pad_h = one_d ? 0 : p.h;
    w.pad_w = p.w;
    if (w.pad_h < 0 || w.pad_w < 0) fail("[{}] padding must be >= 0, got {}", a.op, pair_str(a.nd, p.h, p.w));
  } else {
    fail("[{}] padding must be \"same\", \"valid\" or numbers, got \"{}\"", a.op, p.mode);
  }
  const int64_t padded_h = g.image_h + 2 * w.pad_h + extra_h, padded_w = g.image_w + 2 * w.pad_w + extra_w;
  if (padded_h < span_h + 1 || padded_w < span_w + 1)
    fail(
        "[{}] input {} is smaller than the kernel: padded to {}, it cannot hold one window of {} (kernel {}, "
        "dilation {}); use a smaller kernel or dilation, or more padding",
        a.op, x.describe(), pair_str(a.nd, padded_h, padded_w), pair_str(a.nd, span_h + 1, span_w + 1),
        pair_str(a.nd, w.kernel_h, w.kernel_w), pair_str(a.nd, w.dilation_h, w.dilation_w));
  w.out_h = (padded_h - span_h - 1) / w.stride_h + 1;
  w.out_w = (padded_w - span_w - 1) / w.stride_w + 1;
  return g;
}

Tensor conv_nd(const Args& a, const Tensor& x, const Tensor& weight, const Tensor& bias) {
  check_operands(a, x, weight, bias);
  check_channels(a, x, weight, bias, false);
  const ConvGeometry g = conv_geometry(a, x, weight);
  const bool batched = x.dim() == a.nd + 2;
  Tensor x4 = batched ? x : x.unsqueeze(0);
  Tensor w4 = weight;
  if (a.nd == 1) {
    x4 = x4.unsqueeze(2);
    w4 = weight.unsqueeze(2);
  }
  Tensor out = conv2d_op(x4, w4, bias, g);
  if (a.nd == 1) out = out.squeeze(2);
  return batched ? out : out.squeeze(0);
}

}  // namespace
}  // namespace ops

namespace nn::functional {

Tensor conv1d(const Tensor& x, const Tensor& weight, const Tensor& bias, const Conv1dOptions& o) {
  const ops::Args a{"conv1d", 1, o.stride, o.dilation, 0, o.padding, o.groups};
  return ops::conv_nd(a, x, weight, bias);
}

Tensor conv2d(const Tensor& x, const Tensor& weight, const Tensor& bias, const Conv2dOptions& o) {
  const ops::Args a{"conv2d", 2, o.stride, o.dilation, 0, o.padding, o.groups};
  return ops::conv_nd(a, x, weight, bias);
}

Tensor conv_transpose2d(const Tensor& x, const Tensor& weight, const Tensor& bias,
                        const ConvTranspose2dOptions& o) {
  const ops::Args a{"conv_transpose2d", 2, o.stride, o.dilation, o.output_padding, 0, o.groups};
  ops::check_operands(a, x, weight, bias);
  ops::check_channels(a, x, weight, bias, true);
  const char* op = a.op;
  if (o.padding.h < 0 || o.padding.w < 0)
    fail("[{}] padding must be >= 0, got {}x{}", op, o.padding.h, o.padding.w);
  const auto& op_ = o.output_padding;
  if (op_.h < 0 || op_.w < 0 || (op_.h >= o.stride.h && op_.h >= o.dilation.h) ||
      (op_.w >= o.stride.w && op_.w >= o.dilation.w))
    fail(
        "[{}] output_padding {}x{} must be >= 0 and smaller than either stride ({}x{}) or dilation ({}x{}) "
        "in "
        "each dim",
        op, op_.h, op_.w, o.stride.h, o.stride.w, o.dilation.h, o.dilation.w);
  ops::ConvGeometry g;
  g.groups = o.groups;
  backend::Window2d& w = g.w;
  w.kernel_h = weight.size(2);
  w.kernel_w = weight.size(3);
  w.stride_h = o.stride.h;
  w.stride_w = o.stride.w;
  w.pad_h = o.padding.h;
  w.pad_w = o.padding.w;
  w.dilation_h = o.dilation.h;
  w.dilation_w = o.dilation.w;
  w.out_h = x.size(-2);
  w.out_w = x.size(-1);
  g.image_h = (w.out_h - 1) * w.stride_h - 2 * w.pad_h + w.dilation_h * (w.kernel_h - 1) + op_.h + 1;
  g.image_w = (w.out_w - 1) * w.stride_w - 2 * w.pad_w + w.dilation_w * (w.kernel_w - 1) + op_.w + 1;
  if (g.image_h < 1 || g.image_w < 1)
    fail(
        "[{}] input {} with kernel {}x{}, stride {}x{}, padding {}x{}, dilation {}x{} and output_padding "
        "{}x{} "
        "gives an output of {}x{}; use less padding",
        op, x.describe(), w.kernel_h, w.kernel_w, w.stride_h, w.stride_w, w.pad_h, w.pad_w, w.dilation_h,
        w.dilation_w, op_.h, op_.w, g.image_h, g.image_w);
  const bool batched = x.dim() == 4;
  Tensor out = ops::conv_transpose2d_op(batched ? x : x.unsqueeze(0), weight, bias, g);
  return batched ? out : out.squeeze(0);
}

}  // namespace nn::functional
}  // namespace strata
