// conv1d / conv2d / conv_transpose2d: values against a direct loop (both GEMM layouts of
// src/ops/conv.cpp), hand-computed cases, gradcheck on each argument variant, errors.
#include <strata/nn/functional/conv.h>

#include "support/test_util.h"

using namespace strata;
namespace F = strata::nn::functional;
using strata::test::expect_values;
using strata::test::leaf;
using strata::test::noncontiguous_leaf;

namespace {

struct Cfg {
  int64_t sh = 1, sw = 1, ph = 0, pw = 0, dh = 1, dw = 1, groups = 1;
};

// out[n, o, oh, ow] = b[o] + sum w[o, c, kh, kw] * x[n, g * Cg + c, oh * sh - ph + kh * dh, ...].
std::vector<double> direct_conv(const Tensor& x, const Tensor& w, const Tensor& b, const Cfg& c,
                                Shape& out_shape) {
  const auto xv = x.to(kFloat64).to_vector<double>(), wv = w.to(kFloat64).to_vector<double>();
  const int64_t N = x.size(0), C = x.size(1), H = x.size(2), W = x.size(3);
  const int64_t O = w.size(0), Cg = w.size(1), KH = w.size(2), KW = w.size(3), Og = O / c.groups;
  const int64_t OH = (H + 2 * c.ph - c.dh * (KH - 1) - 1) / c.sh + 1;
  const int64_t OW = (W + 2 * c.pw - c.dw * (KW - 1) - 1) / c.sw + 1;
  out_shape = {N, O, OH, OW};
  std::vector<double> out(static_cast<size_t>(N * O * OH * OW));
  const std::vector<double> bv =
      b.defined() ? b.to(kFloat64).to_vector<double>() : std::vector<double>(O, 0.0);
  for (int64_t n = 0; n < N; ++n)
    for (int64_t o = 0; o < O; ++o)
      for (int64_t oh = 0; oh < OH; ++oh)
        for (int64_t ow = 0; ow < OW; ++ow) {
          double s = bv[o];
          for (int64_t ci = 0; ci < Cg; ++ci)
            for (int64_t kh = 0; kh < KH; ++kh)
              for (int64_t kw = 0; kw < KW; ++kw) {
                const int64_t ih = oh * c.sh - c.ph + kh * c.dh, iw = ow * c.sw - c.pw + kw * c.dw;
                if (ih < 0 || ih >= H || iw < 0 || iw >= W) continue;
                const int64_t cin = o / Og * Cg + ci;
                s += wv[((o * Cg + ci) * KH + kh) * KW + kw] * xv[((n * C + cin) * H + ih) * W + iw];
              }
          out[((n * O + o) * OH + oh) * OW + ow] = s;
        }
  return out;
}

// conv_transpose2d by scattering: out[n, g * Og + o, ih, iw] += x[n, cin, h, w] * w[cin, o, kh, kw].
std::vector<double> direct_conv_transpose(const Tensor& x, const Tensor& w, const Cfg& c, int64_t oph,
                                          int64_t opw, Shape& out_shape) {
  const auto xv = x.to_vector<double>(), wv = w.to_vector<double>();
  const int64_t N = x.size(0), Cin = x.size(1), H = x.size(2), W = x.size(3);
  const int64_t Og = w.size(1), KH = w.size(2), KW = w.size(3), Cg = Cin / c.groups, O = Og * c.groups;
  const int64_t OH = (H - 1) * c.sh - 2 * c.ph + c.dh * (KH - 1) + oph + 1;
  const int64_t OW = (W - 1) * c.sw - 2 * c.pw + c.dw * (KW - 1) + opw + 1;
  out_shape = {N, O, OH, OW};
  std::vector<double> out(static_cast<size_t>(N * O * OH * OW), 0.0);
  for (int64_t n = 0; n < N; ++n)
    for (int64_t ci = 0; ci < Cin; ++ci)
      for (int64_t h = 0; h < H; ++h)
        for (int64_t ww = 0; ww < W; ++ww)
          for (int64_t o = 0; o < Og; ++o)
            for (int64_t kh = 0; kh < KH; ++kh)
              for (int64_t kw = 0; kw < KW; ++kw) {
                const int64_t oh = h * c.sh - c.ph + kh * c.dh, ow = ww * c.sw - c.pw + kw * c.dw;
                if (oh < 0 || oh >= OH || ow < 0 || ow >= OW) continue;
                const int64_t oc = ci / Cg * Og + o;
                out[((n * O + oc) * OH + oh) * OW + ow] +=
                    xv[((n * Cin + ci) * H + h) * W + ww] * wv[((ci * Og + o) * KH + kh) * KW + kw];
              }
  return out;
}

Tensor rnd(const Shape& s, uint64_t seed, DType d = kFloat64) {
  Generator g(seed);
  return randn(s, {.dtype = d}, &g);
}

F::Conv2dOptions opts(const Cfg& c) {
  return {.stride = {c.sh, c.sw}, .padding = {c.ph, c.pw}, .dilation = {c.dh, c.dw}, .groups = c.groups};
}

}  // namespace

