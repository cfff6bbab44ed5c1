// View ops: the shapes, strides and storage offsets they produce (each checked against
// PyTorch 1.13's x.stride() / x.storage_offset()), that they share memory, their errors, and
// gradcheck for every one of them on ordinary, non-contiguous, 0-d and empty inputs.
#include <functional>
#include <limits>
#include <string>
#include <vector>

#include "support/test_util.h"

using namespace strata;
using strata::test::expect_error;
using strata::test::leaf;
using strata::test::noncontiguous_leaf;
using strata::test::shares_storage;
using strata::testing::gradcheck;
using strata::testing::gradgradcheck;

namespace {

std::vector<int64_t> values(const Tensor& t) { return t.to_vector<int64_t>(); }

// The layout of a view: sizes, strides and storage offset.
void expect_layout(const Tensor& t, const Shape& sizes, const Shape& strides, int64_t offset) {
  EXPECT_EQ(t.shape(), sizes) << "sizes";
  EXPECT_EQ(t.strides(), strides) << "strides of " << t.shape();
  EXPECT_EQ(t.storage_offset(), offset) << "offset of " << t.shape();
}

using Fn = std::function<Tensor(const Tensor&)>;

void expect_gradcheck(const Fn& fn, const Tensor& input) {
  auto r = gradcheck([&](const std::vector<Tensor>& x) { return fn(x[0]); }, {input});
  EXPECT_TRUE(r.ok) << r.message;
}
void expect_gradgradcheck(const Fn& fn, const Tensor& input) {
  auto r = gradgradcheck([&](const std::vector<Tensor>& x) { return fn(x[0]); }, {input});
  EXPECT_TRUE(r.ok) << r.message;
}

}  // namespace

// ---- view / reshape ----

TEST(Views, ViewOfContiguous) {
  Tensor x = arange(12);
  Tensor v = x.view({3, 4});
  expect_layout(v, {3, 4}, {4, 1}, 0);
  EXPECT_TRUE(shares_storage(v, x));
  EXPECT_EQ(x.view({-1, 6}).shape(), (Shape{2, 6}));
  EXPECT_EQ(x.view({2, -1, 3}).shape(), (Shape{2, 2, 3}));
  EXPECT_EQ(x.view({12}).dim(), 1);
  EXPECT_EQ(tensor(5.0).view({1, 1}).shape(), (Shape{1, 1}));
  EXPECT_EQ(ones({1, 1}).view({}).dim(), 0);
}

TEST(Views, ViewShapeErrors) {
  Tensor x = arange(6);
  expect_error([&] { x.view({-1, -1}); }, "[view] only one dim can be -1");
  expect_error([&] { x.view({4, -1}); }, "[view] shape [4, -1] is invalid for [6] int64 cpu");
  expect_error([&] { x.view({-2, 3}); }, "[view] invalid size -2");
  expect_error([&] { x.view({4}); }, "[view] shape [4] has 4 elements but the input [6] int64 cpu has 6");
  expect_error([&] { x.reshape({5}); }, "[reshape]");
}

TEST(Views, ViewThatIsPossibleOnNonContiguousInput) {
  // torch.arange(24).reshape(4, 6)[:, :4].view(4, 2, 2): stride (6, 2, 1)
  Tensor a = arange(24).reshape({4, 6}).slice(1, 0, 4);
  ASSERT_FALSE(a.is_contiguous());
  Tensor va = a.view({4, 2, 2});
  expect_layout(va, {4, 2, 2}, {6, 2, 1}, 0);
  EXPECT_EQ(values(va[1]), (std::vector<int64_t>{6, 7, 8, 9}));
  // torch.arange(12).reshape(3, 4).t(): .view(4, 3, 1) stride (1, 4, 4); .view(2, 2, 3) stride (2, 1, 4)
  Tensor b = arange(12).reshape({3, 4}).t();
  expect_layout(b.view({4, 3, 1}), {4, 3, 1}, {1, 4, 4}, 0);
  Tensor vb = b.view({2, 2, 3});
  expect_layout(vb, {2, 2, 3}, {2, 1, 4}, 0);
  EXPECT_EQ(values(vb), (std::vector<int64_t>{0, 4, 8, 1, 5, 9, 2, 6, 10, 3, 7, 11}));
  // torch.arange(24).reshape(2, 3, 4).permute(1, 0, 2).view(3, 2, 2, 2): stride (4, 12, 2, 1)
  Tensor c = arange(24).reshape({2, 3, 4}).permute({1, 0, 2});
  expect_layout(c.view({3, 2, 2, 2}), {3, 2, 2, 2}, {4, 12, 2, 1}, 0);
  EXPECT_TRUE(shares_storage(c.view({3, 2, 2, 2}), c));
}

