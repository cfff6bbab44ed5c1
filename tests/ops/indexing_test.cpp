// index_select, gather, scatter, scatter_add, index_add, one_hot, embedding, tril, triu, nonzero:
// values (hand-computed or printed by PyTorch 1.13), gradients and error messages.
#include <set>

#include "ops/registry.h"
#include "support/test_util.h"

using namespace strata;
using strata::test::expect_error;
using strata::test::leaf;
using strata::test::noncontiguous_leaf;

namespace {
std::vector<double> values(const Tensor& t) { return t.to_vector<double>(); }
std::vector<int64_t> ints(const Tensor& t) { return t.to_vector<int64_t>(); }
Tensor idx(std::initializer_list<int64_t> v) { return tensor(v); }
Tensor grid() { return arange(12, {.dtype = kFloat32}).view({3, 4}); }  // [[0..3], [4..7], [8..11]]
}  // namespace

// ---- index_select ----

TEST(IndexSelect, PicksRowsAndColumns) {
  const Tensor x = grid();
  Tensor rows = index_select(x, 0, idx({2, 0, 2}));
  EXPECT_EQ(rows.shape(), Shape({3, 4}));
  EXPECT_EQ(values(rows), (std::vector<double>{8, 9, 10, 11, 0, 1, 2, 3, 8, 9, 10, 11}));
  Tensor cols = index_select(x, -1, tensor({3, 1}, {.dtype = kInt32}));
  EXPECT_EQ(values(cols), (std::vector<double>{3, 1, 7, 5, 11, 9}));
}

TEST(IndexSelect, NonContiguousInputZeroDIndexAndEmptyIndex) {
  const Tensor xt = grid().t();  // [4, 3]
  EXPECT_EQ(values(index_select(xt, 0, idx({1}))), (std::vector<double>{1, 5, 9}));
  EXPECT_EQ(index_select(arange(5), 0, tensor(2)).shape(), Shape({1}));  // as PyTorch: a 0-d index gives [1]
  Tensor none = index_select(grid(), 0, empty({0}, {.dtype = kInt64}));
  EXPECT_EQ(none.shape(), Shape({0, 4}));
  EXPECT_EQ(index_select(tensor(5.0), 0, idx({0})).item<double>(), 5.0);
}

TEST(IndexSelect, Errors) {
  const Tensor x = arange(5, {.dtype = kFloat32});
  expect_error(
      [&] {
        index_select(x, 0, idx({0, 1, 7}));
      },
      "[index_select] index 7 at position 2 is out of range for dim 0 with size 5 (expected an index in "
      "[0, 4])");
  expect_error([&] { index_select(x, 0, idx({-1})); }, "index -1 at position 0 is out of range");
  expect_error([&] { index_select(x, 0, tensor({1.0})); },
               "[index_select] index must be an int64 or int32 tensor");
  expect_error([&] { index_select(x, 0, idx({1}).view({1, 1})); }, "[index_select] index must be 0-d or 1-d");
  expect_error([&] { index_select(x, 1, idx({1})); }, "[index_select] dim 1 is out of range");
  expect_error([&] { index_select(empty({0}), 0, idx({0})); },
               "with size 0 (an empty dim has no valid index)");
}

TEST(IndexSelect, Gradients) {
  auto f = [](int64_t dim, Tensor index) {
    return [dim, index](const std::vector<Tensor>& in) { return index_select(in[0], dim, index); };
  };
  EXPECT_GRADCHECK(f(0, idx({2, 0, 2, 2})), {leaf({3, 4})});  // repeated indices accumulate
  EXPECT_GRADCHECK(f(1, idx({3, 1})), {noncontiguous_leaf({3, 4})});
  EXPECT_GRADCHECK(f(0, idx({0})), {leaf({})});
  EXPECT_GRADCHECK(f(0, empty({0}, {.dtype = kInt64})), {leaf({3, 4})});
  EXPECT_GRADGRADCHECK(f(1, idx({0, 0, 2})), {leaf({2, 3})});
  Tensor x = leaf({3});
  index_select(x, 0, idx({1, 1, 2})).sum().backward();
  EXPECT_EQ(values(x.grad()), (std::vector<double>{0, 2, 1}));
  EXPECT_EQ(index_select(x, 0, idx({1})).grad_fn_name(), "IndexSelectBackward");
}

// ---- gather ----

