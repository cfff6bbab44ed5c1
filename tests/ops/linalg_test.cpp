// mm, bmm, matmul and linear: values against hand-computed results and a naive reference, the
// blocked kernel across its block edges and odd strides, gradients for every rank combination,
// empty cases and error messages.
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "support/test_util.h"

using namespace strata;
using strata::test::expect_values;
using strata::test::leaf;
using strata::test::noncontiguous_leaf;
using strata::testing::gradcheck;
using strata::testing::gradgradcheck;

namespace {

// out[b] = a[b] @ b[b] with plain loops in double, from the logical (row-major) values.
std::vector<double> reference_bmm(const Tensor& a, const Tensor& b) {
  const int64_t B = a.size(0), M = a.size(1), K = a.size(2), N = b.size(2);
  const auto av = a.to(kFloat64).to_vector<double>(), bv = b.to(kFloat64).to_vector<double>();
  std::vector<double> out(static_cast<size_t>(B * M * N), 0.0);
  for (int64_t i = 0; i < B; ++i)
    for (int64_t m = 0; m < M; ++m)
      for (int64_t n = 0; n < N; ++n) {
        double s = 0;
        for (int64_t k = 0; k < K; ++k) s += av[(i * M + m) * K + k] * bv[(i * K + k) * N + n];
        out[(i * M + m) * N + n] = s;
      }
  return out;
}

}  // namespace

// ---- forward values ----

TEST(Mm, HandComputed) {
  Tensor a = tensor({{1.0, 2.0, 3.0}, {4.0, 5.0, 6.0}});
  Tensor b = tensor({{7.0, 8.0}, {9.0, 10.0}, {11.0, 12.0}});
  Tensor c = mm(a, b);
  EXPECT_EQ(c.shape(), Shape({2, 2}));
  EXPECT_EQ(c.dtype(), kFloat32);
  EXPECT_EQ(c.to_vector<float>(), (std::vector<float>{58, 64, 139, 154}));
  EXPECT_EQ(a.mm(b).to_vector<float>(), c.to_vector<float>());
  EXPECT_EQ(a.matmul(b).to_vector<float>(), c.to_vector<float>());
}

TEST(Mm, IntegerDtypes) {
  Tensor a = tensor({{1, 2}, {3, 4}});
  Tensor b = tensor({{5, 6}, {7, 8}});
  Tensor c = mm(a, b);
  EXPECT_EQ(c.dtype(), kInt64);
  EXPECT_EQ(c.to_vector<int64_t>(), (std::vector<int64_t>{19, 22, 43, 50}));
  EXPECT_EQ(mm(a.to(kInt32), b.to(kInt32)).to_vector<int32_t>(), (std::vector<int32_t>{19, 22, 43, 50}));
  // uint8 wraps around as in PyTorch: 200 * 2 + 100 * 1 = 500 = 244 mod 256.
  Tensor u = tensor({{200, 100}}, {.dtype = kUInt8});
  Tensor v = tensor({{2}, {1}}, {.dtype = kUInt8});
  EXPECT_EQ(mm(u, v).to_vector<uint8_t>(), (std::vector<uint8_t>{244}));
}

TEST(Matmul, VectorCases) {
  Tensor v = tensor({1.0, 2.0, 3.0});
  Tensor w = tensor({4.0, 5.0, 6.0});
  Tensor dot = matmul(v, w);
  EXPECT_EQ(dot.dim(), 0);
  EXPECT_EQ(dot.item<float>(), 32.0f);
  Tensor m = tensor({{1.0, 0.0}, {0.0, 1.0}, {1.0, 1.0}});  // [3, 2]
  Tensor vm = matmul(v, m);                                 // [3] @ [3, 2] -> [2]
  EXPECT_EQ(vm.shape(), Shape({2}));
  EXPECT_EQ(vm.to_vector<float>(), (std::vector<float>{4, 5}));
  Tensor mv = matmul(m.t(), w);  // [2, 3] @ [3] -> [2]
  EXPECT_EQ(mv.shape(), Shape({2}));
  EXPECT_EQ(mv.to_vector<float>(), (std::vector<float>{10, 11}));
  // Batched with a vector on either side drops the vector's dim.
  Tensor batch = stack({m.t(), m.t() * 2.0});  // [2, 2, 3]
  EXPECT_EQ(matmul(batch, w).shape(), Shape({2, 2}));
  EXPECT_EQ(matmul(batch, w).to_vector<float>(), (std::vector<float>{10, 11, 20, 22}));
  Tensor vb = matmul(tensor({1.0, 1.0}), batch);  // [2] @ [2, 2, 3] -> [2, 3]
  EXPECT_EQ(vb.shape(), Shape({2, 3}));
  EXPECT_EQ(vb.to_vector<float>(), (std::vector<float>{1, 1, 2, 2, 2, 4}));
}