TEST(Views, ViewThatIsImpossibleSaysUseReshape) {
  Tensor a = arange(24).reshape({4, 6}).slice(1, 0, 4);
  expect_error([&] { a.view({16}); },
               "[view] cannot view [4, 4] int64 cpu (strides [6, 1]) as [16] without copying");
  expect_error([&] { arange(12).reshape({3, 4}).t().view({12}); }, "use reshape()");
  expect_error([&] { arange(24).reshape({2, 3, 4}).permute({1, 0, 2}).view({3, 8}); }, "contiguous()");
}

TEST(Views, ReshapeCopiesOnlyWhenItMust) {
  Tensor base = arange(6).reshape({2, 3});
  Tensor r = base.t().reshape({6});
  EXPECT_EQ(values(r), (std::vector<int64_t>{0, 3, 1, 4, 2, 5}));
  EXPECT_FALSE(shares_storage(r, base));
  EXPECT_TRUE(r.is_contiguous());
  Tensor v = base.reshape({3, 2});
  EXPECT_TRUE(shares_storage(v, base));
  Tensor a = arange(24).reshape({4, 6}).slice(1, 0, 4);
  EXPECT_TRUE(shares_storage(a.reshape({4, 2, 2}), a));
  EXPECT_EQ(zeros({0, 3}).reshape({-1}).shape(), (Shape{0}));
  EXPECT_EQ(ones({1, 1}).reshape({}).dim(), 0);
}

// ---- flatten / unflatten ----

TEST(Views, FlattenAndUnflatten) {
  Tensor x = arange(24).reshape({2, 3, 4});
  expect_layout(x.flatten(1), {2, 12}, {12, 1}, 0);
  expect_layout(x.flatten(0, 1), {6, 4}, {4, 1}, 0);
  expect_layout(x.flatten(), {24}, {1}, 0);
  EXPECT_EQ(x.flatten(-2, -1).shape(), (Shape{2, 12}));
  EXPECT_EQ(x.flatten(1, 1).shape(), (Shape{2, 3, 4}));
  EXPECT_EQ(tensor(5.0).flatten().shape(), (Shape{1}));
  EXPECT_EQ(values(x.transpose(0, 2).flatten()), values(x.transpose(0, 2).contiguous().view({24})));
  expect_error([&] { x.flatten(2, 1); }, "[flatten] start_dim 2 comes after end_dim 1");
  expect_error([&] { x.flatten(3); }, "[flatten] dim 3 is out of range");

  Tensor y = arange(24).reshape({2, 12});
  expect_layout(y.unflatten(1, {3, -1}), {2, 3, 4}, {12, 4, 1}, 0);
  EXPECT_EQ(y.unflatten(-1, {2, 2, 3}).shape(), (Shape{2, 2, 2, 3}));
  EXPECT_EQ(y.unflatten(0, {1, 2}).shape(), (Shape{1, 2, 12}));
  expect_error([&] { y.unflatten(1, {5, -1}); }, "[unflatten] sizes [5, -1] do not multiply to the size 12");
  expect_error([&] { y.unflatten(1, {5, 2}); }, "[unflatten]");
  expect_error([&] { y.unflatten(2, {1}); }, "[unflatten] dim 2 is out of range");
}

// ---- unsqueeze / squeeze ----

