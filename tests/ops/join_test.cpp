// cat, stack, split and chunk: values, PyTorch's shape and dtype rules, views, gradients and
// error messages.
#include <functional>
#include <string>
#include <vector>

#include "support/test_util.h"

using namespace strata;
using strata::test::leaf;
using strata::testing::gradcheck;
using strata::testing::gradgradcheck;

namespace {

std::vector<Shape> shapes_of(const std::vector<Tensor>& ts) {
  std::vector<Shape> s;
  for (const Tensor& t : ts) s.push_back(t.shape());
  return s;
}

// Joins pieces back with a different weight on each, so gradcheck sees every piece's gradient.
Tensor weighted_join(const std::vector<Tensor>& pieces, int64_t dim) {
  std::vector<Tensor> scaled;
  for (size_t i = 0; i < pieces.size(); ++i) scaled.push_back(pieces[i] * static_cast<double>(i + 1));
  return cat(scaled, dim);
}

}  // namespace

// ---- cat ----

TEST(Cat, ValuesAlongEachDim) {
  Tensor a = tensor({{1, 2}, {3, 4}});
  Tensor b = tensor({{5, 6}});
  Tensor c0 = cat({a, b});
  EXPECT_EQ(c0.shape(), Shape({3, 2}));
  EXPECT_EQ(c0.to_vector<int64_t>(), (std::vector<int64_t>{1, 2, 3, 4, 5, 6}));
  Tensor c1 = cat({a, b.t(), a}, -1);
  EXPECT_EQ(c1.shape(), Shape({2, 5}));
  EXPECT_EQ(c1.to_vector<int64_t>(), (std::vector<int64_t>{1, 2, 5, 1, 2, 3, 4, 6, 3, 4}));
  // Non-contiguous inputs are read through their strides.
  EXPECT_EQ(cat({a.t(), a.t()}, 0).to_vector<int64_t>(), (std::vector<int64_t>{1, 3, 2, 4, 1, 3, 2, 4}));
  // One input: a copy, not an alias.
  Tensor single = cat({a});
  single.fill_(0);
  EXPECT_EQ(a.to_vector<int64_t>(), (std::vector<int64_t>{1, 2, 3, 4}));
}

TEST(Cat, PromotesDtypes) {
  Tensor i32 = tensor({1, 2}, {.dtype = kInt32});
  Tensor u8 = tensor({3}, {.dtype = kUInt8});
  EXPECT_EQ(cat({i32, u8}).dtype(), kInt32);
  EXPECT_EQ(cat({tensor({true}), u8}).dtype(), kUInt8);
  Tensor mixed = cat({i32, tensor({0.5f})});
  EXPECT_EQ(mixed.dtype(), kFloat32);
  EXPECT_EQ(mixed.to_vector<float>(), (std::vector<float>{1, 2, 0.5f}));
  EXPECT_EQ(cat({tensor({1.0f}), tensor({2.0}, {.dtype = kFloat64})}).dtype(), kFloat64);
}

TEST(Cat, SkipsLegacyEmptyVectors) {
  // PyTorch skips 1-d tensors of shape [0] whatever the rank of the others; they still promote.
  Tensor e = zeros({0}, {.dtype = kFloat64});
  Tensor m = ones({2, 2});
  Tensor c = cat({e, m, e}, 1);
  EXPECT_EQ(c.shape(), Shape({2, 2}));
  EXPECT_EQ(c.dtype(), kFloat64);
  EXPECT_EQ(cat({e, zeros({0})}).shape(), Shape({0}));
  // Empty tensors of the right rank take part normally.
  EXPECT_EQ(cat({zeros({2, 0}), m}, 1).shape(), Shape({2, 2}));
  EXPECT_EQ(cat({zeros({0, 2}), zeros({0, 2})}).shape(), Shape({0, 2}));
}

