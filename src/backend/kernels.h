#pragma once
// The seam between ops and devices. An op checks and prepares its operands, then calls one kernel
// through the table of its device; each backend fills a table. Kernels know nothing of autograd,
// and they receive operands already checked: same device, the dtype they need, the output allocated.
#include <cstdint>

#include "strata/generator.h"
#include "strata/scalar.h"
#include "strata/tensor.h"

namespace strata::backend {

enum class BinaryOp : uint8_t {
  Add,
  Sub,
  Mul,
  Div,
  Pow,
  Maximum,
  Minimum,
  Eq,
  Ne,
  Lt,
  Le,
  Gt,
  Ge,
  LogicalAnd,
  LogicalOr,
  LogicalXor,
  /// b <= 0 ? 0 : a (relu's gradient: a the incoming gradient, b relu's output; NaN passes a).
  ReluBackward,
};
enum class UnaryOp : uint8_t {
  Neg,
  Abs,
  Sign,
  Exp,
  Log,
  Log1p,
  Sqrt,
  Rsqrt,
  Sin,
  Cos,
  Tanh,
  Sigmoid,
  Relu,
  GeluErf,
  GeluTanh,
  Silu,
  Softplus,
  LeakyRelu,
  Erf,
  LogicalNot,
};
/// Mean is the sum divided by the group size in the accumulator's precision (floating dtypes only).
enum class ReduceOp : uint8_t { Sum, Mean, Prod, Max, Min };

/// One Adam/AdamW step's constants (torch.optim's _single_tensor_adam/_adamw names), in double;
/// the kernel rounds each to the tensors' dtype as the op-composed path's scalar operands do.
struct AdamScalars {
  double lr = 0, beta1 = 0, beta2 = 0, eps = 0, weight_decay = 0;
  double step_size = 0;              // lr / bias_correction1
  double bias_correction2_sqrt = 1;  // sqrt(1 - beta2^step)
  bool decoupled = false;            // AdamW: weight decay shrinks the parameter
  bool maximize = false;
};

/// A sliding window (convolution or pooling) over the last two dims of [N, C, H, W]; 1-d windows have
/// H = 1 and kernel_h = 1. Output position (oh, ow) reads input row oh * stride_h - pad_h + kh *
/// dilation_h (and likewise for columns); out_h and out_w are computed by the op.
struct Window2d {
  int64_t kernel_h = 1, kernel_w = 1;
  int64_t stride_h = 1, stride_w = 1;
  int64_t pad_h = 0, pad_w = 0;
  int64_t dilation_h = 1, dilation_w = 1;
  int64_t out_h = 0, out_w = 0;
};

struct Kernels {
  /// dst[i] = convert(src[i]); src is already broadcast to dst's shape (stride 0 dims allowed).
  void (*copy)(const Tensor& dst, const Tensor& src) = nullptr;
  void (*fill)(const Tensor& dst, const Scalar& value) = nullptr;
  /// out = a op b; a, b broadcast to out's shape, and of one dtype (out is bool for comparisons).
  /// `alpha` scales b for Add/Sub.
  void (*binary)(BinaryOp op, const Tensor& out, const Tensor& a, const Tensor& b,
                 const Scalar& alpha) = nullptr;
  /// out = f(x); p0, p1 are the op's parameters (softplus beta/threshold, leaky slope).
  void (*unary)(UnaryOp op, const Tensor& out, const Tensor& x, double p0, double p1) = nullptr;
  /// out = cond ? a : b, all broadcast to out's shape.
  void (*where)(const Tensor& out, const Tensor& cond, const Tensor& a, const Tensor& b) = nullptr;
  /// out = min(max(x, lo), hi); a missing bound is +-infinity.
  void (*clamp)(const Tensor& out, const Tensor& x, const Scalar* lo, const Scalar* hi) = nullptr;
  /// out (x's shape, reduced dims of size 1) = reduction of x over the dims where they differ.
  void (*reduce)(ReduceOp op, const Tensor& out, const Tensor& x) = nullptr;
  /// values/indices along dim (keepdim shape); max when `is_max`.
  void (*arg_reduce)(const Tensor& values, const Tensor& indices, const Tensor& x, int64_t dim,
                     bool is_max) = nullptr;
  void (*cumsum)(const Tensor& out, const Tensor& x, int64_t dim) = nullptr;
  /// out = softmax of x along dim (log_softmax when `log`); out and x of one shape and floating dtype.
  void (*softmax)(const Tensor& out, const Tensor& x, int64_t dim, bool log) = nullptr;
  /// grad_in = the gradient of softmax (log_softmax when `log`) along dim, from the forward output y
  /// and its gradient g: y * (g - sum(g * y)), or g - exp(y) * sum(g). One shape and dtype.
  void (*softmax_backward)(const Tensor& grad_in, const Tensor& g, const Tensor& y, int64_t dim,
                           bool log) = nullptr;
  /// out (x's shape with size 1 along dim) = log(sum(exp(x))) along dim, shifted by each lane's
  /// maximum; a lane of all -inf (or an empty one) gives -inf, one holding inf gives inf, one
  /// holding NaN gives NaN. Floating dtypes, out of x's dtype.
  void (*logsumexp)(const Tensor& out, const Tensor& x, int64_t dim) = nullptr;
  /// out[b] = add[b] + op(a[b]) @ op(b[b]) for 3-d operands [B, M, K] x [B, K, N] -> [B, M, N], or
  /// 2-d ones [M, K] x [K, N] -> [M, N] (any strides, stride 0 included). op(t) is t, or t with its
  /// last two dims swapped when trans_a / trans_b is set (a is then [.., K, M], b [.., N, K]).
  /// `add` is undefined for none, else broadcast to out's shape (a bias [N] adds to every row).
  void (*bmm)(const Tensor& out, const Tensor& a, const Tensor& b, const Tensor& add, bool trans_a,
              bool trans_b) = nullptr;
  /// out = x.index_select(dim, index)
  void (*index_select)(const Tensor& out, const Tensor& x, int64_t dim, const Tensor& index) = nullptr;
  /// out[..., index[i], ...] += src[..., i, ...] along dim (out holds x already)
  void (*index_add)(const Tensor& out, int64_t dim, const Tensor& index, const Tensor& src) = nullptr;
  void (*gather)(const Tensor& out, const Tensor& x, int64_t dim, const Tensor& index) = nullptr;
  /// out holds x already; writes (or adds, when `accumulate`) src at index along dim
  void (*scatter)(const Tensor& out, int64_t dim, const Tensor& index, const Tensor& src,
                  bool accumulate) = nullptr;
  /// out = x with elements above (upper=false: tril) or below the diagonal zeroed, on the last 2 dims
  void (*tril_triu)(const Tensor& out, const Tensor& x, int64_t diagonal, bool upper) = nullptr;
  /// Fills dst with uniform [lo, hi) or normal(mean, std) values from the generator.
  void (*uniform)(const Tensor& dst, double lo, double hi, Generator& gen) = nullptr;
  void (*normal)(const Tensor& dst, double mean, double std, Generator& gen) = nullptr;
  /// Inverted dropout: mask (contiguous, float32 or float64) = `scale` where the uniform hashed from
  /// (key, element index) is at or above threshold / 2^32, else 0; when x and out are defined
  /// (contiguous, mask's dtype) also out = x * mask, in the same pass.
  void (*dropout_mask)(const Tensor& mask, const Tensor& out, const Tensor& x, uint64_t threshold,
                       uint64_t key, double scale) = nullptr;
  // ---- convolution (backend/cpu/conv.cpp) ----
  /// cols [C * kernel_h * kernel_w, N * out_h * out_w] = the windows of x [N, C, H, W] unfolded for a
  /// GEMM: row (c * kernel_h + kh) * kernel_w + kw, column (n * out_h + oh) * out_w + ow holds
  /// x[n, c, oh * stride_h - pad_h + kh * dilation_h, ow * stride_w - pad_w + kw * dilation_w], zero
  /// where that falls outside x (the padding; out_h and out_w may reach further on the far side than
  /// pad_h / pad_w, for the uneven padding of "same"). Contiguous operands of one floating dtype.
  void (*im2col)(const Tensor& cols, const Tensor& x, const Window2d& w) = nullptr;
  /// The adjoint of im2col: x_grad [N, C, H, W] is overwritten with the sum of each window value in
  /// cols at the position it was read from.
  void (*col2im)(const Tensor& x_grad, const Tensor& cols, const Window2d& w) = nullptr;

