// nn::MultiheadAttention against PyTorch 1.13 (tests/fixtures/attention/mha_*.json, written by
// tools/gen_attention_fixtures.py): outputs, attention weights, input and parameter gradients and
// state_dict keys; then PyTorch's initialisation, the parameter layout, and errors.
#include <gtest/gtest.h>

#include <sstream>

#include "golden/golden_fixture.h"
#include "strata/nn/attention.h"
#include "strata/nn/functional/attention.h"
#include "support/test_util.h"

namespace nn = strata::nn;
using golden::Json;
using strata::Tensor;

namespace {

nn::MultiheadAttention make_mha(const Json& a) {
  auto opt = [&](const char* k) {
    return a.contains(k) ? std::optional<int64_t>(a.at(k).get<int64_t>()) : std::nullopt;
  };
  return nn::MultiheadAttention(a.at("embed_dim").get<int64_t>(), a.at("num_heads").get<int64_t>(), 0.0,
                                a.value("bias", true), a.value("add_bias_kv", false),
                                a.value("add_zero_attn", false), opt("kdim"), opt("vdim"),
                                a.value("batch_first", false));
}

Tensor input(const Json& inputs, const char* name, bool grad) {
  if (!inputs.contains(name)) return Tensor();
  Tensor t = golden::make_input(inputs.at(name));
  if (grad) t.requires_grad_();
  return t;
}

void run_cases(const char* file, int expected_cases) {
  const Json j = golden::load_json(std::string(STRATA_FIXTURES_DIR "/attention/") + file);
  int checked = 0;
  for (const Json& c : j.at("cases")) {
    SCOPED_TRACE(c.at("name").get<std::string>() + " " + file);
    nn::MultiheadAttention m = make_mha(c.at("args"));
    const Json& ins = c.at("inputs");
    Tensor q = input(ins, "query", true);
    m.to(q.dtype());
    nn::StateDict params;
    for (const auto& [key, value] : c.at("params").items()) params.insert(key, golden::make_input(value));
    ASSERT_TRUE(m.load_state_dict(params).ok());
    const bool self = c.at("self_attention").get<bool>();
    Tensor k = self ? q : input(ins, "key", true), v = self ? q : input(ins, "value", true);
    const Json& fw = c.at("forward");
    const bool need_weights = fw.at("need_weights").get<bool>();
    nn::AttentionOutput r = m(q, k, v, input(ins, "key_padding_mask", false), need_weights,
                              input(ins, "attn_mask", false), fw.at("average_attn_weights").get<bool>());
    EXPECT_TRUE(golden::matches("output", r.output, c.at("output")));
    Tensor loss = (r.output * golden::make_input(c.at("upstream"))).sum();
    if (need_weights) {
      EXPECT_TRUE(golden::matches("weights", r.weights, c.at("weights")));
      loss = loss + (r.weights * golden::make_input(c.at("upstream_weights"))).sum();
    } else {
      EXPECT_FALSE(r.weights.defined());
    }
    loss.backward();
    EXPECT_TRUE(golden::matches("grad query", q.grad(), c.at("grads").at("query")));
    if (!self) {
      EXPECT_TRUE(golden::matches("grad key", k.grad(), c.at("grads").at("key")));
      EXPECT_TRUE(golden::matches("grad value", v.grad(), c.at("grads").at("value")));
    }
    for (const auto& [key, p] : m.named_parameters())
      EXPECT_TRUE(golden::matches("grad " + key, p.grad(), c.at("grad_params").at(key)));
    EXPECT_EQ(m.state_dict().keys(), c.at("state_dict_keys").get<std::vector<std::string>>());
    ++checked;
  }
  EXPECT_EQ(checked, expected_cases);
}

}  // namespace

TEST(MultiheadAttentionGolden, Float32MatchesPyTorch) { run_cases("mha_float32.json", 10); }
TEST(MultiheadAttentionGolden, Float64MatchesPyTorch) { run_cases("mha_float64.json", 10); }

TEST(MultiheadAttention, ParametersAndInitialisationArePyTorchs) {
  strata::manual_seed(0);
  nn::MultiheadAttention m(16, 4);
  const auto named = m.named_parameters();
  ASSERT_EQ(named.size(), 4u);
  EXPECT_EQ(named[0].first, "in_proj_weight");
  EXPECT_EQ(named[0].second.shape(), strata::Shape({48, 16}));
  EXPECT_EQ(named[1].first, "in_proj_bias");
  EXPECT_EQ(named[2].first, "out_proj.weight");
  EXPECT_EQ(named[3].first, "out_proj.bias");
  // xavier_uniform_ on [3E, E]: bound sqrt(6 / (E + 3E)).
  const double bound = std::sqrt(6.0 / (16 + 48));
  EXPECT_LE(m.in_proj_weight.abs().max().item<double>(), bound);
  EXPECT_GT(m.in_proj_weight.abs().max().item<double>(), 0.8 * bound);
  EXPECT_EQ(m.in_proj_bias.abs().sum().item<double>(), 0.0);
  EXPECT_EQ(m.out_proj.bias.abs().sum().item<double>(), 0.0);
  // out_proj.weight keeps Linear's kaiming-uniform: bound 1 / sqrt(E).
  EXPECT_LE(m.out_proj.weight.abs().max().item<double>(), 0.25);

  nn::MultiheadAttention sep(8, 2, 0.0, false, true, false, 6, 7);
  std::vector<std::string> keys;
  for (const auto& [k, p] : sep.named_parameters()) keys.push_back(k);
  EXPECT_EQ(keys, (std::vector<std::string>{"q_proj_weight", "k_proj_weight", "v_proj_weight", "bias_k",
                                            "bias_v", "out_proj.weight"}));
  EXPECT_EQ(sep.k_proj_weight.shape(), strata::Shape({8, 6}));
  EXPECT_EQ(sep.v_proj_weight.shape(), strata::Shape({8, 7}));
  EXPECT_EQ(sep.bias_k.shape(), strata::Shape({1, 1, 8}));
  EXPECT_LE(sep.k_proj_weight.abs().max().item<double>(), std::sqrt(6.0 / 14));

  std::ostringstream os;
  os << m;
  EXPECT_EQ(os.str(),
            "MultiheadAttention(\n  (out_proj): Linear(in_features=16, out_features=16, bias=true)\n)");
}