TEST(Conv2d, HandComputed) {
  const Tensor x = from_vector(std::vector<double>{1, 2, 3, 4, 5, 6, 7, 8, 9}, {1, 1, 3, 3});
  const Tensor w = from_vector(std::vector<double>{1, 0, 0, -1}, {1, 1, 2, 2});
  const Tensor b = from_vector(std::vector<double>{10}, {1});
  const Tensor y = F::conv2d(x, w, b);
  EXPECT_EQ(y.shape(), Shape({1, 1, 2, 2}));
  expect_values(y, {1 - 5 + 10, 2 - 6 + 10, 4 - 8 + 10, 5 - 9 + 10});
  // padding 1, stride 2: windows at rows/cols -1 and 1.
  expect_values(F::conv2d(x, w, {}, {.stride = 2, .padding = 1}), {-1, -3, -7, 5 - 9});
}

TEST(Conv2d, MatchesDirectLoopOnBothLayouts) {
  const std::vector<std::pair<Cfg, Shape>> cases = {
      {{}, {2, 3, 7, 6}},
      {{.sh = 2, .sw = 1, .ph = 1, .pw = 2}, {2, 3, 7, 6}},
      {{.ph = 2, .pw = 1, .dh = 2, .dw = 3}, {1, 2, 8, 9}},
      {{.sh = 3, .sw = 2, .ph = 1, .pw = 0, .dh = 1, .dw = 2}, {3, 4, 9, 10}},
      {{.groups = 2}, {2, 4, 5, 5}},
      {{.sh = 2, .sw = 2, .ph = 1, .pw = 1, .groups = 4}, {2, 4, 6, 7}},
      {{}, {3, 2, 20, 19}},                               // 18 x 17 outputs: per-sample products
      {{.ph = 1, .pw = 1, .groups = 2}, {2, 4, 17, 16}},  // per-sample, grouped
      {{.sh = 1, .sw = 2, .ph = 3, .pw = 3, .dh = 2}, {2, 1, 30, 40}},
  };
  for (const auto& [c, xs] : cases) {
    for (DType d : {kFloat64, kFloat32}) {
      SCOPED_TRACE(fmt::format("x {} stride {}x{} pad {}x{} dil {}x{} groups {} {}", xs.str(), c.sh, c.sw,
                               c.ph, c.pw, c.dh, c.dw, c.groups, dtype_name(d)));
      const int64_t O = 2 * c.groups;
      const Tensor x = rnd(xs, 1, d), w = rnd({O, xs[1] / c.groups, 3, 2}, 2, d), b = rnd({O}, 3, d);
      Shape want_shape;
      const auto want = direct_conv(x, w, b, c, want_shape);
      const Tensor y = F::conv2d(x, w, b, opts(c));
      ASSERT_EQ(y.shape(), want_shape);
      expect_values(y, want, d == kFloat32 ? 1e-4 : 1e-10, d == kFloat32 ? 1e-4 : 0);
    }
  }
}

