#pragma once
/// \file nn/embedding.h
/// `nn::Embedding`: a lookup table of `num_embeddings` vectors of size `embedding_dim`, as PyTorch's
/// (weight [num_embeddings, embedding_dim] drawn from normal(0, 1); state_dict key `weight`).
///
///     nn::Embedding emb(1000, 64, /*padding_idx=*/0);      // row 0 starts at zeros, never trained
///     Tensor ids = strata::from_vector(std::vector<int64_t>{5, 0, 7}, {3});
///     Tensor v = emb(ids);                                  // [3, 64]
///     auto glove = nn::Embedding::from_pretrained(vectors);  // frozen (freeze = true)
#include <optional>
#include <string>

#include "strata/nn/module.h"

namespace strata::nn {

class Embedding : public Module {
 public:
  /// `padding_idx` (negative counts from the end) names a row that takes no gradient: it starts
  /// at zeros, and an index equal to it returns whatever the row holds.
  Embedding(int64_t num_embeddings, int64_t embedding_dim, std::optional<int64_t> padding_idx = std::nullopt);
  /// An Embedding whose weight is `embeddings` [num_embeddings, embedding_dim] (shared, not copied;
  /// the padding row is left as given), trained unless `freeze`.
  static Embedding from_pretrained(const Tensor& embeddings, bool freeze = true,
                                   std::optional<int64_t> padding_idx = std::nullopt);

  /// int64 or int32 `indices` of any shape -> [*indices.shape(), embedding_dim].
  Tensor forward(const Tensor& indices);
  /// Draws the weight again from normal(0, 1) and zeroes the padding row.
  void reset_parameters();
  int64_t num_embeddings() const { return num_embeddings_; }
  int64_t embedding_dim() const { return embedding_dim_; }
  /// In [0, num_embeddings) (a negative padding_idx is stored counted from the start, as PyTorch).
  std::optional<int64_t> padding_idx() const { return padding_idx_; }
  std::string extra_repr() const override;

  Parameter weight;  ///< [num_embeddings, embedding_dim]

 private:
  Embedding(const Tensor& weight, std::optional<int64_t> padding_idx, bool requires_grad);
  int64_t num_embeddings_;
  int64_t embedding_dim_;
  std::optional<int64_t> padding_idx_;

  STRATA_MODULE(Embedding, weight)
};

}  // namespace strata::nn
