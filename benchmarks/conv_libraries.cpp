// Which convolution strata should run (issue 5, item 2), decided by measurement: forward + backward of
// the two convolutions of the LeNet-style benchmark network at batch 64, float32, through
//   strata   nn::functional::conv2d (im2col + OpenBLAS GEMM through the bmm kernel slot), with the
//            "big" (one GEMM over the batch per group, a permuting copy) or "per_sample" (a batched
//            GEMM straight on [N, C, L]) layout forced, and "auto" (strata's own choice);
//   onednn   oneDNN 2.6's convolution primitives (forward_training, backward_data, backward_weights
//            with the bias), "plain": on NCHW/OIHW memory as strata holds it, "any": in the layouts
//            oneDNN picks, with the reorders from/to NCHW that strata would need counted in;
//   libtorch torch::conv2d + autograd (Debian's libtorch 1.13, which runs oneDNN for these shapes).
// conv1: x [64, 1, 28, 28] (no input gradient: a first layer), weight [32, 1, 3, 3], bias [32].
// conv2: x [64, 32, 13, 13] (input gradient needed), weight [64, 32, 3, 3], bias [64].
// Kept out of CMake (it needs oneDNN and libtorch); the measured table is at the end.
//
// clang-format off
// Build, from the repository root (Debian 12, g++ 12); the g++ command is one line, split here for reading:
//   apt-get install -y libbenchmark-dev libdnnl-dev libopenblas-dev libtorch-dev
//   cmake -S . -B build-conv -G Ninja -DCMAKE_BUILD_TYPE=Release -DSTRATA_BUILD_BENCHMARKS=OFF
//         -DSTRATA_BUILD_EXAMPLES=OFF && ninja -C build-conv strata
//   g++ -std=c++20 -O3 -DNDEBUG -Wall -Wextra -Wpedantic -Iinclude -Isrc
//       -isystem /usr/include/x86_64-linux-gnu/openblas-pthread -isystem /usr/include/torch/csrc/api/include
//       benchmarks/conv_libraries.cpp -o build-conv/conv_libraries build-conv/libstrata.a
//       /usr/lib/x86_64-linux-gnu/openblas-pthread/libopenblas.so
//       -ltorch -ltorch_cpu -lc10 -ldnnl -lgomp -lfmt -lbenchmark -lpthread -ldl
// Run (about 2 minutes on 2 cores):
//   build-conv/conv_libraries --benchmark_repetitions=5 --benchmark_min_time=0.2
//       --benchmark_enable_random_interleaving=true --benchmark_report_aggregates_only=true
// clang-format on
// Names are <layer>/<library>[/<variant>]/t<threads>. One-thread runs are timed in process CPU time,
// two-thread runs in wall-clock time.
#include <benchmark/benchmark.h>
#include <omp.h>
#include <torch/torch.h>

#include <dnnl.hpp>
#include <string>
#include <unordered_map>

#include "ops/conv.h"
#include "strata/factories.h"
#include "strata/nn/conv.h"
#include "strata/nn/functional/conv.h"
#include "strata/nn/functional/loss.h"
#include "strata/nn/functional/pooling.h"
#include "strata/nn/linear.h"
#include "strata/optim/sgd.h"
#include "strata/threads.h"

