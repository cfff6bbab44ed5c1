// Trains a small MLP to separate two interleaved spirals it generates, printing the falling loss
// and the final accuracy. Everything is seeded, so every run prints the same numbers.
#include <strata/strata.h>

#include <cmath>
#include <cstdio>
#include <iostream>
#include <numbers>

namespace nn = strata::nn;
namespace F = strata::nn::functional;
using strata::Tensor;

// Two spirals of `n` points each: class c at angle 3*pi*t + c*pi and radius t, plus a little noise.
std::pair<Tensor, Tensor> make_spirals(int64_t n, strata::Generator& gen) {
  Tensor t = strata::linspace(0.05, 1.0, n);
  Tensor angle = t * (3.0 * std::numbers::pi);
  std::vector<Tensor> points, labels;
  for (int64_t c = 0; c < 2; ++c) {
    Tensor a = angle + static_cast<double>(c) * std::numbers::pi;
    Tensor xy = strata::stack({t * a.cos(), t * a.sin()}, 1);
    points.push_back(xy + strata::randn({n, 2}, {}, &gen) * 0.02);
    labels.push_back(strata::full({n}, c, {.dtype = strata::kInt64}));
  }
  return {strata::cat(points), strata::cat(labels)};
}

struct SpiralNet : nn::Module {
  nn::Linear input;
  nn::Sequential hidden;
  nn::Linear output;

  explicit SpiralNet(int64_t width)
      : input(2, width), hidden(nn::Tanh(), nn::Linear(width, width), nn::Tanh()), output(width, 2) {}

  Tensor forward(const Tensor& x) { return output(hidden(input(x))); }

  STRATA_MODULE(SpiralNet, input, hidden, output)
};

double accuracy(const Tensor& logits, const Tensor& labels) {
  return (logits.argmax(1) == labels).to(strata::kFloat64).mean().item<double>();
}

int main() {
  strata::manual_seed(0);
  strata::Generator data_gen(42);
  auto [x, y] = make_spirals(200, data_gen);

  SpiralNet model(64);
  strata::optim::Adam opt(model.parameters(), {.lr = 0.01});
  std::cout << model << "\n\n" << std::flush;
  std::printf("training on %lld points, %lld parameters\n", static_cast<long long>(x.size(0)),
              static_cast<long long>(model.num_parameters()));
  for (int step = 0; step <= 1000; ++step) {
    opt.zero_grad();
    Tensor logits = model(x);
    Tensor loss = F::cross_entropy(logits, y);
    loss.backward();
    opt.step();
    if (step % 100 == 0)
      std::printf("step %4d  loss %.4f  accuracy %5.1f%%\n", step, loss.item<double>(),
                  100.0 * accuracy(logits, y));
  }
  model.eval();
  strata::NoGradGuard no_grad;
  const double final_accuracy = accuracy(model(x), y);
  std::printf("final accuracy: %.1f%%\n", 100.0 * final_accuracy);
  return final_accuracy > 0.95 ? 0 : 1;  // the example doubles as a test
}
