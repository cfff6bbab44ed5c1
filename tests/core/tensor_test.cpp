// Tensor's own methods: clone, detach, copy_, fill_/zero_, describe, undefined tensors, typed
// data access, and the autograd flags they set.
#include <functional>
#include <string>
#include <vector>

#include "support/test_util.h"

using namespace strata;
using strata::test::expect_error;
using strata::test::leaf;
using strata::test::shares_storage;

// ---- clone ----

TEST(Tensor, CloneIsDeep) {
  Tensor x = tensor({1.0, 2.0, 3.0});
  Tensor c = x.clone();
  EXPECT_FALSE(shares_storage(c, x));
  c.fill_(0);
  EXPECT_EQ(x.to_vector<float>(), (std::vector<float>{1, 2, 3}));
  EXPECT_EQ(c.dtype(), x.dtype());
  Tensor t = arange(6).reshape({2, 3}).t();
  Tensor ct = t.clone();
  EXPECT_EQ(ct.shape(), (Shape{3, 2}));
  EXPECT_EQ(ct.to_vector<int64_t>(), t.to_vector<int64_t>());
  EXPECT_EQ(tensor(2.5).clone().item<float>(), 2.5f);
  EXPECT_EQ(zeros({0, 2}).clone().shape(), (Shape{0, 2}));
  EXPECT_EQ(tensor({1.0}).to(kFloat16).clone().dtype(), kFloat16);
}

TEST(Tensor, CloneIsDifferentiable) {
  Tensor x = leaf({2, 3});
  Tensor c = x.clone();
  EXPECT_FALSE(c.is_leaf());
  EXPECT_EQ(c.grad_fn_name(), "CloneBackward");
  auto r = strata::testing::gradcheck([](const std::vector<Tensor>& v) { return v[0].clone() * v[0]; }, {x});
  EXPECT_TRUE(r.ok) << r.message;
  auto r2 = strata::testing::gradcheck([](const std::vector<Tensor>& v) { return v[0].t().clone(); }, {x});
  EXPECT_TRUE(r2.ok) << r2.message;
}

// ---- detach ----

TEST(Tensor, DetachSharesMemoryWithoutHistory) {
  Tensor x = leaf({3});
  Tensor y = x * 2;
  Tensor d = y.detach();
  EXPECT_TRUE(shares_storage(d, y));
  EXPECT_EQ(d.data_ptr(), y.data_ptr());
  EXPECT_FALSE(d.requires_grad());
  EXPECT_TRUE(d.is_leaf());
  EXPECT_EQ(d.grad_fn_name(), "");
  d.fill_(7);  // writes are visible through the original
  EXPECT_EQ(y.to_vector<double>(), (std::vector<double>{7, 7, 7}));
  Tensor v = arange(6).reshape({2, 3}).t();
  Tensor dv = v.detach();
  EXPECT_EQ(dv.strides(), v.strides());
  EXPECT_EQ(dv.storage_offset(), v.storage_offset());
  // A leaf detached and made to require grad again is a new, independent leaf.
  Tensor fresh = x.detach().requires_grad_();
  (fresh * 3).sum().backward();
  EXPECT_FALSE(x.grad().defined());
  EXPECT_EQ(fresh.grad().to_vector<double>(), (std::vector<double>{3, 3, 3}));
}

TEST(Tensor, DetachInPlace) {
  Tensor x = leaf({2});
  Tensor y = x * 2;
  y.detach_();
  EXPECT_FALSE(y.requires_grad());
  EXPECT_TRUE(y.is_leaf());
}

// ---- copy_ ----

TEST(Tensor, CopyBroadcastsAndConverts) {
  Tensor dst = zeros({2, 3});
  dst.copy_(tensor({1, 2, 3}));  // int64 source, broadcast over rows
  EXPECT_EQ(dst.dtype(), kFloat32);
  EXPECT_EQ(dst.to_vector<float>(), (std::vector<float>{1, 2, 3, 1, 2, 3}));
  Tensor ints = zeros({3}, {.dtype = kInt32});
  ints.copy_(tensor({1.7, -2.7, 3.0}));
  EXPECT_EQ(ints.to_vector<int32_t>(), (std::vector<int32_t>{1, -2, 3}));
  Tensor col = zeros({2, 2});
  col.copy_(tensor({{5.0}, {6.0}}));
  EXPECT_EQ(col.to_vector<float>(), (std::vector<float>{5, 5, 6, 6}));
  Tensor scalar_src = zeros({2});
  scalar_src.copy_(tensor(4.0, {.dtype = kFloat64}));
  EXPECT_EQ(scalar_src.to_vector<float>(), (std::vector<float>{4, 4}));
  Tensor half = zeros({2}, {.dtype = kFloat16});
  half.copy_(tensor({0.1, 2.0}));
  EXPECT_EQ(half.to_vector<Half>()[0].bits, 0x2e66);  // torch.tensor(0.1).half()
}

