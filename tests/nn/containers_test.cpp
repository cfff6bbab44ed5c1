// Sequential, ModuleList, ModuleDict, ParameterList and ParameterDict: names exactly as PyTorch
// gives them, ownership, calls through Module&, and the errors for bad indices and keys.
#include <gtest/gtest.h>

#include "nn/test_models.h"
#include "strata/strata.h"
#include "support/test_util.h"

namespace nn = strata::nn;
using strata::Shape;
using strata::Tensor;
using strata::test::expect_error;
using strata::test::Stack;

namespace {

std::vector<std::string> keys_of(const nn::Module& m) { return m.state_dict().keys(); }

struct WithSequential : nn::Module {
  nn::Sequential body{nn::Linear(2, 3), nn::ReLU(), nn::Sequential(nn::Linear(3, 3), nn::Tanh())};
  Tensor forward(const Tensor& x) { return body(x); }
  STRATA_MODULE(WithSequential, body)
};

}  // namespace

TEST(Sequential, ChainsAndNamesLikePyTorch) {
  nn::Sequential seq(nn::Linear(3, 4), nn::ReLU(), nn::Linear(4, 2));
  EXPECT_EQ(seq.size(), 3u);
  EXPECT_EQ(keys_of(seq), (std::vector<std::string>{"0.weight", "0.bias", "2.weight", "2.bias"}));
  Tensor x = strata::randn({5, 3});
  auto& l0 = seq.at<nn::Linear>(0);
  auto& l2 = seq.at<nn::Linear>(2);
  Tensor expected = strata::linear(strata::relu(strata::linear(x, l0.weight, l0.bias)), l2.weight, l2.bias);
  EXPECT_TRUE(strata::allclose(seq(x), expected));
  seq.push_back(nn::LogSoftmax(1));
  EXPECT_EQ(seq(x).shape(), Shape({5, 2}));
  EXPECT_EQ(seq[3].type_name(), "LogSoftmax");
  int n = 0;
  for (nn::Module& m : seq) n += m.type_name() == "Linear";
  EXPECT_EQ(n, 2);
  expect_error([&] { seq[7]; }, "[Sequential] index 7 is out of range for a Sequential of 4 entries");
  expect_error([&] { seq.at<nn::Linear>(1); }, "[Sequential] module 1 is a ReLU, not the type asked for");
}

TEST(Sequential, NestsAndPrints) {
  WithSequential model;
  EXPECT_EQ(keys_of(model),
            (std::vector<std::string>{"body.0.weight", "body.0.bias", "body.2.0.weight", "body.2.0.bias"}));
  EXPECT_EQ(model(strata::randn({1, 2})).shape(), Shape({1, 3}));
  std::ostringstream os;
  os << model;
  EXPECT_EQ(os.str(),
            "WithSequential(\n"
            "  (body): Sequential(\n"
            "    (0): Linear(in_features=2, out_features=3, bias=true)\n"
            "    (1): ReLU()\n"
            "    (2): Sequential(\n"
            "      (0): Linear(in_features=3, out_features=3, bias=true)\n"
            "      (1): Tanh()\n"
            "    )\n"
            "  )\n"
            ")");
  model(strata::randn({1, 2})).sum().backward();
  EXPECT_TRUE(model.body.at<nn::Sequential>(2).at<nn::Linear>(0).weight.grad().defined());
}

TEST(Sequential, ShapeErrorsNameThePath) {
  WithSequential model;
  expect_error(
      [&] {
        model(strata::randn({1, 5}));
      },
      "WithSequential.body.0 (Linear 2->3): input [1, 5] has 5 features, expected 2");
}

