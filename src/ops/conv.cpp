// Convolution: conv2d (conv1d is its 1-row case) and conv_transpose2d on checked 4-d operands; the
// public functions that check and shape their arguments are in conv_api.cpp.
//
// Both ops are one geometry (ConvGeometry) seen from its two sides: the image side [N, C_img, H, W],
// which im2col unfolds into cols [C_img * KH * KW, N * L], and the cols side [N, C_cs, OH, OW]
// (L = OH * OW), related by a GEMM with the weight [C_cs, C_img / groups, KH, KW]. conv2d goes
// image -> cols side (im2col, then weight @ cols), conv_transpose2d goes cols side -> image
// (weight^T @ x, then col2im), so each one's input gradient is the other op, and both weight
// gradients are (cols side) @ cols^T. Three GEMM helpers cover all six products.
//
// A GEMM covers the whole batch one of two ways (per_sample()): one [C_cs/g, C_img*KK/g] x
// [C_img*KK/g, N*L] product per group, which needs the cols side channels-first ([C_cs, N*L]: one
// permuting copy), or N products of [.., L] straight on the [N, C_cs, L] tensors (a batched bmm with
// the weight broadcast). Without groups, conv2d's bias rides in the product (a row of ones in cols).
//
// oneDNN or im2col + GEMM, by measurement (benchmarks/conv_libraries.cpp: forward + backward of
// LeNet's two convolutions at batch 64, float32, and the whole LeNet training step; 2-core Zen 3
// VM shared with other builds at load 9-14, so each figure is the minimum of 8 runs, in ms of CPU
// time at one thread and of wall time at two):
//                                  strata   oneDNN (NCHW)   libtorch (oneDNN inside)
//   conv1 1->32, no input grad      3.9        4.9            19.2
//   conv2 32->64                   20.7       18.1            17.5
//   LeNet step                     45.6        -              63.5
//   2 threads: conv1 / conv2     8.2 / 27.1  729 / 75      131 / 252  (OpenMP threads spinning on
//                                                                      a loaded machine)
//   strata's layouts: conv1 per-sample 3.9 vs one GEMM 4.7; conv2 one GEMM 20.7 vs per-sample 22.0
//   (hence kPerSampleMinPixels between their 121 and 676 output pixels).
// oneDNN in the layouts it prefers ("any", reorders from/to NCHW counted) was no faster than on
// NCHW in a first, noisier run (conv2 21.2 vs 21.6), but was in a second (16.6 vs 19.5; strata
// 20.6, libtorch 18.5; conv1 strata 4.6, oneDNN 5.0, libtorch 21.7; LeNet step 47.4 vs 57.9).
// Folding the input gradient's cols back a few samples at a time (to keep them in cache between
// the GEMM and col2im) measured no faster on conv2 (18.0-24.7 vs 19.4-27.0 ms at one thread,
// slightly slower at two), so image_from makes one product.
// Choice: im2col + GEMM. oneDNN is 5-20% faster on conv2 at one thread (2-4 ms of a ~45 ms step),
// slower on conv1, and would bring a second compute library with its own OpenMP thread pool beside
// strata's pool and OpenBLAS (global thread state, and spinning threads that collapse on a loaded
// machine: the 2-thread row). A profile of strata's LeNet step (one thread, after the where kernel
// was vectorised): OpenBLAS 38% (mostly conv2's three products), strata's own GEMM kernel 10%
// (conv1's thin per-sample products, fc2), im2col + col2im 12%, relu 10%, max pooling 7%.
//
// The gradient: when backward records nothing (the common case) it runs the GEMM helpers directly,
// reusing the forward's cols for the weight gradient. Under create_graph it is written with the
// ops themselves (conv_transpose2d_op / conv2d_op, and the weight gradient as a conv2d of the image
// with the cols side as its kernel), so it can be differentiated again.
#include <algorithm>

#include "ops/common.h"
#include "ops/conv.h"
#include "ops/registry.h"
#include "strata/factories.h"
#include "strata/ops.h"

