#pragma once
/// \file functional/attention.h
/// Scaled dot-product attention, as PyTorch 2's torch.nn.functional.scaled_dot_product_attention:
///
///     out = softmax(q @ k^T * scale + mask) @ v,   scale = 1 / sqrt(E)
///
/// with q [..., L, E], k [..., S, E], v [..., S, Ev] (batch dims broadcast) and out [..., L, Ev].
///
///     Tensor q = strata::randn({2, 4, 5, 8});   // [batch, heads, L, E]
///     Tensor k = strata::randn({2, 4, 6, 8}), v = strata::randn({2, 4, 6, 8});
///     Tensor y = nn::functional::scaled_dot_product_attention(q, k, v, {}, 0.0, true);  // causal
#include <optional>

#include "strata/generator.h"
#include "strata/tensor.h"

namespace strata::nn::functional {

/// `attn_mask` broadcasts to [..., L, S]: a bool mask keeps the positions where it is true (false
/// ones get -inf before the softmax); a floating mask of q's dtype is added to the scores.
/// `is_causal` keeps key j for query i only when j <= i (and needs no attn_mask). A query whose
/// keys are all masked gives NaN, as in PyTorch. `dropout_p` > 0 drops attention weights (always:
/// pass 0 in evaluation), drawing from `generator` or the default generator. `scale` replaces
/// 1 / sqrt(E). Differentiable in q, k, v and a floating mask.
Tensor scaled_dot_product_attention(const Tensor& q, const Tensor& k, const Tensor& v,
                                    const Tensor& attn_mask = {}, double dropout_p = 0.0,
                                    bool is_causal = false, std::optional<double> scale = std::nullopt,
                                    Generator* generator = nullptr);

}  // namespace strata::nn::functional
