// nn::Embedding: PyTorch's initialisation, padding_idx (zeroed at init, no gradient, returns what
// the row holds), from_pretrained, state_dict, gradcheck and errors naming the layer.
#include <gtest/gtest.h>

#include <cmath>

#include "strata/nn/embedding.h"
#include "support/test_util.h"

using namespace strata;
using namespace strata::test;

namespace {

Tensor ids(std::vector<int64_t> v, const Shape& shape) { return from_vector(v, shape); }

struct Net : nn::Module {
  nn::Embedding tok{10, 4, 0};
  Tensor forward(const Tensor& x) { return tok(x); }
  STRATA_MODULE(Net, tok)
};

}  // namespace

TEST(Embedding, InitIsStandardNormalWithThePaddingRowZeroed) {
  nn::Embedding emb(2000, 50, -1);
  EXPECT_EQ(emb.weight.shape(), Shape({2000, 50}));
  EXPECT_TRUE(emb.weight.requires_grad());
  ASSERT_EQ(emb.padding_idx(), std::optional<int64_t>(1999));
  const auto w = emb.weight.to_vector<float>();
  double sum = 0, sq = 0;
  for (size_t i = 0; i < w.size() - 50; ++i) sum += w[i], sq += double(w[i]) * w[i];
  const double n = double(w.size() - 50), mean = sum / n, var = sq / n - mean * mean;
  EXPECT_NEAR(mean, 0.0, 0.01);
  EXPECT_NEAR(var, 1.0, 0.02);
  expect_values(emb.weight[1999], std::vector<double>(50, 0.0), 0.0);
  EXPECT_EQ(emb.num_embeddings(), 2000);
  EXPECT_EQ(emb.embedding_dim(), 50);
}

TEST(Embedding, ForwardPicksRowsAndThePaddingRowTakesNoGradient) {
  nn::Embedding emb = nn::Embedding::from_pretrained(
      from_vector(std::vector<double>{0, 1, 10, 11, 20, 21, 30, 31}, {4, 2}), /*freeze=*/false, 1);
  const Tensor x = ids({2, 1, 1, 3, 0, 2}, {2, 3});
  const Tensor y = emb(x);
  EXPECT_EQ(y.shape(), Shape({2, 3, 2}));
  // from_pretrained leaves the padding row as given, and the forward returns it.
  expect_values(y, {20, 21, 10, 11, 10, 11, 30, 31, 0, 1, 20, 21});
  y.sum().backward();
  expect_values(emb.weight.grad(), {1, 1, 0, 0, 2, 2, 1, 1});
}

TEST(Embedding, FromPretrainedSharesTheWeightAndFreezesByDefault) {
  const Tensor w = randn({5, 3});
  nn::Embedding frozen = nn::Embedding::from_pretrained(w);
  EXPECT_FALSE(frozen.weight.requires_grad());
  EXPECT_TRUE(shares_storage(frozen.weight, w));
  EXPECT_EQ(frozen.num_embeddings(), 5);
  EXPECT_FALSE(frozen(ids({4, 0}, {2})).requires_grad());
  nn::Embedding trained = nn::Embedding::from_pretrained(w, false);
  EXPECT_TRUE(trained.weight.requires_grad());
  EXPECT_ERROR(nn::Embedding::from_pretrained(randn({5})), "embeddings must be 2-d");
}

TEST(Embedding, StateDictKeyIsWeightAndReprIsPyTorchs) {
  Net net;
  const auto sd = net.state_dict();
  ASSERT_EQ(sd.size(), 1u);
  EXPECT_TRUE(sd.contains("tok.weight"));
  std::ostringstream os;
  os << net.tok;
  EXPECT_EQ(os.str(), "Embedding(10, 4, padding_idx=0)");
}

TEST(Embedding, Gradcheck) {
  const Tensor x = ids({3, 1, 1, 0, 4, 3}, {3, 2});
  EXPECT_GRADCHECK([&](const std::vector<Tensor>& in) { return embedding(in[0], x); }, {leaf({5, 3}, 1)});
  // The module's padding path (a where() over the output) in float64, on indices that avoid the
  // padding row: that row's value reaches the output but by design takes no gradient, which
  // finite differences would flag. gradcheck perturbs the weight in place.
  nn::Embedding emb(5, 3, 1);
  emb.to(kFloat64);
  const Tensor no_pad = ids({3, 0, 0, 4, 2, 3}, {3, 2});
  EXPECT_GRADCHECK([&](const std::vector<Tensor>&) { return emb(no_pad); }, {emb.weight});
}

TEST(Embedding, ErrorsNameTheLayerTheIndexAndTheValidRange) {
  Net net;
  expect_error(
      [&] {
        net(ids({1, 2, 12, 3}, {2, 2}));
      },
      "Net.tok (Embedding(10, 4, padding_idx=0)): index 12 at position (1, 0) is out of range for dim 0 "
      "with size 10 (expected an index in [0, 9])");
  expect_error([&] { net(ids({-1}, {1})); }, "Net.tok (Embedding(10, 4, padding_idx=0)): index -1");
  expect_error(
      [&] {
        net(randn({2, 2}));
      },
      "Net.tok (Embedding(10, 4, padding_idx=0)): indices must be an int64 or int32 tensor, got [2, 2] "
      "float32 cpu");
  EXPECT_ERROR(nn::Embedding(10, 4, 10), "[Embedding] padding_idx=10 is out of range for num_embeddings=10");
  EXPECT_ERROR(nn::Embedding(10, 4, -11), "expected a row in [-10, 9]");
  EXPECT_ERROR(nn::Embedding(-1, 4), "[Embedding] num_embeddings and embedding_dim must be >= 0");
}
