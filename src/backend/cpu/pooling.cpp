// Pooling kernels over contiguous [N, C, H, W] operands, one plane (n, c) at a time: planes are
// independent (a max index points into its own plane), so they are split across threads without
// any write shared between chunks. Window bounds are clipped once per output row and column; the
// inner loops walk contiguous rows. 2x2 windows with stride 2 and no padding or dilation (LeNet's
// and most CNNs' pooling) take loops of their own, in both directions.
#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

#include "backend/cpu/cpu_kernels.h"
#include "backend/cpu/dispatch.h"
#include "backend/cpu/loops.h"

namespace strata::backend::cpu {
namespace {

// The valid taps [begin, end) of a window starting at `start` (may be negative) with `k` taps
// `dilation` apart over an axis of `size` elements.
struct Taps {
  int64_t begin, end;
};
Taps clip_taps(int64_t start, int64_t k, int64_t dilation, int64_t size) {
  int64_t begin = 0;
  if (start < 0) begin = (-start + dilation - 1) / dilation;
  int64_t end = k;
  const int64_t last = start + (k - 1) * dilation;
  if (last >= size) end = (size - 1 - start) / dilation + 1;
  return {begin, std::max(begin, end)};
}

// Splits `planes` planes of `cost` elements each across threads (the work is a read or two per
// element: cheap arithmetic).
template <typename F>
void for_planes(int64_t planes, int64_t cost, F&& f) {
  parallel_work(planes, std::max<int64_t>(1, cost), kParallelCheap, f);
}

bool is_2x2_stride2(const Window2d& w) {
  return w.kernel_h == 2 && w.kernel_w == 2 && w.stride_h == 2 && w.stride_w == 2 && w.pad_h == 0 &&
         w.pad_w == 0 && w.dilation_h == 1 && w.dilation_w == 1;
}

// PyTorch's rule: a value replaces the running maximum when larger or NaN (so a NaN wins, the
// last NaN's index is kept, and of equal values the first in row-major window order).
template <typename T>
inline void take_max(T v, int64_t i, T& best, int64_t& at) {
  if (v > best || std::isnan(v)) best = v, at = i;
}

template <typename T>
inline T max_nan(T best, T v) {
  return (v > best) | (v != v) ? v : best;
}

// A value's bits: equal bits compare without the branches a floating-point == compiles to.
template <typename T>
inline auto bits(T v) {
  return std::bit_cast<std::conditional_t<sizeof(T) == 4, uint32_t, uint64_t>>(v);
}

// The 2x2 windows of one output row: first the maxima alone (branch-free, vectorised), then each
// index found by comparing the window with its maximum. Which value wins is a coin toss on real
// data: branching on each compare (take_max) made the indexed loop 5x slower than the max alone.
template <typename T, bool kIndices>
void max_plane_2x2(const T* x, T* out, int64_t* idx, int64_t W, int64_t OH, int64_t OW) {
  for (int64_t oh = 0; oh < OH; ++oh) {
    const T* r0 = x + 2 * oh * W;
    const T* r1 = r0 + W;
    T* o = out + oh * OW;
    for (int64_t ow = 0; ow < OW; ++ow)
      o[ow] = max_nan(max_nan(max_nan(r0[2 * ow], r0[2 * ow + 1]), r1[2 * ow]), r1[2 * ow + 1]);
    if constexpr (kIndices) {
      int64_t* is = idx + oh * OW;
      const int64_t base = 2 * oh * W;
      for (int64_t ow = 0; ow < OW; ++ow) {
        const int64_t c = 2 * ow, p = base + c;
        const T m = o[ow];
        if (m == m) [[likely]] {
          // The maximum is one of the window's values, bit for bit; the first with its bits is
          // the one PyTorch's scan keeps.
          const auto mb = bits(m);
          int64_t at = p + W + 1;
          at = bits(r1[c]) == mb ? p + W : at;
          at = bits(r0[c + 1]) == mb ? p + 1 : at;
          at = bits(r0[c]) == mb ? p : at;
          is[ow] = at;
        } else {
          T best = r0[c];
          int64_t at = p;
          take_max(r0[c + 1], p + 1, best, at);
          take_max(r1[c], p + W, best, at);
          take_max(r1[c + 1], p + W + 1, best, at);
          is[ow] = at;
        }
      }
    }
  }
}

template <typename T, bool kIndices>
void max_plane(const T* x, T* out, int64_t* idx, int64_t H, int64_t W, const Window2d& w,
               const std::vector<Taps>& cols) {
  for (int64_t oh = 0; oh < w.out_h; ++oh) {
    const int64_t h0 = oh * w.stride_h - w.pad_h;
    const Taps rows = clip_taps(h0, w.kernel_h, w.dilation_h, H);
    for (int64_t ow = 0; ow < w.out_w; ++ow) {
      const int64_t w0 = ow * w.stride_w - w.pad_w;
      const Taps c = cols[static_cast<size_t>(ow)];
      T best = -std::numeric_limits<T>::infinity();
      int64_t at = (h0 + rows.begin * w.dilation_h) * W + w0 + c.begin * w.dilation_w;
      for (int64_t kh = rows.begin; kh < rows.end; ++kh) {
        const int64_t ih = h0 + kh * w.dilation_h;
        const T* row = x + ih * W;
        for (int64_t kw = c.begin; kw < c.end; ++kw) {
          const int64_t iw = w0 + kw * w.dilation_w;
          take_max(row[iw], ih * W + iw, best, at);
        }
      }
      out[oh * w.out_w + ow] = best;
      if constexpr (kIndices) idx[oh * w.out_w + ow] = at;
    }
  }
}

std::vector<Taps> column_taps(const Window2d& w, int64_t W) {
  std::vector<Taps> cols(static_cast<size_t>(w.out_w));
  for (int64_t ow = 0; ow < w.out_w; ++ow)
    cols[static_cast<size_t>(ow)] = clip_taps(ow * w.stride_w - w.pad_w, w.kernel_w, w.dilation_w, W);
  return cols;
}

void max_pool2d(const Tensor& out, const Tensor& indices, const Tensor& x, const Window2d& w) {
  const int64_t planes = x.size(0) * x.size(1), H = x.size(2), W = x.size(3);
  const int64_t plane_out = w.out_h * w.out_w;
  const bool fast = is_2x2_stride2(w);
  dispatch_float(x.dtype(), "max_pool2d", [&]<typename T>() {
    const T* xp = x.data<T>();
    T* op = out.data<T>();
    int64_t* ip = indices.defined() ? indices.data<int64_t>() : nullptr;
    const std::vector<Taps> cols = fast ? std::vector<Taps>{} : column_taps(w, W);
    for_planes(planes, H * W, [&](int64_t b, int64_t e) {
      for (int64_t p = b; p < e; ++p) {
        const T* xs = xp + p * H * W;
        T* os = op + p * plane_out;
        int64_t* is = ip ? ip + p * plane_out : nullptr;
        if (fast && is)
          max_plane_2x2<T, true>(xs, os, is, W, w.out_h, w.out_w);
        else if (fast)
          max_plane_2x2<T, false>(xs, os, nullptr, W, w.out_h, w.out_w);
        else if (is)
          max_plane<T, true>(xs, os, is, H, W, w, cols);
        else
          max_plane<T, false>(xs, os, nullptr, H, W, w, cols);
      }
    });
  });
}

// Non-overlapping 2x2 windows: each input element takes at most one gradient, so a zeroed pair
// of rows is written at each window's index (a store, not an add), without branches.
template <typename T>
void max_backward_plane_2x2(T* gx, const T* g, const int64_t* idx, int64_t H, int64_t W, int64_t OH,
                            int64_t OW) {
  for (int64_t oh = 0; oh < OH; ++oh) {
    std::memset(gx + 2 * oh * W, 0, sizeof(T) * static_cast<size_t>(2 * W));
    const T* gs = g + oh * OW;
    const int64_t* is = idx + oh * OW;
    for (int64_t ow = 0; ow < OW; ++ow) gx[is[ow]] = gs[ow];
  }
  if (2 * OH < H) std::memset(gx + 2 * OH * W, 0, sizeof(T) * static_cast<size_t>((H - 2 * OH) * W));
}

void max_pool2d_backward(const Tensor& grad_x, const Tensor& grad_out, const Tensor& indices,
                         const Window2d& w) {
  const int64_t planes = grad_x.size(0) * grad_x.size(1), H = grad_x.size(2), W = grad_x.size(3);
  const int64_t plane_out = w.out_h * w.out_w;
  const bool fast = is_2x2_stride2(w);
  dispatch_float(grad_x.dtype(), "max_pool2d_backward", [&]<typename T>() {
    T* gx = grad_x.data<T>();
    const T* g = grad_out.data<T>();
    const int64_t* ip = indices.data<int64_t>();
    for_planes(planes, H * W, [&](int64_t b, int64_t e) {
      for (int64_t p = b; p < e; ++p) {
        T* gxs = gx + p * H * W;
        const T* gs = g + p * plane_out;
        const int64_t* is = ip + p * plane_out;
        if (fast) {
          max_backward_plane_2x2(gxs, gs, is, H, W, w.out_h, w.out_w);
          continue;
        }
        std::memset(gxs, 0, sizeof(T) * static_cast<size_t>(H * W));
        // An index outside the plane only comes from a window with no valid tap (it then holds
        // -inf); it takes no gradient rather than a stray write.
        for (int64_t o = 0; o < plane_out; ++o)
          if (is[o] >= 0 && is[o] < H * W) gxs[is[o]] += gs[o];
      }
    });
  });
}

// One axis of an average window: its valid taps [begin, end) in input coordinates and the count
// PyTorch divides by when count_include_pad (the window clipped to the padded input).
struct AvgSpan {
  int64_t begin, end, padded;
};
AvgSpan avg_span(int64_t o, int64_t k, int64_t stride, int64_t pad, int64_t size) {
  const int64_t start = o * stride - pad;
  const int64_t stop = std::min(start + k, size + pad);
  return {std::max<int64_t>(start, 0), std::min(stop, size), stop - start};
}

int64_t avg_divisor(const AvgSpan& r, const AvgSpan& c, bool count_include_pad, int64_t divisor_override) {
  if (divisor_override > 0) return divisor_override;
  if (count_include_pad) return r.padded * c.padded;
  return (r.end - r.begin) * (c.end - c.begin);
}

void avg_pool2d(const Tensor& out, const Tensor& x, const Window2d& w, bool count_include_pad,
                int64_t divisor_override) {
  const int64_t planes = x.size(0) * x.size(1), H = x.size(2), W = x.size(3);
  dispatch_float(x.dtype(), "avg_pool2d", [&]<typename T>() {
    const T* xp = x.data<T>();
    T* op = out.data<T>();
    for_planes(planes, H * W, [&](int64_t b, int64_t e) {
      for (int64_t p = b; p < e; ++p) {
        const T* xs = xp + p * H * W;
        T* os = op + p * w.out_h * w.out_w;
        for (int64_t oh = 0; oh < w.out_h; ++oh) {
          const AvgSpan r = avg_span(oh, w.kernel_h, w.stride_h, w.pad_h, H);
          for (int64_t ow = 0; ow < w.out_w; ++ow) {
            const AvgSpan c = avg_span(ow, w.kernel_w, w.stride_w, w.pad_w, W);
            acc_t<T> sum = 0;
            for (int64_t ih = r.begin; ih < r.end; ++ih)
              for (int64_t iw = c.begin; iw < c.end; ++iw) sum += xs[ih * W + iw];
            const int64_t div = avg_divisor(r, c, count_include_pad, divisor_override);
            os[oh * w.out_w + ow] = static_cast<T>(sum / static_cast<acc_t<T>>(div));
          }
        }
      }
    });
  });
}

void avg_pool2d_backward(const Tensor& grad_x, const Tensor& grad_out, const Window2d& w,
                         bool count_include_pad, int64_t divisor_override) {
  const int64_t planes = grad_x.size(0) * grad_x.size(1), H = grad_x.size(2), W = grad_x.size(3);
  dispatch_float(grad_x.dtype(), "avg_pool2d_backward", [&]<typename T>() {
    T* gx = grad_x.data<T>();
    const T* g = grad_out.data<T>();
    for_planes(planes, H * W, [&](int64_t b, int64_t e) {
      for (int64_t p = b; p < e; ++p) {
        T* gxs = gx + p * H * W;
        const T* gs = g + p * w.out_h * w.out_w;
        std::memset(gxs, 0, sizeof(T) * static_cast<size_t>(H * W));
        for (int64_t oh = 0; oh < w.out_h; ++oh) {
          const AvgSpan r = avg_span(oh, w.kernel_h, w.stride_h, w.pad_h, H);
          for (int64_t ow = 0; ow < w.out_w; ++ow) {
            const AvgSpan c = avg_span(ow, w.kernel_w, w.stride_w, w.pad_w, W);
            const int64_t div = avg_divisor(r, c, count_include_pad, divisor_override);
            const T v = gs[oh * w.out_w + ow] / static_cast<T>(div);
            for (int64_t ih = r.begin; ih < r.end; ++ih)
              for (int64_t iw = c.begin; iw < c.end; ++iw) gxs[ih * W + iw] += v;
          }
        }
      }
    });
  });
}

// Adaptive windows: output i of n over an axis of `size` covers [floor(i * size / n),
// ceil((i + 1) * size / n)).
int64_t adaptive_begin(int64_t i, int64_t n, int64_t size) { return i * size / n; }
int64_t adaptive_end(int64_t i, int64_t n, int64_t size) { return ((i + 1) * size + n - 1) / n; }

void adaptive_avg_pool2d(const Tensor& out, const Tensor& x) {
  const int64_t planes = x.size(0) * x.size(1), H = x.size(2), W = x.size(3);
  const int64_t OH = out.size(2), OW = out.size(3);
  dispatch_float(x.dtype(), "adaptive_avg_pool2d", [&]<typename T>() {
    const T* xp = x.data<T>();
    T* op = out.data<T>();
    for_planes(planes, H * W, [&](int64_t b, int64_t e) {
      for (int64_t p = b; p < e; ++p) {
        const T* xs = xp + p * H * W;
        T* os = op + p * OH * OW;
        for (int64_t oh = 0; oh < OH; ++oh) {
          const int64_t h0 = adaptive_begin(oh, OH, H), h1 = adaptive_end(oh, OH, H);
          for (int64_t ow = 0; ow < OW; ++ow) {
            const int64_t w0 = adaptive_begin(ow, OW, W), w1 = adaptive_end(ow, OW, W);
            acc_t<T> sum = 0;
            for (int64_t ih = h0; ih < h1; ++ih)
              for (int64_t iw = w0; iw < w1; ++iw) sum += xs[ih * W + iw];
            os[oh * OW + ow] = static_cast<T>(sum / static_cast<acc_t<T>>((h1 - h0) * (w1 - w0)));
          }
        }
      }
    });
  });
}

void adaptive_avg_pool2d_backward(const Tensor& grad_x, const Tensor& grad_out) {
  const int64_t planes = grad_x.size(0) * grad_x.size(1), H = grad_x.size(2), W = grad_x.size(3);
  const int64_t OH = grad_out.size(2), OW = grad_out.size(3);
  dispatch_float(grad_x.dtype(), "adaptive_avg_pool2d_backward", [&]<typename T>() {
    T* gx = grad_x.data<T>();
    const T* g = grad_out.data<T>();
    for_planes(planes, H * W, [&](int64_t b, int64_t e) {
      for (int64_t p = b; p < e; ++p) {
        T* gxs = gx + p * H * W;
        const T* gs = g + p * OH * OW;
        std::memset(gxs, 0, sizeof(T) * static_cast<size_t>(H * W));
        for (int64_t oh = 0; oh < OH; ++oh) {
          const int64_t h0 = adaptive_begin(oh, OH, H), h1 = adaptive_end(oh, OH, H);
          for (int64_t ow = 0; ow < OW; ++ow) {
            const int64_t w0 = adaptive_begin(ow, OW, W), w1 = adaptive_end(ow, OW, W);
            const T v = gs[oh * OW + ow] / static_cast<T>((h1 - h0) * (w1 - w0));
            for (int64_t ih = h0; ih < h1; ++ih)
              for (int64_t iw = w0; iw < w1; ++iw) gxs[ih * W + iw] += v;
          }
        }
      }
    });
  });
}

}  // namespace

void register_pooling(Kernels& k) {
  k.max_pool2d = max_pool2d;
  k.max_pool2d_backward = max_pool2d_backward;
  k.avg_pool2d = avg_pool2d;
  k.avg_pool2d_backward = avg_pool2d_backward;
  k.adaptive_avg_pool2d = adaptive_avg_pool2d;
  k.adaptive_avg_pool2d_backward = adaptive_avg_pool2d_backward;
}

}  // namespace strata::backend::cpu