TEST(Gather, ValuesFromPyTorch) {
  const Tensor x = grid();
  // torch.arange(12.).view(3,4).gather(1, [[3,0],[1,1],[2,0]])
  EXPECT_EQ(values(gather(x, 1, tensor({{3, 0}, {1, 1}, {2, 0}}))), (std::vector<double>{3, 0, 5, 5, 10, 8}));
  EXPECT_EQ(values(gather(x, 0, tensor({{2, 0, 1, 0}}))), (std::vector<double>{8, 1, 6, 3}));
  // Non-contiguous input and index.
  const Tensor index = tensor({{0, 1, 2}, {2, 2, 0}}).t();  // [3, 2]
  EXPECT_EQ(values(gather(x.t(), 1, index)), (std::vector<double>{0, 8, 5, 9, 10, 2}));
  EXPECT_EQ(gather(tensor(5.0), 0, idx({0, 0})).shape(), Shape({2}));
  EXPECT_EQ(gather(x, 1, empty({3, 0}, {.dtype = kInt64})).shape(), Shape({3, 0}));
}

TEST(Gather, Errors) {
  const Tensor x = grid();
  expect_error(
      [&] {
        gather(x, 1, tensor({{0}, {4}}));
      },
      "[gather] index 4 at position (1, 0) is out of range for dim 1 with size 4");
  expect_error([&] { gather(x, 1, tensor({{0}}, {.dtype = kInt32})); },
               "[gather] index must be an int64 tensor");
  expect_error([&] { gather(x, 1, idx({0})); }, "[gather] index must have as many dims as the input");
  expect_error(
      [&] {
        gather(x, 1, zeros({4, 1}, {.dtype = kInt64}));
      },
      "[gather] index [4, 1] int64 cpu is larger than the input [3, 4] float32 cpu at dim 0");
}

TEST(Gather, Gradients) {
  const Tensor index = tensor({{3, 3, 0}, {1, 1, 1}});  // repeated along the gathered dim
  auto f = [index](const std::vector<Tensor>& in) { return gather(in[0], 1, index); };
  EXPECT_GRADCHECK(f, {leaf({2, 4})});
  EXPECT_GRADCHECK(f, {noncontiguous_leaf({3, 4})});
  EXPECT_GRADCHECK([](const auto& in) { return gather(in[0], 0, tensor(0)); }, {leaf({})});
  EXPECT_GRADCHECK(
      [](const auto& in) {
        return gather(in[0], 0, empty({0, 2}, {.dtype = kInt64}));
      },
      {leaf({3, 2})});
  EXPECT_GRADGRADCHECK(f, {leaf({2, 4})});
}

// ---- scatter / scatter_add ----

TEST(Scatter, ValuesFromPyTorch) {
  const Tensor src = tensor({{1.0, 2.0, 9.0}, {3.0, 4.0, 9.0}});  // larger than index: extra columns unused
  EXPECT_EQ(values(scatter(zeros({2, 4}), 1, tensor({{3, 0}, {1, 2}}), src)),
            (std::vector<double>{2, 0, 0, 1, 0, 3, 4, 0}));
  EXPECT_EQ(values(scatter_add(zeros({2, 4}), 1, tensor({{3, 3}, {1, 1}}), src)),
            (std::vector<double>{0, 0, 0, 3, 0, 7, 0, 0}));
  // The input is copied, not modified; a non-contiguous input keeps its values elsewhere.
  const Tensor x = grid().t();  // [4, 3]
  Tensor y = scatter(x, 0, tensor({{1, 0, 3}}), full({1, 3}, -1.0f));
  EXPECT_EQ(values(y), (std::vector<double>{0, -1, 8, -1, 5, 9, 2, 6, 10, 3, 7, -1}));
  EXPECT_EQ(values(x.select(1, 0)), (std::vector<double>{0, 1, 2, 3}));
  EXPECT_EQ(values(scatter_add(tensor(1.0), 0, idx({0, 0}), tensor({2.0, 3.0}))), std::vector<double>{6});
  EXPECT_EQ(ints(scatter_add(zeros({3}, {.dtype = kInt64}), 0, idx({2, 2}), idx({5, 6}))),
            (std::vector<int64_t>{0, 0, 11}));
}

TEST(Scatter, Errors) {
  const Tensor x = zeros({2, 4});
  expect_error(
      [&] {
        scatter(x, 1, tensor({{0, 4}}), ones({1, 2}));
      },
      "[scatter] index 4 at position (0, 1) is out of range for dim 1 with size 4");
  expect_error(
      [&] {
        scatter_add(x, 1, tensor({{0, 1}}), ones({1, 1}));
      },
      "[scatter_add] index [1, 2] int64 cpu is larger than src [1, 1] float32 cpu at dim 1");
  expect_error(
      [&] {
        scatter(x, 1, tensor({{0}}), ones({1, 1}, {.dtype = kFloat64}));
      },
      "[scatter] src [1, 1] float64 cpu must have the dtype of the input");
  expect_error(
      [&] {
        scatter(x, 0, tensor({{0}}, {.dtype = kInt32}), ones({1, 1}));
      },
      "[scatter] index must be an int64 tensor");
  expect_error([&] { scatter(x, 0, tensor({{0}}), ones({1})); },
               "[scatter] src must have as many dims as index");
}