TEST(Views, UnsqueezeAndSqueezeStrides) {
  // torch.arange(24).reshape(2, 3, 4).permute(2, 0, 1): stride (1, 12, 4);
  // .unsqueeze(1) stride (1, 24, 12, 4); .unsqueeze(3) stride (1, 12, 4, 1)
  Tensor p = arange(24).reshape({2, 3, 4}).permute({2, 0, 1});
  expect_layout(p, {4, 2, 3}, {1, 12, 4}, 0);
  expect_layout(p.unsqueeze(1), {4, 1, 2, 3}, {1, 24, 12, 4}, 0);
  expect_layout(p.unsqueeze(3), {4, 2, 3, 1}, {1, 12, 4, 1}, 0);
  expect_layout(p.unsqueeze(-1), {4, 2, 3, 1}, {1, 12, 4, 1}, 0);
  EXPECT_EQ(p.unsqueeze(0).shape(), (Shape{1, 4, 2, 3}));
  EXPECT_EQ(tensor(5.0).unsqueeze(0).shape(), (Shape{1}));
  expect_error([&] { p.unsqueeze(5); }, "[unsqueeze] dim 5 is out of range");

  Tensor q = ones({2, 1, 3, 1});
  expect_layout(q.squeeze(), {2, 3}, {3, 1}, 0);
  expect_layout(q.squeeze(1), {2, 3, 1}, {3, 1, 1}, 0);
  expect_layout(q.squeeze(-1), {2, 1, 3}, {3, 3, 1}, 0);
  expect_layout(q.squeeze(0), {2, 1, 3, 1}, {3, 3, 1, 1}, 0);  // size 2: unchanged
  EXPECT_EQ(tensor(5.0).squeeze(0).dim(), 0);
  EXPECT_EQ(ones({1, 1}).squeeze().dim(), 0);
  expect_error([&] { q.squeeze(4); }, "[squeeze] dim 4 is out of range");
}

// ---- transpose / t / mT / permute ----

TEST(Views, TransposeAndPermuteStrides) {
  Tensor x = arange(24).reshape({2, 3, 4});
  expect_layout(x.transpose(0, 2), {4, 3, 2}, {1, 4, 12}, 0);
  expect_layout(x.transpose(-1, 0), {4, 3, 2}, {1, 4, 12}, 0);
  expect_layout(x.mT(), {2, 4, 3}, {12, 1, 4}, 0);
  expect_layout(x.permute({2, 0, 1}), {4, 2, 3}, {1, 12, 4}, 0);
  expect_layout(x.permute({-1, 0, 1}), {4, 2, 3}, {1, 12, 4}, 0);
  EXPECT_EQ(values(x.permute({2, 0, 1})[1]), (std::vector<int64_t>{1, 5, 9, 13, 17, 21}));
  Tensor m = arange(6).reshape({2, 3});
  expect_layout(m.t(), {3, 2}, {1, 3}, 0);
  EXPECT_EQ(values(m.t()), (std::vector<int64_t>{0, 3, 1, 4, 2, 5}));
  EXPECT_EQ(arange(3).t().shape(), (Shape{3}));
  EXPECT_EQ(tensor(5.0).t().dim(), 0);
  EXPECT_EQ(tensor(5.0).transpose(0, -1).dim(), 0);
  EXPECT_EQ(tensor(5.0).permute({}).dim(), 0);
  expect_error([&] { x.t(); }, "[t] expects a tensor with at most 2 dims, got [2, 3, 4] int64 cpu");
  expect_error([&] { arange(4).mT(); }, "[transpose] dim -2 is out of range");
  expect_error([&] { x.transpose(0, 3); }, "[transpose] dim 3 is out of range");
  expect_error([&] { x.permute({0, 1}); }, "[permute] got 2 dims [0, 1] for [2, 3, 4] int64 cpu");
  expect_error([&] { x.permute({0, 0, 1}); }, "[permute] dim 0 appears twice");
  expect_error([&] { x.permute({0, 1, 3}); }, "[permute] dim 3 is out of range");
}

// ---- expand ----

TEST(Views, ExpandStrides) {
  expect_layout(arange(3).expand({2, 3}), {2, 3}, {0, 1}, 0);
  expect_layout(arange(3).reshape({3, 1}).expand({-1, 4}), {3, 4}, {1, 0}, 0);
  expect_layout(arange(3).reshape({3, 1}).expand({2, 3, 4}), {2, 3, 4}, {0, 1, 0}, 0);
  expect_layout(tensor(5.0).expand({2, 2}), {2, 2}, {0, 0}, 0);
  EXPECT_EQ(values(arange(3).reshape({3, 1}).expand({3, 2})), (std::vector<int64_t>{0, 0, 1, 1, 2, 2}));
  Tensor x = arange(3);
  EXPECT_TRUE(shares_storage(x.expand({4, 3}), x));
  EXPECT_EQ(ones({2}).expand_as(zeros({5, 2})).shape(), (Shape{5, 2}));
}

