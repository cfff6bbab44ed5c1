// A first look at strata: make tensors, broadcast, print, and fit y = 3x + 2 with autograd.
#include <strata/strata.h>

#include <iostream>

using strata::Tensor;

int main() {
  // Tensors from nested lists: floating-point literals give float32, integers int64.
  Tensor a = strata::tensor({{1.0, 2.0, 3.0}, {4.0, 5.0, 6.0}});  // [2, 3]
  Tensor b = strata::tensor({10.0, 20.0, 30.0});                  // [3]
  std::cout << "a, " << a.shape() << " " << a.dtype() << ":\n" << a << "\n\n";

  // Broadcasting as in NumPy/PyTorch: b is added to every row of a.
  std::cout << "a + b:\n" << a + b << "\n\n";
  // A column [2, 1] times a row [3] broadcasts to [2, 3].
  std::cout << "a.sum({1}, /*keepdim=*/true) * b:\n" << a.sum({1}, /*keepdim=*/true) * b << "\n\n";
  // Views share memory: the transpose is not a copy.
  std::cout << "a.t():\n" << a.t() << "\n\n";

  // Fit y = 3x + 2 by gradient descent; autograd computes d(loss)/dw and d(loss)/dc.
  std::cout << "fitting y = 3x + 2 by gradient descent:\n";
  Tensor x = strata::linspace(-1.0, 1.0, 32);
  Tensor y = 3.0 * x + 2.0;
  Tensor w = strata::zeros({1}, {.requires_grad = true});
  Tensor c = strata::zeros({1}, {.requires_grad = true});
  const double lr = 0.5;
  for (int step = 0; step <= 40; ++step) {
    Tensor error = w * x + c - y;
    Tensor loss = (error * error).mean();
    loss.backward();
    {
      // The update itself must not be recorded as part of the next step's graph.
      strata::NoGradGuard no_grad;
      w -= lr * w.grad();
      c -= lr * c.grad();
    }
    w.set_grad(Tensor());
    c.set_grad(Tensor());
    if (step % 5 == 0) std::cout << "step " << step << "  loss " << loss.item<float>() << "\n";
  }
  std::cout << "learned w = " << w.item<float>() << ", c = " << c.item<float>() << " (true: 3, 2)\n";
}
