#pragma once
// Which instruction sets the per-target files (simd_*.cpp) are compiled for, and how simd.cpp
// reaches each one: included before any Highway header there and in simd.cpp, so that all agree.
// On x86: Highway's scalar fallback (the static, baseline target), SSE4, AVX2 and AVX-512 (AVX3).
// SSSE3 and AVX3_DL would only add compile time (SSSE3-only CPUs take the scalar fallback).
// Elsewhere only the static target (e.g. NEON on aarch64). The scalable SVE/RVV targets are never
// compiled: the row loops keep arrays of vectors, which sizeless vector types do not allow.
//
// strata uses Highway's headers only, not libhwy.so: that library's static initialisers calibrate
// a benchmark timer, ~7 ms added to the start of every program. Highway's dynamic dispatch lives
// in that library, so simd.cpp detects the CPU itself (__builtin_cpu_supports) and the per-target
// files name each target's namespace through STRATA_SIMD_DISPATCH (simd_dispatch.h).
#if !(defined(__x86_64__) || defined(__i386__))
#define HWY_COMPILE_ONLY_STATIC 1
#endif
#ifndef HWY_DISABLED_TARGETS
#define HWY_DISABLED_TARGETS \
  (HWY_SSSE3 | HWY_AVX3_DL | HWY_SVE | HWY_SVE2 | HWY_SVE_256 | HWY_SVE2_128 | HWY_RVV)
#endif
// The SSE4 target without PCLMUL/AES (no kernel needs them), so that it runs on any SSE4.2 CPU.
#define HWY_DISABLE_PCLMUL_AES 1