TEST(Cat, Gradcheck) {
  auto f2 = [](const std::vector<Tensor>& x) { return cat({x[0], x[1]}, 1); };
  EXPECT_TRUE(gradcheck(f2, {leaf({2, 3}), leaf({2, 4}, 1)}));
  Tensor t = leaf({3, 2}).t().detach().requires_grad_();  // non-contiguous [2, 3]
  EXPECT_TRUE(gradcheck(f2, {t, leaf({2, 1}, 1)}));
  EXPECT_TRUE(gradcheck(f2, {leaf({2, 0}), leaf({2, 3}, 1)}));
  auto f3 = [](const std::vector<Tensor>& x) { return cat({x[0], x[1], x[2]}, 0); };
  EXPECT_TRUE(gradcheck(f3, {leaf({1, 3}), leaf({0}), leaf({2, 3}, 2)}));  // [0] is skipped
  EXPECT_TRUE(gradcheck(f3, {leaf({2}), leaf({3}, 1), leaf({1}, 2)}));
  EXPECT_TRUE(gradgradcheck(f2, {leaf({2, 3}), leaf({2, 2}, 1)}));
  // Only some inputs need a gradient.
  Tensor fixed = ones({2, 2}, {.dtype = kFloat64});
  EXPECT_TRUE(gradcheck(
      [&](const std::vector<Tensor>& x) {
        return cat({fixed, x[0]}, -1);
      },
      {leaf({2, 3})}));
}

TEST(Cat, GradientKeepsEachInputsDtypeAndShape) {
  Tensor a = ones({2}, {.requires_grad = true});
  Tensor b = ones({1}, {.dtype = kFloat64, .requires_grad = true});
  Tensor skipped = zeros({0}, {.requires_grad = true});
  Tensor y = cat({a, skipped, b}) * tensor({1.0, 2.0, 3.0}, {.dtype = kFloat64});
  y.sum().backward();
  EXPECT_EQ(a.grad().dtype(), kFloat32);
  EXPECT_EQ(a.grad().to_vector<float>(), (std::vector<float>{1, 2}));
  EXPECT_EQ(b.grad().dtype(), kFloat64);
  EXPECT_EQ(b.grad().to_vector<double>(), (std::vector<double>{3}));
  EXPECT_EQ(skipped.grad().shape(), Shape({0}));
  EXPECT_EQ(cat({a, b}).grad_fn_name(), "CatBackward");
}

TEST(Cat, ErrorMessages) {
  EXPECT_ERROR(cat({}), "[cat] expected a non-empty list of tensors");
  EXPECT_ERROR(cat({ones({2}), tensor(1.0)}),
               "[cat] tensor 1 ([] float32 cpu) is 0-d and cannot be concatenated");
  EXPECT_ERROR(
      cat({ones({2, 3}), ones({3})}),
      "[cat] tensors must have the same number of dims: tensor 0 is [2, 3] float32 cpu but tensor 1 is [3]");
  EXPECT_ERROR(
      cat({ones({2, 3}), ones({2, 4})}, 0),
      "[cat] sizes must match except in dim 0: tensor 0 is [2, 3] float32 cpu but tensor 1 is [2, 4] "
      "float32 cpu (dim 1: 3 vs 4)");
  EXPECT_ERROR(cat({ones({2, 3}), ones({2, 3})}, 2), "[cat] dim 2 is out of range for a tensor with 2 dims");
  EXPECT_ERROR(cat({ones({2}), Tensor()}), "[cat] tensor 1 of the list is undefined");
  float storage[2] = {};
  EXPECT_ERROR(
      cat({ones({2}), from_blob(storage, {2}, kFloat32, Device::cuda())}),
      "[cat] expected all tensors on one device, but tensor 0 ([2] float32 cpu) is on cpu and tensor 1");
}

// ---- stack ----

