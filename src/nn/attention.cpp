// nn::MultiheadAttention: PyTorch 1.13's multi_head_attention_forward, laid out for speed.
//
// Heads are views: a projection [L, N, E] is viewed as [N, H, L, hd] without copying. The query's
// scaling by 1 / sqrt(hd) is the one copy, into contiguous [N, H, L, hd] (for self-attention, the
// packed projection [L, N, 3E] is scaled and laid out as [3, N, H, L, hd] by one multiplication with
// [scale, 1, 1]); keys and values are read in place by the batched products. Masks are merged into
// one bool or additive mask before touching the [N, H, L, S] scores once.
#include "strata/nn/attention.h"

#include <cmath>

#include "strata/factories.h"
#include "strata/nn/functional/dropout.h"
#include "strata/nn/init.h"
#include "strata/ops.h"

namespace strata::nn {
namespace {

// `m` with one more position at the end of its last dim: false (bool) or 0 (additive), i.e. the
// appended key or value may be attended.
Tensor pad_last(const Tensor& m) {
  if (!m.defined()) return m;
  Shape s = m.shape();
  s[s.size() - 1] = 1;
  return cat({m, zeros(s, {.dtype = m.dtype(), .device = m.device()})}, -1);
}

// A bool mask (true = masked) as an additive one of `dtype`; a floating mask as it is.
Tensor additive(const Tensor& m, DType dtype) {
  if (m.dtype() != kBool) return m;
  return masked_fill(zeros(m.shape(), {.dtype = dtype, .device = m.device()}), m, -INFINITY);
}

}  // namespace

MultiheadAttention::MultiheadAttention(int64_t embed_dim, int64_t num_heads, double dropout, bool bias,
                                       bool add_bias_kv, bool add_zero_attn, std::optional<int64_t> kdim,
                                       std::optional<int64_t> vdim, bool batch_first)
    : out_proj(embed_dim > 0 ? embed_dim : 0, embed_dim > 0 ? embed_dim : 0, bias),
      embed_dim_(embed_dim),
      num_heads_(num_heads),
      kdim_(kdim.value_or(embed_dim)),
      vdim_(vdim.value_or(embed_dim)),
      dropout_(dropout),
      add_zero_attn_(add_zero_attn),
      batch_first_(batch_first) {
  if (embed_dim <= 0 || num_heads <= 0 || embed_dim % num_heads != 0)
    fail(
        "[MultiheadAttention] embed_dim must be a positive multiple of num_heads, got embed_dim={}, "
        "num_heads={}",
        embed_dim, num_heads);
  if (kdim_ <= 0 || vdim_ <= 0)
    fail("[MultiheadAttention] kdim and vdim must be positive, got kdim={}, vdim={}", kdim_, vdim_);
  if (!(dropout >= 0.0 && dropout <= 1.0))
    fail("[MultiheadAttention] dropout must lie in [0, 1], got {}", dropout);
  const int64_t E = embed_dim;
  if (kdim_ == E && vdim_ == E) {
    in_proj_weight = Parameter(empty({3 * E, E}));
  } else {
    q_proj_weight = Parameter(empty({E, E}));
    k_proj_weight = Parameter(empty({E, kdim_}));
    v_proj_weight = Parameter(empty({E, vdim_}));
  }
  if (bias) in_proj_bias = Parameter(empty({3 * E}));
  if (add_bias_kv) {
    bias_k = Parameter(empty({1, 1, E}));
    bias_v = Parameter(empty({1, 1, E}));
  }
  reset_parameters();
}

void MultiheadAttention::reset_parameters() {
  if (in_proj_weight.defined()) {
    init::xavier_uniform_(in_proj_weight);
  } else {
    init::xavier_uniform_(q_proj_weight);
    init::xavier_uniform_(k_proj_weight);
    init::xavier_uniform_(v_proj_weight);
  }
  if (in_proj_bias.defined()) {
    init::zeros_(in_proj_bias);
    init::zeros_(out_proj.bias);
  }
  if (bias_k.defined()) {
    init::xavier_normal_(bias_k);
    init::xavier_normal_(bias_v);
  }
}

std::string MultiheadAttention::describe() const {
  std::string s = fmt::format("MultiheadAttention embed_dim={}, num_heads={}", embed_dim_, num_heads_);
  if (kdim_ != embed_dim_ || vdim_ != embed_dim_) s += fmt::format(", kdim={}, vdim={}", kdim_, vdim_);
  if (batch_first_) s += ", batch_first=true";
  return s;
}

AttentionOutput MultiheadAttention::forward(const Tensor& query, const Tensor& key, const Tensor& value,
                                            const Tensor& key_padding_mask, bool need_weights,
                                            const Tensor& attn_mask, bool average_attn_weights) {
  const std::string& where = path();
  const int64_t E = embed_dim_, H = num_heads_, hd = E / H;
  if (!query.defined() || !key.defined() || !value.defined())
    fail("{} ({}): query, key and value must all be defined tensors (for self-attention pass x three times)",
         where, describe());
  const bool batched = query.dim() == 3;
  if ((query.dim() != 3 && query.dim() != 2) || key.dim() != query.dim() || value.dim() != query.dim())
    fail("{} ({}): query {}, key {} and value {} must all be 3-d ({}) or all 2-d (unbatched [L, E])", where,
         describe(), query.describe(), key.describe(), value.describe(),
         batch_first_ ? "[N, L, E]" : "[L, N, E]");
  const Tensor& w0 = in_proj_weight.defined() ? in_proj_weight : q_proj_weight;
  if (query.dtype() != w0.dtype() || key.dtype() != w0.dtype() || value.dtype() != w0.dtype())
    fail(
        "{} ({}): query {}, key {} and value {} must have the parameters' dtype {}; convert the inputs with "
        ".to() "
        "or the model with model.to()",
        where, describe(), query.describe(), key.describe(), value.describe(), dtype_name(w0.dtype()));
  if (!(query.device() == w0.device()) || !(key.device() == w0.device()) || !(value.device() == w0.device()))
    fail("{} ({}): the parameters are on {}, query is on {}, key on {}, value on {}; move them with .to()",
         where, describe(), w0.device().str(), query.device().str(), key.device().str(),
         value.device().str());
  if (query.size(-1) != E)
    fail("{} ({}): query {} has {} features, expected embed_dim = {}", where, describe(), query.describe(),
         query.size(-1), E);
  if (key.size(-1) != kdim_ || value.size(-1) != vdim_)
    fail("{} ({}): key {} and value {} must have kdim = {} and vdim = {} features", where, describe(),
         key.describe(), value.describe(), kdim_, vdim_);
  // Seq-first views of the inputs' dims: [L, N, E] (an unbatched input gets N = 1).
  const int64_t seq_dim = batched && batch_first_ ? 1 : 0;
  const int64_t L = query.size(seq_dim), S0 = key.size(seq_dim);
  const int64_t N = batched ? query.size(1 - seq_dim) : 1;
  if (value.size(seq_dim) != S0 || (batched && (key.size(1 - seq_dim) != N || value.size(1 - seq_dim) != N)))
    fail("{} ({}): key {} and value {} must share the source length S and query {}'s batch size {}", where,
         describe(), key.describe(), value.describe(), query.describe(), N);

  // ---- masks (checked against S before bias_kv / zero_attn add positions) ----
  const DType dtype = query.dtype();
  Tensor am = attn_mask, kpm = key_padding_mask;
  if (am.defined()) {
    if (am.dtype() != kBool && am.dtype() != dtype)
      fail(
          "{} ({}): attn_mask {} must be bool (true = not attended) or of the query's dtype {} (added to the "
          "scores)",
          where, describe(), am.describe(), dtype_name(dtype));
    const bool ok2 = am.dim() == 2 && am.size(0) == L && am.size(1) == S0;
    const bool ok3 = am.dim() == 3 && am.size(0) == N * H && am.size(1) == L && am.size(2) == S0;
    if (!ok2 && !ok3)
      fail("{} ({}): attn_mask {} must be [L, S] = [{}, {}] or [N * num_heads, L, S] = [{}, {}, {}]", where,
           describe(), am.describe(), L, S0, N * H, L, S0);
  }
  if (kpm.defined()) {
    if (kpm.dtype() != kBool && kpm.dtype() != dtype)
      fail("{} ({}): key_padding_mask {} must be bool (true = padding) or of the query's dtype {}", where,
           describe(), kpm.describe(), dtype_name(dtype));
    const bool ok = batched ? kpm.dim() == 2 && kpm.size(0) == N && kpm.size(1) == S0
                            : kpm.dim() == 1 && kpm.size(0) == S0;
    if (!ok)
      fail("{} ({}): key_padding_mask {} must be {} = [{}{}]", where, describe(), kpm.describe(),
           batched ? "[N, S]" : "[S]", batched ? fmt::format("{}, ", N) : "", S0);
  }

  // ---- projections, as [N, H, len, hd] heads ----
  // x [A, B, E'] (seq-first: A = len, B = N; batch-first: A = N, B = len) -> [N, H, len, hd] view.
  const bool bf = batched && batch_first_;
  auto heads = [&](const Tensor& t) {
    const int64_t A = t.size(0), B = t.size(1);
    return bf ? t.view({A, B, H, hd}).permute({0, 2, 1, 3}) : t.view({A, B, H, hd}).permute({1, 2, 0, 3});
  };
  const Tensor q_in = batched ? query : query.unsqueeze(1);
  const Tensor k_in = batched ? key : key.unsqueeze(1);
  const Tensor v_in = batched ? value : value.unsqueeze(1);
  const double scale = 1.0 / std::sqrt(static_cast<double>(hd));
  const bool packed = in_proj_weight.defined();
  auto bias_part = [&](int64_t i, int64_t n) {
    return in_proj_bias.defined() ? in_proj_bias.narrow(0, i * E, n * E) : Tensor();
  };
  Tensor q, k, v;
  const bool self =
      packed && query.impl_ptr() == key.impl_ptr() && key.impl_ptr() == value.impl_ptr() && !bias_k.defined();
  if (self) {
    // One product for q, k and v; one pass scales q and lays out all three as [3, N, H, L, hd].
    const Tensor qkv = linear(q_in, in_proj_weight, in_proj_bias);
    const int64_t A = qkv.size(0), B = qkv.size(1);
    const Tensor split = qkv.view({A, B, 3, H, hd});
    const Tensor perm = bf ? split.permute({2, 0, 3, 1, 4}) : split.permute({2, 1, 3, 0, 4});
    const Tensor scales = from_vector(std::vector<double>{scale, 1.0, 1.0}, {3, 1, 1, 1, 1},
                                      {.dtype = dtype, .device = query.device()});
    // chunk, not select: the gradients of its pieces are joined by one cat, where select's would
    // each be a zero-filled [3, ...] tensor to add up.
    const auto parts = chunk(mul(perm, scales), 3, 0);
    q = parts[0].squeeze(0);
    k = parts[1].squeeze(0);
    v = parts[2].squeeze(0);
  } else {
    Tensor qp, kp, vp;
    if (packed) {
      qp = linear(q_in, in_proj_weight.narrow(0, 0, E), bias_part(0, 1));
      if (key.impl_ptr() == value.impl_ptr()) {
        const auto kv = chunk(linear(k_in, in_proj_weight.narrow(0, E, 2 * E), bias_part(1, 2)), 2, -1);
        kp = kv[0];
        vp = kv[1];
      } else {
        kp = linear(k_in, in_proj_weight.narrow(0, E, E), bias_part(1, 1));
        vp = linear(v_in, in_proj_weight.narrow(0, 2 * E, E), bias_part(2, 1));
      }
    } else {
      qp = linear(q_in, q_proj_weight, bias_part(0, 1));
      kp = linear(k_in, k_proj_weight, bias_part(1, 1));
      vp = linear(v_in, v_proj_weight, bias_part(2, 1));
    }
    if (bias_k.defined()) {  // one more key and value, the same for every batch element
      const Shape one = bf ? Shape{N, 1, E} : Shape{1, N, E};
      kp = cat({kp, bias_k.expand(one)}, bf ? 1 : 0);
      vp = cat({vp, bias_v.expand(one)}, bf ? 1 : 0);
      am = pad_last(am);
      kpm = pad_last(kpm);
    }
    q = heads(qp) * scale;
    k = heads(kp);
    v = heads(vp);
  }
  if (add_zero_attn_) {
    const Tensor z = zeros({N, H, 1, hd}, {.dtype = dtype, .device = query.device()});
    k = cat({k, z}, 2);
    v = cat({v, z}, 2);
    am = pad_last(am);
    kpm = pad_last(kpm);
  }
  const int64_t S = k.size(2);

  // ---- attention ----
  Tensor scores = matmul(q, k.mT());  // [N, H, L, S]
  if (am.defined() && am.dim() == 3) am = am.view({N, H, L, S});
  if (kpm.defined()) kpm = kpm.view({N, 1, 1, S});
  if (am.defined() || kpm.defined()) {
    const bool all_bool = (!am.defined() || am.dtype() == kBool) && (!kpm.defined() || kpm.dtype() == kBool);
    if (all_bool) {
      const Tensor masked = am.defined() && kpm.defined() ? logical_or(am, kpm) : (am.defined() ? am : kpm);
      scores = masked_fill(scores, masked, -INFINITY);
    } else {
      const Tensor bias = am.defined() && kpm.defined() ? additive(am, dtype) + additive(kpm, dtype)
                                                        : additive(am.defined() ? am : kpm, dtype);
      scores = scores + bias;
    }
  }
  Tensor weights = softmax(scores, -1);
  if (is_training() && dropout_ > 0.0) weights = functional::dropout(weights, dropout_);
  const Tensor attended = matmul(weights, v);  // [N, H, L, hd]
  const Tensor merged = bf ? attended.permute({0, 2, 1, 3}).reshape({N, L, E})
                           : attended.permute({2, 0, 1, 3}).reshape({L, N, E});
  AttentionOutput result;
  result.output = out_proj(merged);
  if (!batched) result.output = result.output.squeeze(1);
  if (need_weights) {
    result.weights = average_attn_weights ? sum(weights, {1}) / static_cast<double>(H) : weights;
    if (!batched) result.weights = result.weights.squeeze(0);
  }
  return result;
}

}  // namespace strata::nn
