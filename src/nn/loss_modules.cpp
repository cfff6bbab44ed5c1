// The loss modules that hold tensors: their weights live in buffers (moved by to(), saved by
// state_dict()) and are handed to the functional losses at each call.
#include "strata/nn/loss.h"

#include <string_view>

namespace strata::nn {
namespace {

std::string_view reduction_name(functional::KLDivReduction r) {
  switch (r) {
    case functional::KLDivReduction::None:
      return "none";
    case functional::KLDivReduction::Sum:
      return "sum";
    case functional::KLDivReduction::BatchMean:
      return "batchmean";
    case functional::KLDivReduction::Mean:
      break;
  }
  return "mean";
}

std::string_view reduction_name(Reduction r) {
  return r == Reduction::None ? "none" : r == Reduction::Sum ? "sum" : "mean";
}

// Runs a functional loss; its errors are re-raised beginning with the module's path and configuration
// ("Net.criterion (KLDivLoss reduction=batchmean, log_target=false): [kl_div] ..."), so that a model
// with several losses says which one failed.
// The configuration is formatted only when there is an error to report.
template <typename F, typename C>
Tensor named_call(const Module& m, C&& config, F&& f) {
  try {
    return f();
  } catch (const Error& e) {
    fail("{} ({} {}): {}", m.path(), m.type_name(), config(), e.what());
  }
}

}  // namespace

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

KLDivLoss::KLDivLoss(Reduction reduction, bool log_target)
    : KLDivLoss(reduction == Reduction::None  ? functional::KLDivReduction::None
                : reduction == Reduction::Sum ? functional::KLDivReduction::Sum
                                              : functional::KLDivReduction::Mean,
                log_target) {}
Tensor KLDivLoss::forward(const Tensor& input, const Tensor& target) {
  const auto config = [&] {
    return fmt::format("reduction={}, log_target={}", reduction_name(reduction_), log_target_);
  };
  return named_call(*this, config,
                    [&] { return functional::kl_div(input, target, reduction_, log_target_); });
}

Tensor CosineEmbeddingLoss::forward(const Tensor& x1, const Tensor& x2, const Tensor& target) {
  const auto config = [&] {
    return fmt::format("margin={}, reduction={}", margin_, reduction_name(reduction_));
  };
  return named_call(*this, config,
                    [&] { return functional::cosine_embedding_loss(x1, x2, target, margin_, reduction_); });
}

}  // namespace strata::nn