TEST(Views, ExpandErrors) {
  expect_error([] { ones({2}).expand({3}); },
               "[expand] cannot expand [2] float32 cpu to [3]: dim 0 has size 2");
  expect_error(
      [] {
        ones({2, 3}).expand({3});
      },
      "[expand] target [3] has fewer dims than [2, 3] float32 cpu");
  expect_error([] { ones({2}).expand({-1, 2}); }, "[expand] size -1 is not allowed for a new leading dim");
}

TEST(Views, ExpandToNegativeSizeIsAnError) {
  expect_error([] { ones({1}).expand({-2}); }, "[expand]");
  expect_error([] { ones({1}).expand({3, -5}); }, "[expand]");
}

// ---- narrow / select / slice ----

TEST(Views, NarrowAndSelect) {
  Tensor x = arange(24).reshape({2, 3, 4});
  expect_layout(x.narrow(2, 1, 2), {2, 3, 2}, {12, 4, 1}, 1);
  expect_layout(x.narrow(2, -2, 2), {2, 3, 2}, {12, 4, 1}, 2);
  expect_layout(x.narrow(0, 1, 1), {1, 3, 4}, {12, 4, 1}, 12);
  EXPECT_TRUE(x.narrow(0, 1, 1).is_contiguous());
  EXPECT_EQ(x.narrow(1, 3, 0).numel(), 0);
  expect_layout(x.select(1, -1), {2, 4}, {12, 1}, 8);
  EXPECT_EQ(values(x.select(1, -1)), (std::vector<int64_t>{8, 9, 10, 11, 20, 21, 22, 23}));
  expect_layout(x.select(2, 3), {2, 3}, {12, 4}, 3);
  expect_layout(x[1], {3, 4}, {4, 1}, 12);
  EXPECT_EQ(x[1][2][3].item<int64_t>(), 23);
  EXPECT_EQ(x[-1][0][0].item<int64_t>(), 12);
  expect_error([] { ones({3}).narrow(0, 2, 2); },
               "[narrow] start 2 with length 2 is out of range for dim 0 of size 3");
  expect_error([] { ones({3}).narrow(0, 0, -1); }, "[narrow]");
  expect_error([] { tensor(1.0).narrow(0, 0, 1); }, "[narrow] cannot narrow a 0-d tensor");
  expect_error([] { ones({3}).select(0, 3); }, "[select] index 3 is out of range for dim 0 with size 3");
  expect_error([] { ones({3}).select(0, -4); }, "[select] index -4 is out of range");
  expect_error([] { tensor(1.0).select(0, 0); }, "[select] cannot index a 0-d tensor");
  expect_error([] { ones({3})[0][0]; }, "[select] cannot index a 0-d tensor");
}

TEST(Views, NarrowWithAHugeLengthIsAnError) {
  expect_error([] { ones({3}).narrow(0, 1, std::numeric_limits<int64_t>::max()); }, "[narrow]");
}

TEST(Views, SliceLikePython) {
  Tensor x = arange(10);
  // torch.arange(10)[-3:-1] etc.: values, stride and storage offset
  expect_layout(x.slice(0, -3, -1), {2}, {1}, 7);
  EXPECT_EQ(values(x.slice(0, -3, -1)), (std::vector<int64_t>{7, 8}));
  EXPECT_EQ(values(x.slice(0, -100, 3)), (std::vector<int64_t>{0, 1, 2}));
  expect_layout(x.slice(0, 5, 2), {0}, {1}, 5);
  expect_layout(x.slice(0, 1, std::nullopt, 3), {3}, {3}, 1);
  EXPECT_EQ(values(x.slice(0, 1, std::nullopt, 3)), (std::vector<int64_t>{1, 4, 7}));
  EXPECT_EQ(values(x.slice(0, -1, std::nullopt)), (std::vector<int64_t>{9}));
  EXPECT_EQ(values(x.slice(0, std::nullopt, 100, 4)), (std::vector<int64_t>{0, 4, 8}));
  EXPECT_EQ(x.slice(0, 10, std::nullopt).numel(), 0);
  Tensor m = arange(12).reshape({3, 4});
  expect_layout(m.slice(1, 1, std::nullopt, 2), {3, 2}, {4, 2}, 1);
  EXPECT_EQ(values(m.slice(1, 1, std::nullopt, 2)), (std::vector<int64_t>{1, 3, 5, 7, 9, 11}));
  expect_layout(m.slice(0, 1, std::nullopt).slice(1, -3, std::nullopt), {2, 3}, {4, 1}, 5);
  expect_layout(m.slice(-1, 0, 4, 5), {3, 1}, {4, 5}, 0);
  expect_error([&] { x.slice(0, 0, 5, 0); }, "[slice] step must be positive, got 0");
  expect_error([&] { x.slice(0, 0, 5, -1); }, "[slice] step must be positive, got -1");
  expect_error([&] { x.slice(1, 0, 5); }, "[slice] dim 1 is out of range");
  expect_error([] { tensor(1.0).slice(0, 0, 1); }, "[slice] cannot slice a 0-d tensor");
}

