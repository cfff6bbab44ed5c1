// Transformer encoder/decoder layers and stacks against PyTorch 1.13
// (tests/fixtures/attention/{encoder,decoder}_*.json, written by tools/gen_attention_fixtures.py):
// outputs, input and parameter gradients, state_dict keys; then clones, printing, errors.
#include <gtest/gtest.h>

#include <sstream>

#include "golden/golden_fixture.h"
#include "strata/nn/transformer.h"
#include "support/test_util.h"

namespace nn = strata::nn;
using golden::Json;
using strata::Tensor;

namespace {

struct Config {
  int64_t d_model, nhead, dim_feedforward;
  double dropout;
  std::string activation;
  double eps;
  bool batch_first, norm_first;
};

Config config_of(const Json& a) {
  return {a.at("d_model").get<int64_t>(),
          a.at("nhead").get<int64_t>(),
          a.at("dim_feedforward").get<int64_t>(),
          a.at("dropout").get<double>(),
          a.value("activation", std::string("relu")),
          a.value("layer_norm_eps", 1e-5),
          a.value("batch_first", false),
          a.value("norm_first", false)};
}

nn::TransformerEncoderLayer encoder_layer(const Config& c) {
  return nn::TransformerEncoderLayer(c.d_model, c.nhead, c.dim_feedforward, c.dropout, c.activation, c.eps,
                                     c.batch_first, c.norm_first);
}
nn::TransformerDecoderLayer decoder_layer(const Config& c) {
  return nn::TransformerDecoderLayer(c.d_model, c.nhead, c.dim_feedforward, c.dropout, c.activation, c.eps,
                                     c.batch_first, c.norm_first);
}

Tensor input(const Json& inputs, const char* name) {
  if (!inputs.contains(name)) return Tensor();
  Tensor t = golden::make_input(inputs.at(name));
  if (t.is_floating_point() && std::string(name).find("mask") == std::string::npos) t.requires_grad_();
  return t;
}

// Loads the case's parameters, runs `call`, backpropagates sum(out * upstream) and compares.
template <typename M, typename Call>
void check_case(const Json& c, M& m, Call call, const std::vector<const char*>& grad_inputs) {
  const Json& ins = c.at("inputs");
  std::map<std::string, Tensor> in;
  for (const auto& [key, value] : ins.items()) in[key] = input(ins, key.c_str());
  m.to(in.at(grad_inputs[0]).dtype());
  nn::StateDict params;
  for (const auto& [key, value] : c.at("params").items()) params.insert(key, golden::make_input(value));
  const auto loaded = m.load_state_dict(params);
  ASSERT_TRUE(loaded.ok()) << loaded.str();
  auto get = [&](const char* k) { return in.count(k) ? in.at(k) : Tensor(); };
  Tensor out = call(get);
  EXPECT_TRUE(golden::matches("output", out, c.at("output")));
  (out * golden::make_input(c.at("upstream"))).sum().backward();
  for (const char* name : grad_inputs)
    EXPECT_TRUE(golden::matches(std::string("grad ") + name, in.at(name).grad(), c.at("grads").at(name)));
  for (const auto& [key, p] : m.named_parameters())
    EXPECT_TRUE(golden::matches("grad " + key, p.grad(), c.at("grad_params").at(key)));
  EXPECT_EQ(m.state_dict().keys(), c.at("state_dict_keys").get<std::vector<std::string>>());
}

using Get = std::function<Tensor(const char*)>;

int run_file(const char* file) {
  const Json j = golden::load_json(std::string(STRATA_FIXTURES_DIR "/attention/") + file);
  int checked = 0;
  for (const Json& c : j.at("cases")) {
    SCOPED_TRACE(c.at("name").get<std::string>() + " " + file);
    const std::string kind = c.at("kind").get<std::string>();
    const Config cfg = config_of(c.at("args"));
    if (kind == "encoder_layer") {
      auto m = encoder_layer(cfg);
      const bool causal = c.value("is_causal", false);
      check_case(
          c, m,
          [&](const Get& in) { return m(in("src"), in("src_mask"), in("src_key_padding_mask"), causal); },
          {"src"});
    } else if (kind == "encoder") {
      nn::TransformerEncoder m(encoder_layer(cfg), c.at("args").at("num_layers").get<int64_t>(),
                               nn::LayerNorm(cfg.d_model));
      check_case(c, m,
                 [&](const Get& in) { return m(in("src"), in("src_mask"), in("src_key_padding_mask")); },
                 {"src"});
    } else if (kind == "decoder_layer") {
      auto m = decoder_layer(cfg);
      const bool causal = c.value("tgt_is_causal", false);
      check_case(c, m,
                 [&](const Get& in) {
                   return m(in("tgt"), in("memory"), in("tgt_mask"), in("memory_mask"),
                            in("tgt_key_padding_mask"), in("memory_key_padding_mask"), causal);
                 },
                 {"tgt", "memory"});
    } else if (kind == "decoder") {
      nn::TransformerDecoder m(decoder_layer(cfg), c.at("args").at("num_layers").get<int64_t>(),
                               nn::LayerNorm(cfg.d_model));
      check_case(c, m, [&](const Get& in) { return m(in("tgt"), in("memory")); }, {"tgt", "memory"});
    } else {
      ADD_FAILURE() << "unknown kind " << kind;
    }
    ++checked;
  }
  return checked;
}

}  // namespace

TEST(TransformerGolden, EncoderFloat32) { EXPECT_EQ(run_file("encoder_float32.json"), 4); }
TEST(TransformerGolden, EncoderFloat64) { EXPECT_EQ(run_file("encoder_float64.json"), 4); }
TEST(TransformerGolden, DecoderFloat32) { EXPECT_EQ(run_file("decoder_float32.json"), 3); }
TEST(TransformerGolden, DecoderFloat64) { EXPECT_EQ(run_file("decoder_float64.json"), 3); }

