// cross_entropy and nll_loss: PyTorch 1.13's semantics, composed from public ops.
//
// The common case (int64 class indices, no weight, nothing ignored, no smoothing) is the hot path of
// a classifier's training step, so it is log_softmax + gather + mean + neg and nothing else. The
// targets are read once on the host to check every index (gather must never see one out of range)
// and to see whether ignore_index occurs at all; only then are a mask and a safe copy of the
// indices built.
#include <vector>

#include "nn/functional/loss_util.h"
#include "strata/factories.h"

namespace strata::nn::functional {
namespace {

int64_t class_dim(const Tensor& input) { return input.dim() == 1 ? 0 : 1; }

/// Class-index targets, checked and made safe to gather with.
struct ClassTargets {
  Tensor index;    // the target, or a copy whose ignored entries are 0
  Tensor keep;     // bool, false where ignored; undefined when nothing is ignored
  int64_t kept{};  // how many targets count
};

ClassTargets read_class_targets(const char* op, const Tensor& target, int64_t num_classes,
                                int64_t ignore_index) {
  const Tensor host = target.device().is_cpu() ? target.contiguous() : target.to(Device::cpu()).contiguous();
  const int64_t* v = host.data<int64_t>();
  const int64_t n = host.numel();
  int64_t ignored = 0;
  for (int64_t i = 0; i < n; ++i) {
    if (v[i] == ignore_index) {
      ++ignored;
    } else if (v[i] < 0 || v[i] >= num_classes) {
      fail(
          "[{}] target value {} at {} of {} is not a class index: expected a value in [0, {}) for {} "
          "classes, "
          "or ignore_index ({})",
          op, v[i], detail::position_of(i, target.shape()), target.describe(), num_classes, num_classes,
          ignore_index);
    }
  }
  ClassTargets out{target, Tensor(), n - ignored};
  if (ignored == 0) return out;
  std::vector<int64_t> safe(v, v + n);
  std::vector<bool> keep(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) {
    keep[i] = v[i] != ignore_index;
    if (!keep[i]) safe[i] = 0;
  }
  out.index = from_vector(safe, target.shape(), {.dtype = kInt64, .device = target.device()});
  out.keep = from_vector(keep, target.shape(), {.dtype = kBool, .device = target.device()});
  return out;
}

void check_input(const char* op, const Tensor& input, const Tensor& target) {
  detail::check_defined(op, input, "input");
  detail::check_defined(op, target, "target");
  detail::check_floating_input(op, input);
  if (input.dim() == 0)
    fail("[{}] input {} has no class dim: expected [C], [N, C] or [N, C, d1, ...]", op, input.describe());
  detail::check_same_device(op, input, target, "target");
}

// The input's shape without the class dim: what class-index targets must look like.
Shape index_target_shape(const Tensor& input) {
  Shape s = input.shape();
  s.erase(static_cast<size_t>(class_dim(input)));
  return s;
}

void check_index_target(const char* op, const Tensor& input, const Tensor& target,
                        bool probabilities_allowed) {
  const Shape want = index_target_shape(input);
  if (target.dtype() != kInt64) {
    if (target.is_floating_point() && probabilities_allowed)
      fail(
          "[{}] target {} is floating point but is not shaped like the input {}: class probabilities need "
          "the "
          "input's shape, class indices need int64 of shape {}",
          op, target.describe(), input.describe(), want.str());
    if (target.is_floating_point())
      fail(
          "[{}] target {} must hold int64 class indices of shape {} (for class probabilities use "
          "cross_entropy)",
          op, target.describe(), want.str());
    fail("[{}] class-index target {} must be int64; convert it with .to(strata::kInt64)", op,
         target.describe());
  }
  if (!(target.shape() == want))
    fail(
        "[{}] class-index target {} does not fit input {}: expected shape {} (the input's shape without the "
        "class dim {})",
        op, target.describe(), input.describe(), want.str(), class_dim(input));
}

void check_class_weight(const char* op, const Tensor& input, const Tensor& weight) {
  if (!weight.defined()) return;
  const int64_t c = input.size(class_dim(input));
  if (weight.dim() != 1 || weight.numel() != c)
    fail("[{}] weight {} must hold one value per class: expected shape [{}] for input {}", op,
         weight.describe(), c, input.describe());
  if (weight.dtype() != input.dtype())
    fail("[{}] weight {} must have the input's dtype {}; convert it with .to({})", op, weight.describe(),
         dtype_name(input.dtype()), detail::dtype_constant(input.dtype()));
  detail::check_same_device(op, input, weight, "weight");
}

void check_label_smoothing(const char* op, double s) {
  if (!(s >= 0.0 && s <= 1.0)) fail("[{}] label_smoothing must be between 0.0 and 1.0, got {}", op, s);
}

// weight shaped to multiply log-probabilities: [C] along the class dim.
Tensor class_weight_view(const Tensor& weight, const Tensor& logp) {
  Shape s(static_cast<size_t>(logp.dim()), 1);
  s[static_cast<size_t>(class_dim(logp))] = weight.numel();
  return weight.reshape(s);
}

// -weight[t] * logp[t] per target, blended with the smoothing term -sum_c weight[c] logp[c] / C.
// Mean divides by the summed weight (or count) of the targets that are not ignored, as PyTorch.
Tensor class_index_loss(const char* op, const Tensor& logp, const Tensor& target, const Tensor& weight,
                        int64_t ignore_index, Reduction reduction, double smoothing) {
  const int64_t cdim = class_dim(logp);
  const int64_t classes = logp.size(cdim);
  const ClassTargets ct = read_class_targets(op, target, classes, ignore_index);
  const Tensor picked = gather(logp, cdim, ct.index.unsqueeze(cdim));  // target's shape, class dim kept as 1
  if (!weight.defined() && !ct.keep.defined() && smoothing == 0.0) {
    switch (reduction) {
      case Reduction::Mean:
        return neg(mean(picked));
      case Reduction::Sum:
        return neg(sum(picked));
      case Reduction::None:
        return neg(picked.squeeze(cdim));
    }
  }
  Tensor loss = neg(picked.squeeze(cdim));
  Tensor target_weight;
  if (weight.defined()) {
    target_weight = index_select(weight, 0, ct.index.reshape({ct.index.numel()})).view(target.shape());
    loss = loss * target_weight;
  }
  if (smoothing > 0.0 && classes > 0) {
    const Tensor all = weight.defined() ? logp * class_weight_view(weight, logp) : logp;
    loss = loss * (1.0 - smoothing) + sum(all, {cdim}) * (-smoothing / static_cast<double>(classes));
  }
  if (ct.keep.defined()) {
    // where, not a product with the mask: an ignored row may hold -inf log-probabilities.
    const Tensor zero = zeros({}, {.dtype = loss.dtype(), .device = loss.device()});
    loss = where(ct.keep, loss, zero);
    if (target_weight.defined()) target_weight = where(ct.keep, target_weight, zero);
  }
  switch (reduction) {
    case Reduction::None:
      return loss;
    case Reduction::Sum:
      return sum(loss);
    case Reduction::Mean:
      if (target_weight.defined()) return sum(loss) / sum(target_weight);
      if (ct.keep.defined()) return sum(loss) / static_cast<double>(ct.kept);  // 0 / 0 = NaN when all ignored
      return mean(loss);
  }
  return loss;
}

// -sum_c weight[c] target[c] logp[c] per row; Mean divides by the number of rows.
Tensor class_probability_loss(const Tensor& logp, const Tensor& target, const Tensor& weight,
                              Reduction reduction, double smoothing) {
  const int64_t cdim = class_dim(logp);
  const int64_t classes = logp.size(cdim);
  Tensor t = target;
  if (smoothing > 0.0 && classes > 0) t = t * (1.0 - smoothing) + smoothing / static_cast<double>(classes);
  Tensor prod = logp * t;
  if (weight.defined()) prod = prod * class_weight_view(weight, logp);
  switch (reduction) {
    case Reduction::None:
      return neg(sum(prod, {cdim}));
    case Reduction::Sum:
      return neg(sum(prod));
    case Reduction::Mean: {
      // PyTorch returns NaN for an empty input (0 rows, or C = 0).
      const double rows = logp.numel() == 0 ? 0.0 : static_cast<double>(logp.numel() / classes);
      return neg(sum(prod)) / rows;
    }
  }
  return prod;
}

}  // namespace

Tensor cross_entropy(const Tensor& input, const Tensor& target, const CrossEntropyOptions& options) {
  constexpr const char* op = "cross_entropy";
  check_input(op, input, target);
  check_class_weight(op, input, options.weight);
  check_label_smoothing(op, options.label_smoothing);
  // As PyTorch: a target shaped like the input holds probabilities, anything else class indices.
  if (target.shape() == input.shape()) {
    if (!target.is_floating_point())
      fail(
          "[{}] target {} has the input's shape, so it is read as class probabilities and must be floating "
          "point; class indices need int64 of shape {}",
          op, target.describe(), index_target_shape(input).str());
    if (options.ignore_index >= 0)
      fail("[{}] ignore_index ({}) needs class-index targets; target {} holds class probabilities", op,
           options.ignore_index, target.describe());
    return class_probability_loss(log_softmax(input, class_dim(input)), target, options.weight,
                                  options.reduction, options.label_smoothing);
  }
  check_index_target(op, input, target, true);
  return class_index_loss(op, log_softmax(input, class_dim(input)), target, options.weight,
                          options.ignore_index, options.reduction, options.label_smoothing);
}

Tensor nll_loss(const Tensor& log_probs, const Tensor& target, const NLLLossOptions& options) {
  constexpr const char* op = "nll_loss";
  check_input(op, log_probs, target);
  check_class_weight(op, log_probs, options.weight);
  check_index_target(op, log_probs, target, false);
  return class_index_loss(op, log_probs, target, options.weight, options.ignore_index, options.reduction,
                          0.0);
}

}  // namespace strata::nn::functional
