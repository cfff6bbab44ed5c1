// nn::Module: names, traversal order, state, modes, placement, copies, moves, hooks and printing.
#include <gtest/gtest.h>

#include <vector>

#include "nn/test_models.h"
#include "strata/strata.h"
#include "support/test_util.h"

namespace nn = strata::nn;
using strata::Shape;
using strata::Tensor;
using strata::test::expect_error;
using strata::test::SimpleNet;

namespace {

// A parameter listed after a child, buffers of both kinds, and an optional child.
struct Block : nn::Module {
  nn::Linear fc{3, 3};
  nn::Parameter scale{strata::ones({3})};
  nn::Buffer steps{strata::zeros({}, {.dtype = strata::kInt64})};
  nn::Buffer cache{strata::zeros({3}), /*persistent=*/false};
  std::optional<nn::Linear> extra;
  Tensor forward(const Tensor& x) { return (extra ? (*extra)(fc(x)) : fc(x)) * scale; }
  STRATA_MODULE(Block, fc, scale, steps, cache, extra)
};

struct Outer : nn::Module {
  Block block;
  nn::Linear head{3, 2};
  Tensor forward(const Tensor& x) { return head(block(x)); }
  STRATA_MODULE(Outer, block, head)
};

// Decoder weight tied to the encoder's.
struct Tied : nn::Module {
  nn::Linear encoder{4, 3, false};
  nn::Linear decoder{3, 4, false};
  Tied() { decoder.weight = nn::Parameter(encoder.weight.t()); }
  Tensor forward(const Tensor& x) { return decoder(encoder(x)); }
  STRATA_MODULE(Tied, encoder, decoder)
};

struct Shared : nn::Module {
  nn::Linear a{2, 2};
  nn::Linear b{2, 2};
  Shared() { b.weight = a.weight; }
  Tensor forward(const Tensor& x) { return b(a(x)); }
  STRATA_MODULE(Shared, a, b)
};

// forward() may return anything; hooks then see an undefined output.
struct TwoOutputs : nn::Module {
  nn::Linear fc{2, 2};
  std::pair<Tensor, Tensor> forward(const Tensor& x, double scale) {
    Tensor y = fc(x) * scale;
    return {y, y.relu()};
  }
  STRATA_MODULE(TwoOutputs, fc)
};

struct Sqrt : nn::Module {
  Tensor forward(const Tensor& x) { return x.sqrt(); }
  STRATA_MODULE(Sqrt)
};

std::vector<std::string> names_of(const std::vector<std::pair<std::string, Tensor>>& named) {
  std::vector<std::string> out;
  for (const auto& [n, t] : named) out.push_back(n);
  return out;
}

}  // namespace

TEST(Module, NamedParametersInDeclarationOrder) {
  SimpleNet model(10, 32, 2);
  const auto named = model.named_parameters();
  EXPECT_EQ(names_of(named), (std::vector<std::string>{"fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"}));
  EXPECT_EQ(named[0].second.shape(), Shape({32, 10}));
  EXPECT_EQ(named[3].second.shape(), Shape({2}));
  EXPECT_EQ(model.parameters().size(), 4u);
  EXPECT_EQ(model.num_parameters(), 10 * 32 + 32 + 32 * 2 + 2);
  model.fc1.requires_grad_(false);
  EXPECT_EQ(model.num_parameters(/*trainable_only=*/true), 32 * 2 + 2);
  EXPECT_TRUE(named[0].second.requires_grad() == false);
  EXPECT_TRUE(named[0].second.is_leaf());
}

TEST(Module, OwnParametersComeBeforeChildrenLikePyTorch) {
  Outer model;
  EXPECT_EQ(names_of(model.named_parameters()),
            (std::vector<std::string>{"block.scale", "block.fc.weight", "block.fc.bias", "head.weight",
                                      "head.bias"}));
  EXPECT_EQ(names_of(model.block.named_parameters(/*recurse=*/false)), (std::vector<std::string>{"scale"}));
  EXPECT_EQ(names_of(model.named_buffers()), (std::vector<std::string>{"block.steps", "block.cache"}));
  EXPECT_EQ(model.state_dict().keys(),
            (std::vector<std::string>{"block.scale", "block.steps", "block.fc.weight", "block.fc.bias",
                                      "head.weight", "head.bias"}));
  model.block.extra.emplace(3, 3);
  EXPECT_EQ(model.named_parameters().size(), 7u);
  EXPECT_EQ(model.named_parameters()[3].first, "block.extra.weight");
}

