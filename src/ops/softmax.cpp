// logsumexp, softmax and log_softmax: the exponential normalisations, all shifted by the maximum so
// that logits of any magnitude give finite results. Dtype rule: softmax and log_softmax need
// floating point; logsumexp of integers or bools gives the default float dtype, as PyTorch.
//
// Each op is one autograd node. softmax and log_softmax run one fused kernel forward and one
// backward (they are the hot path of every classifier); logsumexp's forward is one fused kernel
// when it reduces one dim, and composed from primitives under NoGradGuard for several. Not the
// fully composed `x - logsumexp(x)` graph: that graph saves several intermediates and
// backpropagates through ~6 nodes, while the closed forms below save only the output and are
// exactly the stable gradients (softmax: y (g - sum(g y)); log_softmax: g - exp(y) sum(g)).
// Written with public ops they also serve double backward.
#include <limits>

#include "ops/reduce.h"
#include "strata/factories.h"
#include "strata/ops.h"

namespace strata {
namespace ops {
namespace {

using Grads = autograd::TensorList;
using autograd::SavedTensor;
using namespace reduction;

struct ExpNormSaved {
  Shape dims;  // the reduced dims
  Shape keep_shape;
  SavedTensor x, out;
};

// The max over `mask` in keepdim shape, for shifting. Not differentiated: the shift cancels.
Tensor shift_of(const char* name, const Tensor& x, const std::vector<bool>& mask) {
  return reduce_keep(name, backend::ReduceOp::Max, x, mask, x.dtype());
}

// ---- logsumexp ----

// d/dx log(sum(exp x)) = exp(x - out); NaN for a group of all -inf, as PyTorch.
Grads logsumexp_backward(const ExpNormSaved& s, const Grads& g) {
  const Tensor x = s.x.unpack("LogsumexpBackward", "self");
  const Tensor out = s.out.unpack("LogsumexpBackward", "result").reshape(s.keep_shape);
  return {g[0].reshape(s.keep_shape) * exp(x - out)};
}

Tensor logsumexp_forward(const Tensor& x, const std::vector<bool>& mask, bool keepdim) {
  const Shape dims = mask_dims(mask);
  const Shape final = final_shape(x.shape(), mask, keepdim);
  // One fused pass when one dim is reduced, or all dims of a contiguous tensor (one dim of its
  // flat view); other sets of dims are composed below.
  const auto& kernels = backend::kernels(x.device(), "logsumexp");
  if (kernels.logsumexp != nullptr && (x.dtype() == kFloat32 || x.dtype() == kFloat64)) {
    if (dims.size() <= 1) {
      Tensor out = empty_tensor(keepdim_shape(x.shape(), mask), x.dtype(), x.device());
      kernels.logsumexp(out, x, dims.empty() ? 0 : dims[0]);
      return drop_reduced(out, final);
    }
    if (x.is_contiguous() && static_cast<int64_t>(dims.size()) == x.dim()) {
      Tensor out = empty_tensor({1}, x.dtype(), x.device());
      kernels.logsumexp(out, x.reshape({x.numel()}), 0);
      return drop_reduced(out, final);
    }
  }
  Tensor m = shift_of("logsumexp", x, mask);
  // An infinite maximum (a group of all -inf, or one holding +inf) is replaced by 0: then the
  // result is log(0) = -inf or log(inf) = inf instead of NaN from inf - inf. An empty group's
  // maximum is -inf too, giving log(0) = -inf, the log of an empty sum.
  m = where(abs(m) == std::numeric_limits<double>::infinity(), zeros_like(m), m);
  const Tensor lse = log(sum(exp(x - m), dims, true)) + m;
  return drop_reduced(lse, final);
}

// ---- softmax / log_softmax ----

struct SoftmaxSaved {
  int64_t dim = 0;
  Shape dims;  // {dim}, or {} for a 0-d input
  SavedTensor out;
};

// The closed-form gradient through one fused kernel; the composed formula with public ops when a
// graph of the gradient is wanted (create_graph), or when the operands would promote.
Tensor softmax_grad(const char* node, const SoftmaxSaved& s, const Tensor& g, bool log_space) {
  const Tensor y = s.out.unpack(node, "result");
  if (is_grad_enabled() || g.dtype() != y.dtype() || g.device() != y.device()) {
    if (log_space) return g - exp(y) * sum(g, s.dims, true);
    return y * (g - sum(g * y, s.dims, true));
  }
  Tensor grad_in = empty_tensor(y.shape(), y.dtype(), y.device());
  backend::kernels(y.device(), node).softmax_backward(grad_in, g, y, s.dim, log_space);
  return grad_in;
}

Grads softmax_backward(const SoftmaxSaved& s, const Grads& g) {
  return {softmax_grad("SoftmaxBackward", s, g[0], false)};
}

Grads log_softmax_backward(const SoftmaxSaved& s, const Grads& g) {
  return {softmax_grad("LogSoftmaxBackward", s, g[0], true)};
}

Tensor softmax_impl(const char* name, const Tensor& x, int64_t dim, bool log_space) {
  check_defined(name, {&x});
  if (!x.is_floating_point())
    fail("[{}] needs a floating-point tensor, got {}; convert with .to(strata::kFloat32)", name,
         x.describe());
  const int64_t d = wrap_dim(name, dim, x.dim());
  const auto& kernels = backend::kernels(x.device(), name);
  if (x.dtype() != kFloat32 && x.dtype() != kFloat64)
    fail("[{}] is not implemented for dtype {}: {}; convert with .to(strata::kFloat32)", name,
         dtype_name(x.dtype()), x.describe());
  // An all -inf group gives NaN (unlike logsumexp, it is not rescued), as PyTorch's softmax.
  Tensor out = empty_tensor(x.shape(), x.dtype(), x.device());
  kernels.softmax(out, x, d, log_space);
  if (needs_grad({&x})) {
    auto& s = record<SoftmaxSaved>(log_space ? "LogSoftmaxBackward" : "SoftmaxBackward",
                                   log_space ? log_softmax_backward : softmax_backward,
                                   {d, x.dim() == 0 ? Shape{} : Shape{d}, {}}, {&x}, {&out});
    s.out = SavedTensor::output(out);
  }
  return out;
}

}  // namespace

namespace reduction {
void register_softmax_ops(std::vector<OpInfo>& ops) {
  // logsumexp's forward is a composition of reductions and elementwise ops; its gradient is its own.
  auto has_parts = [](const backend::Kernels& k) {
    return k.reduce != nullptr && k.binary != nullptr && k.unary != nullptr && k.where != nullptr;
  };
  // softmax and log_softmax run one kernel each way (the gradient's composed form is for create_graph).
  auto has_softmax = [](const backend::Kernels& k) {
    return k.softmax != nullptr && k.softmax_backward != nullptr && k.reduce != nullptr &&
           k.binary != nullptr && k.unary != nullptr;
  };
  ops.push_back({"logsumexp", true, reinterpret_cast<const void*>(&logsumexp_backward), has_parts, {}});
  ops.push_back({"softmax", true, reinterpret_cast<const void*>(&softmax_backward), has_softmax, {}});
  ops.push_back({"log_softmax", true, reinterpret_cast<const void*>(&log_softmax_backward), has_softmax, {}});
}
}  // namespace reduction

}  // namespace ops

Tensor logsumexp(const Tensor& x, const Shape& dims, bool keepdim) {
  ops::check_defined("logsumexp", {&x});
  const auto mask = ops::reduction::reduced_mask("logsumexp", dims, x.dim());
  const Tensor in = x.is_floating_point() ? x : ops::cast(x, default_dtype());
  Tensor out;
  {
    NoGradGuard no_grad;
    out = ops::logsumexp_forward(in, mask, keepdim);
  }
  if (ops::needs_grad({&x})) {
    ops::ExpNormSaved saved{ops::reduction::mask_dims(mask),
                            ops::reduction::keepdim_shape(x.shape(), mask),
                            autograd::SavedTensor::input(x),
                            {}};
    auto& s = ops::record<ops::ExpNormSaved>("LogsumexpBackward", ops::logsumexp_backward, std::move(saved),
                                             {&x}, {&out});
    s.out = autograd::SavedTensor::output(out);
  }
  return out;
}

Tensor softmax(const Tensor& x, int64_t dim) { return ops::softmax_impl("softmax", x, dim, false); }
Tensor log_softmax(const Tensor& x, int64_t dim) { return ops::softmax_impl("log_softmax", x, dim, true); }

Tensor Tensor::logsumexp(const Shape& dims, bool keepdim) const {
  return strata::logsumexp(*this, dims, keepdim);
}
Tensor Tensor::softmax(int64_t dim) const { return strata::softmax(*this, dim); }
Tensor Tensor::log_softmax(int64_t dim) const { return strata::log_softmax(*this, dim); }

}  // namespace strata
