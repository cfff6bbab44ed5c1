// The bmm kernel over OpenBLAS (src/backend/cpu/matmul*.cpp): every route (strata's own kernel for
// tiny and integer products, cblas gemv for one row or column, cblas gemm otherwise) against a
// float64 loop, over transpose flags, strided / sliced / broadcast / stride-0 operands, `add`,
// K = 0, outputs holding NaN beforehand, non-contiguous outputs, products split across threads,
// and BLAS called from two threads at once.
#include <array>
#include <cmath>
#include <cstdint>
#include <string>
#include <thread>
#include <vector>

#include "backend/cpu/matmul.h"
#include "backend/cpu/matmul_blas.h"
#include "backend/kernels.h"
#include "strata/threads.h"
#include "support/test_util.h"

using namespace strata;
using strata::test::expect_values;

namespace {

// add + op(a) @ op(b) with plain loops in double, from the logical values; out is [M, N] or
// [batches, M, N], operands broadcast to it as the kernel reads them.
std::vector<double> reference(const Shape& out_shape, const Tensor& a, const Tensor& b, const Tensor& add,
                              bool ta, bool tb) {
  const bool batched = out_shape.size() == 3;
  const int64_t batches = batched ? out_shape[0] : 1, M = out_shape[out_shape.size() - 2],
                N = out_shape[out_shape.size() - 1];
  const Tensor oa = ta ? a.mT() : a, ob = tb ? b.mT() : b;
  const int64_t K = oa.size(-1);
  auto values = [&](const Tensor& t, int64_t rows, int64_t cols) {
    const Tensor t3 = t.dim() == 2 ? t.unsqueeze(0) : t;
    return t3.expand({batches, rows, cols}).to(kFloat64).contiguous().to_vector<double>();
  };
  const auto av = values(oa, M, K), bv = values(ob, K, N);
  std::vector<double> out(static_cast<size_t>(batches * M * N), 0.0);
  if (add.defined()) out = add.to(kFloat64).expand(out_shape).contiguous().to_vector<double>();
  for (int64_t p = 0; p < batches; ++p)
    for (int64_t i = 0; i < M; ++i)
      for (int64_t j = 0; j < N; ++j) {
        double s = 0;
        for (int64_t k = 0; k < K; ++k) s += av[(p * M + i) * K + k] * bv[(p * K + k) * N + j];
        out[(p * M + i) * N + j] += s;
      }
  return out;
}

double tolerance(DType dt, int64_t K) {
  return dt == kFloat32 ? 2e-6 * static_cast<double>(K + 8) : 1e-12 * K;
}

// The ways an operand of logical shape [batches, rows, cols] is laid out in memory.
enum class Layout { kContiguous, kColumnMajor, kPadded, kStepped, kBatchBroadcast, kRowBroadcast };
const std::array<Layout, 6> kLayouts = {Layout::kContiguous, Layout::kColumnMajor,    Layout::kPadded,
                                        Layout::kStepped,    Layout::kBatchBroadcast, Layout::kRowBroadcast};
const char* layout_name(Layout l) {
  switch (l) {
    case Layout::kContiguous:
      return "contiguous";
    case Layout::kColumnMajor:
      return "column-major";
    case Layout::kPadded:
      return "padded rows (slice)";
    case Layout::kStepped:
      return "every other column (step slice)";
    case Layout::kBatchBroadcast:
      return "batch stride 0";
    default:
      return "row stride 0";
  }
}

Tensor make(Layout l, int64_t batches, int64_t rows, int64_t cols, DType dt, Generator& g) {
  switch (l) {
    case Layout::kContiguous:
      return randn({batches, rows, cols}, {.dtype = dt}, &g);
    case Layout::kColumnMajor:
      return randn({batches, cols, rows}, {.dtype = dt}, &g).mT();
    case Layout::kPadded:  // BLAS reads it in place with a leading dimension above the row length
      return randn({batches, rows + 3, cols + 5}, {.dtype = dt}, &g)
          .slice(1, 1, rows + 1)
          .slice(2, 2, cols + 2);
    case Layout::kStepped:  // no unit stride: copied before BLAS
      return randn({batches, rows, 2 * cols}, {.dtype = dt}, &g).slice(2, 0, 2 * cols, 2);
    case Layout::kBatchBroadcast:
      return randn({1, rows, cols}, {.dtype = dt}, &g).expand({batches, rows, cols});
    default:  // every row the same: stride 0 inside the matrix
      return randn({batches, 1, cols}, {.dtype = dt}, &g).expand({batches, rows, cols});
  }
}

// Runs the kernel into an output that holds NaN beforehand (a result that read it would show).
Tensor run_kernel(const Shape& out_shape, const Tensor& a, const Tensor& b, const Tensor& add, bool ta,
                  bool tb, DType dt) {
  Tensor out = full(out_shape, std::nan(""), {.dtype = dt});
  backend::cpu_kernels().bmm(out, a, b, add, ta, tb);
  return out;
}

using backend::cpu::MatmulRoute;

struct Dims {
  int64_t batches, M, N, K;
  MatmulRoute route;  // the route the shape is chosen to exercise (checked)
};

// Shapes that take each route: strata's kernel for tiny, thin-and-tiny, few-column and short-K
// products; one gemv per row or column of C; gemm (also with K = 1).
const std::vector<Dims> kDims = {
    {1, 4, 32, 10, MatmulRoute::kOwn},        {3, 7, 5, 9, MatmulRoute::kOwn},
    {1, 1, 20, 10, MatmulRoute::kOwn},        {1, 200, 12, 40, MatmulRoute::kOwn},
    {1, 100, 120, 8, MatmulRoute::kOwn},      {1, 1, 300, 200, MatmulRoute::kGemvRows},
    {2, 1, 250, 150, MatmulRoute::kGemvRows}, {2, 3, 200, 100, MatmulRoute::kGemvRows},
    {1, 300, 1, 200, MatmulRoute::kGemvCols}, {1, 150, 5, 60, MatmulRoute::kGemvCols},
    {2, 33, 45, 27, MatmulRoute::kGemm},      {1, 64, 64, 64, MatmulRoute::kGemm},
    {3, 40, 50, 20, MatmulRoute::kGemm},      {1, 800, 700, 1, MatmulRoute::kGemm},
    {1, 4, 2, 32, MatmulRoute::kOwn},         {2, 1, 32, 10, MatmulRoute::kGemvRows}};

}  // namespace

