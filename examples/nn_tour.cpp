// A tour of strata::nn: modules, containers, losses, optimizers and state; README.md shows this
// file as it is.
#include <strata/strata.h>

#include <iostream>

namespace nn = strata::nn;
namespace F = strata::nn::functional;
using strata::Tensor;

// A module lists its children, parameters and buffers once, by name, in STRATA_MODULE.
struct Residual : nn::Module {
  nn::Linear fc;
  nn::Parameter gate{strata::zeros({1})};                          // a parameter of its own
  nn::Buffer calls{strata::zeros({}, {.dtype = strata::kInt64})};  // state, saved but not trained

  explicit Residual(int64_t width) : fc(width, width) {}
  Tensor forward(const Tensor& x) {
    calls.add_(1);
    return x + gate * F::gelu(fc(x));
  }
  STRATA_MODULE(Residual, fc, gate, calls)
};

struct Classifier : nn::Module {
  nn::Sequential stem{nn::Flatten(), nn::Linear(16, 32), nn::ReLU()};  // chained Tensor -> Tensor
  nn::ModuleList<Residual> blocks;                                     // a dynamic number of children
  nn::Linear head{32, 3};

  explicit Classifier(int depth) {
    for (int i = 0; i < depth; ++i) blocks.emplace_back(32);
  }
  Tensor forward(const Tensor& x) {
    Tensor h = stem(x);
    for (Residual& block : blocks) h = block(h);
    return head(h);
  }
  STRATA_MODULE(Classifier, stem, blocks, head)
};

int main() {
  strata::manual_seed(0);
  Classifier model(/*depth=*/2);
  std::cout << model << "\n";  // the tree, like PyTorch's repr
  for (const auto& [name, p] : model.named_parameters()) std::cout << name << " " << p.shape() << "\n";

  // Train: an optimizer over model.parameters(), a loss from nn::functional.
  Tensor x = strata::randn({8, 4, 4});
  Tensor y = strata::randint(0, 3, {8});
  strata::optim::AdamW opt(model.parameters(), {.lr = 1e-2, .weight_decay = 0.01});
  for (int step = 0; step < 50; ++step) {
    opt.zero_grad();
    Tensor loss = F::cross_entropy(model(x), y, {.label_smoothing = 0.1});
    loss.backward();
    opt.step();
    if (step % 10 == 0) std::cout << "step " << step << " loss " << loss.item<float>() << "\n";
  }

  // State: named tensors, loadable into another instance; a report says what did not fit.
  nn::StateDict state = model.state_dict();
  Classifier copy(2);
  copy.load_state_dict(state);
  Classifier shallower(1);
  nn::LoadResult report = shallower.load_state_dict(state, /*strict=*/false);
  std::cout << report.unexpected_keys.size() << " unexpected keys, e.g. " << report.unexpected_keys[0]
            << "\n";

  // Modes, dtypes, deep copies, and a per-layer summary.
  model.eval();                     // train()/eval() reach every module
  Classifier twin = model.clone();  // deep: its own parameters
  twin.to(strata::kFloat64);        // in place: optimizers holding the parameters keep working
  std::cout << "twin dtype: " << twin.head.weight.dtype() << ", blocks[0] ran "
            << model.blocks[0].calls.item<int64_t>() << " times\n";
  strata::summary(model, x);

  // Mistakes are errors that name the module path and the fix.
  try {
    model(strata::randn({8, 5, 5}));
  } catch (const strata::Error& e) {
    std::cout << "error: " << e.what() << "\n";
  }
}