TEST(Views, OffsetsAccumulateThroughChains) {
  Tensor x = arange(60).reshape({3, 4, 5});
  Tensor v = x.select(0, 2).slice(0, 1, std::nullopt, 2).narrow(1, 2, 3).t();
  // x[2, 1::2, 2:5].t(): offset 40 + 5 + 2
  expect_layout(v, {3, 2}, {1, 10}, 47);
  EXPECT_EQ(values(v), (std::vector<int64_t>{47, 57, 48, 58, 49, 59}));
  EXPECT_TRUE(shares_storage(v, x));
}

// ---- memory sharing and contiguity ----

TEST(Views, WritingThroughAViewChangesTheBase) {
  Tensor base = zeros({3, 4}, {.dtype = kFloat64, .requires_grad = true});
  {
    NoGradGuard no_grad;
    base.select(0, 1).fill_(5);
    base.t().select(0, 2).fill_(7);    // column 2
    base.slice(1, 0, 4, 3).add_(1.0);  // columns 0 and 3
    base.view({12}).narrow(0, 0, 1).zero_();
  }
  EXPECT_EQ(base.to_vector<double>(), (std::vector<double>{0, 0, 7, 1, 6, 5, 7, 6, 1, 0, 7, 1}));
  EXPECT_EQ(base.unsqueeze(0).expand({2, 3, 4})[1][1][1].item<double>(), 5.0);
}

TEST(Views, WritingTheBaseShowsInTheView) {
  Tensor base = arange(6.0).reshape({2, 3});
  Tensor col = base.t()[1];
  base.fill_(9);
  EXPECT_EQ(col.to_vector<float>(), (std::vector<float>{9, 9}));
  base[1].copy_(tensor({1.0, 2.0, 3.0}));
  EXPECT_EQ(col.to_vector<float>(), (std::vector<float>{9, 2}));
}

TEST(Views, ContiguityFlags) {
  Tensor x = arange(24).reshape({2, 3, 4});
  EXPECT_TRUE(x.is_contiguous());
  EXPECT_FALSE(x.transpose(0, 1).is_contiguous());
  EXPECT_FALSE(x.slice(2, 0, 2).is_contiguous());
  EXPECT_TRUE(x.slice(0, 1, 2).is_contiguous());
  EXPECT_FALSE(x.slice(2, 0, 4, 2).is_contiguous());
  EXPECT_FALSE(arange(3).expand({2, 3}).is_contiguous());
  EXPECT_TRUE(x.unsqueeze(1).is_contiguous());
  EXPECT_TRUE(x.select(0, 1).is_contiguous());
  // A size-1 dim's stride does not matter: [1, 4] with strides (1, 1) is contiguous.
  EXPECT_TRUE(arange(4).reshape({4, 1}).t().is_contiguous());
}

TEST(Views, ContiguousCopiesOnlyWhenNeeded) {
  Tensor x = arange(6).reshape({2, 3});
  EXPECT_EQ(x.contiguous().data_ptr(), x.data_ptr());
  Tensor c = x.t().contiguous();
  EXPECT_TRUE(c.is_contiguous());
  expect_layout(c, {3, 2}, {2, 1}, 0);
  EXPECT_FALSE(shares_storage(c, x));
  EXPECT_EQ(values(c), (std::vector<int64_t>{0, 3, 1, 4, 2, 5}));
  Tensor e = arange(2).expand({3, 2}).contiguous();
  expect_layout(e, {3, 2}, {2, 1}, 0);
  EXPECT_EQ(values(e), (std::vector<int64_t>{0, 1, 0, 1, 0, 1}));
  Tensor s = arange(10).slice(0, 2, 8, 3).contiguous();
  expect_layout(s, {2}, {1}, 0);
  EXPECT_EQ(values(s), (std::vector<int64_t>{2, 5}));
}

