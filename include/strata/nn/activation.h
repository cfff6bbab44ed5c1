#pragma once
/// \file activation.h
/// Activation modules, for use as members and in nn::Sequential. Each calls the function of the
/// same name in nn::functional.
#include <string>

#include "strata/nn/functional/activation.h"
#include "strata/nn/module.h"
#include "strata/ops.h"

namespace strata::nn {

#define STRATA_DETAIL_ACTIVATION(Class, expr)        \
  class Class : public Module {                      \
   public:                                           \
    Tensor forward(const Tensor& x) { return expr; } \
    STRATA_MODULE(Class)                             \
  };

STRATA_DETAIL_ACTIVATION(ReLU, strata::relu(x))
STRATA_DETAIL_ACTIVATION(SiLU, strata::silu(x))
STRATA_DETAIL_ACTIVATION(Tanh, strata::tanh(x))
STRATA_DETAIL_ACTIVATION(Sigmoid, strata::sigmoid(x))
/// Passes its input through unchanged (a placeholder, as in PyTorch).
STRATA_DETAIL_ACTIVATION(Identity, x)
#undef STRATA_DETAIL_ACTIVATION

class GELU : public Module {
 public:
  /// "none" (exact, erf) or "tanh".
  explicit GELU(std::string approximate = "none");
  Tensor forward(const Tensor& x) { return strata::gelu(x, approximate_); }
  std::string extra_repr() const override;

 private:
  std::string approximate_;
  STRATA_MODULE(GELU)
};

class LeakyReLU : public Module {
 public:
  explicit LeakyReLU(double negative_slope = 0.01) : negative_slope_(negative_slope) {}
  Tensor forward(const Tensor& x) { return strata::leaky_relu(x, negative_slope_); }
  std::string extra_repr() const override;

 private:
  double negative_slope_;
  STRATA_MODULE(LeakyReLU)
};

class Softmax : public Module {
 public:
  explicit Softmax(int64_t dim) : dim_(dim) {}
  Tensor forward(const Tensor& x) { return strata::softmax(x, dim_); }
  std::string extra_repr() const override;

 private:
  int64_t dim_;
  STRATA_MODULE(Softmax)
};

class LogSoftmax : public Module {
 public:
  explicit LogSoftmax(int64_t dim) : dim_(dim) {}
  Tensor forward(const Tensor& x) { return strata::log_softmax(x, dim_); }
  std::string extra_repr() const override;

 private:
  int64_t dim_;
  STRATA_MODULE(LogSoftmax)
};

/// Flattens dims start_dim..end_dim into one (by default all but the batch dim).
class Flatten : public Module {
 public:
  explicit Flatten(int64_t start_dim = 1, int64_t end_dim = -1) : start_dim_(start_dim), end_dim_(end_dim) {}
  Tensor forward(const Tensor& x) { return x.flatten(start_dim_, end_dim_); }
  std::string extra_repr() const override;

 private:
  int64_t start_dim_, end_dim_;
  STRATA_MODULE(Flatten)
};

/// Splits dim `dim` into `sizes` (the inverse of Flatten).
class Unflatten : public Module {
 public:
  Unflatten(int64_t dim, Shape sizes) : dim_(dim), sizes_(std::move(sizes)) {}
  Tensor forward(const Tensor& x) { return x.unflatten(dim_, sizes_); }
  std::string extra_repr() const override;

 private:
  int64_t dim_;
  Shape sizes_;
  STRATA_MODULE(Unflatten)
};

/// alpha * (exp(x) - 1) for x <= 0, x above (nn::functional::elu). Prints "ELU(alpha=1.0)".
class ELU : public Module {
 public:
  explicit ELU(double alpha = 1.0) : alpha_(alpha) {}
  /// `x`: floating point, any shape; an error naming the module for other dtypes.
  Tensor forward(const Tensor& x);
  double alpha() const { return alpha_; }
  std::string extra_repr() const override;

 private:
  double alpha_;
  STRATA_MODULE(ELU)
};

/// x * relu6(x + 3) / 6 (nn::functional::hardswish).
class Hardswish : public Module {
 public:
  Tensor forward(const Tensor& x);
  STRATA_MODULE(Hardswish)
};

/// x * tanh(softplus(x)) (nn::functional::mish).
class Mish : public Module {
 public:
  Tensor forward(const Tensor& x);
  STRATA_MODULE(Mish)
};

/// log(1 + exp(beta x)) / beta, linear (x) where beta x > threshold (strata::softplus). Prints
/// "Softplus(beta=1, threshold=20)".
class Softplus : public Module {
 public:
  /// `beta` must be non-zero.
  explicit Softplus(double beta = 1.0, double threshold = 20.0);
  Tensor forward(const Tensor& x);
  double beta() const { return beta_; }
  double threshold() const { return threshold_; }
  std::string extra_repr() const override;

 private:
  double beta_, threshold_;
  STRATA_MODULE(Softplus)
};

}  // namespace strata::nn
