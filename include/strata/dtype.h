#pragma once
/// \file dtype.h
/// Element types and PyTorch's type-promotion rules.
#include <cstdint>
#include <cstring>
#include <ostream>
#include <string_view>

namespace strata {

/// Element type of a tensor. Order matters: it is the promotion lattice within each category.
enum class DType : uint8_t { Bool, UInt8, Int32, Int64, Float16, BFloat16, Float32, Float64 };

inline constexpr DType kBool = DType::Bool;
inline constexpr DType kUInt8 = DType::UInt8;
inline constexpr DType kInt32 = DType::Int32;
inline constexpr DType kInt64 = DType::Int64;
inline constexpr DType kFloat16 = DType::Float16;
inline constexpr DType kBFloat16 = DType::BFloat16;
inline constexpr DType kFloat32 = DType::Float32;
inline constexpr DType kFloat64 = DType::Float64;

/// Bytes per element.
constexpr size_t element_size(DType dtype) {
  switch (dtype) {
    case DType::Bool:
    case DType::UInt8:
      return 1;
    case DType::Float16:
    case DType::BFloat16:
      return 2;
    case DType::Int32:
    case DType::Float32:
      return 4;
    case DType::Int64:
    case DType::Float64:
      return 8;
  }
  return 0;
}
/// "float32", "int64", ...
std::string_view dtype_name(DType dtype);
std::ostream& operator<<(std::ostream& os, DType dtype);

constexpr bool is_floating_point(DType d) {
  return d == kFloat16 || d == kBFloat16 || d == kFloat32 || d == kFloat64;
}
constexpr bool is_integral(DType d, bool include_bool = false) {
  return d == kUInt8 || d == kInt32 || d == kInt64 || (include_bool && d == kBool);
}
/// The dtype both operands are converted to, as torch.promote_types.
DType promote_types(DType a, DType b);

/// The dtype floating-point factories use when none is given (float32, as PyTorch).
DType default_dtype();

/// IEEE half precision, for storage and conversion.
struct Half {
  uint16_t bits = 0;
  Half() = default;
  Half(float value);       // NOLINT(google-explicit-constructor): converts like a built-in float type
  operator float() const;  // NOLINT(google-explicit-constructor)
};

/// bfloat16 (the upper half of a float32), for storage and conversion; rounds to nearest even.
struct BFloat16 {
  uint16_t bits = 0;
  BFloat16() = default;
  BFloat16(float value) {  // NOLINT(google-explicit-constructor)
    uint32_t u;
    std::memcpy(&u, &value, 4);
    if ((u & 0x7fffffffu) > 0x7f800000u) {
      bits = 0x7fc0;  // NaN
    } else {
      bits = static_cast<uint16_t>((u + 0x7fffu + ((u >> 16) & 1u)) >> 16);
    }
  }
  operator float() const {  // NOLINT(google-explicit-constructor)
    uint32_t u = static_cast<uint32_t>(bits) << 16;
    float f;
    std::memcpy(&f, &u, 4);
    return f;
  }
};

/// The C++ type stored for each dtype.
template <typename T>
struct dtype_of;
template <>
struct dtype_of<bool> {
  static constexpr DType value = kBool;
};
template <>
struct dtype_of<uint8_t> {
  static constexpr DType value = kUInt8;
};
template <>
struct dtype_of<int32_t> {
  static constexpr DType value = kInt32;
};
template <>
struct dtype_of<int64_t> {
  static constexpr DType value = kInt64;
};
template <>
struct dtype_of<Half> {
  static constexpr DType value = kFloat16;
};
template <>
struct dtype_of<BFloat16> {
  static constexpr DType value = kBFloat16;
};
template <>
struct dtype_of<float> {
  static constexpr DType value = kFloat32;
};
template <>
struct dtype_of<double> {
  static constexpr DType value = kFloat64;
};
template <typename T>
inline constexpr DType dtype_of_v = dtype_of<T>::value;

}  // namespace strata