  // ---- pooling (backend/cpu/pooling.cpp) ----
  // Every operand is contiguous [N, C, H, W] (out: [N, C, out_h, out_w]) of one floating dtype.
  /// out = each window's largest value (a NaN wins; of equal values the first in row-major window
  /// order; padding never does); indices (int64, out's shape) = its position h * W + w in the input
  /// plane. `indices` may be undefined (no gradient needed): then only out is written.
  void (*max_pool2d)(const Tensor& out, const Tensor& indices, const Tensor& x, const Window2d& w) = nullptr;
  /// grad_x is overwritten: zeros, plus grad_out added at each window's index. `w` is the forward's
  /// window (non-overlapping windows need no zeroing pass).
  void (*max_pool2d_backward)(const Tensor& grad_x, const Tensor& grad_out, const Tensor& indices,
                              const Window2d& w) = nullptr;
  /// out = each window's mean; the divisor is divisor_override when > 0, else the window's size
  /// clipped to the padded input (count_include_pad) or to the input.
  void (*avg_pool2d)(const Tensor& out, const Tensor& x, const Window2d& w, bool count_include_pad,
                     int64_t divisor_override) = nullptr;
  /// grad_x is overwritten with the adjoint of avg_pool2d.
  void (*avg_pool2d_backward)(const Tensor& grad_x, const Tensor& grad_out, const Window2d& w,
                              bool count_include_pad, int64_t divisor_override) = nullptr;
  /// out [N, C, OH, OW] = the mean of rows [floor(i * H / OH), ceil((i + 1) * H / OH)) (and columns
  /// likewise) of x [N, C, H, W].
  void (*adaptive_avg_pool2d)(const Tensor& out, const Tensor& x) = nullptr;
  /// grad_x is overwritten with the adjoint of adaptive_avg_pool2d.
  void (*adaptive_avg_pool2d_backward)(const Tensor& grad_x, const Tensor& grad_out) = nullptr;

