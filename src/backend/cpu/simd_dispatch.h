#pragma once
// STRATA_SIMD_DISPATCH(target, FN, args...): calls FN (a function defined in every target's
// namespace of a per-target file) of `target`, a HWY_* target bit from simd::supported_targets();
// a target that was not compiled falls back to the static one. Included after hwy/highway.h in the
// HWY_ONCE part of a per-target file (HWY_TARGETS is known only there); see simd_targets.h.
#include "hwy/highway.h"

// Calls FN (a function defined in every target's namespace) of `target`; a target that was not
// compiled falls back to the static one. For the HWY_ONCE part of a per-target file.
#define STRATA_SIMD_CASE_AVX3(FN, ...)
#define STRATA_SIMD_CASE_AVX2(FN, ...)
#define STRATA_SIMD_CASE_SSE4(FN, ...)
#if HWY_TARGETS & HWY_AVX3
#undef STRATA_SIMD_CASE_AVX3
#define STRATA_SIMD_CASE_AVX3(FN, ...) \
  case HWY_AVX3:                       \
    return N_AVX3::FN(__VA_ARGS__);
#endif
#if HWY_TARGETS & HWY_AVX2
#undef STRATA_SIMD_CASE_AVX2
#define STRATA_SIMD_CASE_AVX2(FN, ...) \
  case HWY_AVX2:                       \
    return N_AVX2::FN(__VA_ARGS__);
#endif
#if HWY_TARGETS & HWY_SSE4
#undef STRATA_SIMD_CASE_SSE4
#define STRATA_SIMD_CASE_SSE4(FN, ...) \
  case HWY_SSE4:                       \
    return N_SSE4::FN(__VA_ARGS__);
#endif
#define STRATA_SIMD_DISPATCH(target, FN, ...)      \
  switch (target) {                                \
    STRATA_SIMD_CASE_AVX3(FN, __VA_ARGS__)         \
    STRATA_SIMD_CASE_AVX2(FN, __VA_ARGS__)         \
    STRATA_SIMD_CASE_SSE4(FN, __VA_ARGS__)         \
    default:                                       \
      return HWY_STATIC_DISPATCH(FN)(__VA_ARGS__); \
  }
