#pragma once
/// \file rnn.h
/// Recurrent layers as PyTorch defines them: `nn::LSTMCell`, `nn::GRUCell` (one time step) and
/// `nn::LSTM`, `nn::GRU` (whole sequences, stacked layers, optionally bidirectional). Parameter
/// names, shapes, gate order (LSTM: i, f, g, o; GRU: r, z, n) and default initialisation
/// (every parameter uniform(+-1/sqrt(hidden_size))) are PyTorch's, so a PyTorch state_dict loads
/// unchanged.
///
///     nn::LSTM lstm(10, 20, {.num_layers = 2, .bidirectional = true});
///     auto [output, h_n, c_n] = lstm(strata::randn({5, 3, 10}));  // [5, 3, 40], [4, 3, 20], [4, 3, 20]
///
///     nn::GRUCell cell(10, 20);
///     Tensor h = cell(strata::randn({3, 10}));                    // [3, 20]; h0 defaults to zeros
///     h = cell(strata::randn({3, 10}), h);
#include <string>
#include <vector>

#include "strata/nn/module.h"

namespace strata::nn {

/// An LSTM's state: hidden `h` and cell `c`. A default-constructed state (both undefined) means
/// zeros.
struct LSTMState {
  Tensor h;
  Tensor c;
};

/// What `nn::LSTM` returns: the last layer's hidden state at every step, and every layer's final
/// hidden and cell states ([num_layers * num_directions, batch, hidden_size]).
struct LSTMOutput {
  Tensor output;
  Tensor h_n;
  Tensor c_n;
};

/// What `nn::GRU` returns: the last layer's hidden state at every step and every layer's final one.
struct GRUOutput {
  Tensor output;
  Tensor h_n;
};

/// One LSTM step: i, f, g, o = chunks of (x W_ih^T + b_ih + h W_hh^T + b_hh);
/// c' = sigmoid(f) * c + sigmoid(i) * tanh(g); h' = sigmoid(o) * tanh(c').
class LSTMCell : public Module {
 public:
  LSTMCell(int64_t input_size, int64_t hidden_size, bool bias = true);

  /// `input` is [batch, input_size] or unbatched [input_size]; the state matches it
  /// ([batch, hidden_size] or [hidden_size]) and is zeros when left undefined.
  LSTMState forward(const Tensor& input, const LSTMState& state = {});
  /// Draws every parameter again from uniform(+-1/sqrt(hidden_size)).
  void reset_parameters();
  int64_t input_size() const { return input_size_; }
  int64_t hidden_size() const { return hidden_size_; }
  std::string extra_repr() const override;

  Parameter weight_ih;  ///< [4 * hidden_size, input_size]
  Parameter weight_hh;  ///< [4 * hidden_size, hidden_size]
  Parameter bias_ih;    ///< [4 * hidden_size], empty without bias
  Parameter bias_hh;    ///< [4 * hidden_size], empty without bias

 private:
  int64_t input_size_;
  int64_t hidden_size_;

  STRATA_MODULE(LSTMCell, weight_ih, weight_hh, bias_ih, bias_hh)
};

/// One GRU step: r = sigmoid(W_ir x + b_ir + W_hr h + b_hr), z likewise,
/// n = tanh(W_in x + b_in + r * (W_hn h + b_hn)), h' = (1 - z) * n + z * h.
class GRUCell : public Module {
 public:
  GRUCell(int64_t input_size, int64_t hidden_size, bool bias = true);

  /// `input` is [batch, input_size] or unbatched [input_size]; `h` matches it and is zeros when
  /// undefined. Returns the new hidden state.
  Tensor forward(const Tensor& input, const Tensor& h = {});
  void reset_parameters();
  int64_t input_size() const { return input_size_; }
  int64_t hidden_size() const { return hidden_size_; }
  std::string extra_repr() const override;

  Parameter weight_ih;  ///< [3 * hidden_size, input_size]
  Parameter weight_hh;  ///< [3 * hidden_size, hidden_size]
  Parameter bias_ih;    ///< [3 * hidden_size], empty without bias
  Parameter bias_hh;    ///< [3 * hidden_size], empty without bias

 private:
  int64_t input_size_;
  int64_t hidden_size_;

  STRATA_MODULE(GRUCell, weight_ih, weight_hh, bias_ih, bias_hh)
};

/// The configuration `nn::LSTM` and `nn::GRU` share beyond their sizes, with PyTorch's defaults:
/// `nn::GRU gru(8, 16, {.num_layers = 2, .batch_first = true});`
struct RNNOptions {
  int64_t num_layers = 1;
  bool bias = true;
  /// Input and output are [batch, seq_len, features] instead of [seq_len, batch, features]; the
  /// states keep their layout.
  bool batch_first = false;
  /// Dropout probability on the outputs of every layer but the last, in training mode only.
  double dropout = 0.0;
  bool bidirectional = false;
  /// LSTM projections (PyTorch's proj_size) are not supported: must be 0.
  int64_t proj_size = 0;
};

namespace detail {
/// What LSTM and GRU share: the parameters, named and ordered as PyTorch's (`weight_ih_l0`,
/// `weight_hh_l0`, `bias_ih_l0`, `bias_hh_l0`, then `..._l0_reverse`, then layer 1), and the loop
/// over layers, directions and time steps. Not used directly.
class RNNBase : public Module {
 public:
  int64_t input_size() const { return input_size_; }
  int64_t hidden_size() const { return hidden_size_; }
  const RNNOptions& options() const { return options_; }
  int64_t num_directions() const { return options_.bidirectional ? 2 : 1; }

