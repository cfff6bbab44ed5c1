// nn::LSTMCell, nn::GRUCell, nn::LSTM, nn::GRU: hand-computed steps, PyTorch's initialisation and
// names, layouts (batch_first, unbatched, reverse direction), dropout between layers, gradcheck in
// float64, and the errors that name the module and its configuration.
#include <gtest/gtest.h>

#include <cmath>
#include <sstream>

#include "strata/nn/rnn.h"
#include "strata/strata.h"
#include "support/test_util.h"

namespace nn = strata::nn;
using strata::Tensor;
using strata::test::expect_error;
using strata::test::leaf;

namespace {

double sigmoid(double v) { return 1.0 / (1.0 + std::exp(-v)); }

Tensor f64(const std::vector<double>& v, const strata::Shape& shape) { return strata::from_vector(v, shape); }

// An encoder inside a parent, so that errors carry a module path.
struct Net : nn::Module {
  nn::LSTM encoder{3, 4, {.num_layers = 2, .bidirectional = true}};
  nn::GRUCell cell{3, 4};
  Tensor forward(const Tensor& x) { return encoder(x).output; }
  Tensor step(const Tensor& x, const Tensor& h) { return cell(x, h); }
  STRATA_MODULE(Net, encoder, cell)
};

// Every parameter of `m` as float64 leaves that gradcheck may perturb in place.
std::vector<Tensor> float64_parameters(nn::Module& m) {
  m.to(strata::kFloat64);
  return m.parameters();
}

std::vector<Tensor> joined(std::vector<Tensor> a, const std::vector<Tensor>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

}  // namespace

// ---- one step, by hand ----

TEST(LSTMCell, OneStepMatchesTheEquations) {
  nn::LSTMCell cell(1, 1);
  cell.to(strata::kFloat64);
  const std::vector<double> w_ih = {0.5, -0.3, 0.8, 0.1}, w_hh = {-0.25, 0.4, 0.2, -0.6};
  const std::vector<double> b_ih = {0.1, 0.0, -0.2, 0.3}, b_hh = {0.2, -0.1, 0.05, 0.0};
  ASSERT_TRUE(cell.load_state_dict({{"weight_ih", f64(w_ih, {4, 1})},
                                    {"weight_hh", f64(w_hh, {4, 1})},
                                    {"bias_ih", f64(b_ih, {4})},
                                    {"bias_hh", f64(b_hh, {4})}})
                  .ok());
  const double x = 2.0, h = 0.3, c = -0.4;
  double pre[4];
  for (int k = 0; k < 4; ++k) pre[k] = w_ih[k] * x + b_ih[k] + w_hh[k] * h + b_hh[k];
  const double c1 = sigmoid(pre[1]) * c + sigmoid(pre[0]) * std::tanh(pre[2]);
  const double h1 = sigmoid(pre[3]) * std::tanh(c1);
  const nn::LSTMState out = cell(f64({x}, {1, 1}), nn::LSTMState{f64({h}, {1, 1}), f64({c}, {1, 1})});
  strata::test::expect_values(out.h, {h1});
  strata::test::expect_values(out.c, {c1});
  // Unbatched input gives unbatched state.
  const nn::LSTMState flat = cell(f64({x}, {1}), nn::LSTMState{f64({h}, {1}), f64({c}, {1})});
  EXPECT_EQ(flat.h.shape(), strata::Shape({1}));
  strata::test::expect_values(flat.c, {c1});
}

TEST(GRUCell, OneStepMatchesTheEquations) {
  nn::GRUCell cell(1, 1);
  cell.to(strata::kFloat64);
  const std::vector<double> w_ih = {0.5, -0.3, 0.8}, w_hh = {-0.25, 0.4, 0.2};
  const std::vector<double> b_ih = {0.1, 0.0, -0.2}, b_hh = {0.2, -0.1, 0.05};
  ASSERT_TRUE(cell.load_state_dict({{"weight_ih", f64(w_ih, {3, 1})},
                                    {"weight_hh", f64(w_hh, {3, 1})},
                                    {"bias_ih", f64(b_ih, {3})},
                                    {"bias_hh", f64(b_hh, {3})}})
                  .ok());
  const double x = 2.0, h = 0.3;
  const double r = sigmoid(w_ih[0] * x + b_ih[0] + w_hh[0] * h + b_hh[0]);
  const double z = sigmoid(w_ih[1] * x + b_ih[1] + w_hh[1] * h + b_hh[1]);
  const double n = std::tanh(w_ih[2] * x + b_ih[2] + r * (w_hh[2] * h + b_hh[2]));
  strata::test::expect_values(cell(f64({x}, {1, 1}), f64({h}, {1, 1})), {(1 - z) * n + z * h});
  // No state means zeros.
  const double r0 = sigmoid(w_ih[0] * x + b_ih[0] + b_hh[0]);
  const double z0 = sigmoid(w_ih[1] * x + b_ih[1] + b_hh[1]);
  const double n0 = std::tanh(w_ih[2] * x + b_ih[2] + r0 * b_hh[2]);
  strata::test::expect_values(cell(f64({x}, {1, 1})), {(1 - z0) * n0});
}

// ---- PyTorch's parameters ----

TEST(Rnn, DefaultInitIsUniformOverSqrtHidden) {
  strata::manual_seed(0);
  const int64_t hidden = 64;
  const double bound = 1.0 / std::sqrt(static_cast<double>(hidden));
  nn::LSTM lstm(32, hidden, {.num_layers = 2, .bidirectional = true});
  nn::GRU gru(32, hidden);
  nn::LSTMCell lstm_cell(32, hidden);
  nn::GRUCell gru_cell(32, hidden);
  for (nn::Module* m : std::vector<nn::Module*>{&lstm, &gru, &lstm_cell, &gru_cell}) {
    for (const auto& [name, p] : m->named_parameters()) {
      SCOPED_TRACE(std::string(m->type_name()) + " " + name);
      const auto v = p.to_vector<float>();
      double sq = 0.0;
      for (float e : v) {
        ASSERT_LE(std::fabs(e), bound);
        sq += static_cast<double>(e) * e;
      }
      if (v.size() >= 4096) {  // uniform(-b, b) has variance b^2 / 3
        EXPECT_NEAR(sq / static_cast<double>(v.size()), bound * bound / 3.0, 0.1 * bound * bound / 3.0);
      }
    }
  }
}

TEST(Rnn, ParameterNamesShapesAndOrderArePyTorchs) {
  nn::GRU gru(3, 4, {.num_layers = 2, .bias = false, .bidirectional = true});
  EXPECT_EQ(gru.state_dict().keys(),
            (std::vector<std::string>{"weight_ih_l0", "weight_hh_l0", "weight_ih_l0_reverse",
                                      "weight_hh_l0_reverse", "weight_ih_l1", "weight_hh_l1",
                                      "weight_ih_l1_reverse", "weight_hh_l1_reverse"}));
  EXPECT_EQ(gru.weight_ih(1, true).shape(), strata::Shape({12, 8}));
  EXPECT_FALSE(gru.bias_ih(0).defined());
  nn::LSTM lstm(3, 4);
  EXPECT_EQ(lstm.state_dict().keys(),
            (std::vector<std::string>{"weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0"}));
  EXPECT_EQ(lstm.num_parameters(), 16 * 3 + 16 * 4 + 16 + 16);
  nn::LSTMCell cell(3, 4, false);
  EXPECT_EQ(cell.state_dict().keys(), (std::vector<std::string>{"weight_ih", "weight_hh"}));
  expect_error([&] { lstm.weight_ih(1); }, "[LSTM] layer 1 is out of range: this LSTM has 1 layer(s)");
  expect_error([&] { lstm.bias_hh(0, true); }, "[LSTM] has no reverse direction");
}

TEST(Rnn, PrintsLikePyTorch) {
  std::ostringstream os;
  os << nn::LSTM(3, 4,
                 {.num_layers = 2, .bias = false, .batch_first = true, .dropout = 0.5, .bidirectional = true})
     << "\n"
     << nn::GRU(3, 4) << "\n"
     << nn::GRUCell(3, 4, false);
  EXPECT_EQ(os.str(),
            "LSTM(3, 4, num_layers=2, bias=false, batch_first=true, dropout=0.5, bidirectional=true)\n"
            "GRU(3, 4)\nGRUCell(3, 4, bias=false)");
}

TEST(Rnn, CloneIsDeepAndToConvertsEveryParameter) {
  nn::LSTM lstm(3, 4, {.num_layers = 2});
  nn::LSTM copy = lstm.clone();
  EXPECT_TRUE(strata::equal(copy.weight_hh(1), lstm.weight_hh(1)));
  EXPECT_FALSE(strata::test::shares_storage(copy.weight_hh(1), lstm.weight_hh(1)));
  copy.to(strata::kFloat64);
  for (const Tensor& p : copy.parameters()) EXPECT_EQ(p.dtype(), strata::kFloat64);
  EXPECT_EQ(lstm.weight_ih(0).dtype(), strata::kFloat32);
}

// ---- layouts ----

TEST(Rnn, MissingStateIsZerosAndUnbatchedMatchesBatchOfOne) {
  strata::manual_seed(1);
  nn::LSTM lstm(3, 4, {.num_layers = 2, .bidirectional = true});
  const Tensor x = strata::randn({5, 2, 3});
  const nn::LSTMOutput a = lstm(x);
  const nn::LSTMOutput b = lstm(x, {strata::zeros({4, 2, 4}), strata::zeros({4, 2, 4})});
  EXPECT_TRUE(strata::allclose(a.output, b.output, 1e-6, 1e-7));
  EXPECT_TRUE(strata::allclose(a.c_n, b.c_n, 1e-6, 1e-7));
  const nn::LSTMOutput one = lstm(x.select(1, 1));
  EXPECT_EQ(one.output.shape(), strata::Shape({5, 8}));
  EXPECT_EQ(one.h_n.shape(), strata::Shape({4, 4}));
  EXPECT_TRUE(strata::allclose(one.output, a.output.select(1, 1), 1e-6, 1e-7));
  EXPECT_TRUE(strata::allclose(one.c_n, a.c_n.select(1, 1), 1e-6, 1e-7));

  nn::GRU gru(3, 4, {.num_layers = 2});
  const nn::GRUOutput g = gru(x);
  EXPECT_TRUE(strata::allclose(g.h_n, gru(x, strata::zeros({2, 2, 4})).h_n, 1e-6, 1e-7));
  EXPECT_TRUE(strata::allclose(gru(x.select(1, 0)).output, g.output.select(1, 0), 1e-6, 1e-7));
}

TEST(Rnn, BatchFirstIsTheTransposedLayout) {
  strata::manual_seed(2);
  nn::GRU time_major(3, 4, {.num_layers = 2, .bidirectional = true});
  nn::GRU batch_major(3, 4, {.num_layers = 2, .batch_first = true, .bidirectional = true});
  ASSERT_TRUE(batch_major.load_state_dict(time_major.state_dict()).ok());
  const Tensor x = strata::randn({5, 2, 3}), h0 = strata::randn({4, 2, 4});
  const nn::GRUOutput a = time_major(x, h0);
  const nn::GRUOutput b = batch_major(x.transpose(0, 1).contiguous(), h0);
  EXPECT_EQ(b.output.shape(), strata::Shape({2, 5, 8}));
  EXPECT_TRUE(strata::allclose(b.output, a.output.transpose(0, 1), 1e-6, 1e-7));
  EXPECT_TRUE(strata::equal(b.h_n, a.h_n));
}

TEST(Rnn, ReverseDirectionReadsTheSequenceBackwards) {
  strata::manual_seed(3);
  nn::LSTM both(3, 4, {.bidirectional = true});
  nn::LSTM reverse_only(3, 4);
  ASSERT_TRUE(reverse_only
                  .load_state_dict({{"weight_ih_l0", both.weight_ih(0, true)},
                                    {"weight_hh_l0", both.weight_hh(0, true)},
                                    {"bias_ih_l0", both.bias_ih(0, true)},
                                    {"bias_hh_l0", both.bias_hh(0, true)}})
                  .ok());
  const Tensor x = strata::randn({5, 2, 3});
  std::vector<Tensor> reversed;
  for (int64_t t = 4; t >= 0; --t) reversed.push_back(x.select(0, t));
  const nn::LSTMOutput r = reverse_only(strata::stack(reversed));
  const nn::LSTMOutput b = both(x);
  for (int64_t t = 0; t < 5; ++t)
    EXPECT_TRUE(
        strata::allclose(b.output.select(0, t).narrow(1, 4, 4), r.output.select(0, 4 - t), 1e-6, 1e-7));
  EXPECT_TRUE(strata::allclose(b.h_n.select(0, 1), r.h_n.select(0, 0), 1e-6, 1e-7));
}

TEST(Rnn, InferenceWithoutAGraphGivesTheSameValues) {
  strata::manual_seed(8);
  const Tensor x = strata::randn({6, 3, 5}), h0 = strata::randn({4, 3, 7}), c0 = strata::randn({4, 3, 7});
  for (bool bias : {true, false}) {
    SCOPED_TRACE(bias ? "bias" : "no bias");
    nn::LSTM lstm(5, 7, {.num_layers = 2, .bias = bias, .bidirectional = true});
    nn::GRU gru(5, 7, {.num_layers = 2, .bias = bias, .bidirectional = true});
    const nn::LSTMOutput l = lstm(x, {h0, c0}), l0 = lstm(x);
    const nn::GRUOutput g = gru(x, h0), g0 = gru(x);
    ASSERT_TRUE(l.output.requires_grad());
    strata::NoGradGuard no_grad;
    EXPECT_TRUE(strata::allclose(lstm(x, {h0, c0}).output, l.output, 1e-6, 1e-7));
    EXPECT_TRUE(strata::allclose(lstm(x, {h0, c0}).c_n, l.c_n, 1e-6, 1e-7));
    EXPECT_TRUE(strata::allclose(lstm(x).h_n, l0.h_n, 1e-6, 1e-7));
    EXPECT_TRUE(strata::allclose(gru(x, h0).output, g.output, 1e-6, 1e-7));
    EXPECT_TRUE(strata::allclose(gru(x).output, g0.output, 1e-6, 1e-7));
    nn::GRUCell cell(5, 7, bias);
    EXPECT_TRUE(strata::allclose(
        cell(x[0], h0[0]),
        [&] {
          strata::EnableGradGuard grad;
          return cell(x[0], h0[0]);
        }()
            .detach(),
        1e-6, 1e-7));
  }
}

TEST(Rnn, EmptyBatchGivesEmptyOutputs) {
  nn::LSTM lstm(3, 4, {.bidirectional = true});
  const nn::LSTMOutput out = lstm(strata::randn({5, 0, 3}));
  EXPECT_EQ(out.output.shape(), strata::Shape({5, 0, 8}));
  EXPECT_EQ(out.c_n.shape(), strata::Shape({2, 0, 4}));
  const Tensor x = strata::zeros({5, 0, 3}).requires_grad_();
  nn::GRU gru(3, 4, {.num_layers = 2});
  const nn::GRUOutput g = gru(x, strata::zeros({2, 0, 4}));
  (g.output.sum() + g.h_n.sum()).backward();
  EXPECT_EQ(x.grad().shape(), x.shape());
  EXPECT_EQ(gru.weight_hh(1).grad().shape(), strata::Shape({12, 4}));
  EXPECT_EQ(gru.weight_hh(1).grad().abs().sum().item<float>(), 0.0f);
}

// ---- dropout between layers ----

TEST(Rnn, DropoutActsBetweenLayersInTrainingOnly) {
  strata::manual_seed(4);
  nn::LSTM plain(3, 4, {.num_layers = 3});
  nn::LSTM dropped(3, 4, {.num_layers = 3, .dropout = 0.5});
  ASSERT_TRUE(dropped.load_state_dict(plain.state_dict()).ok());
  const Tensor x = strata::randn({5, 2, 3});
  const Tensor reference = plain(x).output;
  dropped.eval();
  EXPECT_TRUE(strata::equal(dropped(x).output, reference));
  dropped.train();
  strata::manual_seed(7);
  const nn::LSTMOutput first = dropped(x);
  EXPECT_FALSE(strata::allclose(first.output, reference));
  strata::manual_seed(7);
  const nn::LSTMOutput again = dropped(x);
  EXPECT_TRUE(strata::equal(again.output, first.output));
  EXPECT_TRUE(strata::equal(again.c_n, first.c_n));
  // The first layer sees no dropout: its final state is the plain one.
  EXPECT_TRUE(strata::equal(first.h_n.select(0, 0), plain(x).h_n.select(0, 0)));
  // A single layer has nothing between layers to drop.
  nn::GRU single(3, 4, {.dropout = 0.9});
  nn::GRU single_plain(3, 4);
  ASSERT_TRUE(single_plain.load_state_dict(single.state_dict()).ok());
  EXPECT_TRUE(strata::equal(single(x).output, single_plain(x).output));
}

// ---- gradients ----

TEST(RnnGradcheck, Cells) {
  strata::manual_seed(5);
  nn::LSTMCell lstm(2, 3);
  const std::vector<Tensor> lp = float64_parameters(lstm);
  const Tensor x = leaf({2, 2}, 1), h = leaf({2, 3}, 2), c = leaf({2, 3}, 3);
  auto lstm_fn = [&](const std::vector<Tensor>& in) {
    const nn::LSTMState s = lstm(in[0], nn::LSTMState{in[1], in[2]});
    return strata::cat({s.h, s.c}, 1);
  };
  EXPECT_GRADCHECK(lstm_fn, joined({x, h, c}, lp));
  EXPECT_GRADGRADCHECK(lstm_fn, {x, h, c});

  nn::GRUCell gru(2, 3);
  const std::vector<Tensor> gp = float64_parameters(gru);
  auto gru_fn = [&](const std::vector<Tensor>& in) { return gru(in[0], in[1]); };
  EXPECT_GRADCHECK(gru_fn, joined({x, h}, gp));
  EXPECT_GRADGRADCHECK(gru_fn, {x, h});
  // Non-contiguous input and state; unbatched input.
  const Tensor xt = strata::test::noncontiguous_leaf({2, 2}, 4),
               ht = strata::test::noncontiguous_leaf({2, 3}, 5);
  EXPECT_GRADCHECK(gru_fn, {xt, ht});
  EXPECT_GRADCHECK([&](const std::vector<Tensor>& in) { return lstm(in[0]).c; }, {leaf({2}, 6)});
}

TEST(RnnGradcheck, TwoLayerBidirectionalLstm) {
  strata::manual_seed(6);
  nn::LSTM lstm(2, 2, {.num_layers = 2, .bidirectional = true});
  std::vector<Tensor> in = {leaf({3, 2, 2}, 1), leaf({4, 2, 2}, 2), leaf({4, 2, 2}, 3)};
  for (const Tensor& p : float64_parameters(lstm)) in.push_back(p);
  EXPECT_GRADCHECK(
      [&](const std::vector<Tensor>& v) {
        const nn::LSTMOutput o = lstm(v[0], {v[1], v[2]});
        return strata::cat({o.output.flatten(), o.h_n.flatten(), o.c_n.flatten()});
      },
      in);
}

TEST(RnnGradcheck, TwoLayerBidirectionalGru) {
  strata::manual_seed(7);
  nn::GRU gru(2, 2, {.num_layers = 2, .batch_first = true, .bidirectional = true});
  std::vector<Tensor> in = {strata::test::noncontiguous_leaf({2, 3, 2}, 1), leaf({4, 2, 2}, 2)};
  for (const Tensor& p : float64_parameters(gru)) in.push_back(p);
  EXPECT_GRADCHECK(
      [&](const std::vector<Tensor>& v) {
        const nn::GRUOutput o = gru(v[0], v[1]);
        return strata::cat({o.output.flatten(), o.h_n.flatten()});
      },
      in);
  // Unbatched, no initial state.
  EXPECT_GRADCHECK([&](const std::vector<Tensor>& v) { return gru(v[0]).output; }, {leaf({3, 2}, 3)});
}

// ---- errors ----

TEST(RnnErrors, NameTheModuleAndItsConfiguration) {
  Net net;
  net(strata::randn({5, 2, 3}));  // binds the paths
  expect_error(
      [&] {
        net(strata::randn({5, 2, 7}));
      },
      "Net.encoder (LSTM 3->4, num_layers=2, bidirectional=true): input [5, 2, 7] has 7 features (its last "
      "dim), expected input_size = 3");
  expect_error(
      [&] {
        net(strata::randn({5, 2, 3, 1}));
      },
      "input [5, 2, 3, 1] must be 3-D [seq_len, batch, input_size]");
  expect_error([&] { net(strata::randn({0, 2, 3})); }, "has an empty sequence (seq_len = 0)");
  expect_error(
      [&] {
        net.encoder(strata::randn({5, 2, 3}), {strata::zeros({2, 2, 4}), strata::zeros({4, 2, 4})});
      },
      "Net.encoder (LSTM 3->4, num_layers=2, bidirectional=true): initial state h0 is [2, 2, 4], expected "
      "[4, 2, 4] ([num_layers * num_directions, batch, hidden_size]) for input [5, 2, 3]");
  expect_error(
      [&] {
        net.encoder(strata::randn({5, 3}), {strata::zeros({4, 1, 4}), strata::zeros({4, 1, 4})});
      },
      "expected [4, 4] ([num_layers * num_directions, hidden_size] for unbatched input)");
  expect_error(
      [&] {
        net.encoder(strata::randn({5, 2, 3}), {strata::zeros({4, 2, 4}), Tensor()});
      },
      "the initial state has h0 but not c0; pass both h0 and c0, or neither");
  expect_error(
      [&] {
        net(strata::randn({5, 2, 3}, {.dtype = strata::kFloat64}));
      },
      "input is float64 but the parameters are float32");
  expect_error(
      [&] {
        net.step(strata::randn({2, 3}), strata::zeros({3, 4}));
      },
      "Net.cell (GRUCell 3->4): state h is [3, 4], expected [2, 4] for input [2, 3]");
  expect_error(
      [&] {
        net.step(strata::randn({2, 5}), Tensor());
      },
      "Net.cell (GRUCell 3->4): input [2, 5] has 5 features, expected input_size = 3");
  expect_error(
      [&] {
        net.step(strata::randn({1, 2, 3}), Tensor());
      },
      "must be 2-D [batch, input_size] or 1-D");

  nn::GRU gru(3, 4, {.batch_first = true});
  expect_error(
      [&] {
        gru(strata::randn({2, 5, 4}));
      },
      "GRU (GRU 3->4, batch_first=true): input [2, 5, 4] has 4");
  expect_error([&] { gru(strata::randn({2, 5, 3}), strata::zeros({1, 5, 4})); }, "expected [1, 2, 4]");
  nn::LSTMCell cell(3, 4);
  expect_error(
      [&] {
        cell(strata::randn({2, 3}), nn::LSTMState{strata::zeros({2, 4}), Tensor()});
      },
      "LSTMCell (LSTMCell 3->4): the state has h but not c");
  expect_error(
      [&] {
        static_cast<nn::Module&>(gru)(strata::randn({2, 5, 3}));
      },
      "[GRU] was called with one Tensor");
}

TEST(RnnErrors, BadConfigurations) {
  expect_error([] { nn::LSTM(3, 4, 1, true, false, 0.0, false, 2); },
               "[LSTM] proj_size = 2 is not supported");
  expect_error([] { nn::GRU(3, 4, {.dropout = 1.5}); }, "[GRU] dropout must be a probability in [0, 1]");
  expect_error([] { nn::GRU(3, 4, {.num_layers = 0}); }, "[GRU] num_layers must be at least 1, got 0");
  expect_error([] { nn::LSTM(3, 0); }, "[LSTM] input_size must be >= 0 and hidden_size > 0, got LSTM(3, 0)");
  expect_error([] { nn::LSTMCell(-1, 4); }, "[LSTMCell] input_size must be >= 0 and hidden_size > 0");
}
