// The libtorch side of strata_bench: the same workloads as strata_workloads.cpp, written with
// libtorch's C++ API. Built only when CMake finds libtorch.
#include <torch/types.h>
#include <torch/utils.h>
#include <torch/version.h>

#include "workloads.h"

namespace strata_bench {
namespace {

void add_4(benchmark::State& state) {
  guarded(state, [&] {
    torch::Tensor a = torch::randn({4});
    torch::Tensor b = torch::randn({4});
    for (auto _ : state) {
      torch::Tensor c = a + b;
      benchmark::DoNotOptimize(c.data_ptr());
    }
  });
}

void chain_16(benchmark::State& state) {
  guarded(state, [&] {
    torch::Tensor a = torch::randn({16}, torch::requires_grad());
    torch::Tensor b = torch::randn({16}, torch::requires_grad());
    torch::Tensor c = torch::randn({16}, torch::requires_grad());
    for (auto _ : state) {
      torch::Tensor y = ((a * b) + c).tanh().sum();
      y.backward();
      benchmark::DoNotOptimize(a.grad().data_ptr());
      a.mutable_grad().reset();
      b.mutable_grad().reset();
      c.mutable_grad().reset();
    }
  });
}

void matmul_64(benchmark::State& state) {
  guarded(state, [&] {
    torch::Tensor a = torch::randn({64, 64});
    torch::Tensor b = torch::randn({64, 64});
    for (auto _ : state) {
      torch::Tensor c = a.matmul(b);
      benchmark::DoNotOptimize(c.data_ptr());
    }
  });
}

}  // namespace

std::string register_libtorch_workloads() {
  // strata computes on the calling thread; pinning libtorch to one thread too makes the ratio
  // compare the cost of an op rather than how many cores each library grabs.
  torch::set_num_threads(1);
  using Fn = void (*)(benchmark::State&);
  const Fn fns[] = {add_4, chain_16, matmul_64};
  static_assert(std::size(fns) == std::size(kWorkloads));
  for (size_t i = 0; i < std::size(fns); ++i)
    benchmark::RegisterBenchmark(benchmark_name(kWorkloads[i], "libtorch").c_str(), fns[i]);
  return std::to_string(TORCH_VERSION_MAJOR) + "." + std::to_string(TORCH_VERSION_MINOR);
}

}  // namespace strata_bench