TEST(Conv2d, PaddingSameAndValid) {
  for (int64_t k : {3, 4}) {
    for (int64_t dil : {1, 2}) {
      SCOPED_TRACE(fmt::format("kernel {} dilation {}", k, dil));
      const Tensor x = rnd({2, 2, 7, 8}, 4), w = rnd({3, 2, k, k - 1}, 5);
      const Tensor y = F::conv2d(x, w, {}, {.padding = "same", .dilation = dil});
      EXPECT_EQ(y.shape(), Shape({2, 3, 7, 8}));
      // PyTorch's "same": total padding dil * (k - 1), the odd one on the far side. Check against
      // an explicitly padded input.
      const int64_t th = dil * (k - 1), tw = dil * (k - 2);
      Tensor xp = zeros({2, 2, 7 + th, 8 + tw}, {.dtype = kFloat64});
      xp.index_put_({Slice(), Slice(), Slice(th / 2, th / 2 + 7), Slice(tw / 2, tw / 2 + 8)}, x);
      EXPECT_TRUE(allclose(y, F::conv2d(xp, w, {}, {.dilation = dil}), 1e-10, 1e-10));
    }
  }
  const Tensor x = rnd({1, 1, 5, 5}, 6), w = rnd({1, 1, 3, 3}, 7);
  EXPECT_TRUE(equal(F::conv2d(x, w, {}, {.padding = "valid"}), F::conv2d(x, w)));
}

TEST(Conv2d, UnbatchedInputAndConv1d) {
  const Tensor x = rnd({3, 6, 5}, 8), w = rnd({4, 3, 2, 2}, 9), b = rnd({4}, 10);
  const Tensor y = F::conv2d(x, w, b, {.padding = 1});
  EXPECT_EQ(y.shape(), Shape({4, 7, 6}));
  EXPECT_TRUE(allclose(y, F::conv2d(x.unsqueeze(0), w, b, {.padding = 1}).squeeze(0)));
  // conv1d is conv2d on a one-row image.
  const Tensor x1 = rnd({2, 3, 11}, 11), w1 = rnd({6, 1, 3}, 12);
  const Tensor y1 = F::conv1d(x1, w1, {}, {.stride = 2, .padding = 2, .dilation = 2, .groups = 3});
  EXPECT_EQ(y1.shape(), Shape({2, 6, 6}));
  const Tensor y2 = F::conv2d(x1.unsqueeze(2), w1.unsqueeze(2), {},
                              {.stride = {1, 2}, .padding = {0, 2}, .dilation = {1, 2}, .groups = 3});
  EXPECT_TRUE(allclose(y1, y2.squeeze(2)));
  EXPECT_EQ(F::conv1d(x1[0], w1, {}, {.padding = "same", .groups = 3}).shape(), Shape({6, 11}));
}

TEST(ConvTranspose2d, MatchesDirectLoop) {
  struct T {
    Cfg c;
    int64_t oph, opw;
    Shape xs;
  };
  const std::vector<T> cases = {
      {{}, 0, 0, {2, 3, 4, 5}},
      {{.sh = 2, .sw = 3, .ph = 1, .pw = 0}, 1, 2, {2, 2, 4, 3}},
      {{.sh = 1, .sw = 2, .dh = 2, .dw = 1}, 1, 1, {1, 2, 5, 4}},  // output_padding below the dilation
      {{.sh = 2, .sw = 2, .ph = 1, .pw = 1, .groups = 2}, 1, 0, {2, 4, 3, 3}},
      {{.sh = 2, .sw = 2}, 0, 0, {2, 3, 12, 12}},  // 26 x 26 outputs: per-sample products
  };
  for (const auto& t : cases) {
    SCOPED_TRACE(fmt::format("x {} stride {}x{} groups {}", t.xs.str(), t.c.sh, t.c.sw, t.c.groups));
    const Tensor x = rnd(t.xs, 13), w = rnd({t.xs[1], 2, 3, 2}, 14), b = rnd({2 * t.c.groups}, 15);
    Shape want_shape;
    auto want = direct_conv_transpose(x, w, t.c, t.oph, t.opw, want_shape);
    const Tensor y = F::conv_transpose2d(x, w, b,
                                         {.stride = {t.c.sh, t.c.sw},
                                          .padding = {t.c.ph, t.c.pw},
                                          .output_padding = {t.oph, t.opw},
                                          .groups = t.c.groups,
                                          .dilation = {t.c.dh, t.c.dw}});
    ASSERT_EQ(y.shape(), want_shape);
    const auto bv = b.to_vector<double>();
    const int64_t plane = want_shape[2] * want_shape[3];
    for (size_t i = 0; i < want.size(); ++i) want[i] += bv[(static_cast<int64_t>(i) / plane) % want_shape[1]];
    expect_values(y, want, 1e-10);
  }
}