namespace {

struct Layer {
  const char* name;
  int64_t N, C, H, W, O, K;
  bool input_grad;
  int64_t OH() const { return H - K + 1; }
  int64_t OW() const { return W - K + 1; }
};
constexpr Layer kConv1{"conv1", 64, 1, 28, 28, 32, 3, false};
constexpr Layer kConv2{"conv2", 64, 32, 13, 13, 64, 3, true};

void set_threads(int threads) {
  strata::set_num_threads(threads);
  omp_set_num_threads(threads);
  torch::set_num_threads(threads);
}

// ---- strata ----
void strata_step(benchmark::State& state, const Layer& l, int threads, strata::ops::ConvLayout layout) {
  set_threads(threads);
  strata::ops::set_conv_layout(layout);
  strata::Generator gen(0);
  strata::Tensor x = strata::randn({l.N, l.C, l.H, l.W}, {}, &gen);
  strata::Tensor w = strata::randn({l.O, l.C, l.K, l.K}, {}, &gen).requires_grad_();
  strata::Tensor b = strata::randn({l.O}, {}, &gen).requires_grad_();
  if (l.input_grad) x.requires_grad_();
  strata::Tensor g = strata::randn({l.N, l.O, l.OH(), l.OW()}, {}, &gen);
  for (auto _ : state) {
    w.set_grad({});
    b.set_grad({});
    if (l.input_grad) x.set_grad({});
    strata::Tensor y = strata::nn::functional::conv2d(x, w, b);
    y.backward(g);
    benchmark::DoNotOptimize(w.grad().data_ptr());
  }
  strata::ops::set_conv_layout(strata::ops::ConvLayout::kAuto);
}

// ---- oneDNN ----
using dnnl::memory;
using Tag = memory::format_tag;

struct Dnnl {
  dnnl::engine eng{dnnl::engine::kind::cpu, 0};
  dnnl::stream s{eng};
};

// `user` in the layout `want`: a reorder into `scratch` when they differ (then `user` is unchanged).
memory as_layout(Dnnl& d, memory& user, const memory::desc& want, memory& scratch) {
  if (user.get_desc() == want) return user;
  if (!scratch || scratch.get_desc() != want) scratch = memory(want, d.eng);
  dnnl::reorder(user, scratch).execute(d.s, user, scratch);
  return scratch;
}
void back_to(Dnnl& d, memory& produced, memory& user) {
  if (produced.get(true) != user.get(true)) dnnl::reorder(produced, user).execute(d.s, produced, user);
}

void onednn_step(benchmark::State& state, const Layer& l, int threads, bool any) {
  set_threads(threads);
  Dnnl d;
  const auto f32 = memory::data_type::f32;
  const memory::dims xs{l.N, l.C, l.H, l.W}, ws{l.O, l.C, l.K, l.K}, bs{l.O}, ys{l.N, l.O, l.OH(), l.OW()};
  const memory::dims stride{1, 1}, pad{0, 0};
  const Tag act = any ? Tag::any : Tag::nchw, wt = any ? Tag::any : Tag::oihw;
  const memory::desc x_md(xs, f32, act), w_md(ws, f32, wt), b_md(bs, f32, Tag::x), y_md(ys, f32, act);
  using namespace dnnl;
  const convolution_forward::primitive_desc fwd_pd(
      convolution_forward::desc(prop_kind::forward_training, algorithm::convolution_direct, x_md, w_md, b_md,
                                y_md, stride, pad, pad),
      d.eng);
  const convolution_backward_data::primitive_desc bwd_data_pd(
      convolution_backward_data::desc(algorithm::convolution_direct, x_md, w_md, y_md, stride, pad, pad),
      d.eng, fwd_pd);
  const convolution_backward_weights::primitive_desc bwd_w_pd(
      convolution_backward_weights::desc(algorithm::convolution_direct, x_md, w_md, b_md, y_md, stride, pad,
                                         pad),
      d.eng, fwd_pd);
  convolution_forward fwd(fwd_pd);
  convolution_backward_data bwd_data(bwd_data_pd);
  convolution_backward_weights bwd_w(bwd_w_pd);

  // The user's tensors, in strata's layouts.
  auto plain = [&](const memory::dims& dims, Tag tag) {
    memory m({dims, f32, tag}, d.eng);
    float* p = static_cast<float*>(m.get_data_handle());
    const size_t n = m.get_desc().get_size() / sizeof(float);
    for (size_t i = 0; i < n; ++i) p[i] = static_cast<float>((i * 7919) % 1000) / 1000.0f - 0.5f;
    return m;
  };
  memory x = plain(xs, Tag::nchw), w = plain(ws, Tag::oihw), b = plain(bs, Tag::x), y = plain(ys, Tag::nchw);
  memory gy = plain(ys, Tag::nchw), gx = plain(xs, Tag::nchw), gw = plain(ws, Tag::oihw),
         gb = plain(bs, Tag::x);
  memory x_s, w_s, y_s, gy_s, gy_s2, gx_s, gw_s, w_s2;
  for (auto _ : state) {
    memory xi = as_layout(d, x, fwd_pd.src_desc(), x_s), wi = as_layout(d, w, fwd_pd.weights_desc(), w_s);
    memory yo =
        y.get_desc() == fwd_pd.dst_desc() ? y : (y_s ? y_s : (y_s = memory(fwd_pd.dst_desc(), d.eng)));
    fwd.execute(d.s, {{DNNL_ARG_SRC, xi}, {DNNL_ARG_WEIGHTS, wi}, {DNNL_ARG_BIAS, b}, {DNNL_ARG_DST, yo}});
    back_to(d, yo, y);
    if (l.input_grad) {
      memory gyi = as_layout(d, gy, bwd_data_pd.diff_dst_desc(), gy_s);
      memory wi2 = as_layout(d, w, bwd_data_pd.weights_desc(), w_s2);
      memory gxo = gx.get_desc() == bwd_data_pd.diff_src_desc()
                       ? gx
                       : (gx_s ? gx_s : (gx_s = memory(bwd_data_pd.diff_src_desc(), d.eng)));
      bwd_data.execute(d.s, {{DNNL_ARG_DIFF_DST, gyi}, {DNNL_ARG_WEIGHTS, wi2}, {DNNL_ARG_DIFF_SRC, gxo}});
      back_to(d, gxo, gx);
    }
    memory gyi = as_layout(d, gy, bwd_w_pd.diff_dst_desc(), gy_s2);
    memory xi2 = as_layout(d, x, bwd_w_pd.src_desc(), x_s);
    memory gwo = gw.get_desc() == bwd_w_pd.diff_weights_desc()
                     ? gw
                     : (gw_s ? gw_s : (gw_s = memory(bwd_w_pd.diff_weights_desc(), d.eng)));
    bwd_w.execute(d.s, {{DNNL_ARG_SRC, xi2},
                        {DNNL_ARG_DIFF_DST, gyi},
                        {DNNL_ARG_DIFF_WEIGHTS, gwo},
                        {DNNL_ARG_DIFF_BIAS, gb}});
    back_to(d, gwo, gw);
    d.s.wait();
    benchmark::DoNotOptimize(gw.get_data_handle());
  }
}

// ---- libtorch ----
void torch_step(benchmark::State& state, const Layer& l, int threads) {
  set_threads(threads);
  torch::manual_seed(0);
  torch::Tensor x = torch::randn({l.N, l.C, l.H, l.W});
  torch::Tensor w = torch::randn({l.O, l.C, l.K, l.K}).requires_grad_();
  torch::Tensor b = torch::randn({l.O}).requires_grad_();
  if (l.input_grad) x.requires_grad_();
  torch::Tensor g = torch::randn({l.N, l.O, l.OH(), l.OW()});
  for (auto _ : state) {
    w.mutable_grad() = torch::Tensor();
    b.mutable_grad() = torch::Tensor();
    if (l.input_grad) x.mutable_grad() = torch::Tensor();
    torch::Tensor y = torch::conv2d(x, w, b);
    y.backward(g);
    benchmark::DoNotOptimize(w.grad().data_ptr());
  }
}

// ---- the whole LeNet-style training step (the benchmark), to see the convolutions in it ----
struct LeNet : strata::nn::Module {
  strata::nn::Conv2d conv1{1, 32, 3}, conv2{32, 64, 3};
  strata::nn::Linear fc1{1600, 128}, fc2{128, 10};
  strata::Tensor forward(const strata::Tensor& x) {
    namespace F = strata::nn::functional;
    strata::Tensor h = F::max_pool2d(conv1(x).relu(), 2);
    h = F::max_pool2d(conv2(h).relu(), 2);
    return fc2(fc1(h.flatten(1)).relu());
  }
  STRATA_MODULE(LeNet, conv1, conv2, fc1, fc2)
};

void strata_lenet(benchmark::State& state, int threads) {
  set_threads(threads);
  LeNet model;
  strata::optim::SGD opt(model.parameters(), {.lr = 0.01, .momentum = 0.9});
  strata::Generator gen(0);
  strata::Tensor x = strata::randn({64, 1, 28, 28}, {}, &gen);
  strata::Tensor y = strata::randint(0, 10, {64}, {}, &gen);
  for (auto _ : state) {
    model.zero_grad();
    strata::Tensor loss = strata::nn::functional::cross_entropy(model(x), y);
    loss.backward();
    opt.step();
    benchmark::DoNotOptimize(loss.data_ptr());
  }
}

struct TorchLeNet : torch::nn::Module {
  torch::nn::Conv2d conv1{nullptr}, conv2{nullptr};
  torch::nn::Linear fc1{nullptr}, fc2{nullptr};
  TorchLeNet()
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

void torch_lenet(benchmark::State& state, int threads) {
  set_threads(threads);
  auto model = std::make_shared<TorchLeNet>();
  std::vector<torch::Tensor> params = model->parameters();
  torch::optim::SGD opt(params, torch::optim::SGDOptions(0.01).momentum(0.9));
  torch::Tensor x = torch::randn({64, 1, 28, 28});
  torch::Tensor y = torch::randint(0, 10, {64}, torch::kInt64);
  for (auto _ : state) {
    for (auto& p : params) p.mutable_grad() = torch::Tensor();
    torch::Tensor loss = torch::nn::functional::cross_entropy(model->forward(x), y);
    loss.backward();
    opt.step();
    benchmark::DoNotOptimize(loss.data_ptr());
  }
}

void register_all() {
  for (const Layer* l : {&kConv1, &kConv2}) {
    for (int t : {1, 2}) {
      const std::string suffix = "/t" + std::to_string(t);
      const std::string base = std::string(l->name) + "/";
      auto reg = [&](const std::string& name, auto fn) {
        auto* b = benchmark::RegisterBenchmark(name.c_str(), fn)->Unit(benchmark::kMillisecond);
        if (t == 1)
          b->MeasureProcessCPUTime();
        else
          b->UseRealTime();
      };
      using strata::ops::ConvLayout;
      for (auto [layout, name] : {std::pair{ConvLayout::kAuto, "auto"}, std::pair{ConvLayout::kBatch, "big"},
                                  std::pair{ConvLayout::kPerSample, "per_sample"}})
        reg(base + "strata/" + name + suffix,
            [l, t, layout](benchmark::State& s) { strata_step(s, *l, t, layout); });
      reg(base + "onednn/plain" + suffix, [l, t](benchmark::State& s) { onednn_step(s, *l, t, false); });
      reg(base + "onednn/any" + suffix, [l, t](benchmark::State& s) { onednn_step(s, *l, t, true); });
      reg(base + "libtorch" + suffix, [l, t](benchmark::State& s) { torch_step(s, *l, t); });
    }
  }
  for (int t : {1, 2}) {
    auto reg = [&](const std::string& name, auto fn) {
      auto* b = benchmark::RegisterBenchmark(name.c_str(), fn)->Unit(benchmark::kMillisecond);
      if (t == 1)
        b->MeasureProcessCPUTime();
      else
        b->UseRealTime();
    };
    reg("lenet_step/strata/t" + std::to_string(t), [t](benchmark::State& s) { strata_lenet(s, t); });
    reg("lenet_step/libtorch/t" + std::to_string(t), [t](benchmark::State& s) { torch_lenet(s, t); });
  }
}

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  register_all();
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
