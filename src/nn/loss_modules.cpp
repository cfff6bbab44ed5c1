// The loss modules that hold tensors: their weights live in buffers (moved by to(), saved by
// state_dict()) and are handed to the functional losses at each call.
#include "strata/nn/loss.h"

namespace strata::nn {

CrossEntropyLoss::CrossEntropyLoss(const functional::CrossEntropyOptions& options)
    : weight(options.weight), options_(options) {
  options_.weight = Tensor();
}
Tensor CrossEntropyLoss::forward(const Tensor& input, const Tensor& target) {
  functional::CrossEntropyOptions o = options_;
  o.weight = weight;
  return functional::cross_entropy(input, target, o);
}

NLLLoss::NLLLoss(const functional::NLLLossOptions& options) : weight(options.weight), options_(options) {
  options_.weight = Tensor();
}
Tensor NLLLoss::forward(const Tensor& log_probs, const Tensor& target) {
  functional::NLLLossOptions o = options_;
  o.weight = weight;
  return functional::nll_loss(log_probs, target, o);
}

BCELoss::BCELoss(const Tensor& weight_, Reduction reduction) : weight(weight_), reduction_(reduction) {}
Tensor BCELoss::forward(const Tensor& input, const Tensor& target) {
  return functional::binary_cross_entropy(input, target, weight, reduction_);
}

BCEWithLogitsLoss::BCEWithLogitsLoss(const Tensor& weight_, Reduction reduction, const Tensor& pos_weight_)
    : weight(weight_), pos_weight(pos_weight_), reduction_(reduction) {}
Tensor BCEWithLogitsLoss::forward(const Tensor& input, const Tensor& target) {
  return functional::binary_cross_entropy_with_logits(input, target, weight, pos_weight, reduction_);
}

}  // namespace strata::nn