TEST(Matmul, BroadcastBatchDims) {
  Generator g(3);
  Tensor a = randn({2, 1, 4, 3}, {.dtype = kFloat64}, &g);
  Tensor b = randn({5, 3, 2}, {.dtype = kFloat64}, &g);
  Tensor c = matmul(a, b);
  ASSERT_EQ(c.shape(), Shape({2, 5, 4, 2}));
  for (int64_t i = 0; i < 2; ++i)
    for (int64_t j = 0; j < 5; ++j)
      EXPECT_TRUE(allclose(c[i][j], mm(a[i][0], b[j]), 1e-12, 1e-12)) << i << "," << j;
  // N-d @ 2-d (folded into one product) and 2-d @ N-d.
  Tensor w = randn({3, 6}, {.dtype = kFloat64}, &g);
  Tensor aw = matmul(a, w);
  ASSERT_EQ(aw.shape(), Shape({2, 1, 4, 6}));
  EXPECT_TRUE(allclose(aw[1][0], mm(a[1][0], w), 1e-12, 1e-12));
  Tensor wb = matmul(w.t(), randn({5, 3, 2}, {.dtype = kFloat64}, &g).transpose(1, 2).transpose(1, 2));
  EXPECT_EQ(wb.shape(), Shape({5, 6, 2}));
  // The folded path on a non-contiguous N-d operand whose rows cannot merge.
  Tensor p = randn({4, 2, 3}, {.dtype = kFloat64}, &g).permute({1, 0, 2});  // [2, 4, 3]
  Tensor pw = matmul(p, w);
  for (int64_t i = 0; i < 2; ++i) EXPECT_TRUE(allclose(pw[i], mm(p[i], w), 1e-12, 1e-12));
}

TEST(Bmm, MatchesReferenceAcrossBlockEdgesAndStrides) {
  Generator g(7);
  // Sizes around the tile (4..6 x 4..16) and block (96, 256) edges, and skinny cases.
  const std::vector<std::array<int64_t, 4>> cases = {
      {1, 1, 1, 1},    {2, 3, 5, 7},   {1, 7, 1, 9},    {1, 1, 9, 7},      {3, 13, 17, 19},
      {1, 64, 64, 64}, {1, 97, 3, 33}, {2, 5, 300, 18}, {1, 100, 257, 40}, {1, 6, 2, 2050}};
  for (const auto& [B, M, K, N] : cases) {
    for (DType dt : {kFloat32, kFloat64}) {
      Tensor a = randn({B, M, K}, {.dtype = dt}, &g), b = randn({B, K, N}, {.dtype = dt}, &g);
      const double tol = dt == kFloat32 ? 1e-4 : 1e-12;
      SCOPED_TRACE(::testing::Message() << B << "x" << M << "x" << K << "x" << N << " " << dtype_name(dt));
      expect_values(bmm(a, b), reference_bmm(a, b), tol, tol);
      // Transposed operands (column-major matrices).
      Tensor at = a.transpose(1, 2).contiguous().transpose(1, 2);
      Tensor bt = b.transpose(1, 2).contiguous().transpose(1, 2);
      ASSERT_FALSE(M > 1 && K > 1 && at.is_contiguous());
      expect_values(bmm(at, bt), reference_bmm(a, b), tol, tol);
    }
  }
}

TEST(Bmm, StepSlicesBroadcastBatchesAndIntegers) {
  Generator g(11);
  Tensor big = randn({3, 10, 12}, {.dtype = kFloat64}, &g);
  Tensor a = big.slice(1, 0, 10, 2).slice(2, 1, 12, 3);                    // [3, 5, 4], strides (120, 24, 3)
  Tensor b = randn({1, 4, 6}, {.dtype = kFloat64}, &g).expand({3, 4, 6});  // batch stride 0
  expect_values(bmm(a, b), reference_bmm(a.contiguous(), b.contiguous()), 1e-12, 1e-12);
  for (DType dt : {kInt32, kInt64, kUInt8}) {
    Tensor ia = randint(0, 5, {2, 7, 9}, {.dtype = dt}, &g),
           ib = randint(0, 5, {2, 9, 11}, {.dtype = dt}, &g);
    Tensor got = bmm(ia, ib);
    EXPECT_EQ(got.dtype(), dt);
    expect_values(got, reference_bmm(ia, ib), 0, 0);  // at most 9 * 16 = 144: exact even in uint8
    expect_values(bmm(ia.transpose(1, 2).contiguous().transpose(1, 2), ib), reference_bmm(ia, ib), 0, 0);
  }
}

