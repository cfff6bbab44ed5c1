#pragma once
// The workloads of strata_bench. Each library registers one benchmark per workload, named
// "<workload>/<library>", so the summary can pair the two measurements of the same work.
#include <exception>
#include <string>

#include <benchmark/benchmark.h>

namespace strata_bench {

struct Workload {
  const char* name;
  const char* description;
};

// In table order. The sizes are small on purpose: they measure per-op overhead, which is what
// dominates eager training of small models; matmul_64 measures a small GEMM.
inline constexpr Workload kWorkloads[] = {
    {"add_4", "a + b, two [4] float32 tensors"},
    {"chain_16", "((a * b) + c).tanh().sum() and its backward, [16] float32 leaves, grads reset"},
    {"matmul_64", "a.matmul(b), two [64, 64] float32 matrices"},
    {"simple_net_step",
     "SimpleNet 10-32-2 training step at batch 4: zero_grad, forward, cross_entropy, backward, SGD step"},
};

inline std::string benchmark_name(const Workload& w, const char* library) {
  return std::string(w.name) + "/" + library;
}

// Runs `loop` (a benchmark's `for (auto _ : state)` loop); an exception (an op not implemented
// yet, say) marks that benchmark as failed with its message instead of ending the whole run.
template <typename Loop>
void guarded(benchmark::State& state, Loop&& loop) {
  try {
    loop();
  } catch (const std::exception& e) {
    state.SkipWithError(e.what());
  }
}

void register_strata_workloads();

#ifdef STRATA_BENCH_WITH_TORCH
// Pins libtorch to one intra-op thread, registers its workloads, and returns its version.
std::string register_libtorch_workloads();
#endif

}  // namespace strata_bench
