// linear as one op (one LinearBackward node, the bias added by the product kernel) and the matrix
// product kernel's paths: small products (row strips, dot products, padded last columns, packed
// transposed operands), skinny and blocked ones, each against a float64 reference.
#include "backend/kernels.h"
#include "support/test_util.h"

using namespace strata;
using strata::test::empty_leaf;
using strata::test::expect_values;
using strata::test::leaf;
using strata::test::noncontiguous_leaf;

namespace {
using Inputs = std::vector<Tensor>;

Tensor randn64(const Shape& shape, uint64_t seed) {
  Generator g(seed);
  return randn(shape, {.dtype = kFloat64}, &g);
}

// a @ b by the definition, in float64 on the host.
std::vector<double> naive_mm(const Tensor& a, const Tensor& b) {
  const int64_t m = a.size(0), k = a.size(1), n = b.size(1);
  const auto av = a.to(kFloat64).contiguous().to_vector<double>();
  const auto bv = b.to(kFloat64).contiguous().to_vector<double>();
  std::vector<double> c(static_cast<size_t>(m * n), 0.0);
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < n; ++j)
      for (int64_t p = 0; p < k; ++p) c[i * n + j] += av[i * k + p] * bv[p * n + j];
  return c;
}

std::vector<double> values(const Tensor& t) { return t.to(kFloat64).contiguous().to_vector<double>(); }
}  // namespace

TEST(LinearOp, HandComputedValues) {
  const Tensor x = tensor({{1.0, 2.0, 3.0}, {0.0, -1.0, 1.0}});
  const Tensor w = tensor({{1.0, 0.0, 0.0}, {1.0, 1.0, 1.0}});  // [out 2, in 3]
  const Tensor b = tensor({0.5, -0.5});
  expect_values(linear(x, w, b), {1.5, 5.5, 0.5, -0.5});
  expect_values(linear(x, w), {1.0, 6.0, 0.0, 0.0});
  expect_values(linear(x, w, tensor({10.0})), {11.0, 16.0, 10.0, 10.0});  // a one-element bias broadcasts
  // A 1-d weight drops the feature dim; a 0-d product grows to [1] with a bias of shape [1].
  const Tensor w1 = tensor({1.0, 1.0, 1.0});
  EXPECT_EQ(linear(x, w1).shape(), Shape({2}));
  expect_values(linear(x, w1, tensor(1.0)), {7.0, 1.0});
  EXPECT_EQ(linear(tensor({1.0, 2.0, 3.0}), w1).shape(), Shape({}));
  EXPECT_EQ(linear(tensor({1.0, 2.0, 3.0}), w1, tensor({1.0})).shape(), Shape({1}));
  // Integers use the same kernel.
  const Tensor xi = tensor({{1, 2}, {3, 4}});
  const Tensor wi = tensor({{1, 1}, {2, 0}});
  EXPECT_EQ(linear(xi, wi, tensor({1, 1})).to_vector<int64_t>(), (std::vector<int64_t>{4, 3, 8, 7}));
}

TEST(LinearOp, InputLayouts) {
  const Tensor w = randn64({5, 4}, 1), b = randn64({5}, 2);
  auto check = [&](const Tensor& x) {
    SCOPED_TRACE(x.describe());
    const Tensor y = linear(x, w, b);
    Shape want = x.shape();
    want[want.size() - 1] = 5;
    EXPECT_EQ(y.shape(), want);
    const Tensor rows = x.contiguous().reshape({-1, 4});
    const auto prod = naive_mm(rows, w.t());
    const auto bias = b.to_vector<double>();
    std::vector<double> expected(prod.size());
    for (size_t i = 0; i < prod.size(); ++i) expected[i] = prod[i] + bias[i % 5];
    expect_values(y, expected, 1e-12);
  };
  check(randn64({3, 4}, 3));
  check(randn64({2, 3, 4}, 4));                  // leading dims merge into rows
  check(randn64({3, 2, 4}, 5).transpose(0, 1));  // they cannot: copied
  check(randn64({4, 3}, 6).t());                 // transposed 2-d input
  check(randn64({3, 8}, 7).slice(1, 0, 8, 2));   // stepped columns
  check(randn64({4}, 8).expand({3, 4}));         // stride-0 rows
  EXPECT_EQ(linear(zeros({0, 4}, {.dtype = kFloat64}), w, b).shape(), Shape({0, 5}));
  expect_values(linear(zeros({2, 0}), zeros({3, 0}), tensor({1.0, 2.0, 3.0})), {1, 2, 3, 1, 2, 3});
  EXPECT_EQ(linear(zeros({2, 4}), zeros({0, 4}), zeros({0})).shape(), Shape({2, 0}));
}

