// The seed's gotchas: each mistake raises strata::Error naming the module path, what went wrong
// and the fix.
#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <vector>

#include "nn/test_models.h"
#include "strata/strata.h"
#include "support/test_util.h"

namespace nn = strata::nn;
using strata::Tensor;
using strata::test::expect_error;
using strata::test::SimpleNet;

namespace {

struct ForgotRelu : nn::Module {
  nn::Linear fc1{10, 32};
  nn::ReLU relu;
  nn::Linear fc2{32, 2};
  Tensor forward(const Tensor& x) { return fc2(relu(fc1(x))); }
  STRATA_MODULE(ForgotRelu, fc1, fc2)
};

struct ForgotParameter : nn::Module {
  nn::Linear fc{4, 4};
  nn::Parameter scale{strata::ones({4})};
  Tensor forward(const Tensor& x) { return fc(x) * scale; }
  STRATA_MODULE(ForgotParameter, fc)
};

struct ForgotEverything : nn::Module {
  nn::Linear fc{4, 4};
  Tensor forward(const Tensor& x) { return fc(x); }
  STRATA_MODULE(ForgotEverything)
};

struct VectorOfLayers : nn::Module {
  std::vector<nn::Linear> layers;
  VectorOfLayers() {
    layers.emplace_back(4, 4);
    layers.emplace_back(4, 4);
  }
  Tensor forward(Tensor x) {
    for (auto& l : layers) x = l(x);
    return x;
  }
  STRATA_MODULE(VectorOfLayers)
};

struct MapOfLayers : nn::Module {
  std::map<std::string, nn::Linear> heads;
  MapOfLayers() { heads.emplace("cls", nn::Linear(4, 2)); }
  Tensor forward(const Tensor& x) { return heads.at("cls")(x); }
  STRATA_MODULE(MapOfLayers)
};

struct PointerToLayer : nn::Module {
  std::unique_ptr<nn::Linear> fc = std::make_unique<nn::Linear>(4, 4);
  Tensor forward(const Tensor& x) { return (*fc)(x); }
  STRATA_MODULE(PointerToLayer)
};

struct ParameterInForward : nn::Module {
  nn::Linear fc{4, 4};
  Tensor forward(const Tensor& x) {
    nn::Parameter bias(strata::zeros({4}));
    return fc(x) + bias;
  }
  STRATA_MODULE(ParameterInForward, fc)
};

struct WrongWidth : nn::Module {
  nn::Linear fc1{10, 31};
  nn::Linear fc2{32, 2};
  Tensor forward(const Tensor& x) { return fc2(fc1(x)); }
  STRATA_MODULE(WrongWidth, fc1, fc2)
};

struct TwoInputs : nn::Module {
  nn::Linear fc{2, 2};
  Tensor forward(const Tensor& x, const Tensor& mask) { return fc(x) * mask; }
  STRATA_MODULE(TwoInputs, fc)
};

struct Twice : nn::Module {
  nn::Linear fc{2, 2};
  Tensor forward(const Tensor& x) { return fc(x); }
  STRATA_MODULE(Twice, fc, fc)
};

struct Base : nn::Module {
  nn::Linear a{2, 2};
  Tensor forward(const Tensor& x) { return a(x); }
  STRATA_MODULE(Base, a)
};

// A derived module's list names its base's members too; this one forgets `a`.
struct DerivedForgetsBase : Base {
  nn::Linear b{2, 2};
  Tensor forward(const Tensor& x) { return b(a(x)); }
  STRATA_MODULE(DerivedForgetsBase, b)
};

struct Derived : Base {
  nn::Linear b{2, 2};
  Tensor forward(const Tensor& x) { return b(a(x)); }
  STRATA_MODULE(Derived, a, b)
};

struct NoParams : nn::Module {
  Tensor forward(const Tensor& x) { return x.relu(); }
  STRATA_MODULE(NoParams)
};

}  // namespace

TEST(ModuleErrors, DerivedModulesListTheirBasesMembers) {
  DerivedForgetsBase forgot;
  expect_error(
      [&] {
        forgot(strata::randn({1, 2}));
      },
      "[DerivedForgetsBase] has an nn::Linear member (declared before the listed ones, or in a base class)");
  Derived ok;
  EXPECT_EQ(ok(strata::randn({1, 2})).shape(), strata::Shape({1, 2}));
  EXPECT_EQ(ok.state_dict().keys(), (std::vector<std::string>{"a.weight", "a.bias", "b.weight", "b.bias"}));
  Derived copy = ok.clone();
  EXPECT_TRUE(strata::equal(copy.b.weight, ok.b.weight));
}

TEST(ModuleErrors, ChildLeftOutOfTheListIsFoundAtFirstCall) {
  ForgotRelu model;
  expect_error(
      [&] {
        model(strata::randn({4, 10}));
      },
      "[ForgotRelu] has an nn::ReLU member (declared after `fc1`) that STRATA_MODULE(ForgotRelu, fc1, "
      "fc2) does not list");
  expect_error(
      [&] {
        model(strata::randn({4, 10}));
      },
      "Add its name to the list: STRATA_MODULE(ForgotRelu, fc1, fc2, <its name>)");
}

