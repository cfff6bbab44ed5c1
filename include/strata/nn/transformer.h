#pragma once
/// \file transformer.h
/// Transformer layers as torch.nn defines them, with the same children, state_dict keys and
/// initialisation: TransformerEncoderLayer, TransformerEncoder, TransformerDecoderLayer,
/// TransformerDecoder.
///
///     nn::TransformerEncoderLayer layer(/*d_model=*/256, /*nhead=*/4, /*dim_feedforward=*/1024);
///     nn::TransformerEncoder encoder(layer, /*num_layers=*/6, nn::LayerNorm(256));
///     Tensor y = encoder(strata::randn({128, 16, 256}));   // [S, N, E]; batch_first: [N, S, E]
///
/// Masks are those of nn::MultiheadAttention: bool true = not attended, floating = added.
#include <optional>
#include <string>

#include "strata/nn/attention.h"
#include "strata/nn/dropout.h"
#include "strata/nn/linear.h"
#include "strata/nn/module_list.h"
#include "strata/nn/normalization.h"

namespace strata::nn {

/// Self-attention then a feed-forward block, each with dropout, a residual and a LayerNorm (after
/// the residual, or before the block with norm_first). `activation` is "relu" or "gelu".
class TransformerEncoderLayer : public Module {
 public:
  TransformerEncoderLayer(int64_t d_model, int64_t nhead, int64_t dim_feedforward = 2048,
                          double dropout = 0.1, std::string activation = "relu", double layer_norm_eps = 1e-5,
                          bool batch_first = false, bool norm_first = false);

  /// src [S, N, E] ([N, S, E] with batch_first, [S, E] unbatched); src_mask [S, S] or
  /// [N * nhead, S, S]; src_key_padding_mask [N, S]. `is_causal` without a src_mask applies the
  /// causal mask (with one, src_mask is taken to be it, as PyTorch's hint).
  Tensor forward(const Tensor& src, const Tensor& src_mask = {}, const Tensor& src_key_padding_mask = {},
                 bool is_causal = false);

  int64_t d_model() const { return d_model_; }
  bool batch_first() const { return batch_first_; }
  bool norm_first() const { return norm_first_; }

  MultiheadAttention self_attn;
  Linear linear1;
  Dropout dropout;
  Linear linear2;
  LayerNorm norm1, norm2;
  Dropout dropout1, dropout2;

 private:
  std::string describe() const;
  Tensor self_attention_block(const Tensor& x, const Tensor& mask, const Tensor& key_padding_mask);
  Tensor feed_forward_block(const Tensor& x);
  int64_t d_model_, nhead_, dim_feedforward_;
  std::string activation_;
  bool batch_first_, norm_first_;

  STRATA_MODULE(TransformerEncoderLayer, self_attn, linear1, dropout, linear2, norm1, norm2, dropout1,
                dropout2)
};

/// `num_layers` deep copies of `encoder_layer` (layers.0, layers.1, ...), then `norm` if given.
class TransformerEncoder : public Module {
 public:
  TransformerEncoder(const TransformerEncoderLayer& encoder_layer, int64_t num_layers,
                     std::optional<LayerNorm> norm = std::nullopt);

  Tensor forward(const Tensor& src, const Tensor& mask = {}, const Tensor& src_key_padding_mask = {},
                 bool is_causal = false);

  ModuleList<TransformerEncoderLayer> layers;
  std::optional<LayerNorm> norm;

  STRATA_MODULE(TransformerEncoder, layers, norm)
};

/// Self-attention, attention over `memory`, then a feed-forward block; each with dropout, a
/// residual and a LayerNorm (norm1..3).
class TransformerDecoderLayer : public Module {
 public:
  TransformerDecoderLayer(int64_t d_model, int64_t nhead, int64_t dim_feedforward = 2048,
                          double dropout = 0.1, std::string activation = "relu", double layer_norm_eps = 1e-5,
                          bool batch_first = false, bool norm_first = false);

  /// tgt [T, N, E], memory [S, N, E] (batch_first: [N, T, E], [N, S, E]); tgt_mask [T, T],
  /// memory_mask [T, S] (or their [N * nhead, ...] forms), key padding masks [N, T] and [N, S].
  /// `tgt_is_causal` without a tgt_mask applies the causal mask to the self-attention.
  Tensor forward(const Tensor& tgt, const Tensor& memory, const Tensor& tgt_mask = {},
                 const Tensor& memory_mask = {}, const Tensor& tgt_key_padding_mask = {},
                 const Tensor& memory_key_padding_mask = {}, bool tgt_is_causal = false);

  int64_t d_model() const { return d_model_; }

  MultiheadAttention self_attn;
  MultiheadAttention multihead_attn;
  Linear linear1;
  Dropout dropout;
  Linear linear2;
  LayerNorm norm1, norm2, norm3;
  Dropout dropout1, dropout2, dropout3;

 private:
  std::string describe() const;
  int64_t d_model_, nhead_, dim_feedforward_;
  std::string activation_;
  bool batch_first_, norm_first_;

  STRATA_MODULE(TransformerDecoderLayer, self_attn, multihead_attn, linear1, dropout, linear2, norm1, norm2,
                norm3, dropout1, dropout2, dropout3)
};

/// `num_layers` deep copies of `decoder_layer`, then `norm` if given.
class TransformerDecoder : public Module {
 public:
  TransformerDecoder(const TransformerDecoderLayer& decoder_layer, int64_t num_layers,
                     std::optional<LayerNorm> norm = std::nullopt);

  Tensor forward(const Tensor& tgt, const Tensor& memory, const Tensor& tgt_mask = {},
                 const Tensor& memory_mask = {}, const Tensor& tgt_key_padding_mask = {},
                 const Tensor& memory_key_padding_mask = {}, bool tgt_is_causal = false);

  ModuleList<TransformerDecoderLayer> layers;
  std::optional<LayerNorm> norm;

  STRATA_MODULE(TransformerDecoder, layers, norm)
};

}  // namespace strata::nn
