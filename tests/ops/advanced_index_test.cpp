// Tensor::index and Tensor::index_put_: basic indices give views, tensor indices gather with
// PyTorch 1.13's placement rules (shapes and values below were printed by PyTorch), gradients
// accumulate over repeated indices, and bad indices give clear errors.
#include "support/test_util.h"

using namespace strata;
using strata::test::expect_error;
using strata::test::leaf;
using strata::test::noncontiguous_leaf;

namespace {
std::vector<double> values(const Tensor& t) { return t.to_vector<double>(); }
Tensor idx(std::initializer_list<int64_t> v) { return tensor(v); }
// x[a, b, c, d] = 60a + 20b + 5c + d
Tensor x4() { return arange(120, {.dtype = kFloat64}).view({2, 3, 4, 5}); }
double at(int64_t a, int64_t b, int64_t c, int64_t d) {
  return static_cast<double>(60 * a + 20 * b + 5 * c + d);
}
}  // namespace

TEST(IndexBasic, IntegersSlicesNoneAndEllipsisGiveViews) {
  const Tensor x = x4();
  Tensor r = x.index({1});
  EXPECT_EQ(r.shape(), Shape({3, 4, 5}));
  EXPECT_EQ(r.data_ptr(), static_cast<char*>(x.data_ptr()) + 60 * sizeof(double));  // shares memory
  Tensor s = x.index({Slice(), Slice(1), 0, Slice(std::nullopt, std::nullopt, 2)});
  EXPECT_EQ(s.shape(), Shape({2, 2, 3}));
  EXPECT_EQ(values(s)[0], at(0, 1, 0, 0));
  EXPECT_EQ(values(s)[4], at(0, 2, 0, 2));
  EXPECT_EQ(values(s).back(), at(1, 2, 0, 4));
  Tensor neg = x.index({-1, Slice(-2)});
  EXPECT_EQ(neg.shape(), Shape({2, 4, 5}));
  EXPECT_EQ(values(neg)[0], at(1, 1, 0, 0));
  EXPECT_EQ(x.index({None, 0, None}).shape(), Shape({1, 1, 3, 4, 5}));
  EXPECT_EQ(x.index({Ellipsis, 1}).shape(), Shape({2, 3, 4}));
  EXPECT_EQ(values(x.index({Ellipsis, 1}))[1], at(0, 0, 1, 1));
  EXPECT_EQ(x.index({0, Ellipsis, 2, None}).shape(), Shape({3, 4, 1}));
  EXPECT_EQ(x.index({Slice(-10, 10)}).shape(), x.shape());                  // clamped like Python
  EXPECT_EQ(x.index({Slice(), Slice(5, 1)}).shape(), Shape({2, 0, 4, 5}));  // empty, not an error
  EXPECT_EQ(tensor(5.0).index({None}).shape(), Shape({1}));
  EXPECT_EQ(tensor(5.0).index({Ellipsis}).shape(), Shape({}));
  EXPECT_EQ(x.index(std::vector<TensorIndex>{}).shape(), x.shape());
}

