#pragma once
/// \file loss.h
/// Losses as modules (`nn::CrossEntropyLoss loss_fn; loss_fn(logits, target)`), for code that
/// keeps its criterion as an object, as PyTorch code often does. Each calls the function of the
/// same name in nn::functional; a class weight is a buffer, so `to()` moves it and `state_dict()`
/// saves it, as in PyTorch.
#include "strata/nn/functional/loss.h"
#include "strata/nn/module.h"

namespace strata::nn {

using functional::Reduction;

#define STRATA_DETAIL_POINTWISE_LOSS(Class, call)                                    \
  class Class : public Module {                                                      \
   public:                                                                           \
    explicit Class(Reduction reduction = Reduction::Mean) : reduction_(reduction) {} \
    Tensor forward(const Tensor& input, const Tensor& target) { return call; }       \
                                                                                     \
   private:                                                                          \
    Reduction reduction_;                                                            \
    STRATA_MODULE(Class)                                                             \
  };

STRATA_DETAIL_POINTWISE_LOSS(MSELoss, functional::mse_loss(input, target, reduction_))
STRATA_DETAIL_POINTWISE_LOSS(L1Loss, functional::l1_loss(input, target, reduction_))
#undef STRATA_DETAIL_POINTWISE_LOSS

#define STRATA_DETAIL_THRESHOLD_LOSS(Class, fn, param)                        \
  class Class : public Module {                                               \
   public:                                                                    \
    explicit Class(Reduction reduction = Reduction::Mean, double param = 1.0) \
        : reduction_(reduction), param##_(param) {}                           \
    Tensor forward(const Tensor& input, const Tensor& target) {               \
      return functional::fn(input, target, reduction_, param##_);             \
    }                                                                         \
                                                                              \
   private:                                                                   \
    Reduction reduction_;                                                     \
    double param##_;                                                          \
    STRATA_MODULE(Class)                                                      \
  };

STRATA_DETAIL_THRESHOLD_LOSS(SmoothL1Loss, smooth_l1_loss, beta)
STRATA_DETAIL_THRESHOLD_LOSS(HuberLoss, huber_loss, delta)
#undef STRATA_DETAIL_THRESHOLD_LOSS

class CrossEntropyLoss : public Module {
 public:
  explicit CrossEntropyLoss(const functional::CrossEntropyOptions& options = {});
  Tensor forward(const Tensor& input, const Tensor& target);
  Buffer weight;  ///< the class weights, empty for none

 private:
  functional::CrossEntropyOptions options_;
  STRATA_MODULE(CrossEntropyLoss, weight)
};

class NLLLoss : public Module {
 public:
  explicit NLLLoss(const functional::NLLLossOptions& options = {});
  Tensor forward(const Tensor& log_probs, const Tensor& target);
  Buffer weight;

 private:
  functional::NLLLossOptions options_;
  STRATA_MODULE(NLLLoss, weight)
};

class BCELoss : public Module {
 public:
  explicit BCELoss(const Tensor& weight = {}, Reduction reduction = Reduction::Mean);
  Tensor forward(const Tensor& input, const Tensor& target);
  Buffer weight;

 private:
  Reduction reduction_;
  STRATA_MODULE(BCELoss, weight)
};

class BCEWithLogitsLoss : public Module {
 public:
  explicit BCEWithLogitsLoss(const Tensor& weight = {}, Reduction reduction = Reduction::Mean,
                             const Tensor& pos_weight = {});
  Tensor forward(const Tensor& input, const Tensor& target);
  Buffer weight;
  Buffer pos_weight;

 private:
  Reduction reduction_;
  STRATA_MODULE(BCEWithLogitsLoss, weight, pos_weight)
};

/// nn::functional::kl_div as a module; `input` holds log-probabilities. Errors name the module.
///
///     nn::KLDivLoss kl(nn::functional::KLDivReduction::BatchMean);
///     Tensor loss = kl(log_softmax(student, 1), softmax(teacher, 1));
class KLDivLoss : public Module {
 public:
  explicit KLDivLoss(functional::KLDivReduction reduction = functional::KLDivReduction::Mean,
                     bool log_target = false)
      : reduction_(reduction), log_target_(log_target) {}
  explicit KLDivLoss(Reduction reduction, bool log_target = false);
  Tensor forward(const Tensor& input, const Tensor& target);

 private:
  functional::KLDivReduction reduction_;
  bool log_target_;
  STRATA_MODULE(KLDivLoss)
};

/// nn::functional::cosine_embedding_loss as a module: forward(x1, x2, target). Errors name the module.
class CosineEmbeddingLoss : public Module {
 public:
  explicit CosineEmbeddingLoss(double margin = 0.0, Reduction reduction = Reduction::Mean)
      : margin_(margin), reduction_(reduction) {}
  Tensor forward(const Tensor& x1, const Tensor& x2, const Tensor& target);

 private:
  double margin_;
  Reduction reduction_;
  STRATA_MODULE(CosineEmbeddingLoss)
};

}  // namespace strata::nn
