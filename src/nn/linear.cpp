// nn::Linear: shape and device checks that name the layer, then the fused linear op.
#include "strata/nn/linear.h"

#include <cmath>

#include "strata/factories.h"
#include "strata/nn/init.h"
#include "strata/ops.h"

namespace strata::nn {

Linear::Linear(int64_t in_features, int64_t out_features, bool bias)
    : in_features_(in_features), out_features_(out_features) {
  if (in_features < 0 || out_features < 0)
    fail("[Linear] in_features and out_features must be >= 0, got Linear({}, {})", in_features, out_features);
  weight = Parameter(empty({out_features, in_features}));
  if (bias) this->bias = Parameter(empty({out_features}));
  reset_parameters();
}

void Linear::reset_parameters() {
  // kaiming_uniform_(a = sqrt(5)) works out to uniform(+-1/sqrt(fan_in)), the bound the bias shares.
  init::kaiming_uniform_(weight, std::sqrt(5.0));
  if (bias.defined()) {
    const double bound = in_features_ > 0 ? 1.0 / std::sqrt(static_cast<double>(in_features_)) : 0.0;
    init::uniform_(bias, -bound, bound);
  }
}

Tensor Linear::forward(const Tensor& x) {
  if (!x.defined())
    fail("{} (Linear {}->{}): the input is an undefined tensor", path(), in_features_, out_features_);
  if (x.dim() == 0 || x.size(-1) != in_features_)
    fail(
        "{} (Linear {}->{}): input {} has {} features, expected {}. The last dim of the input must be "
        "in_features; check the layer before it, or reshape with x.flatten(1)",
        path(), in_features_, out_features_, x.shape().str(), x.dim() == 0 ? 0 : x.size(-1), in_features_);
  if (!(x.device() == weight.device()))
    fail(
        "{} (Linear {}->{}): {}.weight is on {}, input is on {}. Move the input with x.to({}) or the model "
        "with model.to({})",
        path(), in_features_, out_features_, path(), weight.device().str(), x.device().str(),
        weight.device().str(), x.device().str());
  return strata::linear(x, weight, bias);
}

std::string Linear::extra_repr() const {
  return fmt::format("in_features={}, out_features={}, bias={}", in_features_, out_features_, bias.defined());
}

}  // namespace strata::nn
