#pragma once
/// \file scalar.h
/// `Scalar`: a number passed to an op (`x + 1`, `x * 0.5`, `full(shape, true)`). It remembers
/// whether it was written as a bool, an integer or a floating-point number, because PyTorch's
/// type promotion treats `int_tensor * 2` and `int_tensor * 2.0` differently.
#include <cstdint>
#include <type_traits>

#include "strata/dtype.h"

namespace strata {

class Scalar {
 public:
  enum class Kind : uint8_t { Bool, Int, Float };

  Scalar() : Scalar(int64_t{0}) {}
  template <typename T, std::enable_if_t<std::is_arithmetic_v<T>, int> = 0>
  Scalar(T v) {  // NOLINT(google-explicit-constructor): numbers convert like literals
    if constexpr (std::is_same_v<T, bool>) {
      kind_ = Kind::Bool;
      i_ = v;
      d_ = v;
    } else if constexpr (std::is_integral_v<T>) {
      kind_ = Kind::Int;
      i_ = static_cast<int64_t>(v);
      d_ = static_cast<double>(v);
    } else {
      kind_ = Kind::Float;
      d_ = static_cast<double>(v);
      i_ = static_cast<int64_t>(v);
    }
  }

  Kind kind() const { return kind_; }
  bool is_floating_point() const { return kind_ == Kind::Float; }
  double to_double() const { return d_; }
  int64_t to_int() const { return i_; }
  template <typename T>
  T to() const {
    if constexpr (std::is_same_v<T, bool>)
      return kind_ == Kind::Float ? d_ != 0.0 : i_ != 0;
    else if constexpr (std::is_integral_v<T>)
      return kind_ == Kind::Float ? static_cast<T>(d_) : static_cast<T>(i_);
    else
      return static_cast<T>(kind_ == Kind::Float ? d_ : static_cast<double>(i_));
  }
  /// The dtype a tensor made from this number gets: bool, int64 or the default float dtype.
  DType natural_dtype() const {
    return kind_ == Kind::Bool ? kBool : kind_ == Kind::Int ? kInt64 : default_dtype();
  }

 private:
  Kind kind_;
  int64_t i_ = 0;
  double d_ = 0.0;
};

}  // namespace strata
