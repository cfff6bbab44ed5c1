#pragma once
/// \file testing/gradcheck.h
/// Checks analytic gradients against central finite differences, as torch.autograd.gradcheck.
#include <functional>
#include <string>
#include <vector>

#include "strata/tensor.h"

namespace strata::testing {

struct GradcheckOptions {
  double eps = 1e-6;
  double atol = 1e-5;
  double rtol = 1e-3;
  /// Also require two backward passes to give bitwise-identical gradients.
  bool check_deterministic = true;
};

struct GradcheckResult {
  bool ok = true;
  /// What disagreed, where, and by how much; empty when ok.
  std::string message;
  explicit operator bool() const { return ok; }
};

/// `fn` maps the inputs to one output tensor (any shape). Inputs that are float64 and require grad
/// are perturbed one element at a time; the Jacobian-vector products of backward (with random
/// output gradients) are compared with the finite differences.
GradcheckResult gradcheck(const std::function<Tensor(const std::vector<Tensor>&)>& fn,
                          const std::vector<Tensor>& inputs, const GradcheckOptions& options = {});

/// Checks the gradient of the gradient: gradcheck applied to the function that returns
/// backward's input gradients (computed with create_graph).
GradcheckResult gradgradcheck(const std::function<Tensor(const std::vector<Tensor>&)>& fn,
                              const std::vector<Tensor>& inputs, const GradcheckOptions& options = {});

}  // namespace strata::testing
