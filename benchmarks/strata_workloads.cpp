// The strata side of strata_bench: each workload written the way a user would write it.
#include <strata/nn/conv.h>
#include <strata/nn/functional/pooling.h>
#include <strata/nn/transformer.h>
#include <strata/strata.h>
#include <strata/threads.h>

#include "workloads.h"

namespace strata_bench {
namespace {

using strata::Tensor;
namespace F = strata::nn::functional;
namespace nn = strata::nn;

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

struct SimpleNet : nn::Module {
  nn::Linear fc1;
  nn::ReLU relu;
  nn::Linear fc2;
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
      Tensor loss = F::cross_entropy(model(x), y);
      loss.backward();
      opt.step();
      benchmark::DoNotOptimize(loss.data_ptr());
    }
  });
}

void simple_net_forward(benchmark::State& state) {
  guarded(state, [&] {
    SimpleNet model(10, 32, 2);
    Tensor x = strata::randn({4, 10});
    for (auto _ : state) {
      Tensor out = model(x);
      benchmark::DoNotOptimize(out.data_ptr());
    }
  });
}

void mlp_adam_step(benchmark::State& state) {
  guarded(state, [&] {
    nn::Sequential model(nn::Linear(784, 1024), nn::ReLU(), nn::Linear(1024, 1024), nn::ReLU(),
                         nn::Linear(1024, 10));
    strata::optim::Adam opt(model.parameters(), {.lr = 1e-3});
    Tensor x = strata::randn({256, 784});
    Tensor y = strata::randint(0, 10, {256});
    for (auto _ : state) {
      opt.zero_grad();
      Tensor loss = F::cross_entropy(model(x), y);
      loss.backward();
      opt.step();
      benchmark::DoNotOptimize(loss.data_ptr());
    }
  });
}

void sgemm(benchmark::State& state, int64_t n) {
  guarded(state, [&] {
    Tensor a = strata::randn({n, n});
    Tensor b = strata::randn({n, n});
    for (auto _ : state) {
      Tensor c = a.matmul(b);
      benchmark::DoNotOptimize(c.data_ptr());
    }
  });
}
void sgemm_1024(benchmark::State& state) { sgemm(state, 1024); }
void sgemm_4096(benchmark::State& state) { sgemm(state, 4096); }

// Forward and backward of f(x) over a [256, 1024] leaf; (y * g).sum() rather than y.sum(), whose
// gradient through a softmax or a normalisation is zero and could be short-cut.
template <typename Fn>
void row_op_fwd_bwd(benchmark::State& state, Fn f) {
  guarded(state, [&] {
    Tensor x = strata::randn({256, 1024}).requires_grad_();
    Tensor g = strata::randn({256, 1024});
    for (auto _ : state) {
      Tensor y = f(x);
      (y * g).sum().backward();
      benchmark::DoNotOptimize(x.grad().data_ptr());
      x.set_grad(Tensor());
    }
  });
}

void softmax_fwd_bwd(benchmark::State& state) {
  row_op_fwd_bwd(state, [](const Tensor& x) { return strata::softmax(x, -1); });
}

void layernorm_fwd_bwd(benchmark::State& state) {
  row_op_fwd_bwd(state, [](const Tensor& x) {
    Tensor mean = strata::mean(x, {-1}, /*keepdim=*/true);
    Tensor var = strata::var(x, {-1}, /*correction=*/0, /*keepdim=*/true);
    return (x - mean) * strata::rsqrt(var + kLayerNormEps);
  });
}

struct LeNet : nn::Module {
  nn::Conv2d conv1{1, 32, 3};
  nn::Conv2d conv2{32, 64, 3};
  nn::Linear fc1{1600, 128};
  nn::Linear fc2{128, 10};
  Tensor forward(const Tensor& x) {
    Tensor h = F::max_pool2d(F::relu(conv1(x)), 2);
    h = F::max_pool2d(F::relu(conv2(h)), 2);
    return fc2(F::relu(fc1(h.flatten(1))));
  }
  STRATA_MODULE(LeNet, conv1, conv2, fc1, fc2)
};

void lenet_step(benchmark::State& state) {
  guarded(state, [&] {
    LeNet model;
    strata::optim::SGD opt(model.parameters(), {.lr = 0.01, .momentum = 0.9});
    Tensor x = strata::randn({64, 1, 28, 28});
    Tensor y = strata::randint(0, 10, {64});
    for (auto _ : state) {
      opt.zero_grad();
      Tensor loss = F::cross_entropy(model(x), y);
      loss.backward();
      opt.step();
      benchmark::DoNotOptimize(loss.data_ptr());
    }
  });
}

// The same (seq, batch, d) layout libtorch 1.13 is fed.
void transformer_fwd_bwd(benchmark::State& state) {
  guarded(state, [&] {
    nn::TransformerEncoderLayer layer(256, 4, 1024);
    std::vector<Tensor> params = layer.parameters();
    Tensor x = strata::randn({128, 16, 256});
    Tensor g = strata::randn({128, 16, 256});
    for (auto _ : state) {
      Tensor y = layer(x);
      (y * g).sum().backward();
      benchmark::DoNotOptimize(params[0].grad().data_ptr());
      layer.zero_grad();
    }
  });
}

}  // namespace

WorkloadFns strata_workloads(int threads) {
  strata::set_num_threads(threads);
  WorkloadFns fns{};
  fns.at(workload_index("add_4")) = add_4;
  fns.at(workload_index("chain_16")) = chain_16;
  fns.at(workload_index("matmul_64")) = matmul_64;
  fns.at(workload_index("simple_net_step")) = simple_net_step;
  fns.at(workload_index("simple_net_forward")) = simple_net_forward;
  fns.at(workload_index("mlp_adam_step")) = mlp_adam_step;
  fns.at(workload_index("sgemm_1024")) = sgemm_1024;
  fns.at(workload_index("sgemm_4096")) = sgemm_4096;
  fns.at(workload_index("softmax_fwd_bwd")) = softmax_fwd_bwd;
  fns.at(workload_index("layernorm_fwd_bwd")) = layernorm_fwd_bwd;
  fns.at(workload_index("lenet_step")) = lenet_step;
  fns.at(workload_index("transformer_fwd_bwd")) = transformer_fwd_bwd;
  return fns;
}

}  // namespace strata_bench
