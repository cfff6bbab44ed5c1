// scaled_dot_product_attention: a composite of public ops (its gradient comes from its parts), laid
// out so that the two batched products dominate. q is scaled before the first product (L x E
// multiplies rather than L x S), k is read transposed in place by the product, a mask is one pass
// over the scores, and the softmax is the fused kernel.
//
// register_attention_ops also lists dropout (src/ops/dropout.cpp).
#include <cmath>

#include "ops/common.h"
#include "ops/registry.h"
#include "strata/factories.h"
#include "strata/nn/functional/attention.h"
#include "strata/nn/functional/dropout.h"
#include "strata/ops.h"

namespace strata {
namespace ops {

void register_dropout_ops(std::vector<OpInfo>& ops);  // ops/dropout.cpp

void register_attention_ops(std::vector<OpInfo>& ops) {
  register_dropout_ops(ops);
  ops.push_back({"scaled_dot_product_attention", true, nullptr, nullptr,
                 "mul matmul logical_not masked_fill add triu softmax dropout"});
}

}  // namespace ops

namespace nn::functional {
namespace {

constexpr const char* kOp = "scaled_dot_product_attention";

// Batch dims of a and b (all but the last two) broadcast together.
bool batch_broadcasts(const Tensor& a, const Tensor& b) {
  const int64_t na = a.dim() - 2, nb = b.dim() - 2;
  for (int64_t i = 1; i <= std::min(na, nb); ++i) {
    const int64_t x = a.size(na - i), y = b.size(nb - i);
    if (x != y && x != 1 && y != 1) return false;
  }
  return true;
}

// mask broadcasts to `target` (numpy rules).
bool broadcasts_to(const Shape& mask, const Shape& target) {
  if (mask.size() > target.size()) return false;
  const size_t lead = target.size() - mask.size();
  for (size_t d = 0; d < mask.size(); ++d)
    if (mask[d] != 1 && mask[d] != target[lead + d]) return false;
  return true;
}

void check_operands(const Tensor& q, const Tensor& k, const Tensor& v, const Tensor& mask, double dropout_p,
                    bool is_causal) {
  ops::check_defined(kOp, {&q, &k, &v});
  ops::check_same_device(kOp, {&q, &k, &v, &mask});
  if (q.dim() < 2 || k.dim() < 2 || v.dim() < 2)
    fail(
        "[{}] q, k and v need at least 2 dims ([..., L, E], [..., S, E], [..., S, Ev]), got q {}, k {}, v {}",
        kOp, q.describe(), k.describe(), v.describe());
  if (!q.is_floating_point() || q.dtype() != k.dtype() || q.dtype() != v.dtype())
    fail("[{}] q, k and v need one floating dtype, got q {}, k {}, v {}; convert with .to()", kOp,
         q.describe(), k.describe(), v.describe());
  if (q.size(-1) != k.size(-1))
    fail("[{}] q {} and k {} must share the embedding size E (their last dim): {} != {}", kOp, q.describe(),
         k.describe(), q.size(-1), k.size(-1));
  if (k.size(-2) != v.size(-2))
    fail("[{}] k {} and v {} must share the source length S (dim -2): {} != {}", kOp, k.describe(),
         v.describe(), k.size(-2), v.size(-2));
  if (!batch_broadcasts(q, k) || !batch_broadcasts(q, v) || !batch_broadcasts(k, v))
    fail("[{}] the batch dims of q {}, k {} and v {} do not broadcast together", kOp, q.describe(),
         k.describe(), v.describe());
  if (!(dropout_p >= 0.0 && dropout_p <= 1.0))
    fail("[{}] dropout_p must lie in [0, 1], got {}", kOp, dropout_p);
  if (mask.defined()) {
    if (is_causal)
      fail(
          "[{}] pass either attn_mask {} or is_causal = true, not both (fold the causal mask into attn_mask)",
          kOp, mask.describe());
    if (mask.dtype() != kBool && mask.dtype() != q.dtype())
      fail("[{}] attn_mask {} must be bool (true = take part) or of q's dtype {} (added to the scores)", kOp,
           mask.describe(), dtype_name(q.dtype()));
    Shape target;
    for (int64_t d = 0; d < q.dim() - 1; ++d) target.push_back(q.size(d));
    target.push_back(k.size(-2));
    if (!broadcasts_to(mask.shape(), target))
      fail("[{}] attn_mask {} does not broadcast to the scores [..., L, S] = {}", kOp, mask.describe(),
           target.str());
  }
}

}  // namespace

Tensor scaled_dot_product_attention(const Tensor& q, const Tensor& k, const Tensor& v,
                                    const Tensor& attn_mask, double dropout_p, bool is_causal,
                                    std::optional<double> scale, Generator* generator) {
  check_operands(q, k, v, attn_mask, dropout_p, is_causal);
  const double s = scale ? *scale : 1.0 / std::sqrt(static_cast<double>(q.size(-1)));
  Tensor scores = matmul(q * s, k.mT());
  if (is_causal) {
    const Tensor above = triu(ones({q.size(-2), k.size(-2)}, {.dtype = kBool, .device = q.device()}), 1);
    scores = masked_fill(scores, above, -INFINITY);
  } else if (attn_mask.defined()) {
    scores = attn_mask.dtype() == kBool ? masked_fill(scores, logical_not(attn_mask), -INFINITY)
                                        : add(scores, attn_mask);
  }
  Tensor weights = softmax(scores, -1);
  if (dropout_p > 0.0) weights = dropout(weights, dropout_p, true, generator);
  return matmul(weights, v);
}

}  // namespace nn::functional
}  // namespace strata
