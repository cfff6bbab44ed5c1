// A small transformer encoder learns a task that needs attention: for every position of a random
// sequence of digits, name the largest digit of the whole sequence. Token and position embeddings,
// two encoder layers, a linear head per position; AdamW with a cosine learning-rate schedule and
// gradient clipping. Prints the falling loss and the accuracy on sequences it has not seen.
#include <strata/strata.h>

#include <cstdio>
#include <iostream>

namespace nn = strata::nn;
namespace F = strata::nn::functional;
using strata::Tensor;

constexpr int64_t kVocab = 10;
constexpr int64_t kLength = 12;
constexpr int64_t kModel = 32;

// `n` sequences [n, 12] of digits and, at every position, the sequence's largest digit.
std::pair<Tensor, Tensor> make_sequences(int64_t n, strata::Generator& gen) {
  Tensor tokens = strata::randint(0, kVocab, {n, kLength}, {}, &gen);
  Tensor largest = strata::max(tokens, 1, /*keepdim=*/true).values.expand({n, kLength});
  return {tokens, largest.contiguous()};
}

struct MaxFinder : nn::Module {
  nn::Embedding token{kVocab, kModel};
  nn::Embedding position{kLength, kModel};
  nn::TransformerEncoder encoder{
      nn::TransformerEncoderLayer(kModel, /*nhead=*/4, /*dim_feedforward=*/64, /*dropout=*/0.0, "relu", 1e-5,
                                  /*batch_first=*/true),
      /*num_layers=*/2};
  nn::Linear head{kModel, kVocab};

  Tensor forward(const Tensor& tokens) {
    Tensor h = token(tokens) + position(strata::arange(kLength));
    return head(encoder(h));  // [N, 12, 10]
  }

  STRATA_MODULE(MaxFinder, token, position, encoder, head)
};

int main() {
  strata::manual_seed(0);
  strata::Generator data(11);
  auto [test_x, test_y] = make_sequences(256, data);

  MaxFinder model;
  strata::optim::AdamW opt(model.parameters(), {.lr = 1e-2});
  strata::optim::CosineAnnealingLR schedule(opt, /*T_max=*/300);
  std::cout << model << "\n\n";
  std::printf("%lld parameters; training on batches of 64 random sequences\n",
              static_cast<long long>(model.num_parameters()));
  double window_loss = 0;  // the mean over each 30 steps: one batch's loss is noisy
  for (int step = 1; step <= 300; ++step) {
    auto [x, y] = make_sequences(64, data);
    opt.zero_grad();
    Tensor loss = F::cross_entropy(model(x).flatten(0, 1), y.flatten());
    loss.backward();
    nn::utils::clip_grad_norm_(model.parameters(), /*max_norm=*/1.0);
    opt.step();
    schedule.step();
    window_loss += loss.item<double>() / 30;
    if (step % 30 == 0) {
      std::printf("steps %3d-%3d  mean loss %.4f\n", step - 29, step, window_loss);
      window_loss = 0;
    }
  }
  model.eval();
  strata::NoGradGuard no_grad;
  Tensor predicted = model(test_x).argmax(-1);
  const double accuracy = (predicted == test_y).to(strata::kFloat64).mean().item<double>();
  std::printf("accuracy on 256 new sequences: %.1f%%\n", 100.0 * accuracy);
}