TEST(Stack, ValuesAndDims) {
  Tensor a = tensor({1, 2, 3}), b = tensor({4, 5, 6});
  Tensor s0 = stack({a, b});
  EXPECT_EQ(s0.shape(), Shape({2, 3}));
  EXPECT_EQ(s0.to_vector<int64_t>(), (std::vector<int64_t>{1, 2, 3, 4, 5, 6}));
  Tensor s1 = stack({a, b}, -1);
  EXPECT_EQ(s1.shape(), Shape({3, 2}));
  EXPECT_EQ(s1.to_vector<int64_t>(), (std::vector<int64_t>{1, 4, 2, 5, 3, 6}));
  Tensor scalars = stack({tensor(1.0), tensor(2.0)});
  EXPECT_EQ(scalars.shape(), Shape({2}));
  EXPECT_EQ(stack({zeros({0}), zeros({0})}).shape(), Shape({2, 0}));
  EXPECT_EQ(stack({zeros({0}), zeros({0})}, 1).shape(), Shape({0, 2}));
  EXPECT_EQ(stack({a.to(kFloat32), a.to(kFloat64)}).dtype(), kFloat64);
}

TEST(Stack, GradcheckAndErrors) {
  auto f = [](const std::vector<Tensor>& x) { return stack({x[0], x[1], x[0]}, 1); };
  EXPECT_TRUE(gradcheck(f, {leaf({2, 3}), leaf({2, 3}, 1)}));
  EXPECT_TRUE(gradcheck(f, {leaf({3, 2}).t().detach().requires_grad_(), leaf({2, 3}, 1)}));
  auto f0 = [](const std::vector<Tensor>& x) { return stack({x[0], x[1]}, -1); };
  EXPECT_TRUE(gradcheck(f0, {leaf({}), leaf({}, 1)}));
  EXPECT_TRUE(gradcheck(f, {leaf({0, 3}), leaf({0, 3}, 1)}));
  EXPECT_ERROR(stack({}), "[stack] expected a non-empty list of tensors");
  EXPECT_ERROR(stack({ones({2}), ones({3})}),
               "[stack] expects tensors of one shape, but tensor 0 is [2] float32 cpu and tensor 1 is [3] "
               "float32 cpu");
  EXPECT_ERROR(stack({ones({2}), ones({2})}, 3), "[stack] dim 3 is out of range");
}

// ---- split and chunk ----

TEST(Split, BySizeGivesViews) {
  Tensor x = arange(10, {.dtype = kFloat32});
  auto pieces = split(x, 4);
  EXPECT_EQ(shapes_of(pieces), (std::vector<Shape>{{4}, {4}, {2}}));
  EXPECT_EQ(pieces[2].to_vector<float>(), (std::vector<float>{8, 9}));
  x.fill_(7);  // views: the pieces see the change
  EXPECT_EQ(pieces[1].to_vector<float>(), std::vector<float>(4, 7.0f));
  Tensor m = arange(12).reshape({3, 4});
  auto cols = split(m, 3, -1);
  EXPECT_EQ(shapes_of(cols), (std::vector<Shape>{{3, 3}, {3, 1}}));
  EXPECT_EQ(cols[1].to_vector<int64_t>(), (std::vector<int64_t>{3, 7, 11}));
  EXPECT_EQ(shapes_of(split(m, 5)), (std::vector<Shape>{{3, 4}}));  // one piece larger than the dim
  EXPECT_EQ(shapes_of(split(zeros({0, 2}), 2)), (std::vector<Shape>{{0, 2}}));
  EXPECT_EQ(shapes_of(split(zeros({0, 2}), 0)), (std::vector<Shape>{{0, 2}}));
}

TEST(Split, BySizes) {
  Tensor m = arange(12).reshape({3, 4});
  auto parts = split(m, std::vector<int64_t>{1, 0, 3}, 1);
  EXPECT_EQ(shapes_of(parts), (std::vector<Shape>{{3, 1}, {3, 0}, {3, 3}}));
  EXPECT_EQ(parts[2].to_vector<int64_t>(), (std::vector<int64_t>{1, 2, 3, 5, 6, 7, 9, 10, 11}));
  EXPECT_EQ(parts[0].to_vector<int64_t>(), (std::vector<int64_t>{0, 4, 8}));
}