TEST(Conv2d, Gradcheck) {
  const std::vector<std::pair<Cfg, Shape>> cases = {
      {{}, {2, 2, 5, 4}},
      {{.sh = 2, .sw = 1, .ph = 1, .pw = 2}, {2, 2, 5, 6}},
      {{.ph = 1, .pw = 0, .dh = 2, .dw = 2}, {1, 2, 6, 5}},
      {{.sh = 2, .sw = 2, .ph = 1, .pw = 1, .groups = 2}, {2, 4, 5, 5}},
  };
  for (const auto& [c, xs] : cases) {
    SCOPED_TRACE(fmt::format("x {} stride {}x{} groups {}", xs.str(), c.sh, c.sw, c.groups));
    const Tensor x = leaf(xs, 1), w = leaf({2 * c.groups, xs[1] / c.groups, 3, 2}, 2),
                 b = leaf({2 * c.groups}, 3);
    auto fn = [&](const std::vector<Tensor>& in) { return F::conv2d(in[0], in[1], in[2], opts(c)); };
    EXPECT_GRADCHECK(fn, {x, w, b});
  }
  // Non-contiguous input and weight, "same" with an even kernel, no bias.
  const Tensor x = noncontiguous_leaf({2, 2, 4, 5}, 4), w = noncontiguous_leaf({3, 2, 2, 2}, 5);
  EXPECT_GRADCHECK(
      [](const std::vector<Tensor>& in) { return F::conv2d(in[0], in[1], {}, {.padding = "same"}); }, {x, w});
  // The per-sample layout (256 and more output pixels per sample), unbatched input.
  const Tensor xl = leaf({2, 1, 17, 16}, 6), wl = leaf({2, 1, 2, 1}, 7), bl = leaf({2}, 8);
  EXPECT_GRADCHECK([](const std::vector<Tensor>& in) { return F::conv2d(in[0], in[1], in[2]); },
                   {xl, wl, bl});
  EXPECT_GRADCHECK(
      [](const std::vector<Tensor>& in) { return F::conv2d(in[0], in[1], in[2], {.padding = 1}); },
      {leaf({2, 3, 3}, 9), leaf({2, 2, 2, 2}, 10), leaf({2}, 11)});
}

TEST(Conv2d, GradGradcheck) {
  const Tensor x = leaf({2, 2, 4, 4}, 12), w = leaf({2, 1, 2, 3}, 13), b = leaf({2}, 14);
  EXPECT_GRADGRADCHECK(
      [](const std::vector<Tensor>& in) {
        return F::conv2d(in[0], in[1], in[2],
                         {.stride = {2, 1}, .padding = 1, .dilation = {1, 2}, .groups = 2});
      },
      {x, w, b});
}

TEST(Conv1d, Gradcheck) {
  const Tensor x = noncontiguous_leaf({2, 4, 7}, 15), w = leaf({2, 2, 3}, 16), b = leaf({2}, 17);
  EXPECT_GRADCHECK(
      [](const std::vector<Tensor>& in) {
        return F::conv1d(in[0], in[1], in[2], {.stride = 2, .padding = 1, .dilation = 2, .groups = 2});
      },
      {x, w, b});
  EXPECT_GRADCHECK(
      [](const std::vector<Tensor>& in) { return F::conv1d(in[0], in[1], {}, {.padding = "same"}); },
      {leaf({3, 6}, 18), leaf({2, 3, 4}, 19)});
}