TEST(MatmulBlas, TestShapesTakeTheirRoutes) {
  for (const Dims& d : kDims)
    for (DType dt : {kFloat32, kFloat64})
      EXPECT_EQ(backend::cpu::matmul_route(dt, d.M, d.N, d.K), d.route) << d.M << "x" << d.N << "x" << d.K;
  EXPECT_EQ(backend::cpu::matmul_route(kInt64, 500, 500, 500), MatmulRoute::kOwn);  // BLAS has no integers
}

TEST(MatmulBlas, EveryRouteTransposeAndLayoutMatchesReference) {
  Generator g(1);
  for (DType dt : {kFloat32, kFloat64})
    for (const Dims& d : kDims)
      for (int t = 0; t < 4; ++t) {
        const bool ta = t & 1, tb = t & 2;
        for (Layout la : kLayouts) {
          const Layout lb = kLayouts[(static_cast<size_t>(la) + t + 1) % kLayouts.size()];
          const Tensor a = ta ? make(la, d.batches, d.K, d.M, dt, g) : make(la, d.batches, d.M, d.K, dt, g);
          const Tensor b = tb ? make(lb, d.batches, d.N, d.K, dt, g) : make(lb, d.batches, d.K, d.N, dt, g);
          const Shape out_shape{d.batches, d.M, d.N};
          SCOPED_TRACE(::testing::Message() << dtype_name(dt) << " " << d.batches << "x" << d.M << "x" << d.N
                                            << "x" << d.K << " ta=" << ta << " tb=" << tb << " a "
                                            << layout_name(la) << ", b " << layout_name(lb));
          const double tol = tolerance(dt, d.K);
          expect_values(run_kernel(out_shape, a, b, Tensor(), ta, tb, dt),
                        reference(out_shape, a, b, Tensor(), ta, tb), tol, tol);
        }
      }
}

TEST(MatmulBlas, TwoDimensionalOperandsAgainstBatchedOutput) {
  // A 2-d operand of a 3-d product is shared by every batch (the kernel reads it with batch stride 0).
  Generator g(2);
  for (DType dt : {kFloat32, kFloat64})
    for (const Dims& d : kDims) {
      const Tensor a = randn({d.batches, d.M, d.K}, {.dtype = dt}, &g);
      const Tensor w = randn({d.N, d.K}, {.dtype = dt}, &g);  // a weight, read transposed
      const Shape out_shape{d.batches, d.M, d.N};
      SCOPED_TRACE(::testing::Message()
                   << dtype_name(dt) << " " << d.batches << "x" << d.M << "x" << d.N << "x" << d.K);
      expect_values(run_kernel(out_shape, a, w, Tensor(), false, true, dt),
                    reference(out_shape, a, w, Tensor(), false, true), tolerance(dt, d.K),
                    tolerance(dt, d.K));
    }
}

