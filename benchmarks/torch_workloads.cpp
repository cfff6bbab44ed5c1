// The libtorch side of strata_bench: the same workloads as strata_workloads.cpp, written with
// libtorch's C++ API. Built only when CMake finds libtorch.
#include <torch/nn/functional/loss.h>
#include <torch/nn/module.h>
#include <torch/nn/modules/linear.h>
#include <torch/optim/sgd.h>
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

struct SimpleNetImpl : torch::nn::Module {
  torch::nn::Linear fc1{nullptr}, fc2{nullptr};
  SimpleNetImpl(int64_t in, int64_t hidden, int64_t out)
      : fc1(register_module("fc1", torch::nn::Linear(in, hidden))),
        fc2(register_module("fc2", torch::nn::Linear(hidden, out))) {}
  torch::Tensor forward(const torch::Tensor& x) { return fc2(torch::relu(fc1(x))); }
};

void simple_net_step(benchmark::State& state) {
  guarded(state, [&] {
    auto model = std::make_shared<SimpleNetImpl>(10, 32, 2);
    std::vector<torch::Tensor> params = model->parameters();
    torch::optim::SGD opt(params, torch::optim::SGDOptions(0.01));
    torch::Tensor x = torch::randn({4, 10});
    torch::Tensor y = torch::tensor({0, 1, 1, 0}, torch::kInt64);
    for (auto _ : state) {
      // libtorch 1.13's C++ zero_grad() zeroes the gradients; drop them instead, as strata's
      // zero_grad() does (PyTorch 2's set_to_none), so both do the same work.
      for (auto& p : params) p.mutable_grad().reset();
      torch::Tensor loss = torch::nn::functional::cross_entropy(model->forward(x), y);
      loss.backward();
      opt.step();
      benchmark::DoNotOptimize(loss.data_ptr());
    }
  });
}

}  // namespace

std::string register_libtorch_workloads() {
  // strata computes on the calling thread; pinning libtorch to one thread too makes the ratio
  // compare the cost of an op rather than how many cores each library grabs.
  torch::set_num_threads(1);
  using Fn = void (*)(benchmark::State&);
  const Fn fns[] = {add_4, chain_16, matmul_64, simple_net_step};
  static_assert(std::size(fns) == std::size(kWorkloads));
  for (size_t i = 0; i < std::size(fns); ++i)
    benchmark::RegisterBenchmark(benchmark_name(kWorkloads[i], "libtorch").c_str(), fns[i]);
  return std::to_string(TORCH_VERSION_MAJOR) + "." + std::to_string(TORCH_VERSION_MINOR);
}

}  // namespace strata_bench
