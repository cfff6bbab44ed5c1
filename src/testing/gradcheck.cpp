// Finite-difference gradient checking, as torch.autograd.gradcheck: the full Jacobian from
// backward (one backward per output element) against central differences.
#include "strata/testing/gradcheck.h"

#include <cmath>

#include "strata/autograd.h"
#include "strata/factories.h"
#include "strata/ops.h"

namespace strata::testing {
namespace {

// Storage offset of the k-th element (row-major order) of t.
int64_t element_offset(const Tensor& t, int64_t k) {
  int64_t offset = t.storage_offset();
  for (int64_t d = t.dim() - 1; d >= 0; --d) {
    const int64_t size = t.size(d);
    offset += (k % size) * t.stride(d);
    k /= size;
  }
  return offset;
}

double& element(const Tensor& t, int64_t k) {
  return static_cast<double*>(t.impl().storage->data)[element_offset(t, k)];
}

std::vector<double> flat_output(const Tensor& out) {
  NoGradGuard no_grad;
  return out.to(kFloat64).to_vector<double>();
}

}  // namespace

GradcheckResult gradcheck(const std::function<Tensor(const std::vector<Tensor>&)>& fn,
                          const std::vector<Tensor>& inputs, const GradcheckOptions& options) {
  std::vector<size_t> diff;  // inputs we differentiate
  for (size_t i = 0; i < inputs.size(); ++i) {
    if (!inputs[i].defined() || !inputs[i].requires_grad()) continue;
    if (inputs[i].dtype() != kFloat64)
      return {false, fmt::format("input {} is {}; gradcheck needs float64 inputs", i, inputs[i].describe())};
    diff.push_back(i);
  }
  if (diff.empty()) return {false, "no input requires grad"};
  std::vector<Tensor> diff_inputs;
  for (size_t i : diff) diff_inputs.push_back(inputs[i]);

  Tensor out = fn(inputs);
  if (!out.is_floating_point())
    return {false, "the function's output " + out.describe() + " is not floating point"};
  const int64_t n_out = out.numel();

  // Numerical Jacobian columns: d out / d input[k].
  std::vector<std::vector<std::vector<double>>> numeric(diff.size());
  for (size_t a = 0; a < diff.size(); ++a) {
    const Tensor& x = inputs[diff[a]];
    numeric[a].resize(static_cast<size_t>(x.numel()));
    for (int64_t k = 0; k < x.numel(); ++k) {
      double& v = element(x, k);
      const double orig = v;
      std::vector<double> plus, minus;
      {
        NoGradGuard no_grad;
        v = orig + options.eps;
        plus = flat_output(fn(inputs));
        v = orig - options.eps;
        minus = flat_output(fn(inputs));
        v = orig;
      }
      auto& col = numeric[a][k];
      col.resize(static_cast<size_t>(n_out));
      for (int64_t j = 0; j < n_out; ++j) col[j] = (plus[j] - minus[j]) / (2.0 * options.eps);
    }
  }

  // Analytic Jacobian rows: one backward per output element.
  if (!out.requires_grad()) {
    for (size_t a = 0; a < diff.size(); ++a)
      for (auto& col : numeric[a])
        for (double d : col)
          if (std::abs(d) > options.atol)
            return {false,
                    fmt::format("the output does not require grad, but the numerical gradient of input {} "
                                "is {}",
                                diff[a], d)};
    return {};
  }
  for (int64_t j = 0; j < n_out; ++j) {
    Tensor seed = zeros(out.shape(), {.dtype = out.dtype()});
    static_cast<double*>(seed.data_ptr())[j] = 1.0;
    if (out.dtype() != kFloat64) seed = seed.to(out.dtype());
    std::vector<Tensor> grads = autograd::grad({out}, diff_inputs, {seed}, true, false, true);
    if (options.check_deterministic) {
      std::vector<Tensor> again = autograd::grad({out}, diff_inputs, {seed}, true, false, true);
      for (size_t a = 0; a < grads.size(); ++a) {
        if (grads[a].defined() != again[a].defined() ||
            (grads[a].defined() && grads[a].to_vector<double>() != again[a].to_vector<double>()))
          return {false, fmt::format("backward is not deterministic for input {}", diff[a])};
      }
    }
    for (size_t a = 0; a < diff.size(); ++a) {
      const Tensor& x = inputs[diff[a]];
      std::vector<double> row = grads[a].defined() ? grads[a].to(kFloat64).to_vector<double>()
                                                   : std::vector<double>(static_cast<size_t>(x.numel()), 0.0);
      if (grads[a].defined() && !(grads[a].shape() == x.shape()))
        return {false, fmt::format("gradient for input {} has shape {}, the input has shape {}", diff[a],
                                   grads[a].shape().str(), x.shape().str())};
      for (int64_t k = 0; k < x.numel(); ++k) {
        const double analytic = row[k], numerical = numeric[a][k][j];
        if (!(std::abs(analytic - numerical) <= options.atol + options.rtol * std::abs(numerical)))
          return {
              false,
              fmt::format("Jacobian mismatch for input {} ({}), element {}, output element {}: analytic {} "
                          "vs numerical {}",
                          diff[a], x.describe(), k, j, analytic, numerical)};
      }
    }
  }
  return {};
}

GradcheckResult gradgradcheck(const std::function<Tensor(const std::vector<Tensor>&)>& fn,
                              const std::vector<Tensor>& inputs, const GradcheckOptions& options) {
  Tensor out = fn(inputs);
  Generator gen(1234);
  const Tensor v = randn(out.shape(), {.dtype = kFloat64}, &gen);
  for (size_t i = 0; i < inputs.size(); ++i) {
    if (!inputs[i].defined() || !inputs[i].requires_grad()) continue;
    auto first_grad = [&, i](const std::vector<Tensor>& xs) {
      EnableGradGuard enable;  // gradcheck evaluates under NoGradGuard; the first gradient needs a graph
      Tensor g = autograd::grad({fn(xs)}, {xs[i]}, {v}, true, true, true)[0];
      return g.defined() ? g : zeros_like(xs[i]);
    };
    GradcheckResult r = gradcheck(first_grad, inputs, options);
    if (!r) return {false, fmt::format("second derivative through input {}: {}", i, r.message)};
  }
  return {};
}

}  // namespace strata::testing