TEST(MatmulBlas, AddIsBroadcastAndAccumulated) {
  Generator g(3);
  for (DType dt : {kFloat32, kFloat64})
    for (const Dims& d : kDims) {
      const Tensor a = randn({d.batches, d.M, d.K}, {.dtype = dt}, &g);
      const Tensor b = randn({d.batches, d.K, d.N}, {.dtype = dt}, &g);
      const Shape out_shape{d.batches, d.M, d.N};
      // A bias per column, a full addend, a column broadcast across rows, a scalar, a transposed addend.
      const std::vector<Tensor> adds = {randn({d.N}, {.dtype = dt}, &g),
                                        randn({d.batches, d.M, d.N}, {.dtype = dt}, &g),
                                        randn({d.M, 1}, {.dtype = dt}, &g), tensor(2.5, {.dtype = dt}),
                                        randn({d.batches, d.N, d.M}, {.dtype = dt}, &g).mT()};
      for (size_t i = 0; i < adds.size(); ++i) {
        SCOPED_TRACE(::testing::Message() << dtype_name(dt) << " " << d.batches << "x" << d.M << "x" << d.N
                                          << "x" << d.K << " add #" << i << " " << adds[i].describe());
        expect_values(run_kernel(out_shape, a, b, adds[i], false, false, dt),
                      reference(out_shape, a, b, adds[i], false, false), tolerance(dt, d.K),
                      tolerance(dt, d.K));
      }
    }
}

TEST(MatmulBlas, ZeroInnerDimensionGivesZerosOrTheAddend) {
  for (DType dt : {kFloat32, kFloat64, kInt64})
    for (const Dims& d : kDims) {
      const Tensor a = ones({d.batches, d.M, 0}, {.dtype = dt}), b = ones({d.batches, 0, d.N}, {.dtype = dt});
      const Shape out_shape{d.batches, d.M, d.N};
      Tensor out = full(out_shape, 7, {.dtype = dt});
      backend::cpu_kernels().bmm(out, a, b, Tensor(), false, false);
      expect_values(out, std::vector<double>(static_cast<size_t>(out.numel()), 0.0), 0, 0);
      const Tensor add = arange(d.N, {.dtype = dt});
      backend::cpu_kernels().bmm(out, a, b, add, false, false);
      expect_values(out, reference(out_shape, a, b, add, false, false), 0, 0);
    }
  // Through the ops, K = 0 with a batch and with a bias.
  EXPECT_EQ(bmm(ones({2, 3, 0}), ones({2, 0, 4})).to_vector<float>(), std::vector<float>(24, 0.0f));
  EXPECT_EQ(linear(ones({2, 0}), ones({3, 0}), tensor({1.0, 2.0, 3.0})).to_vector<float>(),
            (std::vector<float>{1, 2, 3, 1, 2, 3}));
}

TEST(MatmulBlas, EmptyOutputsAndBatchOne) {
  EXPECT_EQ(mm(ones({0, 50}), ones({50, 60})).shape(), Shape({0, 60}));
  EXPECT_EQ(mm(ones({70, 50}), ones({50, 0})).shape(), Shape({70, 0}));
  EXPECT_EQ(bmm(ones({0, 50, 60}), ones({0, 60, 70})).shape(), Shape({0, 50, 70}));
  // Batch 1 of a BLAS-sized product equals the 2-d product.
  Generator g(4);
  const Tensor a = randn({1, 70, 80}, {}, &g), b = randn({1, 80, 90}, {}, &g);
  expect_values(bmm(a, b), mm(a[0], b[0]).to(kFloat64).to_vector<double>(), 0, 0);
}

TEST(MatmulBlas, NonContiguousOutputs) {
  // The kernel accepts any output strides: column-major (BLAS computes C^T = B^T A^T), strided
  // rows (a slice of a wider buffer) and, for gemv, a strided row.
  Generator g(5);
  for (DType dt : {kFloat32, kFloat64})
    for (const Dims& d : kDims) {
      const Tensor a = randn({d.batches, d.M, d.K}, {.dtype = dt}, &g);
      const Tensor b = randn({d.batches, d.K, d.N}, {.dtype = dt}, &g);
      const Shape out_shape{d.batches, d.M, d.N};
      const Tensor add = randn({d.N}, {.dtype = dt}, &g);
      const std::vector<Tensor> outs = {
          full({d.batches, d.N, d.M}, std::nan(""), {.dtype = dt}).mT(),
          full({d.batches, d.M + 1, 2 * d.N + 3}, std::nan(""), {.dtype = dt})
              .slice(1, 1, d.M + 1)
              .slice(2, 0, 2 * d.N, 2),
      };
      for (const Tensor& out : outs)
        for (bool with_add : {false, true}) {
          SCOPED_TRACE(::testing::Message()
                       << dtype_name(dt) << " " << d.batches << "x" << d.M << "x" << d.N << "x" << d.K
                       << " out strides " << out.strides() << " add " << with_add);
          const Tensor addend = with_add ? add : Tensor();
          backend::cpu_kernels().bmm(out, a, b, addend, false, false);
          expect_values(out, reference(out_shape, a, b, addend, false, false), tolerance(dt, d.K),
                        tolerance(dt, d.K));
        }
    }
}