TEST(Bmm, OutputUnaffectedByEarlierCalls) {
  // The kernel reuses scratch panels between calls: a big product then a small one must not leak.
  Generator g(5);
  Tensor a = randn({1, 100, 300}, {}, &g), b = randn({1, 300, 100}, {}, &g);
  (void)bmm(a, b);
  Tensor s = tensor({{{1.0, 2.0}, {3.0, 4.0}}}), t = tensor({{{1.0, 0.0}, {0.0, 1.0}}});
  EXPECT_EQ(bmm(s, t).to_vector<float>(), (std::vector<float>{1, 2, 3, 4}));
}

TEST(Matmul, EmptyCases) {
  // K = 0: the sum over nothing is zero.
  Tensor z = mm(ones({3, 0}), ones({0, 4}));
  EXPECT_EQ(z.shape(), Shape({3, 4}));
  EXPECT_EQ(z.to_vector<float>(), std::vector<float>(12, 0.0f));
  EXPECT_EQ(matmul(ones({0}), ones({0})).item<float>(), 0.0f);
  EXPECT_EQ(bmm(ones({2, 3, 0}), ones({2, 0, 1})).to_vector<float>(), std::vector<float>(6, 0.0f));
  // Empty batch, empty rows, empty columns.
  EXPECT_EQ(bmm(ones({0, 2, 3}), ones({0, 3, 4})).shape(), Shape({0, 2, 4}));
  EXPECT_EQ(matmul(ones({0, 2, 3}), ones({3, 4})).shape(), Shape({0, 2, 4}));
  EXPECT_EQ(matmul(ones({2, 0, 3}), ones({1, 3, 4})).shape(), Shape({2, 0, 4}));
  EXPECT_EQ(mm(ones({0, 3}), ones({3, 2})).shape(), Shape({0, 2}));
  EXPECT_EQ(mm(ones({2, 3}), ones({3, 0})).shape(), Shape({2, 0}));
}

// ---- gradients ----

TEST(Mm, Gradcheck) {
  auto f = [](const std::vector<Tensor>& x) { return mm(x[0], x[1]); };
  EXPECT_TRUE(gradcheck(f, {leaf({3, 4}), leaf({4, 2}, 1)}));
  EXPECT_TRUE(gradcheck(f, {noncontiguous_leaf({3, 4}), noncontiguous_leaf({4, 2}, 1)}));
  EXPECT_TRUE(gradcheck(f, {leaf({1, 5}), leaf({5, 1}, 1)}));
  EXPECT_TRUE(gradcheck(f, {leaf({3, 0}), leaf({0, 2}, 1)}));
  EXPECT_TRUE(gradcheck(f, {leaf({0, 3}), leaf({3, 2}, 1)}));
  EXPECT_TRUE(gradgradcheck(f, {leaf({2, 3}), noncontiguous_leaf({3, 2}, 1)}));
  // Only one operand requiring grad.
  Tensor fixed = leaf({4, 2}, 2).detach();
  EXPECT_TRUE(gradcheck([&](const std::vector<Tensor>& x) { return mm(x[0], fixed); }, {leaf({3, 4})}));
  EXPECT_TRUE(gradcheck([&](const std::vector<Tensor>& x) { return mm(fixed.t(), x[0]); }, {leaf({4, 3})}));
}

TEST(Bmm, Gradcheck) {
  auto f = [](const std::vector<Tensor>& x) { return bmm(x[0], x[1]); };
  EXPECT_TRUE(gradcheck(f, {leaf({2, 3, 4}), leaf({2, 4, 5}, 1)}));
  Tensor at = leaf({2, 4, 3}).transpose(1, 2).detach().requires_grad_();
  Tensor bt = leaf({2, 5, 4}, 1).transpose(1, 2).detach().requires_grad_();
  EXPECT_TRUE(gradcheck(f, {at, bt}));
  EXPECT_TRUE(gradcheck(f, {leaf({0, 3, 4}), leaf({0, 4, 5}, 1)}));
  EXPECT_TRUE(gradgradcheck(f, {leaf({2, 2, 3}), leaf({2, 3, 2}, 1)}));
}

