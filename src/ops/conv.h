#pragma once
// The convolution ops on checked 4-d operands (ops/conv.cpp), for the public functions that check
// and shape their arguments (ops/conv_api.cpp).
#include <cstdint>

#include "backend/kernels.h"
#include "strata/tensor.h"

namespace strata::ops {

/// The geometry of one convolution, seen from its image side [N, C_img, image_h, image_w] (conv2d's
/// input, conv_transpose2d's output) and its cols side [N, C_cs, w.out_h, w.out_w] (conv2d's output,
/// conv_transpose2d's input). `w` is the window over the image; its out_h/out_w are set by the
/// caller (they may reach past a symmetric padding: "same" with an even kernel).
struct ConvGeometry {
  backend::Window2d w;
  int64_t image_h = 0, image_w = 0;
  int64_t groups = 1;
};

/// x [N, C, image_h, image_w], weight [O, C / groups, KH, KW], bias [O] or undefined.
Tensor conv2d_op(const Tensor& x, const Tensor& weight, const Tensor& bias, const ConvGeometry& g);
/// x [N, C_in, w.out_h, w.out_w], weight [C_in, C_out / groups, KH, KW], bias [C_out] or undefined.
Tensor conv_transpose2d_op(const Tensor& x, const Tensor& weight, const Tensor& bias, const ConvGeometry& g);

/// Which GEMM layout the ops use (see ops/conv.cpp); forced only by benchmarks/conv_libraries.cpp,
/// which compares them. Not thread-safe: set it before running convolutions.
enum class ConvLayout : uint8_t { kAuto, kBatch, kPerSample };
void set_conv_layout(ConvLayout layout);

}  // namespace strata::ops