TEST(Module, ChildrenAndModules) {
  Outer model;
  std::vector<std::string> names;
  for (const auto& [name, m] : model.named_modules())
    names.push_back(name + ":" + std::string(m->type_name()));
  EXPECT_EQ(names, (std::vector<std::string>{":Outer", "block:Block", "block.fc:Linear", "head:Linear"}));
  ASSERT_EQ(model.named_children().size(), 2u);
  EXPECT_EQ(model.named_children()[1].first, "head");
  EXPECT_EQ(model.children()[0], &model.block);
  EXPECT_EQ(model.modules().size(), 4u);
}

TEST(Module, PathsAndParameterNamesAfterFirstUse) {
  SimpleNet model(3, 4, 2);
  model(strata::randn({1, 3}));
  EXPECT_EQ(model.path(), "SimpleNet");
  EXPECT_EQ(model.fc2.path(), "SimpleNet.fc2");
  EXPECT_NE(model.fc1.weight.describe().find("SimpleNet.fc1.weight [4, 3] float32 cpu"), std::string::npos);
}

TEST(Module, TrainAndEvalReachEveryModule) {
  Outer model;
  EXPECT_TRUE(model.is_training());
  model.eval();
  EXPECT_FALSE(model.is_training());
  EXPECT_FALSE(model.block.fc.is_training());
  model.train();
  EXPECT_TRUE(model.head.is_training());
}

TEST(Module, ForwardAndBackwardMatchTheComposedOps) {
  strata::manual_seed(3);
  SimpleNet model(3, 4, 2);
  Tensor x = strata::randn({5, 3});
  Tensor y = model(x);
  Tensor expected = strata::linear(strata::relu(strata::linear(x, model.fc1.weight, model.fc1.bias)),
                                   model.fc2.weight, model.fc2.bias);
  EXPECT_TRUE(strata::allclose(y, expected));
  y.sum().backward();
  for (const Tensor& p : model.parameters()) {
    ASSERT_TRUE(p.grad().defined());
    EXPECT_EQ(p.grad().shape(), p.shape());
  }
  // d(sum)/d(fc2.bias) is the batch size.
  EXPECT_TRUE(strata::allclose(model.fc2.bias.grad(), strata::full({2}, 5.0)));
}

TEST(Module, GradcheckThroughAModuleInFloat64) {
  SimpleNet model(3, 4, 2);
  model.to(strata::kFloat64);
  Tensor x = strata::test::leaf({2, 3}, 7);
  EXPECT_GRADCHECK([&](const std::vector<Tensor>& in) { return model(in[0]).tanh(); }, {x});
  auto params = model.parameters();
  EXPECT_GRADCHECK(
      [&](const std::vector<Tensor>& in) {
        return strata::linear(strata::relu(strata::linear(x, in[0], in[1])), in[2], in[3]);
      },
      params);
}

TEST(Module, ZeroGradSetsToNoneOrZero) {
  SimpleNet model(3, 4, 2);
  model(strata::randn({2, 3})).sum().backward();
  model.zero_grad(/*set_to_none=*/false);
  EXPECT_TRUE(strata::equal(model.fc1.weight.grad(), strata::zeros({4, 3})));
  model.zero_grad();
  for (const Tensor& p : model.parameters()) EXPECT_FALSE(p.grad().defined());
}

TEST(Module, ToDtypeConvertsInPlaceKeepingHandles) {
  Outer model;
  Tensor held = model.head.weight;  // what an optimizer holds
  model(strata::randn({2, 3})).sum().backward();
  model.to(strata::kFloat64);
  EXPECT_EQ(held.dtype(), strata::kFloat64);
  EXPECT_EQ(held.impl_ptr(), model.head.weight.impl_ptr());
  EXPECT_TRUE(held.requires_grad());
  EXPECT_EQ(held.grad().dtype(), strata::kFloat64);
  EXPECT_EQ(model.block.steps.dtype(), strata::kInt64);  // integer buffers keep their type
  EXPECT_EQ(model.block.cache.dtype(), strata::kFloat64);
  EXPECT_EQ(model(strata::randn({2, 3}, {.dtype = strata::kFloat64})).dtype(), strata::kFloat64);
  expect_error([&] { model.to(strata::kInt32); }, "modules convert only to floating dtypes");
  EXPECT_EQ(model.device(), strata::Device::cpu());
  model.to(strata::Device::cpu());
  expect_error([&] { model.to(strata::Device::cuda(0)); }, "CUDA");
}

TEST(Module, DeviceNamesTheOddOneOut) {
  Outer model;
  std::vector<float> host(3);
  model.block.cache.impl().storage = std::make_shared<strata::detail::Storage>(
      host.data(), host.size() * sizeof(float), strata::Device::cuda(0));
  expect_error(
      [&] { model.device(); },
      "[Outer] has tensors on more than one device: Outer.block.scale is on cpu, but Outer.block.cache "
      "is on cuda:0");
}