TEST(Matmul, GradcheckEveryRankCombination) {
  auto f = [](const std::vector<Tensor>& x) { return matmul(x[0], x[1]); };
  const std::vector<std::pair<Shape, Shape>> cases = {
      {{4}, {4}},
      {{4}, {4, 3}},
      {{3, 4}, {4}},
      {{3, 4}, {4, 2}},
      {{4}, {2, 4, 3}},
      {{2, 3, 4}, {4}},
      {{2, 3, 4}, {4, 5}},
      {{3, 4}, {2, 4, 5}},
      {{2, 3, 4}, {2, 4, 5}},
      {{2, 1, 3, 4}, {3, 4, 2}},
      {{1, 3, 4}, {2, 4, 2}},
      {{3, 1, 2}, {2, 1, 2, 3}},
      {{2, 2, 3, 4}, {4}},
      {{4}, {3, 2, 4, 1}},
      {{0, 3, 4}, {4, 2}},
      {{2, 3, 0}, {0, 2}},
  };
  uint64_t seed = 0;
  for (const auto& [sa, sb] : cases) {
    SCOPED_TRACE(::testing::Message() << sa << " @ " << sb);
    EXPECT_TRUE(gradcheck(f, {leaf(sa, seed), leaf(sb, seed + 1)}));
    seed += 2;
  }
}

TEST(Matmul, GradcheckNonContiguousAndDoubleBackward) {
  auto f = [](const std::vector<Tensor>& x) { return matmul(x[0], x[1]); };
  // Batch dims permuted (not mergeable into one stride) and transposed matrices.
  Tensor a = leaf({3, 2, 4, 5}).permute({1, 0, 3, 2}).detach().requires_grad_();  // [2, 3, 5, 4]
  EXPECT_TRUE(gradcheck(f, {a, leaf({4, 2}, 1)}));
  EXPECT_TRUE(
      gradcheck([&](const std::vector<Tensor>& x) { return matmul(x[0], x[1].t()); }, {a, leaf({2, 4}, 2)}));
  EXPECT_TRUE(gradcheck(f, {noncontiguous_leaf({3, 4}), leaf({2, 4, 3}, 3)}));
  // An operand broadcast by expand(): its gradient sums over the copies.
  EXPECT_TRUE(gradcheck(
      [](const std::vector<Tensor>& x) {
        return matmul(x[0].expand({2, 4, 3}), x[1]);
      },
      {leaf({2, 1, 3}, 4), leaf({3}, 5)}));
  EXPECT_TRUE(gradgradcheck(f, {leaf({2, 1, 3, 4}), leaf({3, 4, 2}, 1)}));
  EXPECT_TRUE(gradgradcheck(f, {leaf({4}), leaf({4}, 1)}));
  EXPECT_TRUE(gradgradcheck(f, {leaf({2, 3, 4}), leaf({4}, 1)}));
}

TEST(Matmul, GradientValuesOfDot) {
  Tensor v = tensor({1.0, 2.0, 3.0}).requires_grad_();
  Tensor w = tensor({4.0, 5.0, 6.0}).requires_grad_();
  matmul(v, w).backward();
  EXPECT_EQ(v.grad().to_vector<float>(), (std::vector<float>{4, 5, 6}));
  EXPECT_EQ(w.grad().to_vector<float>(), (std::vector<float>{1, 2, 3}));
  EXPECT_EQ(matmul(v, w).grad_fn_name(), "MatmulBackward");
}

TEST(Linear, ValuesAndGradcheck) {
  Tensor x = tensor({{1.0, 2.0}, {3.0, 4.0}});
  Tensor w = tensor({{1.0, 0.0}, {0.0, 1.0}, {1.0, 1.0}});  // [out 3, in 2]
  Tensor bias = tensor({10.0, 20.0, 30.0});
  EXPECT_EQ(linear(x, w, bias).to_vector<float>(), (std::vector<float>{11, 22, 33, 13, 24, 37}));
  EXPECT_EQ(linear(x, w).to_vector<float>(), (std::vector<float>{1, 2, 3, 3, 4, 7}));
  EXPECT_EQ(linear(tensor({1.0, 2.0}), w, bias).shape(), Shape({3}));

  auto with_bias = [](const std::vector<Tensor>& t) { return linear(t[0], t[1], t[2]); };
  auto without = [](const std::vector<Tensor>& t) { return linear(t[0], t[1]); };
  for (const Shape& xs : {Shape{4}, Shape{3, 4}, Shape{2, 3, 4}, Shape{0, 4}}) {
    SCOPED_TRACE(::testing::Message() << "x " << xs);
    EXPECT_TRUE(gradcheck(with_bias, {leaf(xs), leaf({5, 4}, 1), leaf({5}, 2)}));
    EXPECT_TRUE(gradcheck(without, {leaf(xs), leaf({5, 4}, 1)}));
  }
  EXPECT_TRUE(
      gradcheck(with_bias, {noncontiguous_leaf({3, 4}), noncontiguous_leaf({5, 4}, 1), leaf({5}, 2)}));
  EXPECT_TRUE(gradgradcheck(with_bias, {leaf({2, 4}), leaf({3, 4}, 1), leaf({3}, 2)}));
}

