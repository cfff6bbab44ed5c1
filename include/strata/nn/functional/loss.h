#pragma once
/// \file nn/functional/loss.h
/// Loss functions with PyTorch 1.13's semantics (`torch.nn.functional.*_loss`), composed from the
/// public ops so that autograd differentiates them (and their gradients) like any other graph.
///
///     using namespace strata::nn::functional;
///     Tensor logits = model(x);                               // [N, C]
///     Tensor loss = cross_entropy(logits, labels);            // labels: int64 [N]
///     Tensor smooth = cross_entropy(logits, labels, {.ignore_index = 0, .label_smoothing = 0.1});
///     loss.backward();
///
/// Every loss reduces with `reduction` (default Mean). Mean of zero elements is NaN and Sum of
/// zero elements is 0, as in PyTorch. Errors are `strata::Error`s beginning with "[loss_name]".
#include <cstdint>

#include "strata/tensor.h"

namespace strata::nn::functional {

/// How a loss combines its per-element values: keep them (None), average (Mean) or add (Sum).
enum class Reduction { None, Mean, Sum };

// ---- regression ----
// `input` must be floating point; `target` broadcasts with it (PyTorch warns, strata does not) and
// the result has their promoted dtype. Both take gradients.

/// Squared error (input - target)^2.
Tensor mse_loss(const Tensor& input, const Tensor& target, Reduction reduction = Reduction::Mean);
/// Absolute error |input - target|; its gradient at a zero difference is 0.
Tensor l1_loss(const Tensor& input, const Tensor& target, Reduction reduction = Reduction::Mean);
/// 0.5 d^2 / beta where |d| < beta, else |d| - 0.5 beta (d = input - target). `beta` (default 1)
/// must be >= 0; beta = 0 is l1_loss.
Tensor smooth_l1_loss(const Tensor& input, const Tensor& target, Reduction reduction = Reduction::Mean,
                      double beta = 1.0);
/// 0.5 d^2 where |d| < delta, else delta (|d| - 0.5 delta). `delta` (default 1) must be > 0.
/// Equals delta * smooth_l1_loss(beta = delta).
Tensor huber_loss(const Tensor& input, const Tensor& target, Reduction reduction = Reduction::Mean,
                  double delta = 1.0);

// ---- classification ----

/// Options of cross_entropy; designated initialisers read well: `{.weight = w, .label_smoothing = 0.1}`.
struct CrossEntropyOptions {
  /// Per-class rescaling, a 1-d tensor of C values with the input's dtype; undefined = all ones.
  Tensor weight{};
  /// Class-index targets equal to this value contribute nothing (nor count in the mean). Only for
  /// class-index targets; with probability targets it must stay negative.
  int64_t ignore_index = -100;
  Reduction reduction = Reduction::Mean;
  /// In [0, 1]: the target becomes (1 - s) * target + s / C.
  double label_smoothing = 0.0;
};

/// Cross entropy between logits `input` and `target`, i.e. nll_loss(log_softmax(input, class dim)).
/// `input` is [C], [N, C] or [N, C, d1, ...] (classes at dim 1, or dim 0 for 1-d input). `target` is
/// either
///  - class indices: int64 of shape [], [N] or [N, d1, ...] (the input's shape without the class
///    dim), each in [0, C) or equal to ignore_index; or
///  - class probabilities: floating point, the input's shape (these take gradients too).
/// Mean divides by the summed weight of the non-ignored targets (their count without weights) for
/// class indices, and by the number of rows N * d1 * ... for probabilities, as PyTorch does.
/// Stable for logits of any magnitude. With Reduction::None the result has the target's shape
/// (class indices) or the input's shape without the class dim (probabilities).
Tensor cross_entropy(const Tensor& input, const Tensor& target, const CrossEntropyOptions& options = {});

/// Options of nll_loss: as CrossEntropyOptions, without label smoothing.
struct NLLLossOptions {
  Tensor weight{};
  int64_t ignore_index = -100;
  Reduction reduction = Reduction::Mean;
};

/// Negative log-likelihood: -weight[t] * log_probs[..., t, ...] for each class index t of
/// `target`. Shapes and the weighted mean as in cross_entropy with class indices; `log_probs`
/// usually comes from log_softmax.
Tensor nll_loss(const Tensor& log_probs, const Tensor& target, const NLLLossOptions& options = {});

/// Binary cross entropy of probabilities: -weight * (t log(x) + (1 - t) log(1 - x)), with each log
/// clamped to >= -100 as PyTorch does. `input` must lie in [0, 1] (checked); `target` has input's
/// shape and dtype; `weight` (undefined = ones) broadcasts to input's shape. Takes gradients for
/// input and target: the exact derivatives of this clamped loss, finite at x = 0 and 1. PyTorch's
/// differ only where x (1 - x) < 1e-12: it caps the input gradient's denominator at 1e-12, and its
/// target gradient uses the unclamped logs (infinite at 0 and 1). Prefer the _with_logits form.
Tensor binary_cross_entropy(const Tensor& input, const Tensor& target, const Tensor& weight = {},
                            Reduction reduction = Reduction::Mean);

/// Binary cross entropy of logits, -(p t log(sigmoid(x)) + (1 - t) log(1 - sigmoid(x))), computed
/// stably as p t softplus(-x) + (1 - t) softplus(x): finite, with finite gradients, for any finite
/// logits. `target` has input's shape; `weight` (undefined = ones) broadcasts to input's shape;
/// `pos_weight` p (undefined = ones; usually [C], weighting the positives of each class in the
/// last dim) broadcasts to input's shape too. Takes gradients for input and target.
Tensor binary_cross_entropy_with_logits(const Tensor& input, const Tensor& target, const Tensor& weight = {},
                                        const Tensor& pos_weight = {}, Reduction reduction = Reduction::Mean);

// ---- distributions and embeddings ----

/// kl_div's reductions: Reduction's, plus BatchMean (the sum divided by input.size(0), the
/// mathematical KL divergence per sample; PyTorch's 'batchmean'). Mean averages over every element,
/// as PyTorch's 'mean' does.
enum class KLDivReduction { None, Mean, Sum, BatchMean };

/// Kullback-Leibler divergence of `target` from `input`, where `input` holds log-probabilities:
/// target * (log(target) - input) elementwise (0 where target is 0), or with `log_target`
/// exp(target) * (target - input) when `target` holds log-probabilities too. Both must be floating
/// point; they broadcast together. Both take gradients. As in PyTorch, a target of exactly 0 gives
/// the value 0 but a NaN target gradient (a log-target has no such point).
Tensor kl_div(const Tensor& input, const Tensor& target, KLDivReduction reduction = KLDivReduction::Mean,
              bool log_target = false);
/// kl_div with one of the common reductions.
Tensor kl_div(const Tensor& input, const Tensor& target, Reduction reduction, bool log_target = false);

/// 1 - cos(x1, x2) where target is 1, max(0, cos(x1, x2) - margin) where it is -1, 0 for any other
/// target value. x1 and x2 are [N, D] with a target [N], or [D] with a 0-d target; they broadcast
/// together, and cos is computed as PyTorch does (x1.x2 / sqrt((|x1|^2 + 1e-12)(|x2|^2 + 1e-12))).
/// x1 and x2 take gradients; the target (any numeric dtype) does not.
Tensor cosine_embedding_loss(const Tensor& x1, const Tensor& x2, const Tensor& target, double margin = 0.0,
                             Reduction reduction = Reduction::Mean);

}  // namespace strata::nn::functional
