// The configuration each activation module prints, in PyTorch's words.
#include "strata/nn/activation.h"

#include <fmt/format.h>

#include <cmath>

namespace strata::nn {
namespace {

// Python's repr of a float ("1.0", "0.5", "1e-05"), which PyTorch's extra_repr prints.
std::string python_float(double v) {
  std::string s = fmt::format("{}", v);
  if (std::isfinite(v) && s.find_first_of(".e") == std::string::npos) s += ".0";
  return s;
}

// The input checks of the composed activations, in the module's words rather than the function's.
void check_input(const Module& m, const Tensor& x) {
  if (x.defined() && x.is_floating_point()) return;  // the configuration is formatted only for errors
  const std::string extra = m.extra_repr();
  const std::string config = extra.empty() ? std::string() : fmt::format(" {}", extra);
  if (!x.defined()) fail("{} ({}{}): the input is an undefined tensor", m.path(), m.type_name(), config);
  if (!x.is_floating_point())
    fail("{} ({}{}): input {} must be floating point; convert it with x.to(strata::kFloat32)", m.path(),
         m.type_name(), config, x.describe());
}

}  // namespace

GELU::GELU(std::string approximate) : approximate_(std::move(approximate)) {
  if (approximate_ != "none" && approximate_ != "tanh")
    fail("[GELU] approximate must be \"none\" or \"tanh\", got \"{}\"", approximate_);
}
std::string GELU::extra_repr() const { return fmt::format("approximate='{}'", approximate_); }
std::string LeakyReLU::extra_repr() const { return fmt::format("negative_slope={}", negative_slope_); }
std::string Softmax::extra_repr() const { return fmt::format("dim={}", dim_); }
std::string LogSoftmax::extra_repr() const { return fmt::format("dim={}", dim_); }
std::string Flatten::extra_repr() const {
  return fmt::format("start_dim={}, end_dim={}", start_dim_, end_dim_);
}
std::string Unflatten::extra_repr() const {
  std::string sizes;
  for (size_t i = 0; i < sizes_.size(); ++i) sizes += fmt::format("{}{}", i ? ", " : "", sizes_[i]);
  return fmt::format("dim={}, unflattened_size=({}{})", dim_, sizes, sizes_.size() == 1 ? "," : "");
}

Tensor ELU::forward(const Tensor& x) {
  check_input(*this, x);
  return functional::elu(x, alpha_);
}
std::string ELU::extra_repr() const { return "alpha=" + python_float(alpha_); }

Tensor Hardswish::forward(const Tensor& x) {
  check_input(*this, x);
  return functional::hardswish(x);
}

Tensor Mish::forward(const Tensor& x) {
  check_input(*this, x);
  return functional::mish(x);
}

Softplus::Softplus(double beta, double threshold) : beta_(beta), threshold_(threshold) {
  if (beta == 0.0 || !std::isfinite(beta)) fail("[Softplus] beta must be finite and non-zero, got {}", beta);
}
Tensor Softplus::forward(const Tensor& x) {
  check_input(*this, x);
  return strata::softplus(x, beta_, threshold_);
}
// PyTorch's defaults are the ints 1 and 20, so it prints them without ".0".
std::string Softplus::extra_repr() const { return fmt::format("beta={}, threshold={}", beta_, threshold_); }

}  // namespace strata::nn