namespace strata::ops {

namespace {

using autograd::SavedTensor;
using Grads = autograd::TensorList;

// Layout choice (see the file comment): per-sample products from this many output pixels per
// sample on, one product over the whole batch below.
constexpr int64_t kPerSampleMinPixels = 256;

ConvLayout forced_layout = ConvLayout::kAuto;

bool per_sample(int64_t N, int64_t L) {
  if (N <= 1) return false;
  if (forced_layout != ConvLayout::kAuto) return forced_layout == ConvLayout::kPerSample;
  return L >= kPerSampleMinPixels;
}

// A view of t's storage starting `extra` elements after t's first element.
Tensor view_at(const Tensor& t, const Shape& sizes, const Shape& strides, int64_t extra = 0) {
  return alias(t, sizes, strides, t.storage_offset() + extra);
}

Tensor plain_contiguous(const Tensor& t) {
  if (t.is_contiguous()) return t;
  NoGradGuard no_grad;
  return t.contiguous();
}

int64_t pixels(const ConvGeometry& g) { return g.w.out_h * g.w.out_w; }
int64_t taps(const ConvGeometry& g) { return g.w.kernel_h * g.w.kernel_w; }

// cols [C * KK, N * L] of a contiguous image [N, C, H, W].
Tensor unfold(const Tensor& img, const ConvGeometry& g) {
  Tensor cols = empty_tensor({img.size(1) * taps(g), img.size(0) * pixels(g)}, img.dtype(), img.device());
  backend::kernels(img.device(), "conv2d").im2col(cols, img, g.w);
  return cols;
}

// [C, N * L] from a contiguous [N, C, ...] (the batch-wide GEMMs' layout of the cols side).
Tensor channels_first(const Tensor& t) {
  const int64_t N = t.size(0), C = t.size(1), L = N * C > 0 ? t.numel() / (N * C) : 0;
  Tensor out = empty_tensor({C, N * L}, t.dtype(), t.device());
  if (out.numel() > 0)
    backend::kernels(t.device(), "conv2d")
        .copy(view_at(out, {N, C, L}, {L, N * L, 1}), view_at(t, {N, C, L}, {C * L, L, 1}));
  return out;
}

// The cols side, [N, C_cs, L] contiguous, with its channels-first copy made once when needed.
class ColsSide {
 public:
  explicit ColsSide(Tensor t) : t_(std::move(t)) {}
  const Tensor& batch_first() const { return t_; }
  const Tensor& channels_first() {
    if (!cf_.defined()) cf_ = ops::channels_first(t_);
    return cf_;
  }

