// A tour of strata's tensor and autograd API; README.md shows this file as it is.
#include <strata/strata.h>

#include <iostream>

using namespace strata;

int main() {
  manual_seed(0);
  std::cout << std::boolalpha;

  // Making tensors: from values, constants, ranges, random numbers; dtype and grad as options.
  Tensor m = tensor({{1.0, 2.0}, {3.0, 4.0}});           // [2, 2] float32
  Tensor i = arange(6).reshape({2, 3});                  // [2, 3] int64: 0..5
  Tensor z = zeros({2, 3}, {.dtype = kFloat64});         // [2, 3] float64
  Tensor r = randn({3, 4});                              // standard normal, float32
  std::cout << "i * 0.5 = " << i * 0.5 << "\n";          // int64 * double promotes to float32
  std::cout << "z + i: " << (z + i).describe() << "\n";  // "[2, 3] float64 cpu"

  // Views share memory with their base; indexing follows NumPy's rules.
  Tensor col = i.index({Slice(), 1});   // column 1, a view: [1, 4]
  Tensor rows = r.narrow(0, 1, 2).t();  // [4, 2], not contiguous
  std::cout << "col = " << col << ", rows.is_contiguous() = " << rows.is_contiguous() << "\n";

  // Reductions and linear algebra.
  std::cout << "m.sum() = " << m.sum().item<float>() << ", m.mean({0}) = " << m.mean({0}) << "\n";
  std::cout << "m @ m = " << m.matmul(m) << "\n";

  // Autograd: mark leaves with requires_grad_, build a scalar, call backward(), read grad().
  Tensor x = tensor({0.5, -1.0, 2.0}).requires_grad_();
  Tensor y = (x * x).sum() + x.tanh().sum();
  y.backward();
  std::cout << "dy/dx = " << x.grad() << "\n";  // 2x + (1 - tanh(x)^2)

  // autograd::grad returns gradients instead of accumulating them; create_graph makes them
  // differentiable again, for second derivatives.
  Tensor t = tensor(3.0).requires_grad_();
  Tensor dt = autograd::grad({t * t * t}, {t}, {}, false, /*create_graph=*/true)[0];  // 3t^2 = 27
  Tensor dt2 = autograd::grad({dt}, {t})[0];                                          // 6t = 18
  std::cout << "d/dt t^3 = " << dt.item<double>() << ", d2/dt2 = " << dt2.item<double>() << "\n";

  // Inside a NoGradGuard nothing is recorded: for inference and parameter updates.
  {
    NoGradGuard no_grad;
    std::cout << "(x * 2).requires_grad() = " << (x * 2).requires_grad() << "\n";  // false
  }

  // Misuse is a strata::Error whose message names the op, the operands and the fix.
  try {
    Tensor bad = randn({2, 3}).matmul(randn({2, 3}));
  } catch (const Error& e) {
    std::cout << "error: " << e.what() << "\n";
  }
}
