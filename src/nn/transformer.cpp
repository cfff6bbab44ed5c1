// Transformer encoder and decoder layers and their stacks: torch.nn.Transformer*'s blocks, in the
// same order of operations (post-norm: x = norm(x + block(x)); pre-norm: x = x + block(norm(x))).
#include "strata/nn/transformer.h"

#include "strata/factories.h"
#include "strata/ops.h"

namespace strata::nn {
namespace {

void check_config(const char* layer, int64_t d_model, int64_t nhead, int64_t dim_feedforward,
                  const std::string& activation) {
  if (d_model <= 0 || nhead <= 0 || d_model % nhead != 0)
    fail("[{}] d_model must be a positive multiple of nhead, got d_model={}, nhead={}", layer, d_model,
         nhead);
  if (dim_feedforward <= 0) fail("[{}] dim_feedforward must be positive, got {}", layer, dim_feedforward);
  if (activation != "relu" && activation != "gelu")
    fail("[{}] activation must be \"relu\" or \"gelu\", got \"{}\"", layer, activation);
}

Tensor activate(const std::string& activation, const Tensor& x) {
  return activation == "relu" ? relu(x) : gelu(x);
}

// src must be [S, N, E] / [N, S, E] or unbatched [S, E] with E = d_model.
void check_input(const std::string& where, const std::string& config, const char* what, const Tensor& x,
                 int64_t d_model) {
  if (!x.defined()) fail("{} ({}): {} is an undefined tensor", where, config, what);
  if ((x.dim() != 2 && x.dim() != 3) || x.size(-1) != d_model)
    fail(
        "{} ({}): {} {} must be [S, N, {}] ([N, S, {}] with batch_first, [S, {}] unbatched); its last dim is "
        "the "
        "model's d_model",
        where, config, what, x.describe(), d_model, d_model, d_model);
}

// The mask that lets position i attend to positions j <= i only (true = not attended).
Tensor causal_mask(int64_t n, Device device) {
  return triu(ones({n, n}, {.dtype = kBool, .device = device}), 1);
}

int64_t seq_len(const Tensor& x, bool batch_first) { return x.size(x.dim() == 3 && batch_first ? 1 : 0); }

}  // namespace

// ---- encoder ----

TransformerEncoderLayer::TransformerEncoderLayer(int64_t d_model, int64_t nhead, int64_t dim_feedforward,
                                                 double dropout_p, std::string activation,
                                                 double layer_norm_eps, bool batch_first, bool norm_first)
    : self_attn(
          (check_config("TransformerEncoderLayer", d_model, nhead, dim_feedforward, activation), d_model),
          nhead, dropout_p, true, false, false, std::nullopt, std::nullopt, batch_first),
      linear1(d_model, dim_feedforward),
      dropout(dropout_p),
      linear2(dim_feedforward, d_model),
      norm1(d_model, layer_norm_eps),
      norm2(d_model, layer_norm_eps),
      dropout1(dropout_p),
      dropout2(dropout_p),
      d_model_(d_model),
      nhead_(nhead),
      dim_feedforward_(dim_feedforward),
      activation_(std::move(activation)),
      batch_first_(batch_first),
      norm_first_(norm_first) {}

std::string TransformerEncoderLayer::describe() const {
  return fmt::format("TransformerEncoderLayer d_model={}, nhead={}, dim_feedforward={}{}", d_model_, nhead_,
                     dim_feedforward_, batch_first_ ? ", batch_first=true" : "");
}

Tensor TransformerEncoderLayer::self_attention_block(const Tensor& x, const Tensor& mask,
                                                     const Tensor& key_padding_mask) {
  return dropout1(self_attn(x, x, x, key_padding_mask, false, mask).output);
}

Tensor TransformerEncoderLayer::feed_forward_block(const Tensor& x) {
  return dropout2(linear2(dropout(activate(activation_, linear1(x)))));
}

Tensor TransformerEncoderLayer::forward(const Tensor& src, const Tensor& src_mask,
                                        const Tensor& src_key_padding_mask, bool is_causal) {
  check_input(path(), describe(), "src", src, d_model_);
  const Tensor mask =
      is_causal && !src_mask.defined() ? causal_mask(seq_len(src, batch_first_), src.device()) : src_mask;
  Tensor x = src;
  if (norm_first_) {
    x = x + self_attention_block(norm1(x), mask, src_key_padding_mask);
    x = x + feed_forward_block(norm2(x));
  } else {
    x = norm1(x + self_attention_block(x, mask, src_key_padding_mask));
    x = norm2(x + feed_forward_block(x));
  }
  return x;
}

TransformerEncoder::TransformerEncoder(const TransformerEncoderLayer& encoder_layer, int64_t num_layers,
                                       std::optional<LayerNorm> norm_)
    : norm(std::move(norm_)) {
  if (num_layers < 0) fail("[TransformerEncoder] num_layers must be >= 0, got {}", num_layers);
  for (int64_t i = 0; i < num_layers; ++i) layers.push_back(encoder_layer.clone());
}

Tensor TransformerEncoder::forward(const Tensor& src, const Tensor& mask, const Tensor& src_key_padding_mask,
                                   bool is_causal) {
  Tensor x = src;
  for (auto& layer : layers) x = layer(x, mask, src_key_padding_mask, is_causal);
  if (norm) x = (*norm)(x);
  return x;
}

// ---- decoder ----

TransformerDecoderLayer::TransformerDecoderLayer(int64_t d_model, int64_t nhead, int64_t dim_feedforward,
                                                 double dropout_p, std::string activation,
                                                 double layer_norm_eps, bool batch_first, bool norm_first)
    : self_attn(
          (check_config("TransformerDecoderLayer", d_model, nhead, dim_feedforward, activation), d_model),
          nhead, dropout_p, true, false, false, std::nullopt, std::nullopt, batch_first),
      multihead_attn(d_model, nhead, dropout_p, true, false, false, std::nullopt, std::nullopt, batch_first),
      linear1(d_model, dim_feedforward),
      dropout(dropout_p),
      linear2(dim_feedforward, d_model),
      norm1(d_model, layer_norm_eps),
      norm2(d_model, layer_norm_eps),
      norm3(d_model, layer_norm_eps),
      dropout1(dropout_p),
      dropout2(dropout_p),
      dropout3(dropout_p),
      d_model_(d_model),
      nhead_(nhead),
      dim_feedforward_(dim_feedforward),
      activation_(std::move(activation)),
      batch_first_(batch_first),
      norm_first_(norm_first) {}

std::string TransformerDecoderLayer::describe() const {
  return fmt::format("TransformerDecoderLayer d_model={}, nhead={}, dim_feedforward={}{}", d_model_, nhead_,
                     dim_feedforward_, batch_first_ ? ", batch_first=true" : "");
}

Tensor TransformerDecoderLayer::forward(const Tensor& tgt, const Tensor& memory, const Tensor& tgt_mask,
                                        const Tensor& memory_mask, const Tensor& tgt_key_padding_mask,
                                        const Tensor& memory_key_padding_mask, bool tgt_is_causal) {
  check_input(path(), describe(), "tgt", tgt, d_model_);
  check_input(path(), describe(), "memory", memory, d_model_);
  if (tgt.dim() != memory.dim())
    fail("{} ({}): tgt {} and memory {} must both be batched (3-d) or both unbatched (2-d)", path(),
         describe(), tgt.describe(), memory.describe());
  const Tensor self_mask =
      tgt_is_causal && !tgt_mask.defined() ? causal_mask(seq_len(tgt, batch_first_), tgt.device()) : tgt_mask;
  auto sa = [&](const Tensor& x) {
    return dropout1(self_attn(x, x, x, tgt_key_padding_mask, false, self_mask).output);
  };
  auto mha = [&](const Tensor& x) {
    return dropout2(multihead_attn(x, memory, memory, memory_key_padding_mask, false, memory_mask).output);
  };
  auto ff = [&](const Tensor& x) { return dropout3(linear2(dropout(activate(activation_, linear1(x))))); };
  Tensor x = tgt;
  if (norm_first_) {
    x = x + sa(norm1(x));
    x = x + mha(norm2(x));
    x = x + ff(norm3(x));
  } else {
    x = norm1(x + sa(x));
    x = norm2(x + mha(x));
    x = norm3(x + ff(x));
  }
  return x;
}

TransformerDecoder::TransformerDecoder(const TransformerDecoderLayer& decoder_layer, int64_t num_layers,
                                       std::optional<LayerNorm> norm_)
    : norm(std::move(norm_)) {
  if (num_layers < 0) fail("[TransformerDecoder] num_layers must be >= 0, got {}", num_layers);
  for (int64_t i = 0; i < num_layers; ++i) layers.push_back(decoder_layer.clone());
}

Tensor TransformerDecoder::forward(const Tensor& tgt, const Tensor& memory, const Tensor& tgt_mask,
                                   const Tensor& memory_mask, const Tensor& tgt_key_padding_mask,
                                   const Tensor& memory_key_padding_mask, bool tgt_is_causal) {
  Tensor x = tgt;
  for (auto& layer : layers)
    x = layer(x, memory, tgt_mask, memory_mask, tgt_key_padding_mask, memory_key_padding_mask, tgt_is_causal);
  if (norm) x = (*norm)(x);
  return x;
}

}  // namespace strata::nn
