#pragma once
// Calls a templated lambda with the C++ type of a dtype: dispatch_all(d, op, [&]<typename T>() {...}).
#include <utility>

#include "strata/dtype.h"
#include "strata/error.h"

namespace strata::backend::cpu {

[[noreturn]] inline void unsupported_dtype(DType d, const char* op) {
  fail("[{}] is not implemented for dtype {}; convert with .to(strata::kFloat32)", op, dtype_name(d));
}

template <typename F>
void dispatch_float(DType d, const char* op, F&& f) {
  switch (d) {
    case kFloat32:
      return f.template operator()<float>();
    case kFloat64:
      return f.template operator()<double>();
    default:
      unsupported_dtype(d, op);
  }
}

/// Numbers: the floats above plus the integer dtypes (all but bool).
template <typename F>
void dispatch_numeric(DType d, const char* op, F&& f) {
  switch (d) {
    case kUInt8:
      return f.template operator()<uint8_t>();
    case kInt32:
      return f.template operator()<int32_t>();
    case kInt64:
      return f.template operator()<int64_t>();
    default:
      return dispatch_float(d, op, std::forward<F>(f));
  }
}

/// Every dtype strata computes with (not float16/bfloat16, which are storage formats).
template <typename F>
void dispatch_all(DType d, const char* op, F&& f) {
  if (d == kBool) return f.template operator()<bool>();
  return dispatch_numeric(d, op, std::forward<F>(f));
}

/// Including the 16-bit storage formats, for copies and conversions.
template <typename F>
void dispatch_storage(DType d, const char* op, F&& f) {
  switch (d) {
    case kFloat16:
      return f.template operator()<Half>();
    case kBFloat16:
      return f.template operator()<BFloat16>();
    default:
      return dispatch_all(d, op, std::forward<F>(f));
  }
}

/// Accumulator type for sums: double for floats (more accurate than the data), int64 for integers.
template <typename T>
using acc_t = std::conditional_t<std::is_floating_point_v<T>, double, int64_t>;

}  // namespace strata::backend::cpu
