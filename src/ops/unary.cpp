// Elementwise unary ops and activations. Shape rule: same as the input. Dtype rule: transcendental
// functions of integers give the default float dtype; sign/abs/neg/relu keep the dtype.
#include <cmath>

#include "ops/common.h"
#include "ops/registry.h"
#include "strata/factories.h"
#include "strata/ops.h"

namespace strata {
namespace ops {

Tensor wrapped_scalar(const Scalar& v);

namespace {

using autograd::SavedTensor;
using backend::UnaryOp;

Tensor unary_forward(std::string_view name, UnaryOp op, const Tensor& x, bool float_only, double p0 = 0,
                     double p1 = 0) {
  check_defined(name, {&x});
  if (x.dtype() == kBool && !float_only && op != UnaryOp::LogicalNot)
    fail("[{}] is not defined for bool tensors ({}); convert with .to(strata::kFloat32)", name, x.describe());
  const Tensor in = float_only && !x.is_floating_point() ? cast(x, default_dtype()) : x;
  Tensor out = empty_tensor(x.shape(), op == UnaryOp::LogicalNot ? kBool : in.dtype(), x.device());
  backend::kernels(x.device(), name.data()).unary(op, out, in, p0, p1);
  return out;
}

struct UnarySaved {
  SavedTensor x, out;
  double p0 = 0, p1 = 0;
};

using Grads = autograd::TensorList;
Tensor X(const UnarySaved& s, std::string_view op) { return s.x.unpack(op, "self"); }
Tensor Y(const UnarySaved& s, std::string_view op) { return s.out.unpack(op, "result"); }

Grads neg_backward(const UnarySaved&, const Grads& g) { return {-g[0]}; }
Grads abs_backward(const UnarySaved& s, const Grads& g) { return {g[0] * sign(X(s, "AbsBackward"))}; }
Grads sign_backward(const UnarySaved&, const Grads& g) { return {zeros_like(g[0])}; }
Grads exp_backward(const UnarySaved& s, const Grads& g) { return {g[0] * Y(s, "ExpBackward")}; }
Grads log_backward(const UnarySaved& s, const Grads& g) { return {g[0] / X(s, "LogBackward")}; }
Grads log1p_backward(const UnarySaved& s, const Grads& g) { return {g[0] / (X(s, "Log1pBackward") + 1.0)}; }
Grads sqrt_backward(const UnarySaved& s, const Grads& g) { return {g[0] / (Y(s, "SqrtBackward") * 2.0)}; }
Grads rsqrt_backward(const UnarySaved& s, const Grads& g) {
  return {g[0] * pow(Y(s, "RsqrtBackward"), 3) * -0.5};
}
Grads sin_backward(const UnarySaved& s, const Grads& g) { return {g[0] * cos(X(s, "SinBackward"))}; }
Grads cos_backward(const UnarySaved& s, const Grads& g) { return {-g[0] * sin(X(s, "CosBackward"))}; }
Grads tanh_backward(const UnarySaved& s, const Grads& g) {
  const Tensor y = Y(s, "TanhBackward");
  return {g[0] * (1.0 - y * y)};
}
Grads erf_backward(const UnarySaved& s, const Grads& g) {
  const Tensor x = X(s, "ErfBackward");
  return {g[0] * exp(-(x * x)) * (2.0 / std::sqrt(M_PI))};
}
Grads sigmoid_backward(const UnarySaved& s, const Grads& g) {
  const Tensor y = Y(s, "SigmoidBackward");
  return {g[0] * y * (1.0 - y)};
}
Grads relu_backward(const UnarySaved& s, const Grads& g) {
  const Tensor y = Y(s, "ReluBackward");
  // Zero where the output is <= 0; a NaN passes the gradient, as PyTorch's threshold_backward. Under
  // create_graph the gradient is recorded, so it is written with ops; otherwise one kernel pass.
  if (is_grad_enabled() || g[0].shape() != y.shape() || g[0].dtype() != y.dtype())
    return {where(y <= 0, scalar_tensor(0, g[0].dtype()), g[0])};
  Tensor out = empty_tensor(y.shape(), y.dtype(), y.device());
  backend::kernels(y.device(), "relu").binary(backend::BinaryOp::ReluBackward, out, g[0], y, 1);
  return {out};
}
Grads gelu_backward(const UnarySaved& s, const Grads& g) {
  const Tensor x = X(s, "GeluBackward");
  if (s.p0 == 0) {  // exact: d/dx x*Phi(x) = Phi(x) + x*phi(x)
    const Tensor cdf = (erf(x * M_SQRT1_2) + 1.0) * 0.5;
    const Tensor pdf = exp(x * x * -0.5) * (1.0 / std::sqrt(2.0 * M_PI));
    return {g[0] * (cdf + x * pdf)};
  }
  const double k = std::sqrt(2.0 / M_PI), c = 0.044715;
  const Tensor t = tanh((x + x * x * x * c) * k);
  const Tensor dinner = (x * x * (3.0 * c) + 1.0) * k;
  return {g[0] * ((t + 1.0) * 0.5 + x * 0.5 * (1.0 - t * t) * dinner)};
}
Grads silu_backward(const UnarySaved& s, const Grads& g) {
  const Tensor x = X(s, "SiluBackward");
  const Tensor sg = sigmoid(x);
  return {g[0] * sg * (x * (1.0 - sg) + 1.0)};
}
Grads softplus_backward(const UnarySaved& s, const Grads& g) {
  const Tensor bx = X(s, "SoftplusBackward") * s.p0;
  return {where(bx > s.p1, g[0], g[0] * sigmoid(bx))};
}
Grads leaky_relu_backward(const UnarySaved& s, const Grads& g) {
  return {where(X(s, "LeakyReluBackward") > 0, g[0], g[0] * s.p0)};
}

struct ClampSaved {
  SavedTensor x;
  std::optional<Scalar> lo, hi;
};
Grads clamp_backward(const ClampSaved& s, const Grads& g) {
  const Tensor x = s.x.unpack("ClampBackward", "self");
  Tensor keep = ones_like(x, {.dtype = kBool});
  if (s.lo) keep = logical_and(keep, x >= *s.lo);
  if (s.hi) keep = logical_and(keep, x <= *s.hi);
  return {where(keep, g[0], zeros_like(g[0]))};
}

struct MaskSaved {
  SavedTensor mask;
  Shape x_shape;
};
Grads masked_fill_backward(const MaskSaved& s, const Grads& g) {
  const Tensor mask = s.mask.unpack("MaskedFillBackward", "mask");
  return {sum_to(where(mask, zeros_like(g[0]), g[0]), s.x_shape), Tensor()};
}

// One entry per differentiable unary op: which kernel, which gradient, what the gradient reads.
struct UnaryDef {
  const char* name;
  const char* node;
  UnaryOp op;
  bool float_only;
  autograd::BackwardFn<UnarySaved> backward;
  bool saves_input, saves_output;
};
constexpr UnaryDef kNeg{"neg", "NegBackward", UnaryOp::Neg, false, neg_backward, false, false};
constexpr UnaryDef kAbs{"abs", "AbsBackward", UnaryOp::Abs, false, abs_backward, true, false};
constexpr UnaryDef kSign{"sign", "SignBackward", UnaryOp::Sign, false, sign_backward, false, false};
constexpr UnaryDef kExp{"exp", "ExpBackward", UnaryOp::Exp, true, exp_backward, false, true};
constexpr UnaryDef kLog{"log", "LogBackward", UnaryOp::Log, true, log_backward, true, false};
constexpr UnaryDef kLog1p{"log1p", "Log1pBackward", UnaryOp::Log1p, true, log1p_backward, true, false};
constexpr UnaryDef kSqrt{"sqrt", "SqrtBackward", UnaryOp::Sqrt, true, sqrt_backward, false, true};
constexpr UnaryDef kRsqrt{"rsqrt", "RsqrtBackward", UnaryOp::Rsqrt, true, rsqrt_backward, false, true};
constexpr UnaryDef kSin{"sin", "SinBackward", UnaryOp::Sin, true, sin_backward, true, false};
constexpr UnaryDef kCos{"cos", "CosBackward", UnaryOp::Cos, true, cos_backward, true, false};
constexpr UnaryDef kTanh{"tanh", "TanhBackward", UnaryOp::Tanh, true, tanh_backward, false, true};
constexpr UnaryDef kErf{"erf", "ErfBackward", UnaryOp::Erf, true, erf_backward, true, false};
constexpr UnaryDef kSigmoid{"sigmoid", "SigmoidBackward", UnaryOp::Sigmoid, true, sigmoid_backward, false,
                            true};
constexpr UnaryDef kRelu{"relu", "ReluBackward", UnaryOp::Relu, false, relu_backward, false, true};
constexpr UnaryDef kGeluErf{"gelu", "GeluBackward", UnaryOp::GeluErf, true, gelu_backward, true, false};
constexpr UnaryDef kGeluTanh{"gelu", "GeluBackward", UnaryOp::GeluTanh, true, gelu_backward, true, false};
constexpr UnaryDef kSilu{"silu", "SiluBackward", UnaryOp::Silu, true, silu_backward, true, false};
constexpr UnaryDef kSoftplus{"softplus", "SoftplusBackward", UnaryOp::Softplus, true, softplus_backward, true,
                             false};
constexpr UnaryDef kLeakyRelu{
    "leaky_relu", "LeakyReluBackward", UnaryOp::LeakyRelu, false, leaky_relu_backward, true, false};

Tensor unary(const UnaryDef& def, const Tensor& x, double p0 = 0, double p1 = 0) {
  Tensor out = unary_forward(def.name, def.op, x, def.float_only, p0, p1);
  if (needs_grad({&x})) {
    // GeluTanh and GeluErf share a backward; p0 tells it which.
    const double gp0 = def.op == UnaryOp::GeluTanh ? 1.0 : p0;
    auto& s = record<UnarySaved>(def.node, def.backward,
                                 {def.saves_input ? SavedTensor::input(x) : SavedTensor(), {}, gp0, p1}, {&x},
                                 {&out});
    if (def.saves_output) s.out = SavedTensor::output(out);
  }
  return out;
}

}  // namespace

void register_unary_ops(std::vector<OpInfo>& ops) {
  auto has_unary = [](const backend::Kernels& k) { return k.unary != nullptr; };
  for (const UnaryDef* d : {&kNeg, &kAbs, &kSign, &kExp, &kLog, &kLog1p, &kSqrt, &kRsqrt, &kSin, &kCos,
                            &kTanh, &kErf, &kSigmoid, &kRelu, &kGeluErf, &kSilu, &kSoftplus, &kLeakyRelu})
    ops.push_back({d->name, true, reinterpret_cast<const void*>(d->backward), has_unary, {}});
  ops.push_back({"logical_not", false, nullptr, has_unary, {}});
  ops.push_back({"clamp",
                 true,
                 reinterpret_cast<const void*>(&clamp_backward),
                 [](const backend::Kernels& k) { return k.clamp != nullptr; },
                 {}});
  ops.push_back({"masked_fill",
                 true,
                 reinterpret_cast<const void*>(&masked_fill_backward),
                 [](const backend::Kernels& k) { return k.where != nullptr; },
                 {}});
}

Tensor clamp_impl(const Tensor& x, std::optional<Scalar> lo, std::optional<Scalar> hi) {
  check_defined("clamp", {&x});
  if (!lo && !hi) fail("[clamp] at least one of min and max must be given ({})", x.describe());
  if (x.dtype() == kBool) fail("[clamp] is not defined for bool tensors ({})", x.describe());
  DType dtype = x.dtype();
  // A float bound on an integer tensor promotes, as PyTorch.
  if (!x.is_floating_point() && ((lo && lo->is_floating_point()) || (hi && hi->is_floating_point())))
    dtype = default_dtype();
  const Tensor in = cast(x, dtype);
  Tensor out = empty_tensor(x.shape(), dtype, x.device());
  backend::kernels(x.device(), "clamp").clamp(out, in, lo ? &*lo : nullptr, hi ? &*hi : nullptr);
  if (needs_grad({&x}))
    record<ClampSaved>("ClampBackward", clamp_backward, {SavedTensor::input(x), lo, hi}, {&x}, {&out});
  return out;
}

Tensor masked_fill_impl(const Tensor& x, const Tensor& mask, const Scalar& value) {
  check_defined("masked_fill", {&x, &mask});
  check_same_device("masked_fill", {&x, &mask});
  if (mask.dtype() != kBool)
    fail("[masked_fill] mask must be a bool tensor, got {}; compare first (x > 0)", mask.describe());
  if (!(broadcast_shapes("masked_fill", x, mask) == x.shape()))
    fail("[masked_fill] mask {} must broadcast to the tensor {}", mask.describe(), x.describe());
  if (!x.is_floating_point() && value.is_floating_point())
    fail("[masked_fill] value {} is a float but the tensor {} holds integers", value.to_double(),
         x.describe());
  Tensor v = empty_tensor({}, x.dtype(), x.device());
  backend::kernels(x.device(), "masked_fill").fill(v, value);
  Tensor out = empty_tensor(x.shape(), x.dtype(), x.device());
  backend::kernels(x.device(), "masked_fill").where(out, mask, v, x);
  if (needs_grad({&x}))
    record<MaskSaved>("MaskedFillBackward", masked_fill_backward, {SavedTensor::input(mask), x.shape()},
                      {&x, &mask}, {&out});
  return out;
}

}  // namespace ops

Tensor neg(const Tensor& x) { return ops::unary(ops::kNeg, x); }
Tensor abs(const Tensor& x) { return ops::unary(ops::kAbs, x); }
Tensor sign(const Tensor& x) { return ops::unary(ops::kSign, x); }
Tensor exp(const Tensor& x) { return ops::unary(ops::kExp, x); }
Tensor log(const Tensor& x) { return ops::unary(ops::kLog, x); }
Tensor log1p(const Tensor& x) { return ops::unary(ops::kLog1p, x); }
Tensor sqrt(const Tensor& x) { return ops::unary(ops::kSqrt, x); }
Tensor rsqrt(const Tensor& x) { return ops::unary(ops::kRsqrt, x); }
Tensor sin(const Tensor& x) { return ops::unary(ops::kSin, x); }
Tensor cos(const Tensor& x) { return ops::unary(ops::kCos, x); }
Tensor tanh(const Tensor& x) { return ops::unary(ops::kTanh, x); }
Tensor erf(const Tensor& x) { return ops::unary(ops::kErf, x); }
Tensor sigmoid(const Tensor& x) { return ops::unary(ops::kSigmoid, x); }
Tensor relu(const Tensor& x) { return ops::unary(ops::kRelu, x); }
Tensor gelu(const Tensor& x, std::string_view approximate) {
  if (approximate == "none") return ops::unary(ops::kGeluErf, x);
  if (approximate == "tanh") return ops::unary(ops::kGeluTanh, x);
  fail("[gelu] approximate must be \"none\" or \"tanh\", got \"{}\"", approximate);
}
Tensor silu(const Tensor& x) { return ops::unary(ops::kSilu, x); }
Tensor softplus(const Tensor& x, double beta, double threshold) {
  if (beta == 0) fail("[softplus] beta must be non-zero ({})", x.describe());
  return ops::unary(ops::kSoftplus, x, beta, threshold);
}
Tensor leaky_relu(const Tensor& x, double negative_slope) {
  return ops::unary(ops::kLeakyRelu, x, negative_slope);
}
Tensor logical_not(const Tensor& x) {
  return ops::unary_forward("logical_not", backend::UnaryOp::LogicalNot, x, false);
}
Tensor clamp(const Tensor& x, std::optional<Scalar> min, std::optional<Scalar> max) {
  return ops::clamp_impl(x, min, max);
}
Tensor masked_fill(const Tensor& x, const Tensor& mask, const Scalar& value) {
  return ops::masked_fill_impl(x, mask, value);
}

Tensor Tensor::neg() const { return strata::neg(*this); }
Tensor Tensor::abs() const { return strata::abs(*this); }
Tensor Tensor::sign() const { return strata::sign(*this); }
Tensor Tensor::exp() const { return strata::exp(*this); }
Tensor Tensor::log() const { return strata::log(*this); }
Tensor Tensor::log1p() const { return strata::log1p(*this); }
Tensor Tensor::sqrt() const { return strata::sqrt(*this); }
Tensor Tensor::rsqrt() const { return strata::rsqrt(*this); }
Tensor Tensor::sin() const { return strata::sin(*this); }
Tensor Tensor::cos() const { return strata::cos(*this); }
Tensor Tensor::tanh() const { return strata::tanh(*this); }
Tensor Tensor::sigmoid() const { return strata::sigmoid(*this); }
Tensor Tensor::relu() const { return strata::relu(*this); }
Tensor Tensor::clamp(std::optional<Scalar> min, std::optional<Scalar> max) const {
  return strata::clamp(*this, min, max);
}
Tensor Tensor::masked_fill(const Tensor& mask, const Scalar& value) const {
  return strata::masked_fill(*this, mask, value);
}
Tensor& Tensor::relu_() {
  return ops::inplace_via_outofplace("relu_", *this, {}, [](const Tensor& s) { return strata::relu(s); });
}
Tensor& Tensor::neg_() {
  return ops::inplace_via_outofplace("neg_", *this, {}, [](const Tensor& s) { return strata::neg(s); });
}
Tensor& Tensor::exp_() {
  return ops::inplace_via_outofplace("exp_", *this, {}, [](const Tensor& s) { return strata::exp(s); });
}
Tensor& Tensor::sqrt_() {
  return ops::inplace_via_outofplace("sqrt_", *this, {}, [](const Tensor& s) { return strata::sqrt(s); });
}
Tensor& Tensor::clamp_(std::optional<Scalar> min, std::optional<Scalar> max) {
  return ops::inplace_via_outofplace("clamp_", *this, {},
                                     [&](const Tensor& s) { return strata::clamp(s, min, max); });
}
Tensor& Tensor::masked_fill_(const Tensor& mask, const Scalar& value) {
  return ops::inplace_via_outofplace("masked_fill_", *this, {&mask},
                                     [&](const Tensor& s) { return strata::masked_fill(s, mask, value); });
}

}  // namespace strata
