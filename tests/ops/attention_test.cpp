// scaled_dot_product_attention: PyTorch values (tests/fixtures/attention/sdpa.json, from the
// explicit expression, see tools/gen_attention_fixtures.py), a hand-computed case, gradcheck on
// ordinary, broadcast, non-contiguous and empty inputs, dropout, and errors.
#include <gtest/gtest.h>

#include "golden/golden_fixture.h"
#include "strata/nn/functional/attention.h"
#include "support/test_util.h"

namespace F = strata::nn::functional;
using golden::Json;
using namespace strata;

TEST(ScaledDotProductAttention, MatchesPyTorch) {
  const Json j = golden::load_json(STRATA_FIXTURES_DIR "/attention/sdpa.json");
  int checked = 0;
  for (const Json& c : j.at("cases")) {
    const Json& ins = c.at("inputs");
    SCOPED_TRACE(c.at("name").get<std::string>() + " " + ins.at("q").at("dtype").get<std::string>());
    Tensor q = golden::make_input(ins.at("q")).requires_grad_();
    Tensor k = golden::make_input(ins.at("k")).requires_grad_();
    Tensor v = golden::make_input(ins.at("v")).requires_grad_();
    Tensor mask = ins.contains("attn_mask") ? golden::make_input(ins.at("attn_mask")) : Tensor();
    if (mask.defined() && mask.is_floating_point()) mask.requires_grad_();
    Tensor out = F::scaled_dot_product_attention(q, k, v, mask, 0.0, c.at("is_causal").get<bool>());
    EXPECT_TRUE(golden::matches("output", out, c.at("output")));
    (out * golden::make_input(c.at("upstream"))).sum().backward();
    EXPECT_TRUE(golden::matches("grad q", q.grad(), c.at("grads").at("q")));
    EXPECT_TRUE(golden::matches("grad k", k.grad(), c.at("grads").at("k")));
    EXPECT_TRUE(golden::matches("grad v", v.grad(), c.at("grads").at("v")));
    if (mask.defined() && mask.is_floating_point()) {
      EXPECT_TRUE(golden::matches("grad attn_mask", mask.grad(), c.at("grads").at("attn_mask")));
    }
    ++checked;
  }
  EXPECT_EQ(checked, 14);
}

TEST(ScaledDotProductAttention, HandComputed) {
  // One query, two keys with E = 4 (scale 1/2): scores [1, 0] -> weights [e/(e+1), 1/(e+1)].
  Tensor q = tensor({{2.0, 0.0, 0.0, 0.0}}, {.dtype = kFloat64});
  Tensor k = tensor({{1.0, 0.0, 0.0, 0.0}, {0.0, 1.0, 0.0, 0.0}}, {.dtype = kFloat64});
  Tensor v = tensor({{10.0, 0.0}, {0.0, 20.0}}, {.dtype = kFloat64});
  const double e = std::exp(1.0), w0 = e / (e + 1), w1 = 1 / (e + 1);
  test::expect_values(F::scaled_dot_product_attention(q, k, v), {10 * w0, 20 * w1});
  // A bool mask keeping only key 1; a float mask adding -1 to key 0 (scores [0, 0]); a scale of 1.
  test::expect_values(F::scaled_dot_product_attention(q, k, v, tensor({{false, true}})), {0.0, 20.0});
  test::expect_values(F::scaled_dot_product_attention(q, k, v, tensor({{-1.0, 0.0}}, {.dtype = kFloat64})),
                      {5.0, 10.0});
  const double e2 = std::exp(2.0);
  test::expect_values(F::scaled_dot_product_attention(q, k, v, Tensor(), 0.0, false, 1.0),
                      {10 * e2 / (e2 + 1), 20 / (e2 + 1)});
  // Causal with L = S = 2: the first query sees only the first key.
  Tensor q2 = tensor({{1.0, 0.0, 0.0, 0.0}, {1.0, 0.0, 0.0, 0.0}}, {.dtype = kFloat64});
  Tensor y = F::scaled_dot_product_attention(q2, k, v, Tensor(), 0.0, true);
  const double a = std::exp(0.5) / (std::exp(0.5) + 1);
  test::expect_values(y, {10.0, 0.0, 10 * a, 20 * (1 - a)}, 1e-12);
}