TEST(Linear, NoGradAddsBiasInPlaceWithoutTouchingInputs) {
  Tensor x = ones({2, 3}), w = ones({4, 3}), bias = full({4}, 1.5);
  Tensor y = linear(x, w, bias);
  EXPECT_EQ(y.to_vector<float>(), std::vector<float>(8, 4.5f));
  EXPECT_EQ(bias.to_vector<float>(), std::vector<float>(4, 1.5f));
  EXPECT_FALSE(y.requires_grad());
}

// ---- errors ----

TEST(Matmul, ErrorMessages) {
  EXPECT_ERROR(
      matmul(ones({4, 31}), ones({32, 2})),
      "[matmul] size mismatch: [4, 31] float32 cpu @ [32, 2] float32 cpu: 31 (dim -1 of the first) != 32 "
      "(dim -2 of the second)");
  EXPECT_ERROR(matmul(ones({3}), ones({4})), "(dim -1 of the second)");
  EXPECT_ERROR(matmul(ones({2, 3}), ones({3, 2}, {.dtype = kFloat64})),
               "[matmul] dtype mismatch: [2, 3] float32 cpu @ [3, 2] float64 cpu");
  EXPECT_ERROR(matmul(tensor(2.0), ones({3})),
               "[matmul] both operands need at least 1 dim, got [] float32 cpu");
  EXPECT_ERROR(matmul(ones({2, 3, 4}), ones({5, 4, 2})),
               "[matmul] batch dims do not broadcast: [2, 3, 4] float32 cpu @ [5, 4, 2] float32 cpu");
  EXPECT_ERROR(matmul(ones({2, 2}, {.dtype = kBool}), ones({2, 2}, {.dtype = kBool})),
               "[matmul] is not implemented for dtype bool");
  float storage[4] = {};
  Tensor on_gpu = from_blob(storage, {2, 2}, kFloat32, Device::cuda());
  EXPECT_ERROR(matmul(ones({2, 2}), on_gpu), "[matmul] expected all tensors on one device");
  EXPECT_ERROR(matmul(Tensor(), ones({2})), "[matmul] operand 0 is an undefined tensor");
}

TEST(MmBmm, ErrorMessages) {
  EXPECT_ERROR(mm(ones({2, 3, 4}), ones({4, 2})),
               "[mm] expects two 2-d matrices, got [2, 3, 4] float32 cpu @ ");
  EXPECT_ERROR(mm(ones({2, 3}), ones({4, 2})),
               "[mm] size mismatch: [2, 3] float32 cpu @ [4, 2] float32 cpu: 3");
  EXPECT_ERROR(bmm(ones({2, 3}), ones({3, 2})), "[bmm] expects two 3-d batches of matrices");
  EXPECT_ERROR(bmm(ones({2, 3, 4}), ones({3, 4, 2})), "[bmm] batch size mismatch: [2, 3, 4] float32 cpu @ ");
  EXPECT_ERROR(bmm(ones({2, 3, 4}), ones({2, 5, 2})), "4 (dim -1 of the first) != 5 (dim -2 of the second)");
}

TEST(Linear, ErrorMessages) {
  EXPECT_ERROR(
      linear(ones({2, 3}), ones({4, 5})),
      "[linear] size mismatch: input [2, 3] float32 cpu has 3 features (dim -1) but weight [4, 5] float32 "
      "cpu expects in_features = 5");
  EXPECT_ERROR(linear(ones({2, 3}), ones({4, 3}), ones({5})),
               "[linear] bias [5] float32 cpu does not fit weight");
  EXPECT_ERROR(linear(ones({2, 3}), ones({4, 3}, {.dtype = kFloat64})), "[linear] dtype mismatch");
  EXPECT_ERROR(linear(ones({2, 3}), ones({1, 4, 3})),
               "[linear] expected weight of shape [out_features, in_features]");
  EXPECT_ERROR(linear(tensor(1.0), ones({4, 1})), "[linear] the input needs at least 1 dim");
}