TEST(ConvTranspose2d, Gradcheck) {
  const Tensor x = leaf({2, 4, 3, 3}, 20), w = leaf({4, 1, 3, 2}, 21), b = leaf({2}, 22);
  EXPECT_GRADCHECK(
      [](const std::vector<Tensor>& in) {
        return F::conv_transpose2d(
            in[0], in[1], in[2],
            {.stride = {2, 3}, .padding = {1, 0}, .output_padding = {1, 2}, .groups = 2});
      },
      {x, w, b});
  const Tensor xn = noncontiguous_leaf({2, 3, 4, 3}, 23), wn = leaf({3, 2, 2, 2}, 24);
  EXPECT_GRADCHECK(
      [](const std::vector<Tensor>& in) {
        return F::conv_transpose2d(in[0], in[1], {}, {.output_padding = 1, .dilation = 2});
      },
      {xn, wn});
  EXPECT_GRADGRADCHECK(
      [](const std::vector<Tensor>& in) { return F::conv_transpose2d(in[0], in[1], in[2], {.stride = 2}); },
      {leaf({1, 2, 3, 3}, 25), leaf({2, 2, 2, 2}, 26), leaf({2}, 27)});
}

TEST(Conv2d, GradientsOnlyWhereNeeded) {
  // A first layer: the input takes no gradient, the weight and bias do.
  const Tensor x = rnd({2, 1, 6, 6}, 28), w = leaf({3, 1, 3, 3}, 29), b = leaf({3}, 30);
  F::conv2d(x, w, b).sum().backward();
  EXPECT_FALSE(x.grad().defined());
  ASSERT_TRUE(w.grad().defined());
  // d sum / d b = the number of output positions per channel.
  expect_values(b.grad(), {32, 32, 32});
  // d sum / d w[o, 0, kh, kw] = the sum of the input window the tap reads.
  const Tensor want = F::conv2d(x.transpose(0, 1), ones({1, 2, 4, 4}, {.dtype = kFloat64}));
  EXPECT_TRUE(allclose(w.grad()[0][0], want[0][0], 1e-10, 1e-10));
}

TEST(Conv2d, EmptyBatch) {
  const Tensor x = test::empty_leaf({0, 2, 5, 5}), w = leaf({3, 2, 3, 3}, 31), b = leaf({3}, 32);
  const Tensor y = F::conv2d(x, w, b);
  EXPECT_EQ(y.shape(), Shape({0, 3, 3, 3}));
  y.sum().backward();
  expect_values(b.grad(), {0, 0, 0});
  EXPECT_EQ(x.grad().shape(), x.shape());
  EXPECT_EQ(w.grad().abs().sum().item<double>(), 0.0);
}

TEST(Conv2d, Errors) {
  const Tensor x = rnd({2, 3, 8, 8}, 33), w = rnd({4, 3, 3, 3}, 34);
  EXPECT_ERROR(F::conv2d(rnd({2, 1, 8, 8}, 35), w),
               "[conv2d] input [2, 1, 8, 8] float64 cpu has 1 channels (dim 1), but weight [4, 3, 3, 3] "
               "float64 cpu with groups=1 expects 3");
  EXPECT_ERROR(F::conv2d(rnd({8, 8}, 36), w), "[conv2d] expected a 3-d (unbatched) or 4-d (batched) input");
  EXPECT_ERROR(F::conv2d(x, rnd({4, 3, 3}, 37)), "[conv2d] expected a 4-d weight");
  EXPECT_ERROR(F::conv2d(x, w, rnd({3}, 38)), "[conv2d] bias [3] float64 cpu does not fit: expected [4]");
  EXPECT_ERROR(F::conv2d(x, rnd({4, 1, 3, 3}, 39), {}, {.groups = 3}),
               "[conv2d] groups=3 must divide out_channels");
  EXPECT_ERROR(F::conv2d(x, w, {}, {.stride = 2, .padding = "same"}), "padding=\"same\" needs stride 1");
  EXPECT_ERROR(F::conv2d(x, w, {}, {.padding = "full"}), "padding must be \"same\", \"valid\" or numbers");
  EXPECT_ERROR(F::conv2d(x, w, {}, {.stride = 0}), "[conv2d] stride must be >= 1");
  EXPECT_ERROR(F::conv2d(rnd({1, 3, 2, 8}, 40), w),
               "[conv2d] input [1, 3, 2, 8] float64 cpu is smaller than the kernel: padded to 2x8");
  EXPECT_ERROR(F::conv2d(x, w.to(kFloat32)), "[conv2d] dtype mismatch");
  EXPECT_ERROR(F::conv2d(x.to(kInt64), w.to(kInt64)), "[conv2d] is implemented for float32 and float64");
  EXPECT_ERROR(F::conv1d(rnd({1, 3, 8}, 41), rnd({4, 3, 3}, 42), {}, {.padding = {1, 2}}),
               "[conv1d] padding takes one number");
  EXPECT_ERROR(F::conv_transpose2d(x, rnd({3, 2, 3, 3}, 43), {}, {.stride = 2, .output_padding = 2}),
               "[conv_transpose2d] output_padding 2x2 must be >= 0 and smaller than either stride");
  EXPECT_ERROR(F::conv_transpose2d(x, rnd({4, 2, 3, 3}, 44)),
               "[conv_transpose2d] input [2, 3, 8, 8] float64 cpu has 3 channels");
  EXPECT_ERROR(F::conv_transpose2d(rnd({1, 3, 1, 1}, 45), rnd({3, 2, 1, 1}, 46), {}, {.padding = 1}),
               "gives an output of -1x-1");
}

