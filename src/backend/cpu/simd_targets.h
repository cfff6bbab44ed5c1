#pragma once
// Which instruction sets the per-target files (simd_*.cpp) are compiled for: included before any
// Highway header there and in simd.cpp, so that all agree. On x86: Highway's scalar fallback,
// SSE4, AVX2 and AVX-512 (AVX3). SSSE3 and AVX3_DL would only add compile time (SSSE3-only CPUs
// take the scalar fallback); the scalable SVE/RVV targets are left out because the row loops keep
// arrays of vectors, which sizeless vector types do not allow.
#ifndef HWY_DISABLED_TARGETS
#define HWY_DISABLED_TARGETS \
  (HWY_SSSE3 | HWY_AVX3_DL | HWY_SVE | HWY_SVE2 | HWY_SVE_256 | HWY_SVE2_128 | HWY_RVV)
#endif