TEST(Scatter, Gradients) {
  // Unique positions: scatter's gradient is exact (as in PyTorch, duplicates would race).
  const Tensor unique = tensor({{2, 0}, {1, 3}, {0, 2}});
  auto sc = [unique](const std::vector<Tensor>& in) { return scatter(in[0], 1, unique, in[1]); };
  EXPECT_GRADCHECK(sc, {leaf({3, 4}), leaf({3, 3}, 1)});  // src wider than index: zero gradient there
  EXPECT_GRADCHECK(sc, {noncontiguous_leaf({3, 4}), noncontiguous_leaf({3, 2}, 1)});
  EXPECT_GRADGRADCHECK(sc, {leaf({3, 4}), leaf({3, 2}, 1)});
  const Tensor repeated = tensor({{2, 2, 2}, {1, 1, 3}});
  auto sa = [repeated](const std::vector<Tensor>& in) { return scatter_add(in[0], 1, repeated, in[1]); };
  EXPECT_GRADCHECK(sa, {leaf({2, 4}), leaf({3, 3}, 1)});
  EXPECT_GRADCHECK(sa, {noncontiguous_leaf({2, 4}), noncontiguous_leaf({2, 3}, 1)});
  EXPECT_GRADGRADCHECK(sa, {leaf({2, 4}), leaf({2, 3}, 1)});
  EXPECT_GRADCHECK([](const auto& in) { return scatter_add(in[0], 0, tensor(0), in[1]); },
                   {leaf({}), leaf({}, 1)});
  EXPECT_GRADCHECK(
      [](const auto& in) {
        return scatter(in[0], 0, empty({0, 2}, {.dtype = kInt64}), in[1]);
      },
      {leaf({3, 2}), leaf({1, 2}, 1)});
  // Overwritten positions pass no gradient to the input.
  Tensor x = leaf({4});
  scatter(x, 0, idx({1, 3}), zeros({2}, {.dtype = kFloat64})).sum().backward();
  EXPECT_EQ(values(x.grad()), (std::vector<double>{1, 0, 1, 0}));
}

// ---- index_add ----

TEST(IndexAdd, RepeatedIndicesAccumulate) {
  // torch.ones(3,2).index_add(0, [2,0,2], [[1,2],[3,4],[5,6]])
  const Tensor src = tensor({{1.0, 2.0}, {3.0, 4.0}, {5.0, 6.0}});
  EXPECT_EQ(values(index_add(ones({3, 2}), 0, idx({2, 0, 2}), src)), (std::vector<double>{4, 5, 1, 1, 7, 9}));
  EXPECT_EQ(values(index_add(ones({2, 3}), 1, tensor({2, 2, 0}, {.dtype = kInt32}), src.t().contiguous())),
            (std::vector<double>{6, 1, 5, 7, 1, 7}));
  EXPECT_EQ(values(index_add(tensor(1.0), 0, idx({0, 0}), tensor({1.0, 1.0}))), std::vector<double>{3});
  EXPECT_EQ(values(index_add(ones({2}), 0, empty({0}, {.dtype = kInt64}), empty({0}))),
            (std::vector<double>{1, 1}));
}

TEST(IndexAdd, Errors) {
  expect_error(
      [] {
        index_add(zeros({2, 3}), 0, idx({0, 0}), ones({2, 2}));
      },
      "[index_add] src [2, 2] float32 cpu must have the shape [2, 3]");
  expect_error(
      [] {
        index_add(zeros({2, 3}), 0, idx({0, 2}), ones({2, 3}));
      },
      "[index_add] index 2 at position 1 is out of range for dim 0 with size 2");
  expect_error([] { index_add(zeros({2}), 0, idx({0}), ones({1}, {.dtype = kFloat64})); },
               "must have the dtype of the input");
  expect_error([] { index_add(zeros({2}), 0, tensor({0.0}), ones({1})); },
               "[index_add] index must be an int64");
}

