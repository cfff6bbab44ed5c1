#pragma once
// Models the nn tests share: the seed's SimpleNet, and Stack, which holds every container kind
// (its PyTorch twin is in tools/gen_nn_fixtures.py).
#include "strata/strata.h"

namespace strata::test {

struct SimpleNet : nn::Module {
  nn::Linear fc1;
  nn::ReLU relu;
  nn::Linear fc2;
  SimpleNet(int64_t in, int64_t hidden, int64_t out) : fc1(in, hidden), fc2(hidden, out) {}
  Tensor forward(const Tensor& x) { return fc2(relu(fc1(x))); }
  STRATA_MODULE(SimpleNet, fc1, relu, fc2)
};

struct Stack : nn::Module {
  nn::ModuleList<nn::Linear> layers;
  nn::ModuleDict<> heads;
  nn::ParameterList scales;
  explicit Stack(int depth) {
    for (int i = 0; i < depth; ++i) {
      layers.emplace_back(4, 4);
      scales.push_back(strata::ones({4}));
    }
    heads.insert("cls", nn::Linear(4, 3));
    heads.insert("act", nn::Tanh());
  }
  Tensor forward(Tensor x) {
    for (size_t i = 0; i < layers.size(); ++i) x = (layers[i](x) * scales[i]).relu();
    return heads["cls"](heads["act"](x));
  }
  STRATA_MODULE(Stack, layers, heads, scales)
};

}  // namespace strata::test
