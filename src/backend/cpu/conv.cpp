// im2col / col2im for the convolution ops (src/ops/conv.cpp), over contiguous operands. cols is
// [C * KH * KW, N, OH * OW]: one row per kernel tap (c, kh, kw), each row holding every sample's
// output positions in a row. A row of one sample is a strip of the input plane shifted by the tap,
// so the inner loops copy (im2col) or add (col2im) runs of contiguous memory; with stride 1 a run is
// a whole output row. Zero padding is the part of a run that falls outside the input row.
#include <algorithm>
#include <cstring>

#include "backend/cpu/cpu_kernels.h"
#include "backend/cpu/dispatch.h"
#include "backend/cpu/loops.h"

namespace strata::backend::cpu {
namespace {

// Output columns ow whose input column ow * stride + offset lies in [0, size): [begin, end).
struct Span {
  int64_t begin, end;
};
Span valid_span(int64_t offset, int64_t stride, int64_t size, int64_t out) {
  // ow * stride + offset >= 0  <=>  ow >= ceil(-offset / stride)
  int64_t begin = offset >= 0 ? 0 : (-offset + stride - 1) / stride;
  // ow * stride + offset <= size - 1  <=>  ow <= floor((size - 1 - offset) / stride)
  int64_t end = size - 1 - offset < 0 ? 0 : (size - 1 - offset) / stride + 1;
  begin = std::min(begin, out);
  end = std::clamp(end, begin, out);
  return {begin, end};
}

// One tap (c, kh, kw) of one sample: dst[oh * OW + ow] = plane[ih, iw] (zero outside the plane).
template <typename T>
void unfold_tap(T* dst, const T* plane, int64_t H, int64_t W, int64_t kh, int64_t kw, const Window2d& w) {
  const int64_t col_off = kw * w.dilation_w - w.pad_w;
  const Span cols = valid_span(col_off, w.stride_w, W, w.out_w);
  for (int64_t oh = 0; oh < w.out_h; ++oh, dst += w.out_w) {
    const int64_t ih = oh * w.stride_h - w.pad_h + kh * w.dilation_h;
    if (ih < 0 || ih >= H) {
      std::fill(dst, dst + w.out_w, T(0));
      continue;
    }
    const T* row = plane + ih * W;
    std::fill(dst, dst + cols.begin, T(0));
    if (w.stride_w == 1 && cols.end > cols.begin) {
      std::memcpy(dst + cols.begin, row + cols.begin + col_off,
                  static_cast<size_t>(cols.end - cols.begin) * sizeof(T));
    } else if (w.stride_w != 1) {
      for (int64_t ow = cols.begin; ow < cols.end; ++ow) dst[ow] = row[ow * w.stride_w + col_off];
    }
    std::fill(dst + cols.end, dst + w.out_w, T(0));
  }
}

// The adjoint of unfold_tap: plane[ih, iw] += src[oh * OW + ow].
template <typename T>
void fold_tap(T* plane, const T* src, int64_t H, int64_t W, int64_t kh, int64_t kw, const Window2d& w) {
  const int64_t col_off = kw * w.dilation_w - w.pad_w;
  const Span cols = valid_span(col_off, w.stride_w, W, w.out_w);
  for (int64_t oh = 0; oh < w.out_h; ++oh, src += w.out_w) {
    const int64_t ih = oh * w.stride_h - w.pad_h + kh * w.dilation_h;
    if (ih < 0 || ih >= H || cols.end == cols.begin) continue;
    T* row = plane + ih * W;
    if (w.stride_w == 1) {
      T* r = row + col_off + cols.begin;  // in the row: cols.begin + col_off >= 0
      const T* s = src + cols.begin;
      for (int64_t i = 0, n = cols.end - cols.begin; i < n; ++i) r[i] += s[i];
    } else {
      for (int64_t ow = cols.begin; ow < cols.end; ++ow) row[ow * w.stride_w + col_off] += src[ow];
    }
  }
}

void im2col(const Tensor& cols, const Tensor& x, const Window2d& w) {
  const int64_t N = x.size(0), C = x.size(1), H = x.size(2), W = x.size(3);
  const int64_t KK = w.kernel_h * w.kernel_w, L = w.out_h * w.out_w;
  if (cols.numel() == 0) return;
  dispatch_float(x.dtype(), "im2col", [&]<typename T>() {
    const T* xp = x.data<T>();
    T* cp = cols.data<T>();
    // Task t = row * N + n writes the L contiguous values of tap `row` for sample n.
    parallel_work(C * KK * N, L, kParallelCheap, [&](int64_t begin, int64_t end) {
      for (int64_t t = begin; t < end; ++t) {
        const int64_t row = t / N, n = t % N;
        const int64_t c = row / KK, kh = row % KK / w.kernel_w, kw = row % w.kernel_w;
        unfold_tap(cp + t * L, xp + (n * C + c) * H * W, H, W, kh, kw, w);
      }
    });
  });
}

void col2im(const Tensor& x_grad, const Tensor& cols, const Window2d& w) {
  const int64_t N = x_grad.size(0), C = x_grad.size(1), H = x_grad.size(2), W = x_grad.size(3);
  const int64_t KK = w.kernel_h * w.kernel_w, L = w.out_h * w.out_w;
  if (x_grad.numel() == 0) return;
  dispatch_float(x_grad.dtype(), "col2im", [&]<typename T>() {
    T* gp = x_grad.data<T>();
    const T* cp = cols.data<T>();
    // Task q = c * N + n owns plane (n, c): the sum of its KK taps, so no two tasks write one value.
    // In this order consecutive tasks read consecutive runs of each of the KK rows of cols.
    parallel_work(N * C, KK * L, kParallelCheap, [&](int64_t begin, int64_t end) {
      for (int64_t q = begin; q < end; ++q) {
        const int64_t c = q / N, n = q % N;
        T* plane = gp + (n * C + c) * H * W;
        std::fill(plane, plane + H * W, T(0));
        for (int64_t k = 0; k < KK; ++k)
          fold_tap(plane, cp + ((c * KK + k) * N + n) * L, H, W, k / w.kernel_w, k % w.kernel_w, w);
      }
    });
  });
}

}  // namespace

void register_conv(Kernels& k) {
  k.im2col = im2col;
  k.col2im = col2im;
}

}  // namespace strata::backend::cpu