TEST(Tensor, CopyIntoAView) {
  Tensor base = zeros({3, 3});
  base.t()[1].copy_(tensor({1.0, 2.0, 3.0}));  // column 1
  EXPECT_EQ(base.to_vector<float>(), (std::vector<float>{0, 1, 0, 0, 2, 0, 0, 3, 0}));
  base.slice(0, 0, 3, 2).copy_(ones({1, 3}));  // rows 0 and 2
  EXPECT_EQ(base.to_vector<float>(), (std::vector<float>{1, 1, 1, 0, 2, 0, 1, 1, 1}));
}

TEST(Tensor, CopyErrors) {
  expect_error([] { zeros({2, 3}).copy_(zeros({2})); }, "[copy_]");
  expect_error(
      [] {
        zeros({3}).copy_(zeros({2, 3}));
      },
      "cannot be broadcast to the destination [3] float32 cpu");
  expect_error([] { zeros({3}).copy_(Tensor()); }, "[copy_] operand 1 is an undefined tensor");
  Tensor x = leaf({2});
  expect_error([&] { x.copy_(zeros({2}, {.dtype = kFloat64})); },
               "[copy_] [2] float64 cpu is a leaf tensor that requires grad");
  {
    NoGradGuard no_grad;  // as an optimizer or initialiser does
    x.copy_(tensor({1.0, 2.0}));
  }
  EXPECT_EQ(x.to_vector<double>(), (std::vector<double>{1, 2}));
}

TEST(Tensor, CopyWithOverlappingSourceIsCorrectOrRefused) {
  Tensor x = tensor({{1, 2}, {3, 4}});
  try {
    x.copy_(x.t());
    EXPECT_EQ(x.to_vector<int64_t>(), (std::vector<int64_t>{1, 3, 2, 4}));
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("[copy_]"), std::string::npos) << e.what();
  }
  Tensor y = tensor({1, 2, 3, 4});
  try {
    y.slice(0, 1, std::nullopt).copy_(y.slice(0, 0, 3));
    EXPECT_EQ(y.to_vector<int64_t>(), (std::vector<int64_t>{1, 1, 2, 3}));
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("[copy_]"), std::string::npos) << e.what();
  }
}

TEST(Tensor, CopyCarriesTheGradientOfTheSource) {
  auto fn = [](const std::vector<Tensor>& v) {
    Tensor dst = zeros({2, 3}, {.dtype = kFloat64});
    dst.copy_(v[0]);  // broadcast [3] -> [2, 3]
    return dst * 2;
  };
  auto r = strata::testing::gradcheck(fn, {leaf({3})});
  EXPECT_TRUE(r.ok) << r.message;
  Tensor src = leaf({2});
  Tensor dst = zeros({2}, {.dtype = kFloat64});
  dst.copy_(src);
  EXPECT_TRUE(dst.requires_grad());
  dst.sum().backward();
  EXPECT_EQ(src.grad().to_vector<double>(), (std::vector<double>{1, 1}));
}

// ---- fill_ / zero_ ----

TEST(Tensor, FillAndZero) {
  Tensor x = empty({2, 2});
  x.fill_(2.5);
  EXPECT_EQ(x.to_vector<float>(), (std::vector<float>{2.5, 2.5, 2.5, 2.5}));
  x.zero_();
  EXPECT_EQ(x.to_vector<float>(), (std::vector<float>{0, 0, 0, 0}));
  Tensor i = zeros({2}, {.dtype = kInt64});
  i.fill_(2.7);  // torch: truncates to 2
  EXPECT_EQ(i.to_vector<int64_t>(), (std::vector<int64_t>{2, 2}));
  Tensor b = zeros({2}, {.dtype = kBool});
  b.fill_(true);
  EXPECT_EQ(b.to_vector<bool>(), (std::vector<bool>{true, true}));
  Tensor h = zeros({1}, {.dtype = kBFloat16});
  h.fill_(1.5);
  EXPECT_EQ(h.to_vector<float>(), (std::vector<float>{1.5f}));
  Tensor m = zeros({3, 3});
  m.t()[2].fill_(1);  // a strided view
  EXPECT_EQ(m.to_vector<float>(), (std::vector<float>{0, 0, 1, 0, 0, 1, 0, 0, 1}));
  EXPECT_EQ(&m.zero_(), &m);  // returns itself for chaining
}

TEST(Tensor, InPlaceWritesBumpTheVersion) {
  Tensor x = zeros({2});
  const uint32_t v0 = x.version();
  x.fill_(1);
  EXPECT_GT(x.version(), v0);
  const uint32_t v1 = x.version();
  x[0].zero_();  // through a view: same storage, same counter
  EXPECT_GT(x.version(), v1);
}