TEST(LinearOp, OneNodeAndItsGradients) {
  Tensor x = randn64({3, 4}, 1).requires_grad_();
  Tensor w = randn64({2, 4}, 2).requires_grad_();
  Tensor b = randn64({2}, 3).requires_grad_();
  const Tensor y = linear(x, w, b);
  EXPECT_EQ(y.grad_fn_name(), "LinearBackward");
  const Tensor g = randn64({3, 2}, 4);
  y.backward(g);
  expect_values(x.grad(), naive_mm(g, w), 1e-12);
  expect_values(w.grad(), naive_mm(g.t(), x), 1e-12);
  expect_values(b.grad(), values(g.sum({0})), 1e-12);
  // Only what requires grad gets a gradient.
  Tensor x2 = randn64({3, 4}, 5);
  linear(x2, w, b).sum().backward();
  EXPECT_FALSE(x2.grad().defined());
}

TEST(LinearOp, Gradcheck) {
  auto with_bias = [](const Inputs& t) { return linear(t[0], t[1], t[2]); };
  auto without = [](const Inputs& t) { return linear(t[0], t[1]); };
  for (const Shape& xs : {Shape{4}, Shape{3, 4}, Shape{2, 3, 4}, Shape{0, 4}}) {
    SCOPED_TRACE(::testing::Message() << "x " << xs);
    EXPECT_GRADCHECK(with_bias, {leaf(xs), leaf({5, 4}, 1), leaf({5}, 2)});
    EXPECT_GRADCHECK(without, {leaf(xs), leaf({5, 4}, 1)});
  }
  EXPECT_GRADCHECK(with_bias, {noncontiguous_leaf({3, 4}), noncontiguous_leaf({5, 4}, 1), leaf({5}, 2)});
  EXPECT_GRADCHECK(with_bias, {noncontiguous_leaf({2, 3, 4}, 3), leaf({5, 4}, 1), leaf({5}, 2)});
  EXPECT_GRADCHECK(with_bias, {leaf({3, 4}), leaf({5, 4}, 1), leaf({1}, 2)});  // broadcast bias
  EXPECT_GRADCHECK(with_bias, {leaf({3, 4}), leaf({4}, 1), leaf({}, 2)});      // 1-d weight
  EXPECT_GRADCHECK(with_bias, {leaf({4}), leaf({4}, 1), leaf({1}, 2)});        // 0-d product, bias [1]
  EXPECT_GRADCHECK(without, {leaf({4}), leaf({4}, 1)});
  EXPECT_GRADCHECK(with_bias, {empty_leaf({3, 0}), empty_leaf({2, 0}), leaf({2}, 2)});
  EXPECT_GRADCHECK(with_bias, {leaf({3, 4}), empty_leaf({0, 4}), empty_leaf({0})});
  // Only some inputs require grad.
  EXPECT_GRADCHECK(with_bias, {randn64({3, 4}, 4), leaf({5, 4}, 1), leaf({5}, 2)});
  EXPECT_GRADCHECK(with_bias, {leaf({3, 4}), randn64({5, 4}, 1), randn64({5}, 2)});
}

TEST(LinearOp, Gradgradcheck) {
  auto with_bias = [](const Inputs& t) { return linear(t[0], t[1], t[2]); };
  EXPECT_GRADGRADCHECK(with_bias, {leaf({2, 4}), leaf({3, 4}, 1), leaf({3}, 2)});
  EXPECT_GRADGRADCHECK(with_bias, {noncontiguous_leaf({2, 3, 4}), leaf({3, 4}, 1), leaf({3}, 2)});
  EXPECT_GRADGRADCHECK(with_bias, {leaf({2, 4}), leaf({4}, 1), leaf({}, 2)});
}

TEST(LinearOp, ErrorMessages) {
  EXPECT_ERROR(linear(ones({2, 3}, {.dtype = kBool}), ones({2, 3}, {.dtype = kBool})),
               "[linear] is not implemented for dtype bool");
  EXPECT_ERROR(linear(ones({2, 3}), ones({4, 3}), ones({2, 4})),
               "[linear] bias [2, 4] float32 cpu does not fit");
  EXPECT_ERROR(linear(ones({2, 3}), ones({3}), ones({3})), "expected a bias of shape []");
  EXPECT_ERROR(linear(ones({2, 3}), Tensor()), "[linear] operand 1 is an undefined tensor");
}

// ---- the product kernel ----