TEST(ScaledDotProductAttention, Gradcheck) {
  auto sdpa = [](const std::vector<Tensor>& in) {
    return F::scaled_dot_product_attention(in[0], in[1], in[2]);
  };
  EXPECT_GRADCHECK(sdpa, {test::leaf({2, 3, 4}, 1), test::leaf({2, 5, 4}, 2), test::leaf({2, 5, 3}, 3)});
  // Broadcast batch dims (k, v shared by every batch) and non-contiguous operands.
  EXPECT_GRADCHECK(
      sdpa, {test::leaf({2, 2, 3, 4}, 4), test::leaf({1, 5, 4}, 5), test::noncontiguous_leaf({5, 3}, 6)});
  EXPECT_GRADCHECK(sdpa, {test::noncontiguous_leaf({3, 4}, 7), test::leaf({5, 4}, 8), test::leaf({5, 2}, 9)});
  // Empty: no queries.
  EXPECT_GRADCHECK(sdpa, {test::empty_leaf({2, 0, 4}), test::leaf({2, 5, 4}, 10), test::leaf({2, 5, 3}, 11)});
  // A float mask takes a gradient too; causal and bool masks.
  auto masked = [](const std::vector<Tensor>& in) {
    return F::scaled_dot_product_attention(in[0], in[1], in[2], in[3]);
  };
  EXPECT_GRADCHECK(masked, {test::leaf({2, 3, 4}, 12), test::leaf({2, 5, 4}, 13), test::leaf({2, 5, 3}, 14),
                            test::leaf({3, 5}, 15)});
  auto causal = [](const std::vector<Tensor>& in) {
    return F::scaled_dot_product_attention(in[0], in[1], in[2], Tensor(), 0.0, true);
  };
  EXPECT_GRADCHECK(causal, {test::leaf({2, 4, 4}, 16), test::leaf({2, 4, 4}, 17), test::leaf({2, 4, 3}, 18)});
  EXPECT_GRADGRADCHECK(sdpa,
                       {test::leaf({1, 2, 3}, 19), test::leaf({1, 3, 3}, 20), test::leaf({1, 3, 2}, 21)});
}

TEST(ScaledDotProductAttention, DropoutIsSeeded) {
  Tensor q = randn({2, 4, 8}), k = randn({2, 6, 8}), v = randn({2, 6, 8});
  Generator g1(1), g2(1);
  Tensor a = F::scaled_dot_product_attention(q, k, v, Tensor(), 0.5, false, std::nullopt, &g1);
  Tensor b = F::scaled_dot_product_attention(q, k, v, Tensor(), 0.5, false, std::nullopt, &g2);
  EXPECT_TRUE(equal(a, b));
  EXPECT_FALSE(allclose(a, F::scaled_dot_product_attention(q, k, v)));
}

TEST(ScaledDotProductAttention, Errors) {
  using test::expect_error;
  Tensor q = randn({2, 3, 4}), k = randn({2, 5, 4}), v = randn({2, 5, 3});
  expect_error(
      [&] {
        F::scaled_dot_product_attention(q, randn({2, 5, 6}), v);
      },
      "[scaled_dot_product_attention] q [2, 3, 4] float32 cpu and k [2, 5, 6] float32 cpu must share the "
      "embedding size E");
  expect_error(
      [&] {
        F::scaled_dot_product_attention(q, k, randn({2, 4, 3}));
      },
      "must share the source length S");
  expect_error([&] { F::scaled_dot_product_attention(q, k, v.to(kFloat64)); }, "need one floating dtype");
  expect_error([&] { F::scaled_dot_product_attention(randn({4}), k, v); }, "need at least 2 dims");
  expect_error(
      [&] {
        F::scaled_dot_product_attention(q, randn({3, 5, 4}), randn({3, 5, 3}));
      },
      "do not broadcast together");
  expect_error(
      [&] {
        F::scaled_dot_product_attention(q, k, v, zeros({3, 4}));
      },
      "attn_mask [3, 4] float32 cpu does not broadcast to the scores [..., L, S] = [2, 3, 5]");
  expect_error(
      [&] {
        F::scaled_dot_product_attention(q, k, v, zeros({3, 5}, {.dtype = kInt64}));
      },
      "must be bool (true = take part) or of q's dtype float32");
  expect_error(
      [&] {
        F::scaled_dot_product_attention(q, k, v, zeros({3, 5}), 0.0, true);
      },
      "pass either attn_mask");
  expect_error([&] { F::scaled_dot_product_attention(q, k, v, Tensor(), 1.5); },
               "dropout_p must lie in [0, 1]");
}