TEST(Module, CloneIsDeepAndKeepsTiesTied) {
  Tied model;
  ASSERT_EQ(model.parameters().size(), 2u);  // decoder.weight is a view of the encoder's storage, not a tie
  Shared shared;
  EXPECT_EQ(shared.parameters().size(), 3u);  // a.weight and b.weight are one tensor
  EXPECT_EQ(shared.state_dict().size(), 4u);  // but both names are saved, as in PyTorch
  Shared copy = shared.clone();
  EXPECT_EQ(copy.a.weight.impl_ptr(), copy.b.weight.impl_ptr());
  EXPECT_NE(copy.a.weight.impl_ptr(), shared.a.weight.impl_ptr());
  EXPECT_NE(copy.a.weight.data_ptr(), shared.a.weight.data_ptr());
  EXPECT_TRUE(strata::equal(copy.a.weight, shared.a.weight));
  EXPECT_TRUE(copy.a.weight.requires_grad());
  {
    strata::NoGradGuard g;
    copy.a.weight.fill_(1.0);
  }
  EXPECT_FALSE(strata::equal(copy.a.weight, shared.a.weight));
  Tensor x = strata::randn({1, 2});
  EXPECT_EQ(copy(x).shape(), Shape({1, 2}));
  EXPECT_EQ(copy.b.path(), "Shared.b");
}

TEST(Module, CloneCopiesTrainingModeAndGradients) {
  SimpleNet model(2, 3, 1);
  model(strata::randn({2, 2})).sum().backward();
  model.eval();
  SimpleNet copy = model.clone();
  EXPECT_FALSE(copy.is_training());
  EXPECT_TRUE(strata::equal(copy.fc1.weight.grad(), model.fc1.weight.grad()));
}

TEST(Module, MovingAModelIsSafe) {
  std::vector<SimpleNet> models;
  for (int i = 0; i < 5; ++i) {
    models.emplace_back(3, 4, 2);  // reallocations move the earlier models
    models.back()(strata::randn({1, 3}));
  }
  for (auto& m : models) EXPECT_EQ(m(strata::randn({2, 3})).shape(), Shape({2, 2}));
  SimpleNet moved = std::move(models[0]);
  EXPECT_EQ(moved(strata::randn({2, 3})).shape(), Shape({2, 2}));
  EXPECT_EQ(moved.fc2.path(), "SimpleNet.fc2");
  EXPECT_EQ(moved.named_parameters().size(), 4u);
  moved.fc1 = nn::Linear(3, 4);  // replacing a child by assignment
  EXPECT_EQ(moved(strata::randn({2, 3})).shape(), Shape({2, 2}));
}

TEST(Module, LoadStateDictRoundTripAndReports) {
  strata::manual_seed(1);
  Outer a;
  Outer b;
  EXPECT_FALSE(strata::equal(a.head.weight, b.head.weight));
  Tensor held = b.head.weight;
  nn::LoadResult r = b.load_state_dict(a.state_dict());
  EXPECT_TRUE(r.ok());
  EXPECT_EQ(r.str(), "all keys matched");
  EXPECT_TRUE(strata::equal(held, a.head.weight));
  EXPECT_EQ(held.impl_ptr(), b.head.weight.impl_ptr());

  nn::StateDict bad = a.state_dict();
  bad.erase("head.bias");
  bad.insert("head.gain", strata::ones({2}));
  bad.insert("block.fc.weight", strata::ones({4, 3}));
  Tensor before = b.block.scale.clone();
  {
    strata::NoGradGuard g;
    Tensor(b.block.scale).fill_(5.0);
  }
  const Tensor snapshot = b.state_dict().at("head.weight").clone();
  expect_error([&] { b.load_state_dict(bad); }, "[Outer] load_state_dict(strict = true) changed nothing");
  expect_error([&] { b.load_state_dict(bad); }, "missing key: head.bias");
  expect_error([&] { b.load_state_dict(bad); }, "unexpected key: head.gain");
  expect_error([&] { b.load_state_dict(bad); },
               "shape mismatch for block.fc.weight: the model has [3, 3], the state has [4, 3]");
  EXPECT_TRUE(strata::equal(b.head.weight, snapshot));
  EXPECT_TRUE(strata::equal(b.block.scale, strata::full({3}, 5.0)));

  nn::LoadResult partial = b.load_state_dict(bad, /*strict=*/false);
  EXPECT_EQ(partial.missing_keys, std::vector<std::string>{"head.bias"});
  EXPECT_EQ(partial.unexpected_keys, std::vector<std::string>{"head.gain"});
  ASSERT_EQ(partial.mismatched_keys.size(), 1u);
  EXPECT_EQ(partial.mismatched_keys[0].key, "block.fc.weight");
  EXPECT_TRUE(strata::equal(b.block.scale, a.block.scale));  // what fits was loaded

  nn::StateDict f64;
  for (const auto& [k, t] : a.state_dict()) f64.insert(k, t.to(strata::kFloat64));
  EXPECT_TRUE(b.load_state_dict(f64).ok());  // converted on the way in
  EXPECT_EQ(b.head.weight.dtype(), strata::kFloat32);
}

