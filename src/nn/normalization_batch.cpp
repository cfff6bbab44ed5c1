// BatchNorm1d / BatchNorm2d: PyTorch's _BatchNorm (buffers, momentum or cumulative average, eval
// with running statistics), with input checks that name the layer and its configuration.
#include "nn/normalization_common.h"
#include "strata/autograd.h"
#include "strata/factories.h"
#include "strata/nn/functional/normalization.h"
#include "strata/nn/normalization.h"

namespace strata::nn {
namespace detail {

BatchNormBase::BatchNormBase(int64_t num_features, double eps, std::optional<double> momentum, bool affine,
                             bool track_running_stats)
    : num_features_(num_features), eps_(eps), momentum_(momentum) {
  if (num_features < 0) fail("[BatchNorm] num_features must be >= 0, got {}", num_features);
  if (affine) {
    weight = Parameter(empty({num_features}));
    bias = Parameter(empty({num_features}));
  }
  if (track_running_stats) {
    running_mean = Buffer(empty({num_features}));
    running_var = Buffer(empty({num_features}));
    num_batches_tracked = Buffer(zeros({}, {.dtype = kInt64}));
  }
  reset_parameters();
}

void BatchNormBase::reset_running_stats() {
  if (!running_mean.defined()) return;
  NoGradGuard no_grad;
  running_mean.zero_();
  running_var.fill_(1.0);
  num_batches_tracked.zero_();
}

void BatchNormBase::reset_parameters() {
  reset_running_stats();
  NoGradGuard no_grad;
  if (weight.defined()) weight.fill_(1.0);
  if (bias.defined()) bias.zero_();
}

Tensor BatchNormBase::forward(const Tensor& x) {
  if (!x.defined()) fail("{}: the input is an undefined tensor", module_label(*this));
  check_input_dims(x);
  if (x.size(1) != num_features_)
    fail(
        "{}: input {} has {} channels (dim 1), expected {}. Check the layer before it, or construct the "
        "layer "
        "with num_features={}",
        module_label(*this), x.shape().str(), x.size(1), num_features_, x.size(1));
  if (!x.is_floating_point())
    fail("{}: input {} is not floating point; convert it with x.to(strata::kFloat32)", module_label(*this),
         x.describe());
  const Tensor& any_state = weight.defined() ? static_cast<const Tensor&>(weight) : running_mean;
  check_input_dtype(*this, x, any_state);
  if (any_state.defined() && !(x.device() == any_state.device()))
    fail(
        "{}: the layer's tensors are on {}, input is on {}. Move the input with x.to({}) or the model with "
        "model.to({})",
        module_label(*this), any_state.device().str(), x.device().str(), any_state.device().str(),
        x.device().str());
  const bool tracking = running_mean.defined();
  if (is_training() && x.numel() / std::max<int64_t>(1, num_features_) == 1)
    fail(
        "{}: Expected more than 1 value per channel when training, got input size {}. Use a batch of at "
        "least "
        "2, or call eval() to normalize with the running statistics",
        module_label(*this), x.shape().str());
  double factor = momentum_.value_or(0.0);
  if (is_training() && tracking) {
    NoGradGuard no_grad;
    num_batches_tracked.add_(1);
    // momentum = None: the running statistics are the plain average of every batch seen so far.
    if (!momentum_) factor = 1.0 / static_cast<double>(num_batches_tracked.item<int64_t>());
  }
  // Batch statistics in training, and in eval when no running statistics are kept.
  const bool use_batch_stats = is_training() || !tracking;
  return functional::batch_norm(x, running_mean, running_var, weight, bias, use_batch_stats, factor, eps_);
}

std::string BatchNormBase::extra_repr() const {
  return fmt::format("{}, eps={}, momentum={}, affine={}, track_running_stats={}", num_features_,
                     python_float(eps_), momentum_ ? python_float(*momentum_) : "None", weight.defined(),
                     running_mean.defined());
}

}  // namespace detail

void BatchNorm1d::check_input_dims(const Tensor& x) const {
  if (x.dim() != 2 && x.dim() != 3)
    fail("{}: expected a 2D [N, C] or 3D [N, C, L] input, got {} ({}D). For images use BatchNorm2d",
         detail::module_label(*this), x.shape().str(), x.dim());
}

void BatchNorm2d::check_input_dims(const Tensor& x) const {
  if (x.dim() != 4)
    fail("{}: expected a 4D [N, C, H, W] input, got {} ({}D). For [N, C] or [N, C, L] use BatchNorm1d",
         detail::module_label(*this), x.shape().str(), x.dim());
}

}  // namespace strata::nn
