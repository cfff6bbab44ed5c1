#include "machine.h"

#include <immintrin.h>
#include <sched.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <fstream>
#include <thread>

namespace strata_bench {

std::string cpu_model_name() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("model name", 0) != 0) continue;
    auto colon = line.find(':');
    if (colon != std::string::npos && colon + 1 < line.size()) {
      auto start = line.find_first_not_of(' ', colon + 1);
      if (start != std::string::npos) return line.substr(start);
    }
  }
  return "unknown CPU";
}

int available_cpus() {
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof(set), &set) == 0) return CPU_COUNT(&set);
  return static_cast<int>(std::thread::hardware_concurrency());
}

double load_average() {
  std::ifstream in("/proc/loadavg");
  double one_minute = -1;
  if (!(in >> one_minute)) return -1;
  return one_minute;
}

namespace {

// 12 independent accumulator chains: an FMA has a latency of 4-5 cycles and at most 2 issue per
// cycle on current cores, so 10 in flight keep both pipes busy. Each chain starts at a different
// value, or the compiler folds them into one. x -> x * 0.999999 + 1e-6 stays near 1: no overflow,
// no denormals.
constexpr int kChains = 12;

[[gnu::target("avx2,fma")]] float fma_chains_avx2(int64_t iterations) {
  const __m256 m = _mm256_set1_ps(0.999999f), a = _mm256_set1_ps(1e-6f);
  __m256 c[kChains];
#pragma GCC unroll 12
  for (int j = 0; j < kChains; ++j) c[j] = _mm256_set1_ps(1.0f + 0.1f * static_cast<float>(j));
  for (int64_t i = 0; i < iterations; ++i) {
#pragma GCC unroll 12
    for (int j = 0; j < kChains; ++j) c[j] = _mm256_fmadd_ps(c[j], m, a);
  }
#pragma GCC unroll 12
  for (int j = 1; j < kChains; ++j) c[0] = _mm256_add_ps(c[0], c[j]);
  float out[8];
  _mm256_storeu_ps(out, c[0]);
  return out[0];
}

[[gnu::target("avx512f")]] float fma_chains_avx512(int64_t iterations) {
  const __m512 m = _mm512_set1_ps(0.999999f), a = _mm512_set1_ps(1e-6f);
  __m512 c[kChains];
#pragma GCC unroll 12
  for (int j = 0; j < kChains; ++j) c[j] = _mm512_set1_ps(1.0f + 0.1f * static_cast<float>(j));
  for (int64_t i = 0; i < iterations; ++i) {
#pragma GCC unroll 12
    for (int j = 0; j < kChains; ++j) c[j] = _mm512_fmadd_ps(c[j], m, a);
  }
#pragma GCC unroll 12
  for (int j = 1; j < kChains; ++j) c[0] = _mm512_add_ps(c[0], c[j]);
  float out[16];
  _mm512_storeu_ps(out, c[0]);
  return out[0];
}

// Best GFLOP/s over `runs` runs of `iterations` iterations of `chains` (lanes floats per vector).
template <typename Chains>
double best_gflops(Chains chains, int lanes) {
  constexpr int64_t kIterations = 200'000;  // ~1 ms each at ~100 GFLOP/s
  constexpr int kRuns = 60;
  const double flops = static_cast<double>(kIterations) * kChains * lanes * 2;
  double best = 0;
  volatile float sink = 0;
  for (int r = 0; r < kRuns; ++r) {
    const auto start = std::chrono::steady_clock::now();
    sink = sink + chains(kIterations);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (seconds > 0) best = std::max(best, flops / seconds / 1e9);
  }
  return best;
}

}  // namespace

FmaPeak measure_fp32_peak() {
  FmaPeak peak{0, "none"};
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
    peak = {best_gflops(fma_chains_avx2, 8), "avx2+fma"};
  // Some cores run 512-bit FMAs at half the rate of two 256-bit ones: keep whichever is faster.
  if (__builtin_cpu_supports("avx512f")) {
    const double avx512 = best_gflops(fma_chains_avx512, 16);
    if (avx512 > peak.gflops) peak = {avx512, "avx512f"};
  }
  return peak;
}

}  // namespace strata_bench
