// Timing driver for the CPU elementwise, reduction and softmax kernels at 1 and 2 threads: the
// figures behind the kernel choices in src/backend/cpu/ (instruction sets, grain sizes). Not built
// by CMake, and not a test; build it by hand against a Release build of the library (one line):
//   g++ -O2 -std=c++20 -Iinclude benchmarks/kernels_bench.cpp build-vec/libstrata.a -lfmt
//       /usr/lib/x86_64-linux-gnu/openblas-pthread/libopenblas.so -lpthread -o /tmp/kernels_bench
//   /tmp/kernels_bench [substring of workload names] [--reps=N]
// Each figure is the fastest of several batches (the machine is shared: the minimum is the figure
// least disturbed by other processes).
#include <strata/strata.h>
#include <strata/threads.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

using strata::Tensor;

namespace {

int g_reps = 7;

// Microseconds per call of f at 1 and at 2 threads: calls are batched so that each timed batch
// lasts >= ~10 ms, batches at 1 and 2 threads alternate (so that a change in the machine's load
// hits both alike), and the fastest of g_reps batches counts for each.
std::array<double, 2> time_us(const std::function<void()>& f) {
  using clock = std::chrono::steady_clock;
  strata::set_num_threads(2);
  f();  // warm up caches, the pool and the allocator
  strata::set_num_threads(1);
  f();
  int64_t calls = 1;
  for (;;) {
    const auto t0 = clock::now();
    for (int64_t i = 0; i < calls; ++i) f();
    const double us = std::chrono::duration<double, std::micro>(clock::now() - t0).count();
    if (us > 10000 || calls > (int64_t{1} << 24)) break;
    calls *= 2;
  }
  std::array<double, 2> best{1e300, 1e300};
  for (int r = 0; r < g_reps; ++r) {
    for (int threads : {1, 2}) {
      strata::set_num_threads(threads);
      const auto t0 = clock::now();
      for (int64_t i = 0; i < calls; ++i) f();
      const double us = std::chrono::duration<double, std::micro>(clock::now() - t0).count() / calls;
      best[threads - 1] = std::min(best[threads - 1], us);
    }
  }
  return best;
}

struct Workload {
  std::string name;
  std::function<std::function<void()>()> make;  // builds the operands, returns the timed call
};

std::function<void()> row_fwd_bwd(std::function<Tensor(const Tensor&)> f, strata::Shape shape) {
  Tensor x = strata::randn(shape).requires_grad_();
  Tensor g = strata::randn(shape);
  return [=]() mutable {
    Tensor y = f(x);
    (y * g).sum().backward();
    x.set_grad(Tensor());
  };
}

std::vector<Workload> workloads() {
  std::vector<Workload> w;
  w.push_back({"softmax_fwd_bwd [256,1024]", [] {
                 return row_fwd_bwd([](const Tensor& x) { return strata::softmax(x, -1); }, {256, 1024});
               }});
  w.push_back({"log_softmax_fwd_bwd [256,1024]", [] {
                 return row_fwd_bwd([](const Tensor& x) { return strata::log_softmax(x, -1); }, {256, 1024});
               }});
  w.push_back({"layernorm_fwd_bwd [256,1024]", [] {
                 return row_fwd_bwd(
                     [](const Tensor& x) {
                       Tensor mean = strata::mean(x, {-1}, true);
                       Tensor var = strata::var(x, {-1}, 0, true);
                       return (x - mean) * strata::rsqrt(var + 1e-5);
                     },
                     {256, 1024});
               }});
  for (int64_t n : {int64_t{4}, int64_t{1} << 12, int64_t{1} << 14, int64_t{1} << 15, int64_t{1} << 16,
                    int64_t{1} << 17, int64_t{1} << 18, int64_t{1} << 19, int64_t{1} << 20}) {
    const std::string s = "[" + std::to_string(n) + "]";
    w.push_back({"add " + s, [n] {
                   Tensor a = strata::randn({n}), b = strata::randn({n});
                   return std::function<void()>([=] { Tensor c = a + b; });
                 }});
    w.push_back({"mul " + s, [n] {
                   Tensor a = strata::randn({n}), b = strata::randn({n});
                   return std::function<void()>([=] { Tensor c = a * b; });
                 }});
    w.push_back({"add_ alpha (SGD) " + s, [n] {
                   Tensor a = strata::randn({n}), b = strata::randn({n});
                   return std::function<void()>([=]() mutable { a.add_(b, -1e-3); });
                 }});
    w.push_back({"mul_ scalar " + s, [n] {
                   Tensor a = strata::randn({n});
                   return std::function<void()>([=]() mutable { a.mul_(0.999); });
                 }});
    w.push_back({"sum " + s, [n] {
                   Tensor a = strata::randn({n});
                   return std::function<void()>([=] { Tensor c = a.sum(); });
                 }});
    w.push_back({"exp " + s, [n] {
                   Tensor a = strata::randn({n});
                   return std::function<void()>([=] { Tensor c = a.exp(); });
                 }});
    w.push_back({"tanh " + s, [n] {
                   Tensor a = strata::randn({n});
                   return std::function<void()>([=] { Tensor c = a.tanh(); });
                 }});
    w.push_back({"sigmoid " + s, [n] {
                   Tensor a = strata::randn({n});
                   return std::function<void()>([=] { Tensor c = strata::sigmoid(a); });
                 }});
    w.push_back({"relu " + s, [n] {
                   Tensor a = strata::randn({n});
                   return std::function<void()>([=] { Tensor c = strata::relu(a); });
                 }});
  }
  w.push_back({"add bias [1024,1024]+[1024]", [] {
                 Tensor a = strata::randn({1024, 1024}), b = strata::randn({1024});
                 return std::function<void()>([=] { Tensor c = a + b; });
               }});
  w.push_back({"add transposed [1024,1024]", [] {
                 Tensor a = strata::randn({1024, 1024}), b = strata::randn({1024, 1024}).t();
                 return std::function<void()>([=] { Tensor c = a + b; });
               }});
  w.push_back({"exp f64 [1M]", [] {
                 Tensor a = strata::randn({1 << 20}, {.dtype = strata::kFloat64});
                 return std::function<void()>([=] { Tensor c = a.exp(); });
               }});
  w.push_back({"sum dim -1 [1024,1024]", [] {
                 Tensor a = strata::randn({1024, 1024});
                 return std::function<void()>([=] { Tensor c = a.sum({-1}); });
               }});
  w.push_back({"sum dim 0 [1024,1024]", [] {
                 Tensor a = strata::randn({1024, 1024});
                 return std::function<void()>([=] { Tensor c = a.sum({0}); });
               }});
  w.push_back({"max all [1M]", [] {
                 Tensor a = strata::randn({1 << 20});
                 return std::function<void()>([=] { Tensor c = strata::max(a); });
               }});
  w.push_back({"mean+var dim -1 [1024,1024]", [] {
                 Tensor a = strata::randn({1024, 1024});
                 return std::function<void()>([=] {
                   Tensor m = a.mean({-1}, true);
                   Tensor v = a.var({-1}, 0, true);
                 });
               }});
  w.push_back({"softmax fwd [256,1024]", [] {
                 Tensor a = strata::randn({256, 1024});
                 return std::function<void()>([=] { Tensor c = strata::softmax(a, -1); });
               }});
  w.push_back({"softmax fwd dim 0 [1024,256]", [] {
                 Tensor a = strata::randn({1024, 256});
                 return std::function<void()>([=] { Tensor c = strata::softmax(a, 0); });
               }});
  w.push_back({"logsumexp [256,1024]", [] {
                 Tensor a = strata::randn({256, 1024});
                 return std::function<void()>([=] { Tensor c = strata::logsumexp(a, {-1}); });
               }});
  for (int64_t rows : {4, 8, 16, 32, 64, 128}) {
    w.push_back({"softmax fwd [" + std::to_string(rows) + ",1024]", [rows] {
                   Tensor a = strata::randn({rows, 1024});
                   return std::function<void()>([=] { Tensor c = strata::softmax(a, -1); });
                 }});
    w.push_back({"sum dim -1 [" + std::to_string(rows * 8) + ",1024]", [rows] {
                   Tensor a = strata::randn({rows * 8, 1024});
                   return std::function<void()>([=] { Tensor c = a.sum({-1}); });
                 }});
    w.push_back({"sum dim 0 [" + std::to_string(rows * 8) + ",1024]", [rows] {
                   Tensor a = strata::randn({rows * 8, 1024});
                   return std::function<void()>([=] { Tensor c = a.sum({0}); });
                 }});
  }
  w.push_back({"softmax fwd [4,2]", [] {
                 Tensor a = strata::randn({4, 2});
                 return std::function<void()>([=] { Tensor c = strata::softmax(a, -1); });
               }});
  return w;
}

}  // namespace

int main(int argc, char** argv) {
  std::string filter;
  for (int i = 1; i < argc; ++i) {
    if (std::strncmp(argv[i], "--reps=", 7) == 0)
      g_reps = std::atoi(argv[i] + 7);
    else
      filter = argv[i];
  }
  std::printf("%-36s %12s %12s %8s\n", "workload", "1 thread us", "2 threads us", "speedup");
  for (const Workload& w : workloads()) {
    if (!filter.empty() && w.name.find(filter) == std::string::npos) continue;
    const auto t = time_us(w.make());
    std::printf("%-36s %12.2f %12.2f %8.2f\n", w.name.c_str(), t[0], t[1], t[0] / t[1]);
    std::fflush(stdout);
  }
}
