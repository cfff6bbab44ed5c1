// LayerNorm, GroupNorm and RMSNorm: checks that name the layer and its configuration, then the functional op.
#include "strata/nn/normalization.h"

#include "nn/normalization_common.h"
#include "strata/autograd.h"
#include "strata/factories.h"
#include "strata/nn/functional/normalization.h"

namespace strata::nn {

LayerNorm::LayerNorm(Shape normalized_shape, double eps, bool elementwise_affine)
    : normalized_shape_(normalized_shape), eps_(eps) {
  detail::check_normalized_shape("LayerNorm", normalized_shape_);
  if (elementwise_affine) {
    weight = Parameter(empty(normalized_shape_));
    bias = Parameter(empty(normalized_shape_));
  }
  reset_parameters();
}

void LayerNorm::reset_parameters() {
  NoGradGuard no_grad;
  if (weight.defined()) weight.fill_(1.0);
  if (bias.defined()) bias.fill_(0.0);
}

Tensor LayerNorm::forward(const Tensor& x) {
  detail::check_trailing_input(*this, x, normalized_shape_, weight);
  return functional::layer_norm(x, normalized_shape_, weight, bias, eps_);
}

std::string LayerNorm::extra_repr() const {
  return fmt::format("{}, eps={}, elementwise_affine={}", detail::python_tuple(normalized_shape_),
                     detail::python_float(eps_), weight.defined());
}

GroupNorm::GroupNorm(int64_t num_groups, int64_t num_channels, double eps, bool affine)
    : num_groups_(num_groups), num_channels_(num_channels), eps_(eps) {
  if (num_groups <= 0 || num_channels < 0 || num_channels % num_groups != 0)
    fail(
        "[GroupNorm] num_channels must be divisible by num_groups (and num_groups positive), got "
        "GroupNorm({}, {})",
        num_groups, num_channels);
  if (affine) {
    weight = Parameter(empty({num_channels}));
    bias = Parameter(empty({num_channels}));
  }
  reset_parameters();
}

void GroupNorm::reset_parameters() {
  NoGradGuard no_grad;
  if (weight.defined()) weight.fill_(1.0);
  if (bias.defined()) bias.zero_();
}

Tensor GroupNorm::forward(const Tensor& x) {
  if (!x.defined()) fail("{}: the input is an undefined tensor", detail::module_label(*this));
  if (x.dim() < 2 || x.size(1) != num_channels_)
    fail(
        "{}: input {} has {} channels (dim 1), expected {}. The input must be [N, C, *] with C = "
        "num_channels",
        detail::module_label(*this), x.shape().str(), x.dim() < 2 ? 0 : x.size(1), num_channels_);
  if (!x.is_floating_point())
    fail("{}: input {} is not floating point; convert it with x.to(strata::kFloat32)",
         detail::module_label(*this), x.describe());
  detail::check_input_dtype(*this, x, weight);
  if (weight.defined() && !(x.device() == weight.device()))
    fail(
        "{}: {}.weight is on {}, input is on {}. Move the input with x.to({}) or the model with model.to({})",
        detail::module_label(*this), path(), weight.device().str(), x.device().str(), weight.device().str(),
        x.device().str());
  return functional::group_norm(x, num_groups_, weight, bias, eps_);
}

std::string GroupNorm::extra_repr() const {
  return fmt::format("{}, {}, eps={}, affine={}", num_groups_, num_channels_, detail::python_float(eps_),
                     weight.defined());
}

RMSNorm::RMSNorm(Shape normalized_shape, std::optional<double> eps, bool elementwise_affine)
    : normalized_shape_(normalized_shape), eps_(eps) {
  detail::check_normalized_shape("RMSNorm", normalized_shape_);
  if (elementwise_affine) weight = Parameter(empty(normalized_shape_));
  reset_parameters();
}

void RMSNorm::reset_parameters() {
  NoGradGuard no_grad;
  if (weight.defined()) weight.fill_(1.0);
}

Tensor RMSNorm::forward(const Tensor& x) {
  detail::check_trailing_input(*this, x, normalized_shape_, weight);
  return functional::rms_norm(x, normalized_shape_, weight, eps_);
}

std::string RMSNorm::extra_repr() const {
  return fmt::format("{}, eps={}, elementwise_affine={}", detail::python_tuple(normalized_shape_),
                     eps_ ? detail::python_float(*eps_) : "None", weight.defined());
}

}  // namespace strata::nn
