#pragma once
/// \file attention.h
/// `nn::MultiheadAttention`, torch.nn.MultiheadAttention with the same parameters, state_dict keys,
/// initialisation and masks, so that a PyTorch model's weights load unchanged.
///
///     nn::MultiheadAttention attn(/*embed_dim=*/256, /*num_heads=*/4);
///     Tensor x = strata::randn({128, 16, 256});         // [L, N, E] (batch_first = false)
///     auto [y, w] = attn(x, x, x);                      // y [128, 16, 256], w [16, 128, 128]
///     Tensor y2 = attn(x, x, x, Tensor(), /*need_weights=*/false).output;  // Tensor(): no mask
///
/// Masks follow PyTorch's MultiheadAttention (not scaled_dot_product_attention): a bool mask is
/// true where a position may NOT be attended; a floating mask is added to the scores.
#include <optional>

#include "strata/nn/linear.h"
#include "strata/nn/module.h"

namespace strata::nn {

/// What MultiheadAttention returns: the attended values and, when asked for, the attention weights
/// ([N, L, S] averaged over heads, or [N, num_heads, L, S]; without the N dim for unbatched input).
struct AttentionOutput {
  Tensor output;
  Tensor weights;  ///< undefined when need_weights is false
};

class MultiheadAttention : public Module {
 public:
  /// `embed_dim` must be divisible by `num_heads`. `dropout` drops attention weights in training.
  /// `add_bias_kv` appends a learned key and value (bias_k, bias_v) to the sequence;
  /// `add_zero_attn` appends a zero key and value after the projections. `kdim` / `vdim` (default
  /// embed_dim) are the feature sizes of key and value; when either differs from embed_dim the
  /// projections are separate (q_proj_weight, k_proj_weight, v_proj_weight) instead of the packed
  /// in_proj_weight. `batch_first`: inputs are [N, L, E] instead of [L, N, E].
  MultiheadAttention(int64_t embed_dim, int64_t num_heads, double dropout = 0.0, bool bias = true,
                     bool add_bias_kv = false, bool add_zero_attn = false,
                     std::optional<int64_t> kdim = std::nullopt, std::optional<int64_t> vdim = std::nullopt,
                     bool batch_first = false);

  /// query [L, N, E] (or [N, L, E] with batch_first, or [L, E] unbatched), key [S, N, kdim], value
  /// [S, N, vdim]. key_padding_mask [N, S] ([S] unbatched) masks keys per batch element; attn_mask
  /// is [L, S] or [N * num_heads, L, S]. The output is query-shaped. When `query`, `key` and
  /// `value` are one tensor, its three projections are one product.
  AttentionOutput forward(const Tensor& query, const Tensor& key, const Tensor& value,
                          const Tensor& key_padding_mask = {}, bool need_weights = true,
                          const Tensor& attn_mask = {}, bool average_attn_weights = true);

  /// PyTorch's initialisation: xavier-uniform projection weights, zero in_proj_bias and
  /// out_proj.bias, xavier-normal bias_k / bias_v (out_proj.weight keeps Linear's).
  void reset_parameters();
  int64_t embed_dim() const { return embed_dim_; }
  int64_t num_heads() const { return num_heads_; }
  int64_t head_dim() const { return embed_dim_ / num_heads_; }
  double dropout() const { return dropout_; }
  bool batch_first() const { return batch_first_; }

  Parameter in_proj_weight;  ///< [3 * embed_dim, embed_dim] when kdim = vdim = embed_dim
  Parameter q_proj_weight;   ///< [embed_dim, embed_dim], only with another kdim or vdim
  Parameter k_proj_weight;   ///< [embed_dim, kdim]
  Parameter v_proj_weight;   ///< [embed_dim, vdim]
  Parameter in_proj_bias;    ///< [3 * embed_dim], undefined with bias = false
  Parameter bias_k;          ///< [1, 1, embed_dim], only with add_bias_kv
  Parameter bias_v;          ///< [1, 1, embed_dim]
  Linear out_proj;           ///< embed_dim -> embed_dim

 private:
  std::string describe() const;
  int64_t embed_dim_, num_heads_, kdim_, vdim_;
  double dropout_;
  bool add_zero_attn_, batch_first_;

  STRATA_MODULE(MultiheadAttention, in_proj_weight, q_proj_weight, k_proj_weight, v_proj_weight, in_proj_bias,
                bias_k, bias_v, out_proj)
};

}  // namespace strata::nn