TEST(IndexAdd, Gradients) {
  const Tensor index = idx({2, 0, 2});
  auto f = [index](const std::vector<Tensor>& in) { return index_add(in[0], 0, index, in[1]); };
  EXPECT_GRADCHECK(f, {leaf({3, 2}), leaf({3, 2}, 1)});
  EXPECT_GRADCHECK(f, {noncontiguous_leaf({3, 2}), noncontiguous_leaf({3, 2}, 1)});
  EXPECT_GRADGRADCHECK(f, {leaf({3, 2}), leaf({3, 2}, 1)});
  EXPECT_GRADCHECK(
      [](const auto& in) {
        return index_add(in[0], 0, idx({0, 0}), in[1]);
      },
      {leaf({}), leaf({2}, 1)});
  EXPECT_GRADCHECK([](const auto& in) { return index_add(in[0], 1, empty({0}, {.dtype = kInt64}), in[1]); },
                   {leaf({2, 3}), leaf({2, 0}, 1)});
}

// ---- one_hot ----

TEST(OneHot, ValuesAndInferredClasses) {
  Tensor y = one_hot(idx({0, 2}));
  EXPECT_EQ(y.dtype(), kInt64);
  EXPECT_EQ(y.shape(), Shape({2, 3}));
  EXPECT_EQ(ints(y), (std::vector<int64_t>{1, 0, 0, 0, 0, 1}));
  EXPECT_EQ(ints(one_hot(tensor(1), 3)), (std::vector<int64_t>{0, 1, 0}));
  EXPECT_EQ(one_hot(tensor({{1, 0}, {0, 1}}).t(), 4).shape(), Shape({2, 2, 4}));
  EXPECT_EQ(ints(one_hot(tensor({{1, 0}, {3, 1}}).t(), 4)),
            (std::vector<int64_t>{0, 1, 0, 0, 0, 0, 0, 1, 1, 0, 0, 0, 0, 1, 0, 0}));
  EXPECT_EQ(one_hot(empty({0}, {.dtype = kInt64}), 5).shape(), Shape({0, 5}));
}

TEST(OneHot, Errors) {
  expect_error(
      [] {
        one_hot(idx({0, 2}), 2);
      },
      "[one_hot] class value 2 at position 1 is out of range for num_classes 2");
  expect_error(
      [] {
        one_hot(idx({0, -1}), 3);
      },
      "[one_hot] class values must be non-negative, got -1 at position 1");
  expect_error([] { one_hot(empty({0}, {.dtype = kInt64})); },
               "[one_hot] cannot infer the number of classes");
  expect_error([] { one_hot(tensor({1}, {.dtype = kInt32}), 3); },
               "[one_hot] indices must be an int64 tensor");
  expect_error([] { one_hot(idx({1}), -2); }, "[one_hot] num_classes must be positive");
}

// ---- embedding ----

TEST(Embedding, RowsForIndicesOfAnyShape) {
  const Tensor weight = arange(6, {.dtype = kFloat32}).view({3, 2});
  Tensor e = embedding(weight, tensor({{2, 0}, {1, 2}}));
  EXPECT_EQ(e.shape(), Shape({2, 2, 2}));
  EXPECT_EQ(values(e), (std::vector<double>{4, 5, 0, 1, 2, 3, 4, 5}));
  EXPECT_EQ(embedding(weight, tensor(1)).shape(), Shape({2}));
  EXPECT_EQ(values(embedding(weight.t().contiguous().t(), tensor({1}, {.dtype = kInt32}))),
            (std::vector<double>{2, 3}));
  EXPECT_EQ(embedding(weight, empty({0, 4}, {.dtype = kInt64})).shape(), Shape({0, 4, 2}));
}

TEST(Embedding, GradientAccumulatesRepeatedRows) {
  Tensor weight = leaf({4, 3});
  const Tensor indices = tensor({{1, 3}, {1, 1}});
  embedding(weight, indices).sum().backward();
  EXPECT_EQ(values(weight.grad()), (std::vector<double>{0, 0, 0, 3, 3, 3, 0, 0, 0, 1, 1, 1}));
  auto f = [indices](const std::vector<Tensor>& in) { return embedding(in[0], indices); };
  EXPECT_GRADCHECK(f, {leaf({4, 3})});
  EXPECT_GRADCHECK(f, {noncontiguous_leaf({4, 3})});
  EXPECT_GRADGRADCHECK(f, {leaf({4, 3})});
  EXPECT_GRADCHECK([](const auto& in) { return embedding(in[0], tensor(2)); }, {leaf({3, 2})});
  EXPECT_GRADCHECK([](const auto& in) { return embedding(in[0], empty({0}, {.dtype = kInt64})); },
                   {leaf({3, 2})});
}