  /// The parameters of one layer and direction; the biases are empty without bias.
  Parameter& weight_ih(int64_t layer, bool reverse = false);
  Parameter& weight_hh(int64_t layer, bool reverse = false);
  Parameter& bias_ih(int64_t layer, bool reverse = false);
  Parameter& bias_hh(int64_t layer, bool reverse = false);
  /// Draws every parameter again from uniform(+-1/sqrt(hidden_size)).
  void reset_parameters();
  std::string extra_repr() const override;

  std::string_view member_list() const override { return ""; }
  void visit_members(MemberVisitor& visitor) override;
  Tensor call_tensor(const Tensor& x) override;

 protected:
  /// gates: 4 for LSTM, 3 for GRU.
  RNNBase(std::string_view kind, int64_t gates, int64_t input_size, int64_t hidden_size,
          const RNNOptions& options);
  /// Runs the whole stack; `c0` and the returned c_n are used by LSTM only.
  LSTMOutput run(const Tensor& input, const Tensor& h0, const Tensor& c0);
  /// "Net.encoder (LSTM 3->4, num_layers=2)": the module path and configuration errors begin with.
  std::string describe() const;

 private:
  struct Named {
    std::string name;
    Parameter parameter;
  };
  Parameter& slot(int64_t layer, bool reverse, int64_t which);
  // Returns the batch size (1 for unbatched input) after checking the input and the states.
  int64_t check_inputs(const Tensor& input, const Tensor& h0, const Tensor& c0) const;

  std::string kind_;
  int64_t gates_;
  int64_t input_size_;
  int64_t hidden_size_;
  RNNOptions options_;
  // Per layer and direction: weight_ih, weight_hh, bias_ih, bias_hh (biases undefined without
  // bias, and then left out of traversals).
  std::vector<Named> parameters_;
};

/// One LSTM step from the precomputed input projection `gates_x` = x W_ih^T + b_ih ([batch, 4H]);
/// an undefined state is zeros (skipping the hidden product). When no graph is being recorded the
/// step works in place and overwrites `gates_x`, which must be the step's own buffer.
LSTMState lstm_step(const Tensor& gates_x, const LSTMState& state, const Tensor& w_hh, const Tensor& b_hh);
/// One GRU step from `gates_x` = x W_ih^T + b_ih ([batch, 3H]); an undefined `h` is zeros. Like
/// lstm_step, it overwrites `gates_x` when no graph is being recorded.
Tensor gru_step(const Tensor& gates_x, const Tensor& h, const Tensor& w_hh, const Tensor& b_hh);
}  // namespace detail

/// A multi-layer LSTM over whole sequences.
///
/// `input` is [seq_len, batch, input_size] ([batch, seq_len, input_size] with batch_first) or
/// unbatched [seq_len, input_size]. The initial state's tensors are
/// [num_layers * num_directions, batch, hidden_size] ([num_layers * num_directions, hidden_size]
/// unbatched), zeros when undefined. `output` is [seq_len, batch, num_directions * hidden_size]
/// (batch first with batch_first), the reverse direction's half aligned to the same time steps.
class LSTM : public detail::RNNBase {
 public:
  LSTM(int64_t input_size, int64_t hidden_size, int64_t num_layers = 1, bool bias = true,
       bool batch_first = false, double dropout = 0.0, bool bidirectional = false, int64_t proj_size = 0);
  LSTM(int64_t input_size, int64_t hidden_size, const RNNOptions& options);

  LSTMOutput forward(const Tensor& input, const LSTMState& state = {});
  /// Runs forward() with the forward hooks (which see `input` only).
  LSTMOutput operator()(const Tensor& input, const LSTMState& state = {}) {
    return detail::call_forward(*this, input, state);
  }

  STRATA_DETAIL_MODULE_COMMON(LSTM, "LSTM")
};

/// A multi-layer GRU over whole sequences; shapes as for nn::LSTM, with one state tensor.
class GRU : public detail::RNNBase {
 public:
  GRU(int64_t input_size, int64_t hidden_size, int64_t num_layers = 1, bool bias = true,
      bool batch_first = false, double dropout = 0.0, bool bidirectional = false);
  GRU(int64_t input_size, int64_t hidden_size, const RNNOptions& options);

  GRUOutput forward(const Tensor& input, const Tensor& h0 = {});
  GRUOutput operator()(const Tensor& input, const Tensor& h0 = {}) {
    return detail::call_forward(*this, input, h0);
  }

  STRATA_DETAIL_MODULE_COMMON(GRU, "GRU")
};

}  // namespace strata::nn
