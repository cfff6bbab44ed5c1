#pragma once
// The strata call for each op name in tests/fixtures/ops. Each lambda must compute what the torch
// expression of the same name in tools/fixture_cases/ computes, from the same inputs and params.
#include <functional>
#include <map>
#include <string>
#include <vector>

#include <strata/strata.h>

#include "golden/golden_fixture.h"

namespace golden {

using Tensors = std::vector<strata::Tensor>;
using OpFn = std::function<Tensors(const Tensors& x, const Params& p)>;

inline OpFn unary(strata::Tensor (*f)(const strata::Tensor&)) {
  return {[f](const Tensors& x, const Params&) { return Tensors{f(x[0])}; }};
}

inline OpFn binary(strata::Tensor (*f)(const strata::Tensor&, const strata::Tensor&)) {
  return {[f](const Tensors& x, const Params&) { return Tensors{f(x[0], x[1])}; }};
}

/// The comparison with a tensor, or with the case's "scalar" parameter when it has one.
inline OpFn comparison(strata::Tensor (*with_tensor)(const strata::Tensor&, const strata::Tensor&),
                       strata::Tensor (*with_scalar)(const strata::Tensor&, const strata::Scalar&)) {
  return {[=](const Tensors& x, const Params& p) {
    return Tensors{p.has("scalar") ? with_scalar(x[0], p.scalar("scalar")) : with_tensor(x[0], x[1])};
  }};
}

inline Tensors values_indices(const strata::ValuesIndices& vi) { return {vi.values, vi.indices}; }

inline const std::map<std::string, OpFn>& golden_ops() {
  using namespace strata;
  using T = const Tensor&;
  using S = const Scalar&;
  static const std::map<std::string, OpFn> table = {
      // ---- elementwise unary ----
      {"neg", unary(&neg)},
      {"abs", unary(&strata::abs)},
      {"sign", unary(&sign)},
      {"exp", unary(&strata::exp)},
      {"log", unary(&strata::log)},
      {"log1p", unary(&strata::log1p)},
      {"sqrt", unary(&strata::sqrt)},
      {"rsqrt", unary(&rsqrt)},
      {"sin", unary(&strata::sin)},
      {"cos", unary(&strata::cos)},
      {"tanh", unary(&strata::tanh)},
      {"erf", unary(&strata::erf)},
      {"sigmoid", unary(&sigmoid)},
      {"relu", unary(&relu)},
      {"silu", unary(&silu)},
      {"gelu",
       [](const Tensors& x, const Params& p) { return Tensors{gelu(x[0], p.str("approximate"))}; }},
      {"softplus", [](const Tensors& x, const Params& p) {
         return Tensors{softplus(x[0], p.d("beta"), p.d("threshold"))};
       }},
      {"leaky_relu", [](const Tensors& x, const Params& p) {
         return Tensors{leaky_relu(x[0], p.d("negative_slope"))};
       }},
      {"clamp", [](const Tensors& x, const Params& p) {
         return Tensors{clamp(x[0], p.opt_scalar("min"), p.opt_scalar("max"))};
       }},

      // ---- elementwise binary ----
      {"add", [](const Tensors& x, const Params&) { return Tensors{add(x[0], x[1])}; }},
      {"sub", [](const Tensors& x, const Params&) { return Tensors{sub(x[0], x[1])}; }},
      {"add_alpha",
       [](const Tensors& x, const Params& p) { return Tensors{add(x[0], x[1], p.scalar("alpha"))}; }},
      {"sub_alpha",
       [](const Tensors& x, const Params& p) { return Tensors{sub(x[0], x[1], p.scalar("alpha"))}; }},
      {"mul", binary(&mul)},
      {"div", binary(&strata::div)},
      {"pow", binary(static_cast<Tensor (*)(T, T)>(&strata::pow))},
      {"maximum", binary(&maximum)},
      {"minimum", binary(&minimum)},
      {"add_scalar",
       [](const Tensors& x, const Params& p) { return Tensors{x[0] + p.scalar("scalar")}; }},
      {"sub_scalar",
       [](const Tensors& x, const Params& p) { return Tensors{x[0] - p.scalar("scalar")}; }},
      {"mul_scalar",
       [](const Tensors& x, const Params& p) { return Tensors{x[0] * p.scalar("scalar")}; }},
      {"div_scalar",
       [](const Tensors& x, const Params& p) { return Tensors{x[0] / p.scalar("scalar")}; }},
      {"rsub_scalar",
       [](const Tensors& x, const Params& p) { return Tensors{p.scalar("scalar") - x[0]}; }},
      {"rdiv_scalar",
       [](const Tensors& x, const Params& p) { return Tensors{p.scalar("scalar") / x[0]}; }},
      {"pow_scalar",
       [](const Tensors& x, const Params& p) { return Tensors{strata::pow(x[0], p.scalar("scalar"))}; }},
      {"eq", comparison(&eq, static_cast<Tensor (*)(T, S)>(&operator==))},
      {"ne", comparison(&ne, static_cast<Tensor (*)(T, S)>(&operator!=))},
      {"lt", comparison(&lt, static_cast<Tensor (*)(T, S)>(&operator<))},
      {"le", comparison(&le, static_cast<Tensor (*)(T, S)>(&operator<=))},
      {"gt", comparison(&gt, static_cast<Tensor (*)(T, S)>(&operator>))},
      {"ge", comparison(&ge, static_cast<Tensor (*)(T, S)>(&operator>=))},
      {"logical_and", binary(&logical_and)},
      {"logical_or", binary(&logical_or)},
      {"logical_xor", binary(&logical_xor)},
      {"logical_not", unary(&logical_not)},
      {"where", [](const Tensors& x, const Params&) { return Tensors{where(x[0], x[1], x[2])}; }},

      // ---- reductions ----
      {"sum", [](const Tensors& x, const Params& p) {
         return Tensors{sum(x[0], p.shape("dims"), p.b("keepdim"))};
       }},
      {"mean", [](const Tensors& x, const Params& p) {
         return Tensors{mean(x[0], p.shape("dims"), p.b("keepdim"))};
       }},
      {"prod", [](const Tensors& x, const Params& p) {
         return Tensors{p.has("dim") ? prod(x[0], p.i("dim"), p.b("keepdim")) : prod(x[0])};
       }},
      {"max", [](const Tensors& x, const Params& p) {
         return p.has("dim") ? values_indices(max(x[0], p.i("dim"), p.b("keepdim"))) : Tensors{max(x[0])};
       }},
      {"min", [](const Tensors& x, const Params& p) {
         return p.has("dim") ? values_indices(min(x[0], p.i("dim"), p.b("keepdim"))) : Tensors{min(x[0])};
       }},
      {"argmax", [](const Tensors& x, const Params& p) {
         return Tensors{p.has("dim") ? argmax(x[0], p.i("dim"), p.b("keepdim")) : argmax(x[0])};
       }},
      {"argmin", [](const Tensors& x, const Params& p) {
         return Tensors{p.has("dim") ? argmin(x[0], p.i("dim"), p.b("keepdim")) : argmin(x[0])};
       }},
      {"var", [](const Tensors& x, const Params& p) {
         return Tensors{var(x[0], p.shape("dims"), p.i("correction"), p.b("keepdim"))};
       }},
      {"std", [](const Tensors& x, const Params& p) {
         return Tensors{strata::std(x[0], p.shape("dims"), p.i("correction"), p.b("keepdim"))};
       }},
      {"norm", [](const Tensors& x, const Params& p) {
         return Tensors{norm(x[0], p.d("p"), p.shape("dims"), p.b("keepdim"))};
       }},
      {"logsumexp", [](const Tensors& x, const Params& p) {
         return Tensors{logsumexp(x[0], p.shape("dims"), p.b("keepdim"))};
       }},
      {"cumsum", [](const Tensors& x, const Params& p) { return Tensors{cumsum(x[0], p.i("dim"))}; }},
      {"softmax", [](const Tensors& x, const Params& p) { return Tensors{softmax(x[0], p.i("dim"))}; }},
      {"log_softmax",
       [](const Tensors& x, const Params& p) { return Tensors{log_softmax(x[0], p.i("dim"))}; }},

      // ---- linear algebra ----
      {"matmul", [](const Tensors& x, const Params&) { return Tensors{matmul(x[0], x[1])}; }},
      {"mm", [](const Tensors& x, const Params&) { return Tensors{mm(x[0], x[1])}; }},
      {"bmm", [](const Tensors& x, const Params&) { return Tensors{bmm(x[0], x[1])}; }},
      {"linear", [](const Tensors& x, const Params&) {
         return Tensors{linear(x[0], x[1], x.size() > 2 ? x[2] : Tensor())};
       }},

      // ---- joining and splitting: cat and stack take every input as the list ----
      {"cat", [](const Tensors& x, const Params& p) { return Tensors{cat(x, p.i("dim"))}; }},
      {"stack", [](const Tensors& x, const Params& p) { return Tensors{stack(x, p.i("dim"))}; }},
      {"split", [](const Tensors& x, const Params& p) {
         return p.has("split_size") ? split(x[0], p.i("split_size"), p.i("dim"))
                                    : split(x[0], p.ints("sizes"), p.i("dim"));
       }},
      {"chunk", [](const Tensors& x, const Params& p) { return chunk(x[0], p.i("chunks"), p.i("dim")); }},

      // ---- indexing ----
      {"index_select",
       [](const Tensors& x, const Params& p) { return Tensors{index_select(x[0], p.i("dim"), x[1])}; }},
      {"gather",
       [](const Tensors& x, const Params& p) { return Tensors{gather(x[0], p.i("dim"), x[1])}; }},
      {"scatter",
       [](const Tensors& x, const Params& p) { return Tensors{scatter(x[0], p.i("dim"), x[1], x[2])}; }},
      {"scatter_add", [](const Tensors& x, const Params& p) {
         return Tensors{scatter_add(x[0], p.i("dim"), x[1], x[2])};
       }},
      {"masked_fill", [](const Tensors& x, const Params& p) {
         return Tensors{masked_fill(x[0], x[1], p.scalar("value"))};
       }},
      {"one_hot",
       [](const Tensors& x, const Params& p) { return Tensors{one_hot(x[0], p.i("num_classes"))}; }},
      {"embedding", [](const Tensors& x, const Params&) { return Tensors{embedding(x[0], x[1])}; }},
      {"tril", [](const Tensors& x, const Params& p) { return Tensors{tril(x[0], p.i("diagonal"))}; }},
      {"triu", [](const Tensors& x, const Params& p) { return Tensors{triu(x[0], p.i("diagonal"))}; }},

      // ---- views composed with a sum (empty sum_dims: every dim) ----
      {"view_transpose", [](const Tensors& x, const Params& p) {
         return Tensors{sum(x[0].transpose(p.i("dim0"), p.i("dim1")), p.shape("sum_dims"))};
       }},
      {"view_permute", [](const Tensors& x, const Params& p) {
         return Tensors{sum(x[0].permute(p.shape("dims")), p.shape("sum_dims"))};
       }},
      {"view_expand", [](const Tensors& x, const Params& p) {
         return Tensors{sum(x[0].expand(p.shape("shape")), p.shape("sum_dims"))};
       }},
      {"view_slice", [](const Tensors& x, const Params& p) {
         const Tensor v = x[0].slice(p.i("dim"), p.opt_i("start"), p.opt_i("stop"), p.i("step"));
         return Tensors{sum(v, p.shape("sum_dims"))};
       }},
  };
  return table;
}

}  // namespace golden
