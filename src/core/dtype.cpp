#include "strata/dtype.h"

#include <bit>

#include "strata/error.h"

namespace strata {

std::string_view dtype_name(DType dtype) {
  switch (dtype) {
    case kBool:
      return "bool";
    case kUInt8:
      return "uint8";
    case kInt32:
      return "int32";
    case kInt64:
      return "int64";
    case kFloat16:
      return "float16";
    case kBFloat16:
      return "bfloat16";
    case kFloat32:
      return "float32";
    case kFloat64:
      return "float64";
  }
  return "unknown";
}

std::ostream& operator<<(std::ostream& os, DType dtype) { return os << dtype_name(dtype); }

DType promote_types(DType a, DType b) {
  if (a == b) return a;
  // float16 with bfloat16 has no exact common 16-bit type: float32, as in PyTorch.
  if ((a == kFloat16 && b == kBFloat16) || (a == kBFloat16 && b == kFloat16)) return kFloat32;
  const bool fa = is_floating_point(a), fb = is_floating_point(b);
  if (fa != fb) return fa ? a : b;  // a float wins over any integer or bool
  return static_cast<uint8_t>(a) > static_cast<uint8_t>(b) ? a : b;
}

DType default_dtype() { return kFloat32; }

// IEEE binary16 conversions, rounding to nearest even.
Half::Half(float value) {
  const uint32_t f = std::bit_cast<uint32_t>(value);
  const uint32_t sign = (f >> 16) & 0x8000u;
  const uint32_t abs = f & 0x7fffffffu;
  if (abs >= 0x7f800000u) {  // inf or NaN
    bits = static_cast<uint16_t>(sign | 0x7c00u | (abs > 0x7f800000u ? 0x200u : 0u));
    return;
  }
  if (abs >= 0x477ff000u) {  // rounds to a value beyond the largest half: infinity
    bits = static_cast<uint16_t>(sign | 0x7c00u);
    return;
  }
  if (abs < 0x38800000u) {                                         // subnormal half (or zero)
    const float scaled = std::bit_cast<float>(abs) * 16777216.0f;  // * 2^24: units of the smallest subnormal
    bits = static_cast<uint16_t>(sign | static_cast<uint32_t>(std::nearbyint(scaled)));
    return;
  }
  uint32_t mant = abs + 0xc8000000u;  // rebias exponent 127 -> 15
  mant += 0xfffu + ((mant >> 13) & 1u);
  bits = static_cast<uint16_t>(sign | (mant >> 13));
}

Half::operator float() const {
  const uint32_t sign = static_cast<uint32_t>(bits & 0x8000u) << 16;
  const uint32_t exp = (bits >> 10) & 0x1fu;
  const uint32_t mant = bits & 0x3ffu;
  if (exp == 0) {                                                        // zero or subnormal
    const float v = static_cast<float>(mant) * 5.9604644775390625e-08f;  // 2^-24
    return sign ? -v : v;
  }
  if (exp == 31) return std::bit_cast<float>(sign | 0x7f800000u | (mant << 13));
  return std::bit_cast<float>(sign | ((exp + 112u) << 23) | (mant << 13));
}

}  // namespace strata