TEST(MatmulBlas, BlasLayoutRules) {
  using backend::cpu::blas_layout;
  // Row-major with a leading dimension at least the row length; its transpose; nothing else.
  EXPECT_TRUE(blas_layout(3, 4, 4, 1).ok && !blas_layout(3, 4, 4, 1).trans);
  EXPECT_EQ(blas_layout(3, 4, 9, 1).ld, 9);
  EXPECT_TRUE(blas_layout(3, 4, 1, 3).ok && blas_layout(3, 4, 1, 3).trans);
  EXPECT_FALSE(blas_layout(3, 4, 2, 1).ok);   // overlapping rows
  EXPECT_FALSE(blas_layout(3, 4, 8, 2).ok);   // no unit stride
  EXPECT_FALSE(blas_layout(3, 4, 0, 1).ok);   // every row the same
  EXPECT_FALSE(blas_layout(3, 4, -4, 1).ok);  // reversed rows
  EXPECT_FALSE(blas_layout(3, 4, int64_t{1} << 32, 1).ok);
  // A size-1 dim's stride is never used.
  EXPECT_TRUE(blas_layout(1, 4, 0, 1).ok);
  EXPECT_TRUE(blas_layout(4, 1, 1, 0).ok);
  EXPECT_TRUE(blas_layout(1, 1, 0, 0).ok);
  EXPECT_TRUE(backend::cpu::blas_vector_ok(5, 3));
  EXPECT_FALSE(backend::cpu::blas_vector_ok(5, 0));
  EXPECT_FALSE(backend::cpu::blas_vector_ok(5, -1));
  EXPECT_TRUE(backend::cpu::blas_vector_ok(1, 0));
}

// ---- through the ops, and across threads ----

namespace {

// Restores the thread count however the test ends.
struct ThreadCount {
  int saved = get_num_threads();
  explicit ThreadCount(int n) { set_num_threads(n); }
  ~ThreadCount() { set_num_threads(saved); }
};

}  // namespace

TEST(MatmulBlas, LargeProductsSplitAcrossThreadsMatchReference) {
  // Each above the split threshold (2^24 flops): tall (split by rows), wide (by columns, not a
  // multiple of the cache-line step), square with transposes, a batch fewer than the threads and
  // one of many small matrices (split by batch), float64, one row and three columns (gemv), ten
  // columns (strata's kernel), integers (strata's kernel).
  Generator g(6);
  ThreadCount threads(2);
  struct Case {
    int64_t batches, M, N, K;
    bool ta, tb;
    DType dt;
  };
  const std::vector<Case> cases = {
      {1, 2000, 64, 140, false, false, kFloat32}, {1, 60, 2001, 150, false, true, kFloat32},
      {1, 260, 250, 270, true, true, kFloat32},   {1, 250, 260, 270, true, false, kFloat64},
      {3, 200, 210, 190, false, true, kFloat32},  {300, 30, 40, 50, false, false, kFloat32},
      {1, 1, 9000, 1000, false, true, kFloat32},  {1, 9000, 3, 1000, true, false, kFloat32},
      {1, 20000, 10, 200, false, true, kFloat32}, {1, 200, 210, 220, false, false, kInt64}};
  for (const Case& c : cases) {
    SCOPED_TRACE(::testing::Message() << c.batches << "x" << c.M << "x" << c.N << "x" << c.K << " ta=" << c.ta
                                      << " tb=" << c.tb << " " << dtype_name(c.dt));
    auto operand = [&](int64_t rows, int64_t cols, bool trans) {
      const Tensor t =
          c.dt == kInt64
              ? randint(-3, 4, {c.batches, trans ? cols : rows, trans ? rows : cols}, {.dtype = c.dt}, &g)
              : randn({c.batches, trans ? cols : rows, trans ? rows : cols}, {.dtype = c.dt}, &g);
      return trans ? t.mT() : t;  // a transposed view, read by BLAS through its trans flag
    };
    const Tensor a = operand(c.M, c.K, c.ta), b = operand(c.K, c.N, c.tb);
    const Tensor bias = c.dt == kInt64 ? arange(c.N, {.dtype = c.dt}) : randn({c.N}, {.dtype = c.dt}, &g);
    const Shape out_shape{c.batches, c.M, c.N};
    const double tol = c.dt == kInt64 ? 0 : tolerance(c.dt, c.K);
    const std::vector<double> want = reference(out_shape, a, b, Tensor(), false, false);
    const Tensor got = c.batches == 1 ? matmul(a, b) : bmm(a, b);
    expect_values(got, want, tol, tol);
    // The same with a bias through the kernel's add (linear's path).
    expect_values(run_kernel(out_shape, a, b, bias, false, false, c.dt),
                  reference(out_shape, a, b, bias, false, false), tol, tol);
  }
  // linear and its gradients on a layer large enough to split.
  const Tensor x = randn({512, 300}, {}, &g), w = randn({400, 300}, {}, &g), bias = randn({400}, {}, &g);
  const Tensor y = linear(x, w, bias);
  expect_values(y, reference({1, 512, 400}, x, w, bias.unsqueeze(0), false, true), tolerance(kFloat32, 300),
                tolerance(kFloat32, 300));
}