TEST(Conv2d, KernelAndComposedGradientsAgree) {
  // create_graph runs the differentiable gradient (ops composed); a plain backward runs the GEMM
  // helpers directly, on both layouts. They must agree.
  for (const Shape& xs : {Shape{2, 2, 6, 7}, Shape{2, 2, 18, 33}}) {
    for (int64_t groups : {1, 2}) {
      SCOPED_TRACE(fmt::format("x {} groups {}", xs.str(), groups));
      const F::Conv2dOptions o{.stride = {1, 2}, .padding = {2, 1}, .dilation = {2, 1}, .groups = groups};
      const Tensor g = rnd({2, 4, xs[2], (xs[3] + 2 - 3) / 2 + 1}, 50);
      std::vector<Tensor> grads[2];
      for (int composed = 0; composed < 2; ++composed) {
        const Tensor x = leaf(xs, 51), w = leaf({4, 2 / groups, 3, 3}, 52), b = leaf({4}, 53);
        F::conv2d(x, w, b, o).backward(g, false, composed == 1);
        grads[composed] = {x.grad().detach(), w.grad().detach(), b.grad().detach()};
      }
      for (size_t i = 0; i < 3; ++i) EXPECT_TRUE(allclose(grads[0][i], grads[1][i], 1e-10, 1e-10)) << i;
    }
  }
}

TEST(Conv2d, NoInputChannelsGivesTheBias) {
  const Tensor x = test::empty_leaf({2, 0, 4, 4}), w = test::empty_leaf({3, 0, 2, 2}), b = leaf({3}, 54);
  const Tensor y = F::conv2d(x, w, b);
  EXPECT_EQ(y.shape(), Shape({2, 3, 3, 3}));
  EXPECT_TRUE(allclose(y, b.detach().reshape({1, 3, 1, 1}).expand({2, 3, 3, 3})));
  y.sum().backward();
  expect_values(b.grad(), {18, 18, 18});
  EXPECT_EQ(w.grad().shape(), w.shape());
  const Tensor yn = F::conv2d(x.detach(), w.detach());
  EXPECT_EQ(yn.abs().sum().item<double>(), 0.0);
}

TEST(ConvTranspose2d, EmptyBatch) {
  const Tensor x = test::empty_leaf({0, 2, 3, 3}), w = leaf({2, 3, 2, 2}, 55), b = leaf({3}, 56);
  const Tensor y = F::conv_transpose2d(x, w, b, {.stride = 2});
  EXPECT_EQ(y.shape(), Shape({0, 3, 6, 6}));
  y.sum().backward();
  expect_values(b.grad(), {0, 0, 0});
  EXPECT_EQ(w.grad().abs().sum().item<double>(), 0.0);
}

TEST(ConvTranspose2d, ManyOutputChannels) {
  // 64 * 3 * 3 rows of 225 columns per sample (one GEMM over the batch, then col2im).
  const Tensor x = rnd({3, 2, 15, 15}, 57), w = rnd({2, 64, 3, 3}, 58);
  Shape want_shape;
  const auto want = direct_conv_transpose(x, w, {}, 0, 0, want_shape);
  const Tensor y = F::conv_transpose2d(x, w);
  ASSERT_EQ(y.shape(), want_shape);
  expect_values(y, want, 1e-10);
}