// ---- gradients ----

TEST(ViewsGrad, View) {
  expect_gradcheck([](const Tensor& x) { return x.view({3, 4}); }, leaf({2, 6}));
  expect_gradcheck([](const Tensor& x) { return x.view({-1}); }, leaf({2, 3}));
  expect_gradcheck([](const Tensor& x) { return x.view({4, 3, 1}); }, noncontiguous_leaf({4, 3}));
  expect_gradcheck([](const Tensor& x) { return x.view({1, 1}); }, leaf({}));
  expect_gradcheck([](const Tensor& x) { return x.view({3, 0}); }, leaf({0, 3}));
}

TEST(ViewsGrad, Reshape) {
  expect_gradcheck([](const Tensor& x) { return x.reshape({4, 3}); }, leaf({2, 6}));
  expect_gradcheck([](const Tensor& x) { return x.reshape({12}); }, noncontiguous_leaf({3, 4}));  // copies
  expect_gradcheck([](const Tensor& x) { return x.reshape({2, -1}); }, noncontiguous_leaf({2, 3, 2}));
  expect_gradcheck([](const Tensor& x) { return x.reshape({1}); }, leaf({}));
  expect_gradcheck([](const Tensor& x) { return x.reshape({-1}); }, leaf({2, 0}));
}

TEST(ViewsGrad, FlattenAndUnflatten) {
  expect_gradcheck([](const Tensor& x) { return x.flatten(1); }, leaf({2, 3, 2}));
  expect_gradcheck([](const Tensor& x) { return x.flatten(); }, noncontiguous_leaf({2, 3, 2}));
  expect_gradcheck([](const Tensor& x) { return x.flatten(); }, leaf({}));
  expect_gradcheck([](const Tensor& x) { return x.flatten(0, 1); }, leaf({0, 2, 2}));
  expect_gradcheck([](const Tensor& x) { return x.unflatten(1, {2, -1}); }, leaf({3, 4}));
  expect_gradcheck([](const Tensor& x) { return x.unflatten(0, {2, 2}); }, noncontiguous_leaf({4, 3}));
  expect_gradcheck([](const Tensor& x) { return x.unflatten(1, {0, 2}); }, leaf({3, 0}));
}

TEST(ViewsGrad, UnsqueezeAndSqueeze) {
  expect_gradcheck([](const Tensor& x) { return x.unsqueeze(1); }, leaf({2, 3}));
  expect_gradcheck([](const Tensor& x) { return x.unsqueeze(-1); }, noncontiguous_leaf({2, 3}));
  expect_gradcheck([](const Tensor& x) { return x.unsqueeze(0); }, leaf({}));
  expect_gradcheck([](const Tensor& x) { return x.unsqueeze(0); }, leaf({0}));
  expect_gradcheck([](const Tensor& x) { return x.squeeze(); }, leaf({2, 1, 3, 1}));
  expect_gradcheck([](const Tensor& x) { return x.squeeze(1); }, noncontiguous_leaf({2, 1, 3}));
  expect_gradcheck([](const Tensor& x) { return x.squeeze(0); }, leaf({}));
  expect_gradcheck([](const Tensor& x) { return x.squeeze(); }, leaf({1, 0, 1}));
}

TEST(ViewsGrad, TransposeAndPermute) {
  expect_gradcheck([](const Tensor& x) { return x.transpose(0, 2); }, leaf({2, 3, 4}));
  expect_gradcheck([](const Tensor& x) { return x.t(); }, noncontiguous_leaf({3, 2}));
  expect_gradcheck([](const Tensor& x) { return x.mT(); }, leaf({2, 2, 3}));
  expect_gradcheck([](const Tensor& x) { return x.t(); }, leaf({}));
  expect_gradcheck([](const Tensor& x) { return x.transpose(0, 1); }, leaf({0, 3}));
  expect_gradcheck([](const Tensor& x) { return x.permute({2, 0, 1}); }, leaf({2, 3, 4}));
  expect_gradcheck([](const Tensor& x) { return x.permute({1, 2, 0}); }, noncontiguous_leaf({2, 3, 4}));
  expect_gradcheck([](const Tensor& x) { return x.permute({}); }, leaf({}));
  expect_gradcheck([](const Tensor& x) { return x.permute({1, 0}); }, leaf({2, 0}));
}