 private:
  Tensor t_, cf_;
};

// Sizes of a geometry's GEMMs: per group, [Og, Kg] x [Kg, L] for each of N samples.
struct Dims {
  int64_t N, G, Ccs, Og, Kg, L;
  int64_t NL() const { return N * L; }
};
Dims dims_of(int64_t N, int64_t Ccs, int64_t Kg, const ConvGeometry& g) {
  return {N, g.groups, Ccs, Ccs / g.groups, Kg, pixels(g)};
}

// P1: the cols side [N, C_cs, OH, OW] = wmat @ cols (+ bias per channel), with cols [G * Kg, N * L]
// and wmat the contiguous [C_cs, Kg] matrix of each group's weights (a contiguous weight, or one
// with the bias as an extra column when cols has a row of ones). conv2d's forward and
// conv_transpose2d's input gradient.
Tensor cols_side_from(const Tensor& cols, const Tensor& wmat, const Tensor& bias, int64_t N, int64_t Ccs,
                      const ConvGeometry& g) {
  const Dims d = dims_of(N, Ccs, cols.size(0) / g.groups, g);
  const auto& k = backend::kernels(cols.device(), "conv2d");
  const Tensor& w = wmat;
  Tensor out = empty_tensor({N, d.Ccs, g.w.out_h, g.w.out_w}, cols.dtype(), cols.device());
  if (out.numel() == 0) return out;
  const int64_t bs = bias.defined() ? bias.stride(0) : 0;
  if (per_sample(N, d.L)) {
    for (int64_t gi = 0; gi < d.G; ++gi) {
      const Tensor add =
          bias.defined() ? view_at(bias, {N, d.Og, d.L}, {0, bs, 0}, gi * d.Og * bs) : Tensor();
      k.bmm(view_at(out, {N, d.Og, d.L}, {d.Ccs * d.L, d.L, 1}, gi * d.Og * d.L),
            view_at(w, {N, d.Og, d.Kg}, {0, d.Kg, 1}, gi * d.Og * d.Kg),
            view_at(cols, {N, d.Kg, d.L}, {d.L, d.NL(), 1}, gi * d.Kg * d.NL()), add, false, false);
    }
    return out;
  }
  Tensor out_cf = empty_tensor({d.Ccs, d.NL()}, cols.dtype(), cols.device());
  const Tensor add = bias.defined() ? view_at(bias, {d.G, d.Og, d.NL()}, {d.Og * bs, bs, 0}) : Tensor();
  k.bmm(view_at(out_cf, {d.G, d.Og, d.NL()}, {d.Og * d.NL(), d.NL(), 1}),
        view_at(w, {d.G, d.Og, d.Kg}, {d.Og * d.Kg, d.Kg, 1}),
        view_at(cols, {d.G, d.Kg, d.NL()}, {d.Kg * d.NL(), d.NL(), 1}), add, false, false);
  k.copy(view_at(out, {d.Ccs, N, d.L}, {d.L, d.Ccs * d.L, 1}),
         view_at(out_cf, {d.Ccs, N, d.L}, {d.NL(), d.L, 1}));
  return out;
}

// P2: the image [N, C_img, H, W] = col2im(weight^T @ cols side). conv2d's input gradient and
// conv_transpose2d's forward.
Tensor image_from(ColsSide& cs, const Tensor& weight, const ConvGeometry& g) {
  const Tensor& x = cs.batch_first();
  const int64_t N = x.size(0);
  const Dims d = dims_of(N, weight.size(0), weight.size(1) * taps(g), g);
  const auto& k = backend::kernels(x.device(), "conv_transpose2d");
  const Tensor w = plain_contiguous(weight);
  const int64_t Cimg = weight.size(1) * d.G;
  Tensor img = empty_tensor({N, Cimg, g.image_h, g.image_w}, x.dtype(), x.device());
  if (img.numel() == 0) return img;
  Tensor cols = empty_tensor({Cimg * taps(g), d.NL()}, x.dtype(), x.device());
  if (per_sample(N, d.L)) {
    for (int64_t gi = 0; gi < d.G; ++gi)
      k.bmm(view_at(cols, {N, d.Kg, d.L}, {d.L, d.NL(), 1}, gi * d.Kg * d.NL()),
            view_at(w, {N, d.Og, d.Kg}, {0, d.Kg, 1}, gi * d.Og * d.Kg),
            view_at(x, {N, d.Og, d.L}, {d.Ccs * d.L, d.L, 1}, gi * d.Og * d.L), Tensor(), true, false);
  } else {
    const Tensor& x_cf = cs.channels_first();
    k.bmm(view_at(cols, {d.G, d.Kg, d.NL()}, {d.Kg * d.NL(), d.NL(), 1}),
          view_at(w, {d.G, d.Og, d.Kg}, {d.Og * d.Kg, d.Kg, 1}),
          view_at(x_cf, {d.G, d.Og, d.NL()}, {d.Og * d.NL(), d.NL(), 1}), Tensor(), true, false);
  }
  k.col2im(img, cols, g.w);
  return img;
}

// P3: [C_cs, Kg] = (cols side) @ cols^T per group, summed over the batch, for cols [G * Kg, N * L]:
// the weight gradient (in the weight's layout), plus the bias gradient as a last column when cols
// has a row of ones.
Tensor weight_from(ColsSide& cs, const Tensor& cols, const ConvGeometry& g) {
  const Tensor& x = cs.batch_first();
  const int64_t N = x.size(0);
  const Dims d = dims_of(N, x.size(1), cols.size(0) / g.groups, g);
  const auto& k = backend::kernels(x.device(), "conv2d");
  Tensor gw = empty_tensor({d.Ccs, d.Kg}, x.dtype(), x.device());
  if (gw.numel() == 0) return gw;
  if (per_sample(N, d.L)) {
    // One [C_cs/g, L] x [L, Kg] product per sample, then their sum.
    Tensor each = empty_tensor({N, d.Ccs * d.Kg}, x.dtype(), x.device());
    for (int64_t gi = 0; gi < d.G; ++gi)
      k.bmm(view_at(each, {N, d.Og, d.Kg}, {d.Ccs * d.Kg, d.Kg, 1}, gi * d.Og * d.Kg),
            view_at(x, {N, d.Og, d.L}, {d.Ccs * d.L, d.L, 1}, gi * d.Og * d.L),
            view_at(cols, {N, d.Kg, d.L}, {d.L, d.NL(), 1}, gi * d.Kg * d.NL()), Tensor(), false, true);
    k.reduce(backend::ReduceOp::Sum, view_at(gw, {1, d.Ccs * d.Kg}, {d.Ccs * d.Kg, 1}), each);
    return gw;
  }
  const Tensor& x_cf = cs.channels_first();
  k.bmm(view_at(gw, {d.G, d.Og, d.Kg}, {d.Og * d.Kg, d.Kg, 1}),
        view_at(x_cf, {d.G, d.Og, d.NL()}, {d.Og * d.NL(), d.NL(), 1}),
        view_at(cols, {d.G, d.Kg, d.NL()}, {d.Kg * d.NL(), d.NL(), 1}), Tensor(), false, true);
  return gw;
}

// The bias gradient: g [N, C, OH, OW] summed over all dims but the channel, as two reductions of
// contiguous runs (rows of L, then columns of N) rather than one over two separate dims.
Tensor bias_from(const Tensor& g) {
  const int64_t N = g.size(0), C = g.size(1), L = g.size(2) * g.size(3);
  Tensor gb = empty_tensor({C}, g.dtype(), g.device());
  if (C == 0) return gb;
  const auto& k = backend::kernels(g.device(), "conv2d");
  Tensor per_plane = empty_tensor({N * C}, g.dtype(), g.device());
  k.reduce(backend::ReduceOp::Sum, view_at(per_plane, {N * C, 1}, {1, 1}), view_at(g, {N * C, L}, {L, 1}));
  k.reduce(backend::ReduceOp::Sum, view_at(gb, {1, C}, {C, 1}), view_at(per_plane, {N, C}, {C, 1}));
  return gb;
}

// Differentiable weight gradient (for create_graph): per group, a conv2d of the image (channels as
// the batch) with the cols side as the kernel (samples as its channels), whose stride is the
// original dilation and whose dilation is the original stride; its output, sized to the kernel, is
// the gradient transposed.
Tensor weight_grad_composed(const Tensor& img, const Tensor& cs, const Shape& weight_shape,
                            const ConvGeometry& g) {
  if (img.numel() == 0 || cs.numel() == 0)
    return zeros(weight_shape, {.dtype = img.dtype(), .device = img.device()});
  const int64_t G = g.groups, Cimg_g = img.size(1) / G, Ocs_g = cs.size(1) / G;
  ConvGeometry inner;
  inner.w.kernel_h = g.w.out_h;
  inner.w.kernel_w = g.w.out_w;
  inner.w.stride_h = g.w.dilation_h;
  inner.w.stride_w = g.w.dilation_w;
  inner.w.dilation_h = g.w.stride_h;
  inner.w.dilation_w = g.w.stride_w;
  inner.w.pad_h = g.w.pad_h;
  inner.w.pad_w = g.w.pad_w;
  inner.w.out_h = g.w.kernel_h;
  inner.w.out_w = g.w.kernel_w;
  inner.image_h = g.image_h;
  inner.image_w = g.image_w;
  std::vector<Tensor> parts;
  for (int64_t gi = 0; gi < G; ++gi) {
    const Tensor x = img.narrow(1, gi * Cimg_g, Cimg_g).transpose(0, 1);
    const Tensor k = cs.narrow(1, gi * Ocs_g, Ocs_g).transpose(0, 1);
    parts.push_back(conv2d_op(x, k, Tensor(), inner).transpose(0, 1));
  }
  return G == 1 ? parts[0] : cat(parts, 0);
}

struct ConvSaved {
  SavedTensor x, weight;
  // conv2d: im2col of the input, kept from the forward for the weight gradient; with a last row of
  // ones when the bias went into the product (then the weight gradient's GEMM gives the bias's too).
  Tensor cols;
  bool bias_in_cols = false;
  ConvGeometry geom;
  Shape weight_shape;
  bool need_x = false, need_w = false, need_b = false;
};

Tensor grad_of(const Tensor& g) { return plain_contiguous(g); }

Grads conv2d_backward(const ConvSaved& s, const Grads& grads) {
  const Tensor w = s.need_x ? s.weight.unpack("ConvolutionBackward", "weight") : Tensor();
  const Tensor x = s.need_w ? s.x.unpack("ConvolutionBackward", "input") : Tensor();
  Tensor gx, gw, gb;
  if (is_grad_enabled()) {
    const Tensor& g = grads[0];
    if (s.need_x) gx = conv_transpose2d_op(g, w, Tensor(), s.geom);
    if (s.need_w) gw = weight_grad_composed(x, g, s.weight_shape, s.geom);
    if (s.need_b) gb = g.sum({0, 2, 3});
    return {gx, gw, gb};
  }
  ColsSide g(grad_of(grads[0]));
  if (s.need_x) gx = image_from(g, w, s.geom);
  if (s.need_w) {
    const Tensor m = weight_from(g, s.cols, s.geom);
    if (s.bias_in_cols) {  // m is [O, C*KK + 1]: the weight's gradient, then the bias's
      const auto& k = backend::kernels(m.device(), "ConvolutionBackward");
      const int64_t O = m.size(0), K = m.size(1) - 1;
      gw = empty_tensor(s.weight_shape, m.dtype(), m.device());
      k.copy(view_at(gw, {O, K}, {K, 1}), view_at(m, {O, K}, {K + 1, 1}));
      if (s.need_b) {
        gb = empty_tensor({O}, m.dtype(), m.device());
        k.copy(gb, view_at(m, {O}, {K + 1}, K));
      }
    } else {
      gw = view_at(m, s.weight_shape, contiguous_strides(s.weight_shape));
    }
  }
  if (s.need_b && !gb.defined()) gb = bias_from(g.batch_first());
  return {gx, gw, gb};
}

Grads conv_transpose2d_backward(const ConvSaved& s, const Grads& grads) {
  const Tensor w = s.need_x ? s.weight.unpack("ConvolutionBackward", "weight") : Tensor();
  const Tensor x = s.need_w ? s.x.unpack("ConvolutionBackward", "input") : Tensor();
  Tensor gx, gw, gb;
  if (is_grad_enabled()) {
    const Tensor& g = grads[0];
    if (s.need_x) gx = conv2d_op(g, w, Tensor(), s.geom);
    if (s.need_w) gw = weight_grad_composed(g, x, s.weight_shape, s.geom);
    if (s.need_b) gb = g.sum({0, 2, 3});
    return {gx, gw, gb};
  }
  const Tensor g = grad_of(grads[0]);
  if (s.need_x || s.need_w) {
    const Tensor cols = unfold(g, s.geom);
    if (s.need_x) gx = cols_side_from(cols, plain_contiguous(w), Tensor(), g.size(0), w.size(0), s.geom);
    if (s.need_w) {
      ColsSide xs(plain_contiguous(x));
      const Tensor m = weight_from(xs, cols, s.geom);
      gw = view_at(m, s.weight_shape, contiguous_strides(s.weight_shape));
    }
  }
  if (s.need_b) gb = bias_from(g);
  return {gx, gw, gb};
}

ConvSaved save_for_backward(const Tensor& x, const Tensor& weight, const Tensor& bias,
                            const ConvGeometry& g) {
  ConvSaved s;
  s.geom = g;
  s.weight_shape = weight.shape();
  s.need_x = x.requires_grad();
  s.need_w = weight.requires_grad();
  s.need_b = bias.defined() && bias.requires_grad();
  if (s.need_w) s.x = SavedTensor::input(x);  // each gradient reads the other operand
  if (s.need_x) s.weight = SavedTensor::input(weight);
  return s;
}

}  // namespace

Tensor conv2d_op(const Tensor& x, const Tensor& weight, const Tensor& bias, const ConvGeometry& g) {
  const Tensor img = plain_contiguous(x);
  const int64_t N = img.size(0), O = weight.size(0), K = img.size(1) * taps(g), NL = N * pixels(g);
  const auto& k = backend::kernels(x.device(), "conv2d");
  // Without groups, the bias joins the product: a row of ones under cols, a column of biases beside
  // the weight. That saves a pass over the output to add it, and one over the gradient to sum it.
  const bool bias_in_cols = bias.defined() && g.groups == 1 && NL > 0 && O > 0;
  Tensor cols, out;
  if (bias_in_cols) {
    cols = empty_tensor({K + 1, NL}, img.dtype(), img.device());
    k.im2col(view_at(cols, {K, NL}, {NL, 1}), img, g.w);
    k.fill(view_at(cols, {NL}, {1}, K * NL), 1);
    Tensor wmat = empty_tensor({O, K + 1}, img.dtype(), img.device());
    k.copy(view_at(wmat, {O, K}, {K + 1, 1}), view_at(plain_contiguous(weight), {O, K}, {K, 1}));
    k.copy(view_at(wmat, {O}, {K + 1}, K), bias);
    out = cols_side_from(cols, wmat, Tensor(), N, O, g);
  } else {
    cols = unfold(img, g);
    out = cols_side_from(cols, plain_contiguous(weight), bias, N, O, g);
  }
  if (needs_grad({&x, &weight, &bias})) {
    ConvSaved s = save_for_backward(x, weight, bias, g);
    if (s.need_w) {
      s.cols = cols;
      s.bias_in_cols = bias_in_cols;
    }
    record<ConvSaved>("ConvolutionBackward", conv2d_backward, std::move(s), {&x, &weight, &bias}, {&out});
  }
  return out;
}

Tensor conv_transpose2d_op(const Tensor& x, const Tensor& weight, const Tensor& bias, const ConvGeometry& g) {
  ColsSide xs(plain_contiguous(x));
  Tensor out = image_from(xs, weight, g);
  if (bias.defined() && out.numel() > 0) {
    const Tensor b = view_at(bias, out.shape(), {0, bias.stride(0), 0, 0});
    backend::kernels(x.device(), "conv_transpose2d").binary(backend::BinaryOp::Add, out, out, b, 1);
  }
  if (needs_grad({&x, &weight, &bias}))
    record<ConvSaved>("ConvolutionBackward", conv_transpose2d_backward, save_for_backward(x, weight, bias, g),
                      {&x, &weight, &bias}, {&out});
  return out;
}

void set_conv_layout(ConvLayout layout) { forced_layout = layout; }

void register_conv_ops(std::vector<OpInfo>& ops) {
  auto has_kernels = [](const backend::Kernels& k) {
    return k.im2col != nullptr && k.col2im != nullptr && k.bmm != nullptr && k.copy != nullptr;
  };
  ops.push_back({"conv2d", true, reinterpret_cast<const void*>(&conv2d_backward), has_kernels, {}});
  ops.push_back(
      {"conv_transpose2d", true, reinterpret_cast<const void*>(&conv_transpose2d_backward), has_kernels, {}});
  ops.push_back({"conv1d", true, nullptr, nullptr, "conv2d unsqueeze squeeze"});
}

}  // namespace strata::ops