TEST(MultiheadAttention, SelfAttentionAgreesWithScaledDotProductAttention) {
  // The packed self-attention path against the functional form, heads split by hand.
  strata::manual_seed(3);
  const int64_t E = 12, H = 3, L = 6, N = 2, hd = E / H;
  nn::MultiheadAttention m(E, H, 0.0, true, false, false, std::nullopt, std::nullopt, true);
  Tensor x = strata::randn({N, L, E}, {.dtype = strata::kFloat64});
  m.to(strata::kFloat64);
  Tensor y = m(x, x, x, Tensor(), false).output;
  auto parts = strata::chunk(strata::linear(x, m.in_proj_weight, m.in_proj_bias), 3, -1);
  auto heads = [&](const Tensor& t) { return t.reshape({N, L, H, hd}).transpose(1, 2); };
  Tensor causal_free =
      nn::functional::scaled_dot_product_attention(heads(parts[0]), heads(parts[1]), heads(parts[2]));
  Tensor want = m.out_proj.forward(causal_free.transpose(1, 2).reshape({N, L, E}));
  EXPECT_TRUE(strata::allclose(y, want, 1e-10, 1e-12));
}

TEST(MultiheadAttention, Gradcheck) {
  nn::MultiheadAttention m(4, 2, 0.0, true, true, true);
  m.to(strata::kFloat64);
  Tensor q = strata::test::leaf({3, 2, 4}, 1), kv = strata::test::leaf({2, 2, 4}, 2);
  Tensor kpm = strata::tensor({{false, true}, {false, false}});
  EXPECT_GRADCHECK([&](const std::vector<Tensor>& in) { return m(in[0], in[1], in[1], kpm).output; },
                   {q, kv});
  Tensor x = strata::test::noncontiguous_leaf({3, 2, 4}, 3);
  nn::MultiheadAttention s(4, 2);
  s.to(strata::kFloat64);
  EXPECT_GRADCHECK([&](const std::vector<Tensor>& in) { return s(in[0], in[0], in[0]).output; }, {x});
}

TEST(MultiheadAttention, DropoutOnlyInTraining) {
  strata::manual_seed(4);
  nn::MultiheadAttention m(8, 2, 0.5);
  Tensor x = strata::randn({5, 2, 8});
  Tensor w_train = m(x, x, x, Tensor(), true, Tensor(), false).weights;
  EXPECT_GT((w_train == 0.0).sum().item<int64_t>(), 0);
  m.eval();
  Tensor w_eval = m(x, x, x, Tensor(), true, Tensor(), false).weights;
  EXPECT_EQ((w_eval == 0.0).sum().item<int64_t>(), 0);
  EXPECT_TRUE(strata::allclose(w_eval.sum({-1}), strata::ones({2, 2, 5}), 1e-5, 1e-6));
}

namespace {
struct Net : nn::Module {
  nn::MultiheadAttention attn{8, 2};
  Tensor forward(const Tensor& x) { return attn(x, x, x).output; }
  Tensor with_mask(const Tensor& x, const Tensor& mask) {
    return attn(x, x, x, Tensor(), false, mask).output;
  }
  STRATA_MODULE(Net, attn)
};
}  // namespace

TEST(MultiheadAttention, ErrorsNameTheModuleAndItsConfiguration) {
  Net net;
  using strata::test::expect_error;
  expect_error(
      [&] {
        net(strata::randn({5, 2, 7}));
      },
      "Net.attn (MultiheadAttention embed_dim=8, num_heads=2): query [5, 2, 7] float32 cpu has 7 features, "
      "expected embed_dim = 8");
  expect_error([&] { net(strata::randn({5, 2, 2, 8})); }, "must all be 3-d");
  expect_error(
      [&] {
        net.with_mask(strata::randn({5, 2, 8}), strata::zeros({4, 5}));
      },
      "Net.attn (MultiheadAttention embed_dim=8, num_heads=2): attn_mask [4, 5] float32 cpu must be [L, S] = "
      "[5, 5] or [N * num_heads, L, S] = [4, 5, 5]");
  expect_error(
      [&] {
        net.with_mask(strata::randn({5, 2, 8}), strata::zeros({5, 5}, {.dtype = strata::kInt64}));
      },
      "must be bool (true = not attended)");
  expect_error(
      [&] {
        net(strata::randn({5, 2, 8}, {.dtype = strata::kFloat64}));
      },
      "the parameters' dtype float32");
  Tensor x = strata::randn({5, 2, 8});
  expect_error(
      [&] {
        net.attn(x, x, x, strata::zeros({2, 4}, {.dtype = strata::kBool}));
      },
      "key_padding_mask [2, 4] bool cpu must be [N, S] = [2, 5]");
  expect_error(
      [&] {
        net.attn(x, strata::randn({4, 3, 8}), strata::randn({4, 3, 8}));
      },
      "must share the source length S and query");
  expect_error([] { nn::MultiheadAttention bad(10, 3); },
               "[MultiheadAttention] embed_dim must be a positive multiple of num_heads, got embed_dim=10, "
               "num_heads=3");
}
