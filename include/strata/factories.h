#pragma once
/// \file factories.h
/// Making tensors: constants, ranges, random values, and tensors from C++ data.
#include <optional>
#include <vector>

#include "strata/generator.h"
#include "strata/tensor.h"

namespace strata {

/// What a factory makes: dtype, device and whether the result requires grad.
/// `strata::zeros({2, 3}, {.dtype = kFloat64, .requires_grad = true})`.
struct TensorOptions {
  std::optional<DType> dtype = std::nullopt;
  Device device = Device::cpu();
  bool requires_grad = false;
};

/// Uninitialised memory.
Tensor empty(const Shape& shape, const TensorOptions& options = {});
Tensor zeros(const Shape& shape, const TensorOptions& options = {});
Tensor ones(const Shape& shape, const TensorOptions& options = {});
/// Filled with `value`; without a dtype, the dtype follows the value (bool, int64 or float32).
Tensor full(const Shape& shape, const Scalar& value, const TensorOptions& options = {});
/// [start, end) in steps of `step`; int64 when all three are integers, else the default float dtype.
Tensor arange(const Scalar& end, const TensorOptions& options = {});
Tensor arange(const Scalar& start, const Scalar& end, const Scalar& step = 1,
              const TensorOptions& options = {});
Tensor linspace(double start, double end, int64_t steps, const TensorOptions& options = {});
Tensor eye(int64_t n, std::optional<int64_t> m = std::nullopt, const TensorOptions& options = {});
/// Uniform on [0, 1).
Tensor rand(const Shape& shape, const TensorOptions& options = {}, Generator* generator = nullptr);
/// Standard normal.
Tensor randn(const Shape& shape, const TensorOptions& options = {}, Generator* generator = nullptr);
/// Integers uniform on [low, high), int64 by default.
Tensor randint(int64_t low, int64_t high, const Shape& shape, const TensorOptions& options = {},
               Generator* generator = nullptr);
/// A random permutation of 0..n-1.
Tensor randperm(int64_t n, const TensorOptions& options = {}, Generator* generator = nullptr);

/// Same shape (and dtype, device unless given) as `like`.
Tensor empty_like(const Tensor& like, const TensorOptions& options = {});
Tensor zeros_like(const Tensor& like, const TensorOptions& options = {});
Tensor ones_like(const Tensor& like, const TensorOptions& options = {});
Tensor full_like(const Tensor& like, const Scalar& value, const TensorOptions& options = {});
Tensor rand_like(const Tensor& like, const TensorOptions& options = {}, Generator* generator = nullptr);
Tensor randn_like(const Tensor& like, const TensorOptions& options = {}, Generator* generator = nullptr);

/// A tensor from C++ values in row-major order: `from_vector(std::vector<float>{1, 2, 3, 4}, {2, 2})`.
template <typename T>
Tensor from_vector(const std::vector<T>& values, const Shape& shape, const TensorOptions& options = {});
template <typename T>
Tensor from_vector(const std::vector<T>& values) {
  return from_vector(values, Shape{static_cast<int64_t>(values.size())});
}

/// Nested initializer lists, as torch.tensor: `tensor({{1, 2}, {3, 4}})` (int64),
/// `tensor({1.5, 2.0})` (float32), `tensor({true, false})` (bool); `options.dtype` overrides.
namespace detail {
template <typename T>
using stored_t = std::conditional_t<std::is_same_v<T, bool>, bool,
                                    std::conditional_t<std::is_integral_v<T>, int64_t, double>>;
template <typename T>
void flatten_into(const T& v, std::vector<stored_t<T>>& out, Shape&, size_t) {
  out.push_back(static_cast<stored_t<T>>(v));
}
template <typename T, typename Leaf>
void flatten_into(std::initializer_list<T> rows, std::vector<Leaf>& out, Shape& shape, size_t depth) {
  if (shape.size() <= depth)
    shape.push_back(static_cast<int64_t>(rows.size()));
  else if (shape[depth] != static_cast<int64_t>(rows.size()))
    fail("[tensor] nested lists must be rectangular: a list at depth {} has {} items, expected {}", depth,
         rows.size(), shape[depth]);
  for (const T& row : rows) flatten_into(row, out, shape, depth + 1);
}
template <typename Leaf, typename List>
Tensor tensor_from_list(const List& list, const TensorOptions& options) {
  std::vector<stored_t<Leaf>> values;
  Shape shape;
  flatten_into(list, values, shape, 0);
  TensorOptions o = options;
  if (!o.dtype && std::is_floating_point_v<Leaf>) o.dtype = default_dtype();
  return from_vector(values, shape, o);
}
}  // namespace detail

template <typename T>
Tensor tensor(std::initializer_list<T> v, const TensorOptions& o = {}) {
  return detail::tensor_from_list<T>(v, o);
}
template <typename T>
Tensor tensor(std::initializer_list<std::initializer_list<T>> v, const TensorOptions& o = {}) {
  return detail::tensor_from_list<T>(v, o);
}
template <typename T>
Tensor tensor(std::initializer_list<std::initializer_list<std::initializer_list<T>>> v,
              const TensorOptions& o = {}) {
  return detail::tensor_from_list<T>(v, o);
}
/// A 0-d tensor holding `value`.
Tensor tensor(const Scalar& value, const TensorOptions& options = {});

/// Wraps memory the caller owns; the caller keeps it alive while the tensor is used.
Tensor from_blob(void* data, const Shape& shape, DType dtype, Device device = Device::cpu());

}  // namespace strata