TEST(Split, Gradcheck) {
  EXPECT_TRUE(gradcheck([](const std::vector<Tensor>& x) { return weighted_join(split(x[0], 2, 1), 1); },
                        {leaf({3, 5})}));
  EXPECT_TRUE(gradcheck(
      [](const std::vector<Tensor>& x) {
        return weighted_join(split(x[0], std::vector<int64_t>{2, 0, 1}, 0), 0);
      },
      {leaf({3, 2}).t().detach().requires_grad_().t()}));
  // Only one piece used: the others contribute zeros.
  EXPECT_TRUE(
      gradcheck([](const std::vector<Tensor>& x) { return split(x[0], 2)[1] * 3.0; }, {leaf({5, 2})}));
  EXPECT_TRUE(gradgradcheck(
      [](const std::vector<Tensor>& x) { return weighted_join(split(x[0], 1), 0) * x[0]; }, {leaf({3})}));
  Tensor x = leaf({4});
  auto parts = split(x, 3);
  EXPECT_EQ(parts[0].grad_fn_name(), "SplitBackward");
  (parts[1] * 5.0).sum().backward();
  EXPECT_EQ(x.grad().to_vector<double>(), (std::vector<double>{0, 0, 0, 5}));
}

TEST(Split, ErrorMessages) {
  EXPECT_ERROR(split(tensor(1.0), 1), "[split] cannot split a 0-d tensor ([] float32 cpu)");
  EXPECT_ERROR(split(ones({4}), -1), "[split] split_size must be non-negative, got -1");
  EXPECT_ERROR(split(ones({4}), 0),
               "[split] split_size can be 0 only when the dim is empty, but dim 0 of [4] "
               "float32 cpu has size 4");
  EXPECT_ERROR(split(ones({4}), std::vector<int64_t>{1, 2}),
               "[split] sizes [1, 2] add up to 3, but dim 0 of [4] float32 cpu has size 4");
  EXPECT_ERROR(split(ones({4}), std::vector<int64_t>{5, -1}), "[split] sizes must be non-negative, got -1");
  EXPECT_ERROR(split(ones({4}), std::vector<int64_t>{}), "[split] expected at least one size");
  EXPECT_ERROR(split(ones({4}), 2, 1), "[split] dim 1 is out of range");
}

TEST(Chunk, SizesFollowTorchChunk) {
  EXPECT_EQ(shapes_of(chunk(ones({5}), 3)), (std::vector<Shape>{{2}, {2}, {1}}));
  EXPECT_EQ(shapes_of(chunk(ones({6}), 4)), (std::vector<Shape>{{2}, {2}, {2}}));  // fewer than asked
  EXPECT_EQ(shapes_of(chunk(ones({6}), 3)), (std::vector<Shape>{{2}, {2}, {2}}));
  EXPECT_EQ(shapes_of(chunk(ones({2}), 5)), (std::vector<Shape>{{1}, {1}}));
  EXPECT_EQ(shapes_of(chunk(ones({0}), 3)), (std::vector<Shape>{{0}, {0}, {0}}));
  EXPECT_EQ(shapes_of(chunk(ones({2, 7}), 2, -1)), (std::vector<Shape>{{2, 4}, {2, 3}}));
  auto qkv = chunk(arange(6), 3);
  EXPECT_EQ(qkv[2].to_vector<int64_t>(), (std::vector<int64_t>{4, 5}));
}

TEST(Chunk, GradcheckAndErrors) {
  EXPECT_TRUE(gradcheck([](const std::vector<Tensor>& x) { return weighted_join(chunk(x[0], 3, -1), -1); },
                        {leaf({2, 7})}));
  EXPECT_TRUE(gradcheck([](const std::vector<Tensor>& x) { return weighted_join(chunk(x[0], 2), 0); },
                        {leaf({0, 2})}));
  EXPECT_ERROR(chunk(ones({4}), 0), "[chunk] the number of chunks must be positive, got 0");
  EXPECT_ERROR(chunk(tensor(1.0), 2), "[chunk] cannot split a 0-d tensor");
  EXPECT_ERROR(chunk(ones({4}), 2, -2), "[chunk] dim -2 is out of range");
}
