// Profiling driver for the SimpleNet training step (the simple_net_step benchmark without
// Google Benchmark), for instruction counts that stay repeatable on a busy machine:
//   g++ -O2 -std=c++20 -Iinclude tools/profile_simple_net_step.cpp build/libstrata.a -lfmt -o /tmp/step
//   valgrind --tool=callgrind /tmp/step        # 2,000 steps: divide the total Ir by 2,000
//   time /tmp/step many                        # 20,000 steps of wall time
#include <strata/strata.h>

namespace nn = strata::nn;
using strata::Tensor;
struct SimpleNet : nn::Module {
  nn::Linear fc1;
  nn::ReLU relu;
  nn::Linear fc2;
  SimpleNet(int64_t in, int64_t hidden, int64_t out) : fc1(in, hidden), fc2(hidden, out) {}
  Tensor forward(const Tensor& x) { return fc2(relu(fc1(x))); }
  STRATA_MODULE(SimpleNet, fc1, relu, fc2)
};
int main(int argc, char**) {
  SimpleNet model(10, 32, 2);
  strata::optim::SGD opt(model.parameters(), {.lr = 0.01});
  Tensor x = strata::randn({4, 10});
  Tensor y = strata::tensor({0, 1, 1, 0}, {.dtype = strata::kInt64});
  int n = argc > 1 ? 20000 : 2000;
  for (int i = 0; i < n; ++i) {
    opt.zero_grad();
    Tensor loss = nn::functional::cross_entropy(model(x), y);
    loss.backward();
    opt.step();
  }
}