TEST(IndexAdvanced, IntegerTensors) {
  const Tensor x = x4();
  Tensor r = x.index({idx({1, 0, -1})});  // negative positions count from the end
  EXPECT_EQ(r.shape(), Shape({3, 3, 4, 5}));
  EXPECT_EQ(values(r)[0], at(1, 0, 0, 0));
  EXPECT_EQ(values(r)[60], at(0, 0, 0, 0));
  EXPECT_EQ(values(r)[179], at(1, 2, 3, 4));
  const Tensor i = idx({0, 1});
  // Adjacent advanced indices keep their place; an integer in between is a basic select.
  EXPECT_EQ(values(x.index({Slice(), i, 0, i})), (std::vector<double>{0, 21, 60, 81}));
  // Separated ones go first.
  Tensor sep = x.index({Slice(), i, Slice(), i});
  EXPECT_EQ(sep.shape(), Shape({2, 2, 4}));
  EXPECT_EQ(values(sep.select(2, 0)), (std::vector<double>{0, 60, 21, 81}));
  EXPECT_EQ(x.index({Slice(), i, Slice(), 0}).shape(), Shape({2, 2, 4}));
  EXPECT_EQ(x.index({i, None, i}).shape(), Shape({2, 1, 4, 5}));
  EXPECT_EQ(x.index({Ellipsis, i}).shape(), Shape({2, 3, 4, 2}));
  // Index tensors broadcast together.
  Tensor b = x.index({i.view({2, 1}), i});
  EXPECT_EQ(b.shape(), Shape({2, 2, 4, 5}));
  EXPECT_EQ(values(b.index({Slice(), Slice(), 0, 0})),
            (std::vector<double>{at(0, 0, 0, 0), at(0, 1, 0, 0), at(1, 0, 0, 0), at(1, 1, 0, 0)}));
  EXPECT_EQ(x.index({tensor(1)}).shape(), Shape({3, 4, 5}));
  EXPECT_EQ(x.index({empty({0}, {.dtype = kInt64})}).shape(), Shape({0, 3, 4, 5}));
  // A non-contiguous input.
  const Tensor t = arange(6, {.dtype = kFloat64}).view({2, 3}).t();  // [[0, 3], [1, 4], [2, 5]]
  EXPECT_EQ(values(t.index({idx({2, 0}), idx({1, 1})})), (std::vector<double>{5, 3}));
}

TEST(IndexAdvanced, BoolMasks) {
  const Tensor x = x4();
  const Tensor m = tensor({{true, false, true}, {false, false, true}});
  Tensor r = x.index({m});
  EXPECT_EQ(r.shape(), Shape({3, 4, 5}));
  EXPECT_EQ(values(r.index({Slice(), 0, 0})), (std::vector<double>{0, 40, 100}));
  Tensor m2 = zeros({3, 4}, {.dtype = kBool});
  m2.index_put_({0, 1}, true);
  m2.index_put_({2, 3}, true);
  Tensor mid = x.index({Slice(), m2});
  EXPECT_EQ(mid.shape(), Shape({2, 2, 5}));
  EXPECT_EQ(values(mid.select(2, 0)), (std::vector<double>{5, 55, 65, 115}));
  EXPECT_EQ(values(x.index({m, idx({1, 2, 3})}).select(1, 0)), (std::vector<double>{5, 50, 115}));
  EXPECT_EQ(x.index({tensor({true, false}), Slice(), idx({3})}).shape(), Shape({1, 3, 5}));
  EXPECT_EQ(x.index({tensor(true)}).shape(), Shape({1, 2, 3, 4, 5}));
  EXPECT_EQ(x.index({tensor(false)}).shape(), Shape({0, 2, 3, 4, 5}));
  EXPECT_EQ(values(x.index({x > 117.0})), (std::vector<double>{118, 119}));
}

TEST(IndexAdvanced, Gradients) {
  auto f = [](std::vector<TensorIndex> index) {
    return [index](const std::vector<Tensor>& in) { return in[0].index(index); };
  };
  EXPECT_GRADCHECK(f({idx({2, 0, 2, 2})}), {leaf({3, 4})});  // repeated rows accumulate
  EXPECT_GRADCHECK(f({Slice(), idx({1, 1, 3})}), {noncontiguous_leaf({3, 4})});
  EXPECT_GRADCHECK(f({idx({0, 2}), Slice(), idx({1, 1})}), {leaf({3, 2, 4})});
  EXPECT_GRADCHECK(f({tensor({{true, false}, {true, true}})}), {leaf({2, 2, 3})});
  EXPECT_GRADCHECK(f({None, Ellipsis, 1, Slice(1)}), {noncontiguous_leaf({2, 3, 4})});  // basic: views
  EXPECT_GRADCHECK(f({empty({0}, {.dtype = kInt64})}), {leaf({3, 2})});
  EXPECT_GRADCHECK(f({tensor(true)}), {leaf({})});
  EXPECT_GRADGRADCHECK(f({idx({1, 1}), idx({0, 2})}), {leaf({2, 3})});
  Tensor x = leaf({3});
  x.index({idx({1, 1, 1, 0})}).sum().backward();
  EXPECT_EQ(values(x.grad()), (std::vector<double>{1, 3, 0}));
}

