// A small convolutional network (LeNet's shape) learns to tell four kinds of generated 28x28
// pictures apart: horizontal bars, vertical bars, diagonals and filled squares, each at a random
// place and with noise. Prints the falling loss and the accuracy on pictures it has not seen.
#include <strata/strata.h>

#include <cstdio>
#include <iostream>
#include <vector>

namespace nn = strata::nn;
namespace F = strata::nn::functional;
using strata::Tensor;

constexpr int64_t kSide = 28;
constexpr int64_t kClasses = 4;

// `n` pictures [n, 1, 28, 28] and their classes [n].
std::pair<Tensor, Tensor> make_pictures(int64_t n, strata::Generator& gen) {
  std::vector<float> pixels(static_cast<size_t>(n * kSide * kSide));
  std::vector<int64_t> labels(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) {
    const auto kind = static_cast<int64_t>(gen.next() % kClasses);
    const auto at = static_cast<int64_t>(4 + gen.next() % 16);  // where the shape sits
    float* image = pixels.data() + i * kSide * kSide;
    for (int64_t r = 0; r < kSide; ++r)
      for (int64_t c = 0; c < kSide; ++c) {
        bool on = false;
        if (kind == 0) on = r >= at && r < at + 3;                               // horizontal bar
        if (kind == 1) on = c >= at && c < at + 3;                               // vertical bar
        if (kind == 2) on = (r - c + kSide) % kSide == at;                       // diagonal
        if (kind == 3) on = r >= at && r < at + 8 && c >= at - 4 && c < at + 4;  // square
        image[r * kSide + c] = (on ? 1.0f : 0.0f) + 0.3f * static_cast<float>(gen.normal());
      }
    labels[static_cast<size_t>(i)] = kind;
  }
  return {strata::from_vector(pixels, {n, 1, kSide, kSide}), strata::from_vector(labels, {n})};
}

struct LeNet : nn::Module {
  nn::Conv2d conv1{1, 32, 3};
  nn::Conv2d conv2{32, 64, 3};
  nn::MaxPool2d pool{2};
  nn::Linear fc1{64 * 5 * 5, 128};
  nn::Linear fc2{128, kClasses};

  Tensor forward(const Tensor& x) {
    Tensor h = pool(F::relu(conv1(x)));  // [N, 32, 13, 13]
    h = pool(F::relu(conv2(h)));         // [N, 64, 5, 5]
    return fc2(F::relu(fc1(h.flatten(1))));
  }

  STRATA_MODULE(LeNet, conv1, conv2, pool, fc1, fc2)
};

int main() {
  strata::manual_seed(0);
  strata::Generator data(7);
  auto [test_x, test_y] = make_pictures(256, data);

  LeNet model;
  strata::optim::SGD opt(model.parameters(), {.lr = 0.02, .momentum = 0.9});
  std::cout << model << "\n\n";
  std::printf("%lld parameters; training on batches of 64 generated pictures\n",
              static_cast<long long>(model.num_parameters()));
  for (int step = 1; step <= 60; ++step) {
    auto [x, y] = make_pictures(64, data);
    opt.zero_grad();
    Tensor loss = F::cross_entropy(model(x), y);
    loss.backward();
    opt.step();
    if (step % 10 == 0) std::printf("step %3d  loss %.4f\n", step, loss.item<double>());
  }
  model.eval();
  strata::NoGradGuard no_grad;
  const double accuracy = (model(test_x).argmax(1) == test_y).to(strata::kFloat64).mean().item<double>();
  std::printf("accuracy on 256 new pictures: %.1f%%\n", 100.0 * accuracy);
}