TEST(Transformer, EncoderClonesAreIndependentAndNamedLikePyTorch) {
  nn::TransformerEncoderLayer layer(8, 2, 16);
  nn::TransformerEncoder enc(layer, 3);
  ASSERT_EQ(enc.layers.size(), 3u);
  const auto keys = enc.state_dict().keys();
  EXPECT_EQ(keys.front(), "layers.0.self_attn.in_proj_weight");
  EXPECT_EQ(keys.back(), "layers.2.norm2.bias");
  EXPECT_EQ(keys.size(), 3u * 12u);
  // Copies, not shared: changing one layer leaves the others and the prototype alone.
  EXPECT_TRUE(strata::equal(enc.layers[0].linear1.weight, enc.layers[1].linear1.weight));
  {
    strata::NoGradGuard g;
    enc.layers[0].linear1.weight.add_(1.0);
  }
  EXPECT_FALSE(strata::equal(enc.layers[0].linear1.weight, enc.layers[1].linear1.weight));
  EXPECT_TRUE(strata::equal(enc.layers[1].linear1.weight, layer.linear1.weight));

  nn::TransformerDecoder dec(nn::TransformerDecoderLayer(8, 2, 16), 1, nn::LayerNorm(8));
  const auto dkeys = dec.state_dict().keys();
  EXPECT_EQ(dkeys.front(), "layers.0.self_attn.in_proj_weight");
  EXPECT_EQ(dkeys[4], "layers.0.multihead_attn.in_proj_weight");
  EXPECT_EQ(dkeys.back(), "norm.bias");
}

TEST(Transformer, PrintsItsChildren) {
  nn::TransformerEncoderLayer layer(8, 2, 16);
  std::ostringstream os;
  os << layer;
  const std::string s = os.str();
  EXPECT_EQ(
      s.rfind("TransformerEncoderLayer(\n  (self_attn): MultiheadAttention(\n    (out_proj): Linear(", 0), 0u)
      << s;
  EXPECT_NE(s.find("(linear1): Linear(in_features=8, out_features=16, bias=true)"), std::string::npos) << s;
  EXPECT_NE(s.find("(dropout): Dropout(p=0.1, inplace=False)"), std::string::npos) << s;
  EXPECT_NE(s.find("(dropout2): Dropout(p=0.1, inplace=False)"), std::string::npos) << s;
}

TEST(Transformer, TrainingDropoutIsSeededAndEvalIsDeterministic) {
  nn::TransformerEncoderLayer layer(8, 2, 16, 0.3);
  Tensor x = strata::randn({5, 2, 8});
  strata::manual_seed(1);
  Tensor a = layer(x);
  strata::manual_seed(1);
  Tensor b = layer(x);
  EXPECT_TRUE(strata::equal(a, b));
  Tensor c = layer(x);
  EXPECT_FALSE(strata::equal(a, c));
  layer.eval();
  EXPECT_TRUE(strata::equal(layer(x), layer(x)));
}

TEST(Transformer, CausalFlagEqualsTheExplicitMask) {
  nn::TransformerEncoderLayer layer(8, 2, 16, 0.0);
  Tensor x = strata::randn({6, 2, 8});
  Tensor mask = strata::triu(strata::ones({6, 6}, {.dtype = strata::kBool}), 1);
  EXPECT_TRUE(strata::allclose(layer(x, Tensor(), Tensor(), true), layer(x, mask), 0, 0));
}

TEST(Transformer, Gradcheck) {
  nn::TransformerEncoderLayer enc(4, 2, 6, 0.0, "gelu", 1e-5, true, true);
  enc.to(strata::kFloat64);
  EXPECT_GRADCHECK([&](const std::vector<Tensor>& in) { return enc(in[0]); },
                   {strata::test::leaf({2, 3, 4}, 1)});
  nn::TransformerDecoderLayer dec(4, 2, 6, 0.0);
  dec.to(strata::kFloat64);
  EXPECT_GRADCHECK([&](const std::vector<Tensor>& in) { return dec(in[0], in[1]); },
                   {strata::test::leaf({3, 2, 4}, 2), strata::test::leaf({2, 2, 4}, 3)});
}

namespace {
struct Model : nn::Module {
  nn::TransformerEncoderLayer encoder{8, 2, 16};
  nn::TransformerDecoderLayer decoder{8, 2, 16};
  Tensor forward(const Tensor& x) { return encoder(x); }
  Tensor decode(const Tensor& t, const Tensor& m) { return decoder(t, m); }
  STRATA_MODULE(Model, encoder, decoder)
};
}  // namespace

TEST(Transformer, ErrorsNameTheLayerAndItsConfiguration) {
  Model model;
  using strata::test::expect_error;
  expect_error(
      [&] {
        model(strata::randn({5, 2, 6}));
      },
      "Model.encoder (TransformerEncoderLayer d_model=8, nhead=2, dim_feedforward=16): src [5, 2, 6] float32 "
      "cpu must be [S, N, 8]");
  expect_error(
      [&] {
        model.decode(strata::randn({5, 2, 8}), strata::randn({4, 8}));
      },
      "Model.decoder (TransformerDecoderLayer d_model=8, nhead=2, dim_feedforward=16): tgt [5, 2, 8] float32 "
      "cpu and memory [4, 8] float32 cpu must both be batched");
  expect_error([] { nn::TransformerEncoderLayer bad(8, 2, 16, 0.1, "tanh"); },
               "[TransformerEncoderLayer] activation must be \"relu\" or \"gelu\", got \"tanh\"");
  expect_error([] { nn::TransformerDecoderLayer bad(8, 3); }, "d_model must be a positive multiple of nhead");
}
