// The libtorch side of strata_bench: the same workloads as strata_workloads.cpp, written with
// libtorch's C++ API. Built only when CMake finds libtorch.
#include <torch/nn/functional/loss.h>
#include <torch/nn/functional/pooling.h>
#include <torch/nn/module.h>
#include <torch/nn/modules/activation.h>
#include <torch/nn/modules/container/sequential.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/modules/transformerlayer.h>
#include <torch/optim/adam.h>
#include <torch/optim/sgd.h>
#include <torch/types.h>
#include <torch/utils.h>
#include <torch/version.h>

#include "workloads.h"

namespace strata_bench {
namespace {

// libtorch 1.13's C++ zero_grad() zeroes the gradients; dropping them instead does what strata's
// zero_grad() does (PyTorch 2's set_to_none), so both libraries do the same work.
void drop_grads(std::vector<torch::Tensor>& params) {
  for (auto& p : params) p.mutable_grad().reset();
}

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
    std::vector<torch::Tensor> leaves = {torch::randn({16}, torch::requires_grad()),
                                         torch::randn({16}, torch::requires_grad()),
                                         torch::randn({16}, torch::requires_grad())};
    const torch::Tensor &a = leaves[0], &b = leaves[1], &c = leaves[2];
    for (auto _ : state) {
      torch::Tensor y = ((a * b) + c).tanh().sum();
      y.backward();
      benchmark::DoNotOptimize(a.grad().data_ptr());
      drop_grads(leaves);
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
      drop_grads(params);
      torch::Tensor loss = torch::nn::functional::cross_entropy(model->forward(x), y);
      loss.backward();
      opt.step();
      benchmark::DoNotOptimize(loss.data_ptr());
    }
  });
}

void simple_net_forward(benchmark::State& state) {
  guarded(state, [&] {
    auto model = std::make_shared<SimpleNetImpl>(10, 32, 2);
    torch::Tensor x = torch::randn({4, 10});
    for (auto _ : state) {
      torch::Tensor out = model->forward(x);
      benchmark::DoNotOptimize(out.data_ptr());
    }
  });
}

void mlp_adam_step(benchmark::State& state) {
  guarded(state, [&] {
    torch::nn::Sequential model(torch::nn::Linear(784, 1024), torch::nn::ReLU(),
                                torch::nn::Linear(1024, 1024), torch::nn::ReLU(),
                                torch::nn::Linear(1024, 10));
    std::vector<torch::Tensor> params = model->parameters();
    torch::optim::Adam opt(params, torch::optim::AdamOptions(1e-3));
    torch::Tensor x = torch::randn({256, 784});
    torch::Tensor y = torch::randint(0, 10, {256}, torch::kInt64);
    for (auto _ : state) {
      drop_grads(params);
      torch::Tensor loss = torch::nn::functional::cross_entropy(model->forward(x), y);
      loss.backward();
      opt.step();
      benchmark::DoNotOptimize(loss.data_ptr());
    }
  });
}

void sgemm(benchmark::State& state, int64_t n) {
  guarded(state, [&] {
    torch::Tensor a = torch::randn({n, n});
    torch::Tensor b = torch::randn({n, n});
    for (auto _ : state) {
      torch::Tensor c = torch::mm(a, b);
      benchmark::DoNotOptimize(c.data_ptr());
    }
  });
}
void sgemm_1024(benchmark::State& state) { sgemm(state, 1024); }
void sgemm_4096(benchmark::State& state) { sgemm(state, 4096); }

template <typename Fn>
void row_op_fwd_bwd(benchmark::State& state, Fn f) {
  guarded(state, [&] {
    std::vector<torch::Tensor> leaves = {torch::randn({256, 1024}, torch::requires_grad())};
    const torch::Tensor& x = leaves[0];
    torch::Tensor g = torch::randn({256, 1024});
    for (auto _ : state) {
      torch::Tensor y = f(x);
      (y * g).sum().backward();
      benchmark::DoNotOptimize(x.grad().data_ptr());
      drop_grads(leaves);
    }
  });
}

void softmax_fwd_bwd(benchmark::State& state) {
  row_op_fwd_bwd(state, [](const torch::Tensor& x) { return torch::softmax(x, -1); });
}

void layernorm_fwd_bwd(benchmark::State& state) {
  row_op_fwd_bwd(state, [](const torch::Tensor& x) {
    torch::Tensor mean = x.mean({-1}, /*keepdim=*/true);
    torch::Tensor var = x.var({-1}, /*unbiased=*/false, /*keepdim=*/true);
    return (x - mean) * torch::rsqrt(var + kLayerNormEps);
  });
}

struct LeNetImpl : torch::nn::Module {
  torch::nn::Conv2d conv1{nullptr}, conv2{nullptr};
  torch::nn::Linear fc1{nullptr}, fc2{nullptr};
  LeNetImpl()
      : conv1(register_module("conv1", torch::nn::Conv2d(torch::nn::Conv2dOptions(1, 32, 3)))),
        conv2(register_module("conv2", torch::nn::Conv2d(torch::nn::Conv2dOptions(32, 64, 3)))),
        fc1(register_module("fc1", torch::nn::Linear(1600, 128))),
        fc2(register_module("fc2", torch::nn::Linear(128, 10))) {}
  torch::Tensor forward(const torch::Tensor& x) {
    torch::Tensor h = torch::max_pool2d(torch::relu(conv1(x)), 2);
    h = torch::max_pool2d(torch::relu(conv2(h)), 2);
    return fc2(torch::relu(fc1(h.flatten(1))));
  }
};

void lenet_step(benchmark::State& state) {
  guarded(state, [&] {
    auto model = std::make_shared<LeNetImpl>();
    std::vector<torch::Tensor> params = model->parameters();
    torch::optim::SGD opt(params, torch::optim::SGDOptions(0.01).momentum(0.9));
    torch::Tensor x = torch::randn({64, 1, 28, 28});
    torch::Tensor y = torch::randint(0, 10, {64}, torch::kInt64);
    for (auto _ : state) {
      drop_grads(params);
      torch::Tensor loss = torch::nn::functional::cross_entropy(model->forward(x), y);
      loss.backward();
      opt.step();
      benchmark::DoNotOptimize(loss.data_ptr());
    }
  });
}

// libtorch 1.13's TransformerEncoderLayer has no batch_first: it takes (seq, batch, d).
void transformer_fwd_bwd(benchmark::State& state) {
  guarded(state, [&] {
    torch::nn::TransformerEncoderLayer layer(
        torch::nn::TransformerEncoderLayerOptions(256, 4).dim_feedforward(1024));
    layer->train();
    std::vector<torch::Tensor> params = layer->parameters();
    torch::Tensor x = torch::randn({128, 16, 256});
    torch::Tensor g = torch::randn({128, 16, 256});
    for (auto _ : state) {
      torch::Tensor y = layer(x);
      (y * g).sum().backward();
      benchmark::DoNotOptimize(params[0].grad().data_ptr());
      drop_grads(params);
    }
  });
}

}  // namespace

WorkloadFns libtorch_workloads(int intra_op_threads) {
  if (intra_op_threads > 0) torch::set_num_threads(intra_op_threads);
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

std::string libtorch_version() {
  return std::to_string(TORCH_VERSION_MAJOR) + "." + std::to_string(TORCH_VERSION_MINOR);
}

}  // namespace strata_bench
