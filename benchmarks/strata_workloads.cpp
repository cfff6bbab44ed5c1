// The strata side of strata_bench: each workload written the way a user would write it.
#include <strata/strata.h>

#include "workloads.h"

namespace strata_bench {
namespace {

using strata::Tensor;

void add_4(benchmark::State& state) {
  guarded(state, [&] {
    Tensor a = strata::randn({4});
    Tensor b = strata::randn({4});
    for (auto _ : state) {
      Tensor c = a + b;
      benchmark::DoNotOptimize(c.data_ptr());
    }
  });
}

void chain_16(benchmark::State& state) {
  guarded(state, [&] {
    Tensor a = strata::randn({16}).requires_grad_();
    Tensor b = strata::randn({16}).requires_grad_();
    Tensor c = strata::randn({16}).requires_grad_();
    for (auto _ : state) {
      Tensor y = ((a * b) + c).tanh().sum();
      y.backward();
      benchmark::DoNotOptimize(a.grad().data_ptr());
      // Dropping the gradients (PyTorch's zero_grad(set_to_none=True)) keeps every iteration
      // the same: nothing accumulates into an existing gradient.
      a.set_grad(Tensor());
      b.set_grad(Tensor());
      c.set_grad(Tensor());
    }
  });
}

void matmul_64(benchmark::State& state) {
  guarded(state, [&] {
    Tensor a = strata::randn({64, 64});
    Tensor b = strata::randn({64, 64});
    for (auto _ : state) {
      Tensor c = a.matmul(b);
      benchmark::DoNotOptimize(c.data_ptr());
    }
  });
}

struct SimpleNet : strata::nn::Module {
  strata::nn::Linear fc1;
  strata::nn::ReLU relu;
  strata::nn::Linear fc2;
  SimpleNet(int64_t in, int64_t hidden, int64_t out) : fc1(in, hidden), fc2(hidden, out) {}
  Tensor forward(const Tensor& x) { return fc2(relu(fc1(x))); }
  STRATA_MODULE(SimpleNet, fc1, relu, fc2)
};

void simple_net_step(benchmark::State& state) {
  guarded(state, [&] {
    SimpleNet model(10, 32, 2);
    strata::optim::SGD opt(model.parameters(), {.lr = 0.01});
    Tensor x = strata::randn({4, 10});
    Tensor y = strata::tensor({0, 1, 1, 0}, {.dtype = strata::kInt64});
    for (auto _ : state) {
      opt.zero_grad();
      Tensor loss = strata::nn::functional::cross_entropy(model(x), y);
      loss.backward();
      opt.step();
      benchmark::DoNotOptimize(loss.data_ptr());
    }
  });
}

}  // namespace

void register_strata_workloads() {
  using Fn = void (*)(benchmark::State&);
  const Fn fns[] = {add_4, chain_16, matmul_64, simple_net_step};
  static_assert(std::size(fns) == std::size(kWorkloads));
  for (size_t i = 0; i < std::size(fns); ++i)
    benchmark::RegisterBenchmark(benchmark_name(kWorkloads[i], "strata").c_str(), fns[i]);
}

}  // namespace strata_bench