TEST(MatmulBlas, SplitResultEqualsOneThreadResult) {
  // The split changes which thread computes a block, not the arithmetic of any element by more
  // than rounding: compare 1 and 2 threads on the same float64 product.
  Generator g(7);
  const Tensor a = randn({700, 300}, {.dtype = kFloat64}, &g), b = randn({300, 500}, {.dtype = kFloat64}, &g);
  Tensor one, two;
  {
    ThreadCount threads(1);
    one = mm(a, b);
  }
  {
    ThreadCount threads(2);
    two = mm(a, b);
  }
  expect_values(two, one.to_vector<double>(), 1e-12, 1e-12);
}

TEST(MatmulBlas, ConcurrentCallersFromTwoThreads) {
  // Two user threads multiply at the same time (both reach OpenBLAS concurrently: the pool serves
  // one job at a time, the other runs on its caller). The pthread OpenBLAS build must be safe.
  EXPECT_TRUE(backend::cpu::blas_calls_may_overlap()) << "OpenBLAS is not the pthread build here";
  Generator g(8);
  std::vector<Tensor> as, bs;
  std::vector<std::vector<double>> wants;
  for (int i = 0; i < 2; ++i) {
    as.push_back(randn({1, 150 + 10 * i, 170}, {}, &g));
    bs.push_back(randn({1, 170, 160 - 10 * i}, {}, &g));
    wants.push_back(reference({1, 150 + 10 * i, 160 - 10 * i}, as[i], bs[i], Tensor(), false, false));
  }
  std::array<int, 2> bad{0, 0};
  auto worker = [&](int i) {
    for (int rep = 0; rep < 40; ++rep) {
      const auto got = bmm(as[i], bs[i]).to(kFloat64).to_vector<double>();
      for (size_t j = 0; j < got.size(); ++j)
        if (std::abs(got[j] - wants[i][j]) > tolerance(kFloat32, 170)) ++bad[i];
    }
  };
  std::thread t0(worker, 0), t1(worker, 1);
  t0.join();
  t1.join();
  EXPECT_EQ(bad[0], 0);
  EXPECT_EQ(bad[1], 0);
}

TEST(MatmulBlas, GradcheckThroughBlas) {
  // Shapes above the own kernel's limit, so that the forward and both gradients go through BLAS
  // (gemm, and gemv for the one-column product), with transposed and sliced operands.
  using strata::test::leaf;
  using strata::test::noncontiguous_leaf;
  EXPECT_GRADCHECK([](const std::vector<Tensor>& in) { return mm(in[0], in[1]); },
                   {noncontiguous_leaf({40, 30}, 1), leaf({30, 35}, 2)});
  EXPECT_GRADCHECK([](const std::vector<Tensor>& in) { return linear(in[0], in[1], in[2]); },
                   {leaf({40, 35}, 3), noncontiguous_leaf({33, 35}, 4), leaf({33}, 5)});
  EXPECT_GRADCHECK([](const std::vector<Tensor>& in) { return matmul(in[0], in[1]); },
                   {leaf({2, 40, 30}, 6), leaf({30, 1}, 7)});
  const Tensor sliced = strata::test::leaf({80, 31}, 8).detach().slice(0, 0, 80, 2).requires_grad_();
  EXPECT_GRADCHECK([](const std::vector<Tensor>& in) { return mm(in[0], in[1]); },
                   {sliced, leaf({31, 40}, 9)});
}
