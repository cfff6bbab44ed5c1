// Recurrent layers against PyTorch 1.13 (tests/fixtures/rnn/*.json, written by
// tools/gen_rnn_fixtures.py): outputs, final states, and the gradients of sum(output_k *
// upstream_k) with respect to the input, the initial state and every parameter; state_dict keys,
// shapes and order; reprs.
#include <gtest/gtest.h>

#include <memory>
#include <sstream>

#include "golden/golden_fixture.h"
#include "strata/nn/rnn.h"
#include "strata/strata.h"

namespace nn = strata::nn;
using golden::Json;
using strata::Tensor;

namespace {

const Json& fixture(const std::string& name) {
  static std::map<std::string, Json> files;
  auto it = files.find(name);
  if (it == files.end())
    it = files.emplace(name, golden::load_json(STRATA_FIXTURES_DIR "/rnn/" + name + ".json")).first;
  return it->second;
}

nn::RNNOptions options_of(const Json& a) {
  return {.num_layers = a.at("num_layers").get<int64_t>(),
          .bias = a.at("bias").get<bool>(),
          .batch_first = a.at("batch_first").get<bool>(),
          .dropout = a.at("dropout").get<double>(),
          .bidirectional = a.at("bidirectional").get<bool>()};
}

std::string lower_bools(std::string s) {
  for (auto [from, to] : {std::pair<std::string, std::string>{"True", "true"}, {"False", "false"}})
    for (size_t at = s.find(from); at != std::string::npos; at = s.find(from)) s.replace(at, from.size(), to);
  return s;
}

// Loads the case's parameters into `m` (after checking its state_dict keys, shapes and order are
// PyTorch's) and its mode.
void prepare(nn::Module& m, const Json& c) {
  std::vector<std::pair<std::string, std::vector<int64_t>>> want, have;
  for (const Json& kv : c.at("state_dict"))
    want.emplace_back(kv.at(0).get<std::string>(), kv.at(1).get<std::vector<int64_t>>());
  for (const auto& [key, t] : m.state_dict())
    have.emplace_back(key, std::vector<int64_t>(t.shape().begin(), t.shape().end()));
  EXPECT_EQ(have, want) << "state_dict keys and shapes";
  const Tensor first = golden::make_input(c.at("params").begin().value());
  m.to(first.dtype());
  nn::StateDict params;
  for (const auto& [key, value] : c.at("params").items()) params.insert(key, golden::make_input(value));
  const nn::LoadResult loaded = m.load_state_dict(params);
  EXPECT_TRUE(loaded.ok()) << loaded.str();
  m.train(c.at("training").get<bool>());
  std::ostringstream repr;
  repr << m;
  EXPECT_EQ(repr.str(), lower_bools(c.at("repr").get<std::string>()));
}

Tensor state_leaf(const Json& c, const char* name) {
  if (!c.contains("state") || !c.at("state").contains(name)) return Tensor();
  return golden::make_input(c.at("state").at(name)).requires_grad_();
}

// Backpropagates sum(out_k * upstream_k) and compares outputs and every gradient.
void check(const Json& c, nn::Module& m, const Tensor& x,
           const std::vector<std::pair<std::string, Tensor>>& state,
           const std::vector<std::pair<std::string, Tensor>>& outputs) {
  Tensor loss;
  for (const auto& [name, out] : outputs) {
    EXPECT_TRUE(golden::matches(name, out, c.at("outputs").at(name)));
    const Tensor term = (out * golden::make_input(c.at("upstream").at(name))).sum();
    loss = loss.defined() ? loss + term : term;
  }
  loss.backward();
  EXPECT_TRUE(golden::matches("grad input", x.grad(), c.at("grad_input")));
  for (const auto& [name, s] : state)
    if (s.defined()) {
      EXPECT_TRUE(golden::matches("grad " + name, s.grad(), c.at("grad_state").at(name)));
    }
  for (const auto& [key, p] : m.named_parameters())
    EXPECT_TRUE(golden::matches("grad " + key, p.grad(), c.at("grad_params").at(key)));
}

void expect_outputs(const Json& c, const std::vector<std::pair<std::string, Tensor>>& outputs) {
  for (const auto& [name, out] : outputs)
    EXPECT_TRUE(golden::matches(name + " (no grad)", out, c.at("outputs").at(name)));
}

std::string trace_of(const Json& c) {
  return c.at("module").get<std::string>() + " " + c.at("args").dump() + " " +
         c.at("input").at("dtype").get<std::string>() + " input " + c.at("input").at("shape").dump() +
         (c.contains("state") ? " with state" : "") + (c.at("training").get<bool>() ? "" : " eval");
}

}  // namespace