TEST(Embedding, Errors) {
  const Tensor weight = zeros({3, 2});
  expect_error(
      [&] {
        embedding(weight, tensor({{0, 1}, {3, 0}}));
      },
      "[embedding] index 3 at position (1, 0) is out of range for dim 0 with size 3");
  expect_error([&] { embedding(weight, idx({-1})); }, "[embedding] index -1 at position 0 is out of range");
  expect_error([&] { embedding(zeros({3}), idx({0})); }, "[embedding] weight must be 2-d");
  expect_error([&] { embedding(weight, tensor({0.0})); },
               "[embedding] indices must be an int64 or int32 tensor");
}

// ---- tril / triu ----

TEST(Tril, ValuesFromPyTorch) {
  const Tensor x = grid();
  EXPECT_EQ(values(tril(x)), (std::vector<double>{0, 0, 0, 0, 4, 5, 0, 0, 8, 9, 10, 0}));
  EXPECT_EQ(values(tril(x, 1)), (std::vector<double>{0, 1, 0, 0, 4, 5, 6, 0, 8, 9, 10, 11}));
  EXPECT_EQ(values(tril(x, -1)), (std::vector<double>{0, 0, 0, 0, 4, 0, 0, 0, 8, 9, 0, 0}));
  EXPECT_EQ(values(triu(x, -1)), (std::vector<double>{0, 1, 2, 3, 4, 5, 6, 7, 0, 9, 10, 11}));
  EXPECT_EQ(values(triu(x, 5)), std::vector<double>(12, 0.0));
  // Batched, non-contiguous, and bool.
  const Tensor b = arange(8, {.dtype = kFloat64}).view({2, 2, 2}).transpose(1, 2);
  EXPECT_EQ(values(triu(b)), (std::vector<double>{0, 2, 0, 3, 4, 6, 0, 7}));
  EXPECT_EQ(tril(ones({2, 2}, {.dtype = kBool})).to_vector<bool>(),
            (std::vector<bool>{true, false, true, true}));
  EXPECT_EQ(tril(zeros({0, 3})).shape(), Shape({0, 3}));
}

TEST(Tril, GradientsAndErrors) {
  EXPECT_GRADCHECK([](const auto& in) { return tril(in[0], 1); }, {leaf({3, 4})});
  EXPECT_GRADCHECK([](const auto& in) { return triu(in[0], -1); }, {noncontiguous_leaf({2, 3, 3})});
  EXPECT_GRADCHECK([](const auto& in) { return triu(in[0]); }, {leaf({0, 2})});
  EXPECT_GRADGRADCHECK([](const auto& in) { return tril(in[0]); }, {leaf({3, 3})});
  expect_error([] { tril(ones({3})); }, "[tril] expected a matrix or a batch of matrices (at least 2 dims)");
  expect_error([] { triu(tensor(1.0)); }, "[triu] expected a matrix");
}

// ---- nonzero ----

TEST(Nonzero, CoordinatesOfNonZeroElements) {
  Tensor nz = nonzero(tensor({{0, 1}, {2, 0}}));
  EXPECT_EQ(nz.dtype(), kInt64);
  EXPECT_EQ(nz.shape(), Shape({2, 2}));
  EXPECT_EQ(ints(nz), (std::vector<int64_t>{0, 1, 1, 0}));
  EXPECT_EQ(ints(nonzero(tensor({{0, 1}, {2, 0}}).t())), (std::vector<int64_t>{0, 1, 1, 0}));
  EXPECT_EQ(ints(nonzero(tensor({false, true, true}))), (std::vector<int64_t>{1, 2}));
  EXPECT_EQ(nonzero(tensor({std::nan(""), 0.0})).shape(), Shape({1, 1}));  // NaN is not zero
  EXPECT_EQ(nonzero(tensor(5.0)).shape(), Shape({1, 0}));
  EXPECT_EQ(nonzero(tensor(0.0)).shape(), Shape({0, 0}));
  EXPECT_EQ(nonzero(zeros({0, 3})).shape(), Shape({0, 2}));
  expect_error([] { nonzero(Tensor()); }, "[nonzero] operand 0 is an undefined tensor");
}

TEST(IndexingRegistry, EveryIndexingOpIsRegistered) {
  std::set<std::string_view> names;
  for (const auto& op : ops::op_registry()) {
    names.insert(op.name);
    if (op.name == "one_hot" || op.name == "nonzero") {
      EXPECT_FALSE(op.differentiable) << op.name;
    }
  }
  for (const char* name : {"index_select", "gather", "scatter", "scatter_add", "index_add", "one_hot",
                           "embedding", "tril", "triu", "nonzero", "index", "index_put_"})
    EXPECT_TRUE(names.count(name)) << name;
}