TEST(Tensor, FillOfALeafThatRequiresGradIsRefused) {
  Tensor x = leaf({2});
  expect_error([&] { x.fill_(0); }, "[fill_] [2] float64 cpu is a leaf tensor that requires grad");
  expect_error([&] { x.zero_(); }, "[fill_]");
  NoGradGuard no_grad;
  x.zero_();
  EXPECT_EQ(x.to_vector<double>(), (std::vector<double>{0, 0}));
  EXPECT_TRUE(x.requires_grad());  // a no-grad write keeps the leaf a parameter
}

TEST(Tensor, FillCutsTheHistory) {
  Tensor x = leaf({2});
  Tensor y = x * 2;
  y.fill_(3);
  EXPECT_FALSE(y.requires_grad());
  EXPECT_EQ(y.grad_fn_name(), "");
}

// ---- describe ----

TEST(Tensor, Describe) {
  EXPECT_EQ(zeros({2, 3}).describe(), "[2, 3] float32 cpu");
  EXPECT_EQ(tensor(1).describe(), "[] int64 cpu");
  EXPECT_EQ(zeros({0}, {.dtype = kBFloat16}).describe(), "[0] bfloat16 cpu");
  Tensor w = zeros({4, 10});
  w.set_name("SimpleNet.fc1.weight");
  EXPECT_EQ(w.describe(), "SimpleNet.fc1.weight [4, 10] float32 cpu");
  EXPECT_EQ(w.t().describe(), "SimpleNet.fc1.weight [10, 4] float32 cpu");  // views keep the name
  EXPECT_EQ(Tensor().describe(), "undefined tensor");
}

// ---- undefined tensors ----

TEST(Tensor, UndefinedTensorErrors) {
  Tensor u;
  EXPECT_FALSE(u.defined());
  const std::string msg = "[Tensor] this tensor is undefined";
  expect_error([&] { (void)u.shape(); }, msg);
  expect_error([&] { (void)u.numel(); }, msg);
  expect_error([&] { (void)u.dtype(); }, msg);
  expect_error([&] { (void)u.dim(); }, msg);
  expect_error([&] { (void)u.requires_grad(); }, msg);
  expect_error([&] { u.item<float>(); }, msg);
  expect_error([&] { u.to_vector<float>(); }, msg);
  expect_error([&] { u.view({1}); }, msg);
  expect_error([&] { u.fill_(1); }, msg);
  expect_error([&] { u.to(kFloat64); }, msg);
  expect_error([&] { u.clone(); }, "undefined");
  expect_error([&] { u + ones({1}); }, "[add] operand 0 is an undefined tensor");
  expect_error([&] { ones({1}) * u; }, "[mul] operand 1 is an undefined tensor");
}

// ---- typed data access ----

TEST(Tensor, DataPointer) {
  Tensor x = arange(6).reshape({2, 3});
  EXPECT_EQ(x.data<int64_t>()[4], 4);
  Tensor row = x[1];
  EXPECT_EQ(row.data<int64_t>()[0], 3);  // points at the view's first element
  EXPECT_EQ(static_cast<int64_t*>(row.data_ptr()) - x.data<int64_t>(), 3);
  expect_error([&] { x.data<float>(); }, "[data] the tensor is [2, 3] int64 cpu, but float32 was requested");
  expect_error([&] { zeros({1}, {.dtype = kFloat16}).data<float>(); }, "but float32 was requested");
  EXPECT_NO_THROW(zeros({1}, {.dtype = kFloat16}).data<Half>());
  EXPECT_NO_THROW(zeros({1}, {.dtype = kBool}).data<bool>());
}

// ---- metadata and autograd flags ----

TEST(Tensor, SizeAndStrideAcceptNegativeDims) {
  Tensor x = zeros({2, 3, 4});
  EXPECT_EQ(x.size(-1), 4);
  EXPECT_EQ(x.size(0), 2);
  EXPECT_EQ(x.stride(-3), 12);
  expect_error([&] { x.size(3); }, "[size] dim 3 is out of range for a tensor with 3 dims");
  expect_error([&] { x.stride(-4); }, "[stride] dim -4 is out of range");
}

TEST(Tensor, RequiresGradRules) {
  Tensor x = zeros({2}, {.dtype = kFloat64});
  EXPECT_FALSE(x.requires_grad());
  EXPECT_TRUE(x.requires_grad_().requires_grad());
  EXPECT_FALSE(x.requires_grad_(false).requires_grad());
  expect_error(
      [] {
        tensor({1, 2}).requires_grad_();
      },
      "[requires_grad_] only floating-point tensors can require gradients, got [2] int64 cpu");
  Tensor y = leaf({2}) * 2;
  expect_error([&] { y.requires_grad_(false); }, "only leaf tensors can change requires_grad");
  EXPECT_EQ(y.grad_fn_name(), "MulBackward");
  NoGradGuard no_grad;
  EXPECT_FALSE((leaf({2}) * 2).requires_grad());
}