TEST(RnnGolden, CellsMatchPyTorch) {
  int checked = 0;
  for (const Json& c : fixture("cells").at("cases")) {
    SCOPED_TRACE(trace_of(c));
    const Json& a = c.at("args");
    const int64_t in = a.at("input_size").get<int64_t>(), hidden = a.at("hidden_size").get<int64_t>();
    const bool bias = a.at("bias").get<bool>();
    const Tensor x = golden::make_input(c.at("input")).requires_grad_();
    if (c.at("module") == "LSTMCell") {
      nn::LSTMCell cell(in, hidden, bias);
      prepare(cell, c);
      const Tensor h = state_leaf(c, "h"), cs = state_leaf(c, "c");
      const nn::LSTMState out = cell(x, nn::LSTMState{h, cs});
      check(c, cell, x, {{"h", h}, {"c", cs}}, {{"h", out.h}, {"c", out.c}});
    } else {
      nn::GRUCell cell(in, hidden, bias);
      prepare(cell, c);
      const Tensor h = state_leaf(c, "h");
      check(c, cell, x, {{"h", h}}, {{"h", cell(x, h)}});
    }
    ++checked;
  }
  EXPECT_EQ(checked, 12);
}

TEST(RnnGolden, LstmMatchesPyTorch) {
  int checked = 0;
  for (const Json& c : fixture("lstm").at("cases")) {
    SCOPED_TRACE(trace_of(c));
    const Json& a = c.at("args");
    nn::LSTM lstm(a.at("input_size").get<int64_t>(), a.at("hidden_size").get<int64_t>(), options_of(a));
    prepare(lstm, c);
    const Tensor x = golden::make_input(c.at("input")).requires_grad_();
    const Tensor h0 = state_leaf(c, "h0"), c0 = state_leaf(c, "c0");
    const nn::LSTMOutput out = lstm(x, {h0, c0});
    check(c, lstm, x, {{"h0", h0}, {"c0", c0}}, {{"output", out.output}, {"h_n", out.h_n}, {"c_n", out.c_n}});
    strata::NoGradGuard no_grad;  // the in-place path inference takes
    const nn::LSTMOutput again = lstm(x, {h0, c0});
    expect_outputs(c, {{"output", again.output}, {"h_n", again.h_n}, {"c_n", again.c_n}});
    ++checked;
  }
  EXPECT_EQ(checked, 10);
}

TEST(RnnGolden, GruMatchesPyTorch) {
  int checked = 0;
  for (const Json& c : fixture("gru").at("cases")) {
    SCOPED_TRACE(trace_of(c));
    const Json& a = c.at("args");
    nn::GRU gru(a.at("input_size").get<int64_t>(), a.at("hidden_size").get<int64_t>(), options_of(a));
    prepare(gru, c);
    const Tensor x = golden::make_input(c.at("input")).requires_grad_();
    const Tensor h0 = state_leaf(c, "h0");
    const nn::GRUOutput out = gru(x, h0);
    check(c, gru, x, {{"h0", h0}}, {{"output", out.output}, {"h_n", out.h_n}});
    strata::NoGradGuard no_grad;
    const nn::GRUOutput again = gru(x, h0);
    expect_outputs(c, {{"output", again.output}, {"h_n", again.h_n}});
    ++checked;
  }
  EXPECT_EQ(checked, 10);
}
