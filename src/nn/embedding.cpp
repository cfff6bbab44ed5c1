// nn::Embedding: the embedding op, PyTorch's initialisation and padding_idx, and errors that name
// the layer.
#include "strata/nn/embedding.h"

#include <string_view>

#include "strata/autograd.h"
#include "strata/factories.h"
#include "strata/nn/init.h"
#include "strata/ops.h"

namespace strata::nn {
namespace {

std::optional<int64_t> wrap_padding_idx(std::optional<int64_t> padding_idx, int64_t num_embeddings) {
  if (!padding_idx) return padding_idx;
  if (*padding_idx >= num_embeddings || *padding_idx < -num_embeddings)
    fail("[Embedding] padding_idx={} is out of range for num_embeddings={}: expected a row in [{}, {}]",
         *padding_idx, num_embeddings, -num_embeddings, num_embeddings - 1);
  return *padding_idx < 0 ? *padding_idx + num_embeddings : *padding_idx;
}

}  // namespace

Embedding::Embedding(int64_t num_embeddings, int64_t embedding_dim, std::optional<int64_t> padding_idx)
    : num_embeddings_(num_embeddings), embedding_dim_(embedding_dim) {
  if (num_embeddings < 0 || embedding_dim < 0)
    fail("[Embedding] num_embeddings and embedding_dim must be >= 0, got Embedding({}, {})", num_embeddings,
         embedding_dim);
  padding_idx_ = wrap_padding_idx(padding_idx, num_embeddings);
  weight = Parameter(empty({num_embeddings, embedding_dim}));
  reset_parameters();
}

Embedding::Embedding(const Tensor& w, std::optional<int64_t> padding_idx, bool requires_grad)
    : num_embeddings_(w.size(0)), embedding_dim_(w.size(1)) {
  padding_idx_ = wrap_padding_idx(padding_idx, num_embeddings_);
  weight = Parameter(w, requires_grad);
}

Embedding Embedding::from_pretrained(const Tensor& embeddings, bool freeze,
                                     std::optional<int64_t> padding_idx) {
  if (!embeddings.defined() || embeddings.dim() != 2)
    fail("[Embedding.from_pretrained] embeddings must be 2-d [num_embeddings, embedding_dim], got {}",
         embeddings.defined() ? embeddings.describe() : std::string("an undefined tensor"));
  return Embedding(embeddings, padding_idx, !freeze);
}

void Embedding::reset_parameters() {
  init::normal_(weight);
  if (padding_idx_) {
    NoGradGuard no_grad;
    weight.select(0, *padding_idx_).zero_();
  }
}

Tensor Embedding::forward(const Tensor& indices) {
  if (!indices.defined())
    fail("{} (Embedding({})): the indices are an undefined tensor", path(), extra_repr());
  if (indices.dtype() != kInt64 && indices.dtype() != kInt32)
    fail(
        "{} (Embedding({})): indices must be an int64 or int32 tensor, got {}; convert with "
        ".to(strata::kInt64)",
        path(), extra_repr(), indices.describe());
  Tensor out;
  try {
    out = strata::embedding(weight, indices);
  } catch (const Error& e) {
    // "[embedding] index 12 at position [1, 3] is out of range ..." -> the layer's own words.
    std::string_view msg = e.what();
    if (msg.starts_with("[embedding] ")) msg.remove_prefix(12);
    fail("{} (Embedding({})): {}", path(), extra_repr(), msg);
  }
  if (padding_idx_ && is_grad_enabled() && weight.requires_grad()) {
    // The padding row's value flows forward; its positions send no gradient back to it.
    const Tensor is_pad = (indices == *padding_idx_).unsqueeze(-1);
    out = where(is_pad, out.detach(), out);
  }
  return out;
}

std::string Embedding::extra_repr() const {
  std::string s = fmt::format("{}, {}", num_embeddings_, embedding_dim_);
  if (padding_idx_) s += fmt::format(", padding_idx={}", *padding_idx_);
  return s;
}

}  // namespace strata::nn