TEST(ViewsGrad, Expand) {
  expect_gradcheck([](const Tensor& x) { return x.expand({4, 3}); }, leaf({3}));
  expect_gradcheck([](const Tensor& x) { return x.expand({2, 3, 4}); }, leaf({3, 1}));
  expect_gradcheck(
      [](const Tensor& x) {
        return x.unsqueeze(1).expand({3, 4, 2});
      },
      noncontiguous_leaf({3, 2}));
  expect_gradcheck([](const Tensor& x) { return x.t().expand({5, 3, 2}); }, noncontiguous_leaf({2, 3}));
  expect_gradcheck([](const Tensor& x) { return x.expand({3, 2}); }, leaf({}));
  expect_gradcheck([](const Tensor& x) { return x.expand({2, 0}); }, leaf({1, 0}));
  expect_gradcheck([](const Tensor& x) { return x.expand({0, 3}); }, leaf({1, 3}));
}

TEST(ViewsGrad, NarrowSelectSlice) {
  expect_gradcheck([](const Tensor& x) { return x.narrow(1, 1, 2); }, leaf({2, 4}));
  expect_gradcheck([](const Tensor& x) { return x.narrow(0, 2, 2); }, noncontiguous_leaf({4, 3}));
  expect_gradcheck([](const Tensor& x) { return x.narrow(0, 1, 0); }, leaf({3}));
  expect_gradcheck([](const Tensor& x) { return x.select(1, -1); }, leaf({2, 3}));
  expect_gradcheck([](const Tensor& x) { return x.select(0, 1); }, noncontiguous_leaf({3, 4}));
  expect_gradcheck([](const Tensor& x) { return x.select(0, 2); }, leaf({3}));  // to 0-d
  expect_gradcheck([](const Tensor& x) { return x.select(0, 1); }, leaf({2, 0}));
  expect_gradcheck([](const Tensor& x) { return x.slice(1, 1, std::nullopt, 2); }, leaf({2, 6}));
  expect_gradcheck([](const Tensor& x) { return x.slice(0, -4, -1, 2); }, noncontiguous_leaf({5, 3}));
  expect_gradcheck([](const Tensor& x) { return x.slice(0, 3, 1); }, leaf({4}));
  expect_gradcheck([](const Tensor& x) { return x.slice(1, 0, 2); }, leaf({0, 3}));
}

TEST(ViewsGrad, ChainsOfViews) {
  expect_gradcheck(
      [](const Tensor& x) {
        return x.t().reshape({2, 6}).slice(1, 1, std::nullopt, 2).unsqueeze(0).expand({2, 2, 3}).select(2, 1);
      },
      noncontiguous_leaf({3, 4}));
  expect_gradcheck(
      [](const Tensor& x) {
        return x.permute({2, 0, 1}).flatten(1).narrow(1, 1, 3).transpose(0, 1).squeeze();
      },
      leaf({2, 3, 1}));
  // Two overlapping views of one input, combined: their gradients add up in the input.
  expect_gradcheck([](const Tensor& x) { return x.slice(0, 0, 3) * x.slice(0, 1, 4) + x.t().t()[2]; },
                   noncontiguous_leaf({4, 2}));
  expect_gradcheck([](const Tensor& x) { return x.view({2, 3}).t().contiguous().view({6}); }, leaf({6}));
}

TEST(ViewsGrad, SecondDerivatives) {
  expect_gradgradcheck([](const Tensor& x) { return x.slice(1, 0, 3, 2) * x.select(1, 1).unsqueeze(1); },
                       leaf({2, 4}));
  expect_gradgradcheck([](const Tensor& x) { return x.t().reshape({6}) * x.flatten(); },
                       noncontiguous_leaf({2, 3}));
  expect_gradgradcheck(
      [](const Tensor& x) {
        return x.expand({3, 2}) * x.permute({0}).narrow(0, 0, 2);
      },
      leaf({2}));
}

TEST(ViewsGrad, GradientLandsInTheLeafsShape) {
  Tensor x = noncontiguous_leaf({3, 4});
  x.select(0, 1).slice(0, 0, 4, 3).sum().backward();
  EXPECT_EQ(x.grad().shape(), (Shape{3, 4}));
  EXPECT_EQ(x.grad().to_vector<double>(), (std::vector<double>{0, 0, 0, 0, 1, 0, 0, 1, 0, 0, 0, 0}));
}