TEST(MatmulKernel, SmallProductsEveryLayout) {
  // Column counts around the vector widths (4 and 8 floats, 2 and 4 doubles) exercise the strips
  // and the padded last columns; transposed right operands take the packed or the dot-product path.
  for (DType dt : {kFloat32, kFloat64}) {
    const double tol = dt == kFloat64 ? 1e-12 : 1e-4;
    for (int64_t m : {1, 2, 4, 7}) {
      for (int64_t n : {1, 2, 3, 8, 10, 33}) {
        for (int64_t k : {1, 4, 10, 32}) {
          SCOPED_TRACE(::testing::Message()
                       << dtype_name(dt) << " " << m << "x" << k << " @ " << k << "x" << n);
          const Tensor a = randn64({m, k}, 1).to(dt), b = randn64({k, n}, 2).to(dt);
          const Tensor at = randn64({k, m}, 3).to(dt).t(), bt = randn64({n, k}, 4).to(dt).t();
          expect_values(mm(a, b), naive_mm(a, b), tol, tol);
          expect_values(mm(a, bt), naive_mm(a, bt), tol, tol);
          expect_values(mm(at, b), naive_mm(at, b), tol, tol);
          expect_values(mm(at, bt), naive_mm(at, bt), tol, tol);
          const Tensor bs = randn64({k, 2 * n}, 5).to(dt).slice(1, 0, 2 * n, 2);  // strided rows of b
          expect_values(mm(a, bs), naive_mm(a, bs), tol, tol);
        }
      }
    }
  }
}

TEST(MatmulKernel, LargeAndIntegerProducts) {
  const Tensor a = randn64({70, 40}, 1), b = randn64({40, 50}, 2);  // past the small-product size
  expect_values(mm(a, b), naive_mm(a, b), 1e-10);
  expect_values(mm(a.to(kFloat32), b.to(kFloat32)), naive_mm(a, b), 1e-3, 1e-4);
  const Tensor ai = tensor({{1, 2, 3}, {4, 5, 6}}), bi = tensor({{1, 0}, {0, 1}, {1, 1}});
  EXPECT_EQ(mm(ai, bi).to_vector<int64_t>(), (std::vector<int64_t>{4, 5, 10, 11}));
  EXPECT_EQ(mm(ai.to(kUInt8), bi.to(kUInt8)).to_vector<int64_t>(), (std::vector<int64_t>{4, 5, 10, 11}));
  // A product that finishes with an addend: linear's bias on a large layer.
  const Tensor w = randn64({50, 40}, 3), bias = randn64({50}, 4);
  const auto prod = naive_mm(a, w.t());
  const auto bv = bias.to_vector<double>();
  std::vector<double> want(prod.size());
  for (size_t i = 0; i < prod.size(); ++i) want[i] = prod[i] + bv[i % 50];
  expect_values(linear(a, w, bias), want, 1e-10);
}

TEST(MatmulKernel, TransposedOperandFlagsAndAddend) {
  // The kernel reads a and b transposed when asked (as linear does with its weight, and its
  // backward with the output gradient), and adds a broadcast addend.
  const auto& k = backend::cpu_kernels();
  for (DType dt : {kFloat32, kFloat64}) {
    const double tol = dt == kFloat64 ? 1e-12 : 1e-4;
    for (int64_t m : {1, 3, 9}) {
      for (int64_t n : {1, 5, 17}) {
        for (int64_t kk : {2, 7, 40}) {
          SCOPED_TRACE(::testing::Message()
                       << dtype_name(dt) << " " << m << "x" << kk << " @ " << kk << "x" << n);
          const Tensor a = randn64({m, kk}, 1).to(dt), b = randn64({kk, n}, 2).to(dt);
          const Tensor a_t = a.t().contiguous(), b_t = b.t().contiguous();  // stored transposed
          const Tensor bias = randn64({n}, 3).to(dt);
          const auto want = naive_mm(a, b);
          std::vector<double> want_bias(want.size());
          const auto bv = bias.to_vector<double>();
          for (size_t i = 0; i < want.size(); ++i) want_bias[i] = want[i] + bv[i % static_cast<size_t>(n)];
          for (int flags = 0; flags < 4; ++flags) {
            const bool ta = flags & 1, tb = flags & 2;
            Tensor out = empty({m, n}, {.dtype = dt});
            k.bmm(out, ta ? a_t : a, tb ? b_t : b, Tensor(), ta, tb);
            expect_values(out, want, tol, tol);
            k.bmm(out, ta ? a_t : a, tb ? b_t : b, bias, ta, tb);
            expect_values(out, want_bias, tol, tol);
          }
        }
      }
    }
  }
  // Batched, with the flags applying to each matrix.
  const Tensor a = randn64({2, 3, 4}, 4), b = randn64({2, 4, 5}, 5);
  Tensor out = empty({2, 3, 5}, {.dtype = kFloat64});
  k.bmm(out, a.transpose(1, 2).contiguous(), b.transpose(1, 2).contiguous(), Tensor(), true, true);
  expect_values(out.select(0, 1), naive_mm(a.select(0, 1), b.select(0, 1)), 1e-12);
}
