#pragma once
// The workloads of strata_bench, their targets and how long each is timed. Each library supplies one
// benchmark function per workload it runs (WorkloadFns, in kWorkloads' order); bench_main.cpp registers
// them as "<workload>/<library>" so the results can pair the measurements of the same work.
#include <array>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <stdexcept>
#include <string>
#include <string_view>

#include <benchmark/benchmark.h>

namespace strata_bench {

// What strata's time is divided by to give a workload's ratio.
enum class Reference {
  kLibtorch,     // libtorch on the same work, at its fastest setting for the thread count
  kBestLibrary,  // the fastest library measured (libtorch's torch::mm or OpenBLAS's cblas_sgemm)
};

struct Workload {
  const char* name;
  const char* description;
  Reference reference;
  double target;     // met when strata's median time / the reference's median time <= target
  bool two_threads;  // measured at 1 and 2 threads (else at 1 thread only)
  double flops;      // floating-point operations per iteration, for a GFLOP/s column (0: none)
  // Per process: `repetitions` repetitions of at least `min_time` seconds each, or of exactly
  // `iterations` iterations when that is > 0 (the big GEMM: one call is over a second).
  double min_time;
  int repetitions;
  int64_t iterations;
};

// "strata >= 0.95x the best library" as a time ratio.
inline constexpr double kGemmTarget = 1 / 0.95;
inline constexpr double kLayerNormEps = 1e-5;

// Multiply-adds times two of the GEMM-shaped work; the elementwise ops are not counted.
// LeNet: conv1 (no input gradient), conv2, fc1, fc2, forward once and backward twice (weights, inputs).
inline constexpr double kLeNetForwardFlops =
    2.0 * 64 * (26 * 26 * 32 * 9 + 11 * 11 * 64 * 288 + 1600 * 128 + 128 * 10);
inline constexpr double kLeNetStepFlops = 3 * kLeNetForwardFlops - 2.0 * 64 * 26 * 26 * 32 * 9;
// The transformer layer: q/k/v projection, scores, weighted values, output projection, two FFN
// linears; backward twice the forward, less the input gradient of the q/k/v projection (x is data).
inline constexpr double kTransformerTokens = 128.0 * 16;
inline constexpr double kTransformerLayerFlops =
    3 * 2.0 *
        (kTransformerTokens * 256 * 768 + 2 * 64 * 128 * 128 * 64 + kTransformerTokens * 256 * 256 +
         2 * kTransformerTokens * 256 * 1024) -
    2.0 * kTransformerTokens * 256 * 768;

// In table order.
inline constexpr Workload kWorkloads[] = {
    // Tiny tensors, 1 thread only: threads cannot help work this small.
    {"add_4", "a + b, two [4] float32 tensors", Reference::kLibtorch, 0.25, false, 0, 0.05, 5, 0},
    {"chain_16", "((a * b) + c).tanh().sum() and its backward, [16] float32 leaves, grads reset",
     Reference::kLibtorch, 0.25, false, 0, 0.05, 5, 0},
    // A small GEMM is compute-bound: held to the fastest library, like the big ones.
    {"matmul_64", "a.matmul(b), two [64, 64] float32 matrices", Reference::kBestLibrary, kGemmTarget, false,
     2.0 * 64 * 64 * 64, 0.05, 5, 0},
    {"simple_net_step",
     "SimpleNet 10-32-2 training step at batch 4: zero_grad, forward, cross_entropy, backward, SGD step",
     Reference::kLibtorch, 0.10, true, 0, 0.1, 5, 0},
    {"simple_net_forward", "SimpleNet 10-32-2 forward at batch 4, parameters requiring grad (graph recorded)",
     Reference::kLibtorch, 0.15, true, 0, 0.1, 5, 0},
    {"mlp_adam_step",
     "MLP 784-1024-1024-10 (ReLU) training step at batch 256: zero_grad, forward, cross_entropy, backward, "
     "Adam step",
     Reference::kLibtorch, 0.80, true, 0, 0.3, 5, 0},
    {"sgemm_1024", "C = A B, float32 [1024, 1024] x [1024, 1024]", Reference::kBestLibrary, kGemmTarget, true,
     2.0 * 1024 * 1024 * 1024, 0.2, 5, 0},
    {"sgemm_4096", "C = A B, float32 [4096, 4096] x [4096, 4096]", Reference::kBestLibrary, kGemmTarget, true,
     2.0 * 4096 * 4096 * 4096, 0, 3, 1},
    {"softmax_fwd_bwd", "y = softmax(x, -1) on [256, 1024] float32, then (y * g).sum().backward()",
     Reference::kLibtorch, 0.80, true, 0, 0.1, 5, 0},
    {"layernorm_fwd_bwd",
     "y = (x - x.mean(-1)) * rsqrt(x.var(-1, correction 0) + 1e-5) on [256, 1024] float32, then "
     "(y * g).sum().backward()",
     Reference::kLibtorch, 0.80, true, 0, 0.1, 5, 0},
    {"lenet_step",
     "LeNet-style CNN training step at batch 64 on [64, 1, 28, 28] float32: conv 1->32 3x3, relu, maxpool 2, "
     "conv 32->64 3x3, relu, maxpool 2, linear 1600->128, relu, linear 128->10; zero_grad, forward, "
     "cross_entropy, backward, SGD momentum 0.9 step",
     Reference::kLibtorch, 0.60, true, kLeNetStepFlops, 0.5, 5, 0},
    {"transformer_fwd_bwd",
     "TransformerEncoderLayer (d_model 256, 4 heads, ffn 1024, relu, dropout 0.1, training) on [128, 16, "
     "256] "
     "float32 (seq, batch, d): forward, (y * g).sum().backward() into the parameters",
     Reference::kLibtorch, 0.85, true, kTransformerLayerFlops, 0.5, 3, 0},
};
inline constexpr size_t kNumWorkloads = std::size(kWorkloads);

// The position of a workload in kWorkloads; throws for a name that is not there.
inline size_t workload_index(std::string_view name) {
  for (size_t i = 0; i < kNumWorkloads; ++i)
    if (name == kWorkloads[i].name) return i;
  throw std::logic_error("strata_bench: no workload named " + std::string(name));
}

inline const Workload* find_workload(std::string_view name) {
  for (const Workload& w : kWorkloads)
    if (name == w.name) return &w;
  return nullptr;
}

using WorkloadFn = void (*)(benchmark::State&);
// One entry per kWorkloads entry, in its order; nullptr where a library does not run that workload.
using WorkloadFns = std::array<WorkloadFn, kNumWorkloads>;

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

// strata: sets its thread count (strata::set_num_threads) and returns its workloads.
WorkloadFns strata_workloads(int threads);

#ifdef STRATA_BENCH_WITH_TORCH
// libtorch: sets its intra-op thread count (torch::set_num_threads; 0 leaves libtorch's default)
// and returns its workloads. Its OpenMP and BLAS threads are fixed by the environment before it
// loads (see settings.h).
WorkloadFns libtorch_workloads(int intra_op_threads);
std::string libtorch_version();
#endif

#ifdef STRATA_BENCH_WITH_OPENBLAS
// OpenBLAS's cblas_sgemm called directly, with `threads` OpenBLAS threads: the GEMM workloads only.
WorkloadFns openblas_workloads(int threads);
std::string openblas_version();
#endif

}  // namespace strata_bench