TEST(IndexAdvanced, Errors) {
  const Tensor x = x4();
  expect_error([&] { x.index({0, 0, 0, 0, 0}); }, "[index] too many indices for [2, 3, 4, 5] float64 cpu");
  expect_error(
      [&] {
        x.index({0, 3});
      },
      "[index] index 3 is out of range for dim 1 with size 3 of [2, 3, 4, 5] float64 cpu (expected an "
      "index in [-3, 2])");
  expect_error(
      [&] {
        x.index({Slice(), idx({0, 1, 7})});
      },
      "[index] index 7 at position 2 is out of range for dim 1 with size 3 (expected an index in [-3, 2])");
  expect_error(
      [&] {
        x.index({None, Slice(), tensor({{0, -4}})});
      },
      "[index] index -4 at position (0, 1) is out of range for dim 1 with size 3");
  expect_error([&] { x.index({tensor({1.0})}); }, "[index] tensors used as indices must be int64");
  expect_error([&] { x.index({tensor({1}, {.dtype = kInt32})}); },
               "[index] tensors used as indices must be int64");
  expect_error(
      [&] {
        x.index({ones({3, 3}, {.dtype = kBool})});
      },
      "[index] the mask [3, 3] bool cpu does not match the dims 0..1");
  expect_error([&] { x.index({idx({0, 1}), idx({0, 1, 2})}); }, "cannot be broadcast together");
  expect_error([&] { x.index({Ellipsis, 0, Ellipsis}); }, "[index] an index can hold only one Ellipsis");
  expect_error([&] { x.index({Slice(0, 2, 0)}); }, "[index] slice step must be positive, got 0");
  expect_error([&] { tensor(5.0).index({0}); }, "[index] too many indices for [] float32 cpu");
  expect_error([&] { x.index({Tensor()}); }, "[index] an index tensor is undefined");
}

TEST(IndexPut, WritesMasksTensorsAndBasicIndices) {
  Tensor y = zeros({3, 4});
  Tensor& same = y.index_put_({idx({0, 2})}, tensor({1.0, 2.0, 3.0, 4.0}));  // broadcast over the rows
  EXPECT_EQ(&same, &y);
  EXPECT_EQ(values(y), (std::vector<double>{1, 2, 3, 4, 0, 0, 0, 0, 1, 2, 3, 4}));
  y.index_put_({y > 2.5}, -1.0);
  EXPECT_EQ(values(y), (std::vector<double>{1, 2, -1, -1, 0, 0, 0, 0, 1, 2, -1, -1}));
  y.index_put_({Slice(), 1}, 7.0);
  y.index_put_({Ellipsis, idx({-1}), None}, 9.0);
  EXPECT_EQ(values(y), (std::vector<double>{1, 7, -1, 9, 0, 7, 0, 9, 1, 7, -1, 9}));
  // Integer tensors take scalars converted like PyTorch (2.5 -> 2).
  Tensor n = zeros({3, 4}, {.dtype = kInt64});
  n.index_put_({Slice(), tensor({true, false, false, true})}, 2.5);
  EXPECT_EQ(n.to_vector<int64_t>(), (std::vector<int64_t>{2, 0, 0, 2, 2, 0, 0, 2, 2, 0, 0, 2}));
  // A non-contiguous tensor is written in its own layout.
  Tensor base = zeros({4, 3});
  Tensor view = base.t();
  view.index_put_({1, idx({0, 3})}, 5.0);
  EXPECT_EQ(values(base), (std::vector<double>{0, 5, 0, 0, 0, 0, 0, 0, 0, 0, 5, 0}));
  // A value that is a view of the tensor itself is read before the write.
  Tensor r = arange(6, {.dtype = kFloat32}).view({3, 2});
  r.index_put_({idx({0, 1})}, r.index({Slice(1)}));
  EXPECT_EQ(values(r), (std::vector<double>{2, 3, 4, 5, 4, 5}));
  r.index_put_({idx({2})}, full({1, 1, 2}, 8.0f));  // leading size-1 dims of the value are dropped
  EXPECT_EQ(values(r), (std::vector<double>{2, 3, 4, 5, 8, 8}));
  const uint32_t before = r.version();
  r.index_put_({empty({0}, {.dtype = kInt64})}, 1.0f);  // nothing selected, nothing changes
  EXPECT_EQ(values(r), (std::vector<double>{2, 3, 4, 5, 8, 8}));
  EXPECT_GT(r.version(), before);
}

