#pragma once
/// \file functional/conv.h
/// Convolutions as functions, with torch.nn.functional's arguments and shape rules. Keyword
/// arguments are the fields of an options struct, so calls read like PyTorch's:
///
///     using namespace strata::nn::functional;
///     Tensor y = conv2d(x, w, b, {.stride = 2, .padding = 1});        // x [N, C, H, W] or [C, H, W]
///     Tensor z = conv2d(x, w, {}, {.padding = "same", .dilation = {1, 2}});
///     Tensor u = conv1d(x, w, b, {.padding = "valid"});                // x [N, C, L] or [C, L]
///     Tensor v = conv_transpose2d(y, w2, {}, {.stride = 2, .output_padding = 1});
///
/// Inputs and weights must share one floating dtype (float32 or float64) and one device; the
/// bias, when given, is [out_channels]. Gradients flow to the input, the weight and the bias.
#include <cstdint>
#include <string>
#include <string_view>

#include "strata/nn/functional/size.h"
#include "strata/tensor.h"

namespace strata::nn::functional {

/// Zero padding: a number for every side, `{h, w}` per dim (2-d only), or "same" (the output keeps
/// the input's size; stride 1 only; an even kernel pads one more on the far side, as PyTorch does)
/// or "valid" (no padding).
struct Padding {
  std::string mode;  ///< "" for explicit sizes, else "same" or "valid"
  int64_t h = 0, w = 0;
  bool per_dim = false;               ///< given as {h, w}
  Padding(int v) : h(v), w(v) {}      // NOLINT(google-explicit-constructor): `.padding = 1`
  Padding(int64_t v) : h(v), w(v) {}  // NOLINT(google-explicit-constructor)
  Padding(int64_t h_, int64_t w_) : h(h_), w(w_), per_dim(true) {}
  Padding(const char* m) : mode(m) {}       // NOLINT(google-explicit-constructor): `.padding = "same"`
  Padding(std::string_view m) : mode(m) {}  // NOLINT(google-explicit-constructor)
};

struct Conv1dOptions {
  int64_t stride = 1;
  Padding padding = 0;
  int64_t dilation = 1;
  int64_t groups = 1;
};

struct Conv2dOptions {
  Size2 stride = 1;
  Padding padding = 0;
  Size2 dilation = 1;
  int64_t groups = 1;
};

struct ConvTranspose2dOptions {
  Size2 stride = 1;
  /// Removes `dilation * (kernel - 1) - padding` of zero padding from each side of the input.
  Size2 padding = 0;
  /// Extra rows/columns on the far side of the output, to pick among the input sizes a strided
  /// conv2d maps to one output size; smaller than stride or dilation.
  Size2 output_padding = 0;
  int64_t groups = 1;
  Size2 dilation = 1;
};

/// x [N, C_in, L] (or [C_in, L]), weight [C_out, C_in / groups, K] -> [N, C_out, L_out].
Tensor conv1d(const Tensor& x, const Tensor& weight, const Tensor& bias = {},
              const Conv1dOptions& options = {});

/// x [N, C_in, H, W] (or [C_in, H, W]), weight [C_out, C_in / groups, KH, KW] -> [N, C_out, H_out,
/// W_out], H_out = (H + 2 * padding - dilation * (KH - 1) - 1) / stride + 1.
Tensor conv2d(const Tensor& x, const Tensor& weight, const Tensor& bias = {},
              const Conv2dOptions& options = {});

/// The adjoint of conv2d (sometimes called a deconvolution): x [N, C_in, H, W] (or [C_in, H, W]),
/// weight [C_in, C_out / groups, KH, KW] -> [N, C_out, H_out, W_out], H_out = (H - 1) * stride -
/// 2 * padding + dilation * (KH - 1) + output_padding + 1.
Tensor conv_transpose2d(const Tensor& x, const Tensor& weight, const Tensor& bias = {},
                        const ConvTranspose2dOptions& options = {});

}  // namespace strata::nn::functional
