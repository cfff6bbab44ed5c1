// The CPU kernels split across threads give the bits they give on one thread: elementwise ops
// (each element's result is independent of the split), and reductions, softmax and logsumexp
// too, because their order of arithmetic is fixed by the shape alone (sums: 16 interleaved
// partial sums per block of 4096 elements, blocks added in order; columns by fixed blocks of rows
// or by slices of columns). Sizes are above the kernels' grains (src/backend/cpu/loops.h), with
// odd lengths, so that chunks end inside vectors and innermost runs.
#include <gtest/gtest.h>

#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include "strata/factories.h"
#include "strata/ops.h"
#include "strata/threads.h"
#include "support/test_util.h"

namespace strata {
namespace {

class ThreadsGuard {
 public:
  ThreadsGuard() : saved_(get_num_threads()) {}
  ~ThreadsGuard() { set_num_threads(saved_); }
  ThreadsGuard(const ThreadsGuard&) = delete;
  ThreadsGuard& operator=(const ThreadsGuard&) = delete;

 private:
  int saved_;
};

Tensor random(const Shape& shape, uint64_t seed, DType dtype = kFloat32) {
  Generator g(seed);
  return randn(shape, {.dtype = dtype}, &g);
}

// The raw bytes of t, contiguous.
std::vector<unsigned char> bytes_of(const Tensor& t) {
  const Tensor c = t.contiguous();
  const auto* p = static_cast<const unsigned char*>(c.data_ptr());
  return {p, p + c.numel() * static_cast<int64_t>(element_size(c.dtype()))};
}

// f's result at 1 thread, and at 2 and 3 threads, must be the same bytes.
void expect_thread_invariant(const std::string& what, const std::function<Tensor()>& f) {
  ThreadsGuard guard;
  set_num_threads(1);
  const auto one = bytes_of(f());
  for (int threads : {2, 3}) {
    set_num_threads(threads);
    const auto many = bytes_of(f());
    EXPECT_TRUE(one == many) << what << " differs between 1 and " << threads << " threads";
  }
}

TEST(CpuKernelsThreads, ElementwiseIsBitwiseTheSame) {
  for (DType dtype : {kFloat32, kFloat64}) {
    const int64_t n = 300007;
    const Tensor a = random({n}, 1, dtype), b = random({n}, 2, dtype);
    const Tensor m = random({517, 1031}, 3, dtype);  // transposed below: runs split mid-row
    const Tensor bias = random({1031}, 4, dtype);
    const std::string d(dtype_name(dtype));
    expect_thread_invariant("add " + d, [&] { return a + b; });
    expect_thread_invariant("sub alpha " + d, [&] { return sub(a, b, 0.7); });
    expect_thread_invariant("mul scalar " + d, [&] { return a * 1.25; });
    expect_thread_invariant("div " + d, [&] { return a / b; });
    expect_thread_invariant("maximum " + d, [&] { return maximum(a, b); });
    expect_thread_invariant("pow " + d, [&] { return pow(abs(a), b); });
    expect_thread_invariant("exp " + d, [&] { return exp(a); });
    expect_thread_invariant("log " + d, [&] { return log(abs(a)); });
    expect_thread_invariant("tanh " + d, [&] { return tanh(a); });
    expect_thread_invariant("sigmoid " + d, [&] { return sigmoid(a); });
    expect_thread_invariant("gelu erf " + d, [&] { return gelu(a); });
    expect_thread_invariant("relu " + d, [&] { return relu(a); });
    expect_thread_invariant("compare " + d, [&] { return a < b; });
    expect_thread_invariant("where " + d, [&] { return where(a < b, a, b); });
    expect_thread_invariant("clamp " + d, [&] { return clamp(a, -0.5, 0.5); });
    expect_thread_invariant("bias add " + d, [&] { return m + bias; });
    expect_thread_invariant("transposed add " + d, [&] { return m.t() + m.t().contiguous(); });
    expect_thread_invariant("transposed exp " + d, [&] { return exp(m.t()); });
    expect_thread_invariant("copy transposed " + d, [&] { return m.t().contiguous(); });
    expect_thread_invariant("convert " + d, [&] { return a.to(kFloat16).to(kInt32); });
    expect_thread_invariant("in place " + d, [&] {
      Tensor c = a.clone();
      c.add_(b, -0.01).mul_(0.9);
      return c;
    });
  }
  const Tensor i = (random({200003}, 5) * 100).to(kInt64);
  expect_thread_invariant("int64 add", [&] { return i + i; });
}

TEST(CpuKernelsThreads, ReductionsAreBitwiseTheSame) {
  for (DType dtype : {kFloat32, kFloat64}) {
    const std::string d(dtype_name(dtype));
    const Tensor flat = random({1000003}, 6, dtype);
    const Tensor rows = random({301, 1003}, 7, dtype);
    const Tensor narrow = random({100003, 7}, 8, dtype);
    const Tensor wide = random({701, 1201}, 9, dtype);
    expect_thread_invariant("sum all " + d, [&] { return flat.sum(); });
    expect_thread_invariant("mean all " + d, [&] { return flat.mean(); });
    expect_thread_invariant("max all " + d, [&] { return flat.max(); });
    expect_thread_invariant("min all " + d, [&] { return flat.min(); });
    expect_thread_invariant("sum rows " + d, [&] { return rows.sum({1}); });
    expect_thread_invariant("mean rows " + d, [&] { return rows.mean({1}); });
    expect_thread_invariant("var rows " + d, [&] { return rows.var({1}); });
    expect_thread_invariant("sum narrow columns " + d, [&] { return narrow.sum({0}); });
    expect_thread_invariant("max narrow columns " + d, [&] { return norm(narrow, test::kInf, {0}); });
    expect_thread_invariant("sum wide columns " + d, [&] { return wide.sum({0}); });
    expect_thread_invariant("mean wide columns " + d, [&] { return wide.mean({0}); });
    expect_thread_invariant("sum of transposed " + d, [&] { return wide.t().sum({1}); });
  }
}

TEST(CpuKernelsThreads, SoftmaxAndLogsumexpAreBitwiseTheSame) {
  for (DType dtype : {kFloat32, kFloat64}) {
    const std::string d(dtype_name(dtype));
    const Tensor x = random({257, 1031}, 10, dtype);
    const Tensor g = random({257, 1031}, 11, dtype);
    for (int64_t dim : {0, 1}) {
      const std::string what = d + " dim " + std::to_string(dim);
      expect_thread_invariant("softmax " + what, [&] { return softmax(x, dim); });
      expect_thread_invariant("log_softmax " + what, [&] { return log_softmax(x, dim); });
      expect_thread_invariant("logsumexp " + what, [&] { return logsumexp(x, {dim}); });
      expect_thread_invariant("softmax backward " + what, [&] {
        Tensor leaf = x.detach().requires_grad_();
        (softmax(leaf, dim) * g).sum().backward();
        return leaf.grad();
      });
      expect_thread_invariant("log_softmax backward " + what, [&] {
        Tensor leaf = x.detach().requires_grad_();
        (log_softmax(leaf, dim) * g).sum().backward();
        return leaf.grad();
      });
    }
    expect_thread_invariant("logsumexp all " + d, [&] { return logsumexp(x, {0, 1}); });
  }
}

}  // namespace
}  // namespace strata