TEST(Module, ForwardHooksSeeInputsAndOutputs) {
  SimpleNet model(3, 4, 2);
  std::vector<Shape> seen;
  int pre_calls = 0;
  auto pre = model.fc1.register_forward_pre_hook([&](nn::Module& m, std::span<const Tensor> in) {
    EXPECT_EQ(m.type_name(), "Linear");
    ASSERT_EQ(in.size(), 1u);
    ++pre_calls;
  });
  auto post = model.register_forward_hook([&](nn::Module&, std::span<const Tensor> in, const Tensor& out) {
    seen.push_back(in[0].shape());
    seen.push_back(out.shape());
  });
  model(strata::randn({5, 3}));
  EXPECT_EQ(pre_calls, 1);
  EXPECT_EQ(seen, (std::vector<Shape>{Shape({5, 3}), Shape({5, 2})}));
  pre.remove();
  post.remove();
  model(strata::randn({5, 3}));
  EXPECT_EQ(pre_calls, 1);
  EXPECT_EQ(seen.size(), 2u);
  nn::HookHandle dangling;
  {
    SimpleNet temp(1, 1, 1);
    dangling = temp.register_forward_hook([](nn::Module&, std::span<const Tensor>, const Tensor&) {});
  }
  dangling.remove();  // the module is gone: nothing happens
}

TEST(Module, ApplyVisitsChildrenFirst) {
  Outer model;
  std::vector<std::string> order;
  model.apply([&](nn::Module& m) { order.emplace_back(m.type_name()); });
  EXPECT_EQ(order, (std::vector<std::string>{"Linear", "Block", "Linear", "Outer"}));
}

TEST(Module, PrintsLikePyTorchRepr) {
  SimpleNet model(10, 32, 2);
  std::ostringstream os;
  os << model;
  EXPECT_EQ(os.str(),
            "SimpleNet(\n"
            "  (fc1): Linear(in_features=10, out_features=32, bias=true)\n"
            "  (relu): ReLU()\n"
            "  (fc2): Linear(in_features=32, out_features=2, bias=true)\n"
            ")");
}

TEST(Module, SummaryListsShapesAndCounts) {
  SimpleNet model(10, 32, 2);
  const std::string table = strata::summary_string(model, strata::randn({4, 10}));
  EXPECT_NE(table.find("SimpleNet"), std::string::npos);
  EXPECT_NE(table.find("  fc1 (Linear)"), std::string::npos);
  EXPECT_NE(table.find("[4, 32]"), std::string::npos);
  EXPECT_NE(table.find("352"), std::string::npos);
  EXPECT_NE(table.find("Total params: 418"), std::string::npos);
  EXPECT_FALSE(model.fc1.weight.grad().defined());  // run without recording
  // The hooks are gone afterwards.
  int calls = 0;
  model.register_forward_hook([&](nn::Module&, std::span<const Tensor>, const Tensor&) { ++calls; });
  model(strata::randn({1, 10}));
  EXPECT_EQ(calls, 1);
}

TEST(Module, AnomalyReportsNameTheModule) {
  Sqrt m;
  Tensor x = strata::tensor({0.0, 1.0}, {.dtype = strata::kFloat64}).requires_grad_();
  strata::autograd::DetectAnomalyGuard anomaly;
  Tensor y = m(x);
  expect_error([&] { y.sum().backward(); }, "(op ran in Sqrt)");
}

TEST(Module, AnyForwardSignature) {
  TwoOutputs m;
  bool saw_undefined = false;
  m.register_forward_hook([&](nn::Module&, std::span<const Tensor> in, const Tensor& out) {
    saw_undefined = !out.defined() && in.size() == 1;  // the double is not a tensor input
  });
  auto [y, r] = m(strata::randn({3, 2}), 2.0);
  EXPECT_EQ(r.shape(), Shape({3, 2}));
  EXPECT_TRUE(saw_undefined);
  const std::string table = strata::summary_string(m, strata::randn({3, 2}), 1.0);
  EXPECT_NE(table.find("TwoOutputs"), std::string::npos);
  EXPECT_NE(table.find("fc (Linear)"), std::string::npos);
}