TEST(IndexPut, Gradients) {
  auto put = [](std::vector<TensorIndex> index) {
    return [index](const std::vector<Tensor>& in) {
      Tensor y = in[0] * 1.0;
      y.index_put_(index, in[1]);
      return y;
    };
  };
  EXPECT_GRADCHECK(put({idx({2, 0})}), {leaf({3, 4}), leaf({4}, 1)});
  EXPECT_GRADCHECK(put({Slice(), tensor({true, false, true, false})}),
                   {noncontiguous_leaf({3, 4}), leaf({3, 1}, 1)});
  EXPECT_GRADCHECK(put({1, Slice(1, 3)}), {leaf({3, 4}), leaf({}, 1)});
  EXPECT_GRADGRADCHECK(put({idx({1}), idx({3})}), {leaf({3, 4}), leaf({1}, 1)});
  // Only the value needs a gradient: the tensor written into is a constant.
  EXPECT_GRADCHECK(
      [](const std::vector<Tensor>& in) {
        Tensor y = zeros({2, 3}, {.dtype = kFloat64});
        y.index_put_({Ellipsis, idx({2, 0})}, in[0]);
        return y;
      },
      {leaf({2, 1})});
  // Overwritten elements pass no gradient back.
  Tensor x = leaf({4});
  Tensor y = x * 1.0;
  y.index_put_({idx({0, 2})}, 0.0);
  y.sum().backward();
  EXPECT_EQ(values(x.grad()), (std::vector<double>{0, 1, 0, 1}));
}

TEST(IndexPut, Errors) {
  Tensor y = zeros({3, 4});
  expect_error(
      [&] {
        y.index_put_({idx({0, 2})}, ones({3}));
      },
      "[index_put_] the value [3] float32 cpu cannot be broadcast to the shape [2, 4] of the indexed "
      "elements");
  expect_error([&] { y.index_put_({idx({0})}, ones({4}, {.dtype = kFloat64})); },
               "[index_put_] the value [4] float64 cpu must have the dtype of the tensor [3, 4] float32 cpu");
  expect_error([&] { y.index_put_({idx({5})}, 1.0f); },
               "[index_put_] index 5 at position 0 is out of range for dim 0 with size 3 (expected an index "
               "in [-3, 2])");
  expect_error(
      [&] {
        y.index_put_({idx({0})}, ones({2, 4}));
      },
      "[index_put_] the value [2, 4] float32 cpu cannot be broadcast to the shape [1, 4]");
  expect_error(
      [] {
        zeros({1, 4}).expand({3, 4}).index_put_({0}, 1.0f);
      },
      "[index_put_] cannot write into [3, 4] float32 cpu: it was expanded");
  Tensor p = zeros({3}, {.dtype = kFloat64}).requires_grad_();
  expect_error([&] { p.index_put_({0}, 1.0); },
               "[index_put_] [3] float64 cpu is a leaf tensor that requires grad");
  EXPECT_EQ(values(y), std::vector<double>(12, 0.0));  // failed writes leave the tensor as it was
}