  /// One Adam/AdamW step in place, in one pass, in the order of operations of PyTorch 1.13's
  /// single-tensor Adam. All operands contiguous, of one floating dtype and shape;
  /// max_exp_avg_sq is undefined unless amsgrad.
  void (*adam_update)(const Tensor& param, const Tensor& grad, const Tensor& exp_avg,
                      const Tensor& exp_avg_sq, const Tensor& max_exp_avg_sq, const AdamScalars& s) = nullptr;

  // ---- layer normalization (backend/cpu/normalization.cpp) ----
  /// For each row of contiguous x [rows, n]: mean and rstd = 1 / sqrt(biased variance + eps) (each
  /// [rows]), and out [rows, n] = (x - mean) * rstd * weight + bias; weight and bias ([n],
  /// contiguous) may be undefined. One floating dtype.
  void (*layer_norm)(const Tensor& out, const Tensor& mean, const Tensor& rstd, const Tensor& x,
                     const Tensor& weight, const Tensor& bias, double eps) = nullptr;
  /// layer_norm's gradients for grad_out [rows, n] (contiguous), from the forward's x, mean, rstd
  /// and weight (may be undefined): grad_x [rows, n], grad_weight = sum over rows of
  /// grad_out * xhat and grad_bias = sum over rows of grad_out ([n]); each output may be undefined
  /// (not wanted).
  void (*layer_norm_backward)(const Tensor& grad_x, const Tensor& grad_weight, const Tensor& grad_bias,
                              const Tensor& grad_out, const Tensor& x, const Tensor& mean, const Tensor& rstd,
                              const Tensor& weight) = nullptr;
};

/// The CPU backend's table (always present).
const Kernels& cpu_kernels();
/// The table for `device`; throws when strata was built without that device's backend.
const Kernels& kernels(Device device, const char* op);

/// Memory for a device.
void* allocate(size_t nbytes, Device device);
void deallocate(void* ptr, size_t nbytes, Device device);

}  // namespace strata::backend