TEST(ModuleErrors, ChildLeftOutIsFoundByTraversalsToo) {
  ForgotRelu model;
  expect_error([&] { model.parameters(); }, "does not list");
  expect_error([&] { model.state_dict(); }, "does not list");
}

TEST(ModuleErrors, ParameterLeftOutOfTheList) {
  ForgotParameter model;
  expect_error([&] { model.named_parameters(); },
               "[ForgotParameter] has an nn::Parameter member of shape [4] (declared after `fc`) that "
               "STRATA_MODULE(ForgotParameter, fc) does not list");
}

TEST(ModuleErrors, EmptyListWithAMember) {
  ForgotEverything model;
  expect_error(
      [&] {
        model(strata::randn({1, 4}));
      },
      "[ForgotEverything] has an nn::Linear member (declared before the listed ones, or in a base class) "
      "that "
      "STRATA_MODULE(ForgotEverything) does not list");
}

TEST(ModuleErrors, ModulesInAPlainVectorAreCaughtWhenCalled) {
  VectorOfLayers model;
  expect_error(
      [&] {
        model(strata::randn({2, 4}));
      },
      "[VectorOfLayers] forward() called Linear(in_features=4, out_features=4, bias=true) that is not "
      "registered in VectorOfLayers");
  expect_error([&] { model(strata::randn({2, 4})); }, "Fix: use nn::ModuleList / nn::ModuleDict");
  // Nothing is half-done: the call stack unwinds and the layers still work on their own.
  EXPECT_EQ(model.layers[0](strata::randn({2, 4})).shape(), strata::Shape({2, 4}));
}

TEST(ModuleErrors, ModulesInAMapOrUniquePtrAreCaughtWhenCalled) {
  MapOfLayers map_model;
  expect_error(
      [&] {
        map_model(strata::randn({2, 4}));
      },
      "[MapOfLayers] forward() called Linear(in_features=4");
  PointerToLayer ptr_model;
  expect_error([&] { ptr_model(strata::randn({2, 4})); }, "use nn::ModuleList");
}

TEST(ModuleErrors, ParameterCreatedInForward) {
  ParameterInForward model;
  expect_error(
      [&] {
        model(strata::randn({2, 4}));
      },
      "[ParameterInForward] an nn::Parameter ([4] float32 cpu) was created inside "
      "ParameterInForward.forward()");
  expect_error([&] { model(strata::randn({2, 4})); }, "Create parameters in the constructor");
}

TEST(ModuleErrors, LinearGivenTheWrongNumberOfFeaturesNamesThePath) {
  SimpleNet model(10, 32, 2);
  expect_error(
      [&] {
        model(strata::randn({4, 11}));
      },
      "SimpleNet.fc1 (Linear 10->32): input [4, 11] has 11 features, expected 10");
  WrongWidth wrong;
  expect_error(
      [&] {
        wrong(strata::randn({4, 10}));
      },
      "WrongWidth.fc2 (Linear 32->2): input [4, 31] has 31 features, expected 32");
}

TEST(ModuleErrors, TensorsOnTwoDevicesNameTheParameter) {
  SimpleNet model(10, 32, 2);
  model(strata::randn({1, 10}));  // binds the names
  // This build has no CUDA backend, so stand in a host buffer labelled cuda:0: the checks run before
  // any kernel would touch it.
  std::vector<float> host(40);
  Tensor on_gpu = strata::from_blob(host.data(), {4, 10}, strata::kFloat32, strata::Device::cpu());
  on_gpu.impl().storage = std::make_shared<strata::detail::Storage>(host.data(), host.size() * sizeof(float),
                                                                    strata::Device::cuda(0));
  expect_error([&] { model(on_gpu); }, "SimpleNet.fc1.weight is on cpu, input is on cuda:0");
  expect_error([&] { strata::linear(on_gpu, model.fc1.weight); },
               "SimpleNet.fc1.weight [32, 10] float32 cpu");
}

TEST(ModuleErrors, ImplicitCopyIsRefusedWithTheFix) {
  SimpleNet model(3, 4, 2);
  expect_error([&] { SimpleNet copy = model; }, "[SimpleNet] modules are not copied implicitly");
  expect_error([&] { SimpleNet copy = model; }, "Use model.clone()");
}

TEST(ModuleErrors, ModuleCalledThroughModuleRefNeedsTensorForward) {
  TwoInputs m;
  nn::Module& erased = m;
  expect_error(
      [&] {
        erased(strata::randn({1, 2}));
      },
      "[TwoInputs] was called with one Tensor through a Module&");
  EXPECT_EQ(m(strata::randn({1, 2}), strata::ones({1, 2})).shape(), strata::Shape({1, 2}));
}

TEST(ModuleErrors, ListingAMemberTwice) {
  Twice m;
  expect_error([&] { m.parameters(); }, "[Twice] lists the module `fc` a second time");
}

TEST(ModuleErrors, OptimizerGivenNoParameters) {
  NoParams model;
  expect_error([&] { strata::optim::SGD opt(model.parameters()); },
               "[SGD] was given no parameters (1 group, all empty)");
  expect_error([&] { strata::optim::Adam opt(model.parameters()); },
               "did the model list its members in STRATA_MODULE");
}
