// The first program: PyTorch's SimpleNet in strata. Prints the shapes and the named parameters.
#include <strata/strata.h>

#include <iostream>

namespace nn = strata::nn;
using strata::Tensor;

struct SimpleNet : nn::Module {
  nn::Linear fc1;
  nn::ReLU relu;
  nn::Linear fc2;

  SimpleNet(int64_t input_size, int64_t hidden_size, int64_t output_size)
      : fc1(input_size, hidden_size), fc2(hidden_size, output_size) {}

  Tensor forward(const Tensor& x) { return fc2(relu(fc1(x))); }

  STRATA_MODULE(SimpleNet, fc1, relu, fc2)  // children and parameters, named by their identifiers
};

int main() {
  SimpleNet model(/*input_size=*/10, /*hidden_size=*/32, /*output_size=*/2);
  Tensor input = strata::randn({4, 10});
  Tensor output = model(input);  // routes to forward()

  std::cout << "Input shape: " << input.shape() << "\n";
  std::cout << "Output shape: " << output.shape() << "\n";
  std::cout << "\nModel parameters:\n";
  for (const auto& [name, param] : model.named_parameters())
    std::cout << " " << name << ": " << param.shape() << "\n";
  std::cout << "\nTotal parameters: " << model.num_parameters() << "\n";
}
