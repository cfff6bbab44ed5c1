// Elementwise binary ops: arithmetic, pow, maximum/minimum, comparisons, logical ops, where.
// Shape rule: broadcasting. Dtype rule: PyTorch's result_type; comparisons give bool.
#include <array>
#include <bit>

#include "ops/common.h"
#include "ops/registry.h"
#include "strata/factories.h"
#include "strata/ops.h"

namespace strata {
namespace ops {
namespace {

using autograd::SavedTensor;
using backend::BinaryOp;

// Runs the kernel for out = a op b with both operands converted to `compute`.
Tensor binary_forward(std::string_view name, BinaryOp op, const Tensor& a, const Tensor& b, DType compute,
                      DType out_dtype, const Scalar& alpha = 1) {
  check_defined(name, {&a, &b});
  check_same_device(name, {&a, &b});
  const Shape shape = broadcast_shapes(name, a, b);
  Tensor out = empty_tensor(shape, out_dtype, a.device());
  backend::kernels(a.device(), name.data()).binary(op, out, cast(a, compute), cast(b, compute), alpha);
  return out;
}

// The gradient for an operand: reduced over broadcast dims and returned in the operand's dtype.
Tensor reduce_grad(const Tensor& g, const Shape& shape, DType dtype) { return cast(sum_to(g, shape), dtype); }

struct Operands {
  Shape a_shape, b_shape;
  DType a_dtype = kFloat32, b_dtype = kFloat32;
  bool need_a = false, need_b = false;
  static Operands of(const Tensor& a, const Tensor& b) {
    return {a.shape(), b.shape(), a.dtype(), b.dtype(), a.requires_grad(), b.requires_grad()};
  }
};

struct AddSaved {
  Operands o;
  Scalar alpha;
};
autograd::TensorList add_backward(const AddSaved& s, const autograd::TensorList& g) {
  Tensor gb;
  if (s.o.need_b)
    gb = reduce_grad(s.alpha.to_double() == 1.0 ? g[0] : g[0] * s.alpha, s.o.b_shape, s.o.b_dtype);
  return {s.o.need_a ? reduce_grad(g[0], s.o.a_shape, s.o.a_dtype) : Tensor(), gb};
}
autograd::TensorList sub_backward(const AddSaved& s, const autograd::TensorList& g) {
  Tensor gb;
  if (s.o.need_b) gb = reduce_grad(g[0] * (-s.alpha.to_double()), s.o.b_shape, s.o.b_dtype);
  return {s.o.need_a ? reduce_grad(g[0], s.o.a_shape, s.o.a_dtype) : Tensor(), gb};
}

struct PairSaved {
  Operands o;
  SavedTensor a, b, out;
};
autograd::TensorList mul_backward(const PairSaved& s, const autograd::TensorList& g) {
  Tensor ga, gb;
  if (s.o.need_a) ga = reduce_grad(g[0] * s.b.unpack("MulBackward", "other"), s.o.a_shape, s.o.a_dtype);
  if (s.o.need_b) gb = reduce_grad(g[0] * s.a.unpack("MulBackward", "self"), s.o.b_shape, s.o.b_dtype);
  return {ga, gb};
}
autograd::TensorList div_backward(const PairSaved& s, const autograd::TensorList& g) {
  const Tensor b = s.b.unpack("DivBackward", "other");
  Tensor ga, gb;
  if (s.o.need_a) ga = reduce_grad(g[0] / b, s.o.a_shape, s.o.a_dtype);
  if (s.o.need_b)
    gb = reduce_grad(-g[0] * s.a.unpack("DivBackward", "self") / (b * b), s.o.b_shape, s.o.b_dtype);
  return {ga, gb};
}
autograd::TensorList pow_backward(const PairSaved& s, const autograd::TensorList& g) {
  const Tensor a = s.a.unpack("PowBackward", "self"), b = s.b.unpack("PowBackward", "exponent");
  Tensor ga, gb;
  if (s.o.need_a) {
    // d/da a^b = b * a^(b-1), taken as 0 where b == 0 (so 0^0 has gradient 0, as PyTorch).
    ga = reduce_grad(where(b == 0.0, zeros_like(g[0]), g[0] * b * pow(a, b - 1.0)), s.o.a_shape, s.o.a_dtype);
  }
  if (s.o.need_b) {
    // d/db a^b = a^b * log(a), taken as 0 where a == 0 and b >= 0.
    const Tensor out = s.out.unpack("PowBackward", "result");
    const Tensor mask = logical_and(a == 0.0, b >= 0.0);
    gb = reduce_grad(where(mask, zeros_like(g[0]), g[0] * out * log(a)), s.o.b_shape, s.o.b_dtype);
  }
  return {ga, gb};
}
// maximum/minimum: the gradient goes to the larger (smaller) operand, split evenly on ties.
autograd::TensorList max_min_backward(const PairSaved& s, const autograd::TensorList& g, bool is_max) {
  const Tensor a = s.a.unpack(is_max ? "MaximumBackward" : "MinimumBackward", "self");
  const Tensor b = s.b.unpack(is_max ? "MaximumBackward" : "MinimumBackward", "other");
  const Tensor tie = a == b;
  const Tensor a_wins = is_max ? a > b : a < b;
  const Tensor half = g[0] * 0.5;
  const Tensor zero = zeros_like(g[0]);
  Tensor ga, gb;
  if (s.o.need_a) ga = reduce_grad(where(tie, half, where(a_wins, g[0], zero)), s.o.a_shape, s.o.a_dtype);
  if (s.o.need_b) gb = reduce_grad(where(tie, half, where(a_wins, zero, g[0])), s.o.b_shape, s.o.b_dtype);
  return {ga, gb};
}
autograd::TensorList maximum_backward(const PairSaved& s, const autograd::TensorList& g) {
  return max_min_backward(s, g, true);
}
autograd::TensorList minimum_backward(const PairSaved& s, const autograd::TensorList& g) {
  return max_min_backward(s, g, false);
}

struct WhereSaved {
  Operands o;
  SavedTensor cond;
};
autograd::TensorList where_backward(const WhereSaved& s, const autograd::TensorList& g) {
  const Tensor cond = s.cond.unpack("WhereBackward", "condition");
  const Tensor zero = zeros_like(g[0]);
  Tensor ga, gb;
  if (s.o.need_a) ga = reduce_grad(where(cond, g[0], zero), s.o.a_shape, s.o.a_dtype);
  if (s.o.need_b) gb = reduce_grad(where(cond, zero, g[0]), s.o.b_shape, s.o.b_dtype);
  return {Tensor(), ga, gb};
}

PairSaved save_pair(const Tensor& a, const Tensor& b, bool need_values = true) {
  PairSaved s{Operands::of(a, b), {}, {}, {}};
  if (need_values) {
    // Each gradient needs the other operand; save only what will be used.
    if (s.o.need_b || s.o.need_a) s.a = SavedTensor::input(a);
    if (s.o.need_a || s.o.need_b) s.b = SavedTensor::input(b);
  }
  return s;
}

DType arithmetic_type(std::string_view name, const Tensor& a, const Tensor& b) {
  check_defined(name, {&a, &b});
  return result_type(a, b);
}

}  // namespace

/// A number as a 0-d tensor that promotes like a literal. The last few are kept per thread: code
/// like `1.0 - y * y` or `p - lr * g` uses the same constants every step, and no op ever writes
/// into a wrapped number, so sharing them is safe and saves three allocations per use.
Tensor wrapped_scalar(const Scalar& v) {
  struct Entry {
    Scalar::Kind kind;
    int64_t i;
    uint64_t bits;
    Tensor t;
  };
  thread_local std::array<Entry, 8> cache{};
  thread_local size_t next = 0;
  const uint64_t bits = std::bit_cast<uint64_t>(v.to_double());
  for (const Entry& e : cache)
    if (e.t.defined() && e.kind == v.kind() && e.i == v.to_int() && e.bits == bits) return e.t;
  const DType d = v.kind() == Scalar::Kind::Bool ? kBool : v.kind() == Scalar::Kind::Int ? kInt64 : kFloat64;
  Tensor t = empty_tensor({}, d, Device::cpu());
  backend::cpu_kernels().fill(t, v);
  t.impl().wrapped_number = true;
  cache[next++ % cache.size()] = {v.kind(), v.to_int(), bits, t};
  return t;
}

void register_elementwise_ops(std::vector<OpInfo>& ops) {
  auto has_binary = [](const backend::Kernels& k) { return k.binary != nullptr; };
  auto has_where = [](const backend::Kernels& k) { return k.where != nullptr; };
  ops.push_back({"add", true, reinterpret_cast<const void*>(&add_backward), has_binary, {}});
  ops.push_back({"sub", true, reinterpret_cast<const void*>(&sub_backward), has_binary, {}});
  ops.push_back({"mul", true, reinterpret_cast<const void*>(&mul_backward), has_binary, {}});
  ops.push_back({"div", true, reinterpret_cast<const void*>(&div_backward), has_binary, {}});
  ops.push_back({"pow", true, reinterpret_cast<const void*>(&pow_backward), has_binary, {}});
  ops.push_back({"maximum", true, reinterpret_cast<const void*>(&maximum_backward), has_binary, {}});
  ops.push_back({"minimum", true, reinterpret_cast<const void*>(&minimum_backward), has_binary, {}});
  for (const char* name : {"eq", "ne", "lt", "le", "gt", "ge", "logical_and", "logical_or", "logical_xor"})
    ops.push_back({name, false, nullptr, has_binary, {}});
  ops.push_back({"where", true, reinterpret_cast<const void*>(&where_backward), has_where, {}});
}

namespace {
// Shared by the out-of-place arithmetic ops.
template <typename Saved>
Tensor arithmetic(std::string_view name, std::string_view node_name, BinaryOp op, const Tensor& a,
                  const Tensor& b, const Scalar& alpha, autograd::BackwardFn<Saved> backward,
                  Saved (*save)(const Tensor&, const Tensor&, const Scalar&)) {
  DType compute = arithmetic_type(name, a, b);
  if (op == BinaryOp::Div && !is_floating_point(compute)) compute = default_dtype();  // true division
  if (compute == kBool && (op == BinaryOp::Sub || op == BinaryOp::Div || op == BinaryOp::Pow))
    fail("[{}] is not defined for bool operands ({}); convert with .to(strata::kInt64) or use logical_xor",
         name, describe_all({&a, &b}));
  if (is_integral(compute, true) && alpha.is_floating_point())
    fail("[{}] alpha {} is a float but the operands {} are integers", name, alpha.to_double(),
         describe_all({&a, &b}));
  Tensor out = binary_forward(name, op, a, b, compute, compute, alpha);
  if (needs_grad({&a, &b})) {
    auto& s = record<Saved>(node_name, backward, save(a, b, alpha), {&a, &b}, {&out});
    if constexpr (std::is_same_v<Saved, PairSaved>) {
      if (op == BinaryOp::Pow && s.o.need_b) s.out = SavedTensor::output(out);
    }
  }
  return out;
}

AddSaved save_add(const Tensor& a, const Tensor& b, const Scalar& alpha) {
  return {Operands::of(a, b), alpha};
}
PairSaved save_values(const Tensor& a, const Tensor& b, const Scalar&) { return save_pair(a, b); }

Tensor compare(std::string_view name, BinaryOp op, const Tensor& a, const Tensor& b) {
  return binary_forward(name, op, a, b, arithmetic_type(name, a, b), kBool);
}
}  // namespace

// In-place binary update self = self op other, straight into self's memory when that is safe.
Tensor& binary_inplace(std::string_view name, BinaryOp op, Tensor& self, const Tensor& other,
                       const Scalar& alpha,
                       Tensor (*outofplace)(const Tensor&, const Tensor&, const Scalar&)) {
  check_defined(name, {&self, &other});
  check_same_device(name, {&self, &other});
  DType compute = result_type(self, other);
  if (op == BinaryOp::Div && !is_floating_point(compute)) compute = default_dtype();
  if (promote_types(compute, self.dtype()) != self.dtype() && !(is_floating_point(self.dtype())))
    fail("[{}] the result of {} {} {} is {}, which cannot be stored in place in {}; use the out-of-place op",
         name, self.describe(), name, other.describe(), dtype_name(compute), self.describe());
  if (!(broadcast_shapes(name, self, other) == self.shape()))
    fail(
        "[{}] in-place result would have shape {}, but the destination {} cannot change shape; use the "
        "out-of-place op",
        name, broadcast_shapes(name, self, other).str(), self.describe());
  const bool grad = is_grad_enabled() && (self.requires_grad() || other.requires_grad());
  const bool overlaps = other.impl().storage == self.impl().storage;
  if (!grad && compute == self.dtype() && !overlaps) {
    check_inplace(name, self, {&other});
    backend::kernels(self.device(), name.data()).binary(op, self, self, cast(other, compute), alpha);
    bump_version(self);
    return self;
  }
  return inplace_via_outofplace(name, self, {&other},
                                [&](const Tensor& s) { return outofplace(s, other, alpha); });
}

}  // namespace ops

using ops::wrapped_scalar;

Tensor add(const Tensor& a, const Tensor& b, const Scalar& alpha) {
  return ops::arithmetic<ops::AddSaved>("add", "AddBackward", backend::BinaryOp::Add, a, b, alpha,
                                        ops::add_backward, ops::save_add);
}
Tensor sub(const Tensor& a, const Tensor& b, const Scalar& alpha) {
  return ops::arithmetic<ops::AddSaved>("sub", "SubBackward", backend::BinaryOp::Sub, a, b, alpha,
                                        ops::sub_backward, ops::save_add);
}
Tensor mul(const Tensor& a, const Tensor& b) {
  return ops::arithmetic<ops::PairSaved>("mul", "MulBackward", backend::BinaryOp::Mul, a, b, 1,
                                         ops::mul_backward, ops::save_values);
}
Tensor div(const Tensor& a, const Tensor& b) {
  return ops::arithmetic<ops::PairSaved>("div", "DivBackward", backend::BinaryOp::Div, a, b, 1,
                                         ops::div_backward, ops::save_values);
}
Tensor pow(const Tensor& base, const Tensor& exponent) {
  ops::check_defined("pow", {&base, &exponent});
  const DType t = ops::result_type(base, exponent);
  if (is_integral(t, true) && is_integral(exponent.dtype())) {
    for (int64_t e : exponent.to_vector<int64_t>())
      if (e < 0)
        fail("[pow] integers to negative integer powers are not allowed ({} ** {}); use a float base",
             base.describe(), exponent.describe());
  }
  return ops::arithmetic<ops::PairSaved>("pow", "PowBackward", backend::BinaryOp::Pow, base, exponent, 1,
                                         ops::pow_backward, ops::save_values);
}
Tensor pow(const Tensor& base, const Scalar& exponent) { return pow(base, wrapped_scalar(exponent)); }
Tensor maximum(const Tensor& a, const Tensor& b) {
  return ops::arithmetic<ops::PairSaved>("maximum", "MaximumBackward", backend::BinaryOp::Maximum, a, b, 1,
                                         ops::maximum_backward, ops::save_values);
}
Tensor minimum(const Tensor& a, const Tensor& b) {
  return ops::arithmetic<ops::PairSaved>("minimum", "MinimumBackward", backend::BinaryOp::Minimum, a, b, 1,
                                         ops::minimum_backward, ops::save_values);
}
Tensor eq(const Tensor& a, const Tensor& b) { return ops::compare("eq", backend::BinaryOp::Eq, a, b); }
Tensor ne(const Tensor& a, const Tensor& b) { return ops::compare("ne", backend::BinaryOp::Ne, a, b); }
Tensor lt(const Tensor& a, const Tensor& b) { return ops::compare("lt", backend::BinaryOp::Lt, a, b); }
Tensor le(const Tensor& a, const Tensor& b) { return ops::compare("le", backend::BinaryOp::Le, a, b); }
Tensor gt(const Tensor& a, const Tensor& b) { return ops::compare("gt", backend::BinaryOp::Gt, a, b); }
Tensor ge(const Tensor& a, const Tensor& b) { return ops::compare("ge", backend::BinaryOp::Ge, a, b); }
Tensor logical_and(const Tensor& a, const Tensor& b) {
  return ops::compare("logical_and", backend::BinaryOp::LogicalAnd, a, b);
}
Tensor logical_or(const Tensor& a, const Tensor& b) {
  return ops::compare("logical_or", backend::BinaryOp::LogicalOr, a, b);
}
Tensor logical_xor(const Tensor& a, const Tensor& b) {
  return ops::compare("logical_xor", backend::BinaryOp::LogicalXor, a, b);
}

Tensor where(const Tensor& condition, const Tensor& a, const Tensor& b) {
  ops::check_defined("where", {&condition, &a, &b});
  ops::check_same_device("where", {&condition, &a, &b});
  if (condition.dtype() != kBool)
    fail("[where] condition must be a bool tensor, got {}; compare first (x > 0) or use .to(strata::kBool)",
         condition.describe());
  const DType dtype = ops::result_type(a, b);
  const Shape shape = ops::broadcast_shapes("where", ops::broadcast_shapes("where", condition, a), b.shape());
  Tensor out = ops::empty_tensor(shape, dtype, a.device());
  backend::kernels(a.device(), "where").where(out, condition, ops::cast(a, dtype), ops::cast(b, dtype));
  if (ops::needs_grad({&a, &b}))
    ops::record<ops::WhereSaved>("WhereBackward", ops::where_backward,
                                 {ops::Operands::of(a, b), autograd::SavedTensor::input(condition)},
                                 {&condition, &a, &b}, {&out});
  return out;
}

Tensor scalar_tensor(const Scalar& value, std::optional<DType> dtype) {
  Tensor t = ops::empty_tensor({}, dtype.value_or(value.natural_dtype()), Device::cpu());
  backend::cpu_kernels().fill(t, value);
  return t;
}

// ---- operators and Tensor methods ----
Tensor operator+(const Tensor& a, const Tensor& b) { return add(a, b); }
Tensor operator-(const Tensor& a, const Tensor& b) { return sub(a, b); }
Tensor operator*(const Tensor& a, const Tensor& b) { return mul(a, b); }
Tensor operator/(const Tensor& a, const Tensor& b) { return div(a, b); }
Tensor operator+(const Tensor& a, const Scalar& b) { return add(a, wrapped_scalar(b)); }
Tensor operator-(const Tensor& a, const Scalar& b) { return sub(a, wrapped_scalar(b)); }
Tensor operator*(const Tensor& a, const Scalar& b) { return mul(a, wrapped_scalar(b)); }
Tensor operator/(const Tensor& a, const Scalar& b) { return div(a, wrapped_scalar(b)); }
Tensor operator+(const Scalar& a, const Tensor& b) { return add(wrapped_scalar(a), b); }
Tensor operator-(const Scalar& a, const Tensor& b) { return sub(wrapped_scalar(a), b); }
Tensor operator*(const Scalar& a, const Tensor& b) { return mul(wrapped_scalar(a), b); }
Tensor operator/(const Scalar& a, const Tensor& b) { return div(wrapped_scalar(a), b); }
Tensor operator-(const Tensor& a) { return neg(a); }
Tensor& operator+=(Tensor& a, const Tensor& b) { return a.add_(b); }
Tensor& operator-=(Tensor& a, const Tensor& b) { return a.sub_(b); }
Tensor& operator*=(Tensor& a, const Tensor& b) { return a.mul_(b); }
Tensor& operator/=(Tensor& a, const Tensor& b) { return a.div_(b); }
Tensor& operator+=(Tensor& a, const Scalar& b) { return a.add_(b); }
Tensor& operator-=(Tensor& a, const Scalar& b) { return a.sub_(b); }
Tensor& operator*=(Tensor& a, const Scalar& b) { return a.mul_(b); }
Tensor& operator/=(Tensor& a, const Scalar& b) { return a.div_(b); }
Tensor operator==(const Tensor& a, const Tensor& b) { return eq(a, b); }
Tensor operator!=(const Tensor& a, const Tensor& b) { return ne(a, b); }
Tensor operator<(const Tensor& a, const Tensor& b) { return lt(a, b); }
Tensor operator<=(const Tensor& a, const Tensor& b) { return le(a, b); }
Tensor operator>(const Tensor& a, const Tensor& b) { return gt(a, b); }
Tensor operator>=(const Tensor& a, const Tensor& b) { return ge(a, b); }
Tensor operator==(const Tensor& a, const Scalar& b) { return eq(a, wrapped_scalar(b)); }
Tensor operator!=(const Tensor& a, const Scalar& b) { return ne(a, wrapped_scalar(b)); }
Tensor operator<(const Tensor& a, const Scalar& b) { return lt(a, wrapped_scalar(b)); }
Tensor operator<=(const Tensor& a, const Scalar& b) { return le(a, wrapped_scalar(b)); }
Tensor operator>(const Tensor& a, const Scalar& b) { return gt(a, wrapped_scalar(b)); }
Tensor operator>=(const Tensor& a, const Scalar& b) { return ge(a, wrapped_scalar(b)); }
Tensor operator&&(const Tensor& a, const Tensor& b) { return logical_and(a, b); }
Tensor operator||(const Tensor& a, const Tensor& b) { return logical_or(a, b); }
Tensor operator!(const Tensor& a) { return logical_not(a); }

Tensor Tensor::add(const Tensor& o, const Scalar& alpha) const { return strata::add(*this, o, alpha); }
Tensor Tensor::sub(const Tensor& o, const Scalar& alpha) const { return strata::sub(*this, o, alpha); }
Tensor Tensor::mul(const Tensor& o) const { return strata::mul(*this, o); }
Tensor Tensor::div(const Tensor& o) const { return strata::div(*this, o); }
Tensor Tensor::pow(const Tensor& e) const { return strata::pow(*this, e); }
Tensor Tensor::pow(const Scalar& e) const { return strata::pow(*this, e); }

namespace {
Tensor add3(const Tensor& a, const Tensor& b, const Scalar& alpha) { return add(a, b, alpha); }
Tensor sub3(const Tensor& a, const Tensor& b, const Scalar& alpha) { return sub(a, b, alpha); }
Tensor mul3(const Tensor& a, const Tensor& b, const Scalar&) { return mul(a, b); }
Tensor div3(const Tensor& a, const Tensor& b, const Scalar&) { return div(a, b); }
Tensor pow3(const Tensor& a, const Tensor& b, const Scalar&) { return pow(a, b); }
}  // namespace

Tensor& Tensor::add_(const Tensor& o, const Scalar& alpha) {
  return ops::binary_inplace("add_", backend::BinaryOp::Add, *this, o, alpha, add3);
}
Tensor& Tensor::add_(const Scalar& o) { return add_(wrapped_scalar(o)); }
Tensor& Tensor::sub_(const Tensor& o, const Scalar& alpha) {
  return ops::binary_inplace("sub_", backend::BinaryOp::Sub, *this, o, alpha, sub3);
}
Tensor& Tensor::sub_(const Scalar& o) { return sub_(wrapped_scalar(o)); }
Tensor& Tensor::mul_(const Tensor& o) {
  return ops::binary_inplace("mul_", backend::BinaryOp::Mul, *this, o, 1, mul3);
}
Tensor& Tensor::mul_(const Scalar& o) { return mul_(wrapped_scalar(o)); }
Tensor& Tensor::div_(const Tensor& o) {
  return ops::binary_inplace("div_", backend::BinaryOp::Div, *this, o, 1, div3);
}
Tensor& Tensor::div_(const Scalar& o) { return div_(wrapped_scalar(o)); }
Tensor& Tensor::pow_(const Scalar& e) {
  return ops::binary_inplace("pow_", backend::BinaryOp::Pow, *this, wrapped_scalar(e), 1, pow3);
}

}  // namespace strata