TEST(ModuleList, NamesByPositionAndTrainsEveryLayer) {
  Stack model(3);
  EXPECT_EQ(keys_of(model),
            (std::vector<std::string>{"layers.0.weight", "layers.0.bias", "layers.1.weight", "layers.1.bias",
                                      "layers.2.weight", "layers.2.bias", "heads.cls.weight",
                                      "heads.cls.bias", "scales.0", "scales.1", "scales.2"}));
  Tensor y = model(strata::randn({2, 4}));
  EXPECT_EQ(y.shape(), Shape({2, 3}));
  y.sum().backward();
  for (const auto& [name, p] : model.named_parameters()) EXPECT_TRUE(p.grad().defined()) << name;
  EXPECT_EQ(model.layers.front().in_features(), 4);
  int count = 0;
  for (nn::Linear& l : model.layers) count += l.out_features() == 4;
  EXPECT_EQ(count, 3);
  expect_error([&] { model.layers[3]; },
               "[ModuleList] index 3 is out of range for a ModuleList of 3 entries");
  expect_error([&] { model.scales[5]; }, "[ParameterList] index 5 is out of range");
}

TEST(ModuleList, MixedTypesCallThroughModuleRef) {
  nn::ModuleList<> mixed;
  mixed.push_back(nn::Linear(2, 2));
  mixed.push_back(nn::Sigmoid());
  mixed.emplace_back<nn::GELU>("tanh");
  Tensor x = strata::randn({3, 2});
  for (nn::Module& m : mixed) x = m(x);  // a root-level call of each
  EXPECT_EQ(x.shape(), Shape({3, 2}));
  EXPECT_EQ(mixed.named_parameters().size(), 2u);
  expect_error([&] { mixed(x); }, "[ModuleList] is not callable");
}

TEST(ModuleDict, KeysReplaceAndErrors) {
  Stack model(1);
  EXPECT_EQ(model.heads.keys(), (std::vector<std::string>{"cls", "act"}));
  EXPECT_TRUE(model.heads.contains("act"));
  model.heads.insert("cls", nn::Linear(4, 5));  // replaced in place
  EXPECT_EQ(model.heads.keys()[0], "cls");
  EXPECT_EQ(model(strata::randn({2, 4})).shape(), Shape({2, 5}));
  expect_error([&] { model.heads["reg"]; }, "[ModuleDict] no key \"reg\"; the keys are: cls, act");
  expect_error([&] { model.heads.insert("a.b", nn::ReLU()); }, "contain no '.'");
  auto items = model.heads.items();
  ASSERT_EQ(items.size(), 2u);
  EXPECT_EQ(items[1].second->type_name(), "Tanh");
}

TEST(ParameterDict, NamesAndRepr) {
  nn::ParameterDict dict;
  dict.insert("gamma", strata::ones({2}));
  dict.insert("beta", strata::zeros({2}));
  EXPECT_EQ(keys_of(dict), (std::vector<std::string>{"gamma", "beta"}));
  EXPECT_TRUE(dict["beta"].requires_grad());
  expect_error([&] { dict["alpha"]; }, "[ParameterDict] no key \"alpha\"; the keys are: gamma, beta");
  std::ostringstream os;
  os << dict;
  EXPECT_EQ(os.str(),
            "ParameterDict(\n"
            "  (gamma): Parameter containing: [float32 of size [2]]\n"
            "  (beta): Parameter containing: [float32 of size [2]]\n"
            ")");
}

TEST(Containers, CloneIsDeep) {
  Stack model(2);
  Stack copy = model.clone();
  EXPECT_EQ(keys_of(copy), keys_of(model));
  EXPECT_NE(copy.layers[0].weight.data_ptr(), model.layers[0].weight.data_ptr());
  EXPECT_NE(copy.scales[1].data_ptr(), model.scales[1].data_ptr());
  EXPECT_TRUE(strata::equal(copy.heads["cls"].named_parameters()[0].second,
                            model.heads["cls"].named_parameters()[0].second));
  Tensor x = strata::randn({2, 4});
  EXPECT_TRUE(strata::allclose(copy(x), model(x)));
}

TEST(Containers, LvalueModulesAreNotCopiedIn) {
  // push_back(layer) with an lvalue does not compile (static_assert); a clone or a move does.
  nn::Linear layer(2, 2);
  nn::Sequential seq;
  seq.push_back(layer.clone());
  seq.push_back(std::move(layer));
  EXPECT_EQ(seq.size(), 2u);
}
