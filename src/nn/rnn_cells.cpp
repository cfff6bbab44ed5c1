// nn::LSTMCell and nn::GRUCell, and the single time steps nn::LSTM and nn::GRU repeat. The gate
// math follows PyTorch's CPU cells (aten/src/ATen/native/RNN.cpp) operation for operation, so
// results agree to rounding; everything is public ops, so autograd (and double backward) comes
// from them.
#include <cmath>

#include "strata/autograd.h"
#include "strata/factories.h"
#include "strata/nn/init.h"
#include "strata/nn/rnn.h"
#include "strata/ops.h"

namespace strata::nn {
namespace detail {
namespace {

bool recording(std::initializer_list<const Tensor*> tensors) {
  if (!is_grad_enabled()) return false;
  for (const Tensor* t : tensors)
    if (t->defined() && t->requires_grad()) return true;
  return false;
}

// The steps when no graph is recorded: the same arithmetic, but the step's own gate buffer and
// fresh intermediates are updated in place, halving the allocations per step.
LSTMState lstm_step_in_place(Tensor gates, const LSTMState& state, const Tensor& w_hh, const Tensor& b_hh) {
  if (state.h.defined())
    gates.add_(linear(state.h, w_hh, b_hh));
  else if (b_hh.defined())
    gates.add_(b_hh);
  const std::vector<Tensor> g = chunk(gates, 4, -1);
  Tensor in_gate = sigmoid(g[0]), forget_gate = sigmoid(g[1]), c = tanh(g[2]);
  const Tensor out_gate = sigmoid(g[3]);
  c.mul_(in_gate);
  if (state.c.defined()) c.add_(forget_gate.mul_(state.c));
  Tensor h = tanh(c);
  h.mul_(out_gate);
  return {std::move(h), std::move(c)};
}

Tensor gru_step_in_place(Tensor gates_x, const Tensor& h, const Tensor& w_hh, const Tensor& b_hh) {
  const int64_t hidden = w_hh.size(1);
  Tensor gates_h = h.defined() ? linear(h, w_hh, b_hh) : b_hh;
  // r and z are adjacent in both gate blocks: one add and one sigmoid for the pair.
  Tensor rz_pre = gates_x.narrow(-1, 0, 2 * hidden);
  if (gates_h.defined()) rz_pre.add_(gates_h.narrow(-1, 0, 2 * hidden));
  const Tensor rz = sigmoid(rz_pre);
  const Tensor r = rz.narrow(-1, 0, hidden), z = rz.narrow(-1, hidden, hidden);
  Tensor n_pre = gates_x.narrow(-1, 2 * hidden, hidden);
  if (gates_h.defined()) {
    Tensor h_n = gates_h.narrow(-1, 2 * hidden, hidden);
    n_pre.add_(h.defined() ? h_n.mul_(r) : mul(h_n, r));  // b_hh itself is never written
  }
  Tensor n = tanh(n_pre);
  if (!h.defined()) return mul(n, z).neg_().add_(n);  // (0 - n) * z + n
  Tensor out = sub(h, n);
  out.mul_(z).add_(n);
  return out;
}

}  // namespace

LSTMState lstm_step(const Tensor& gates_x, const LSTMState& state, const Tensor& w_hh, const Tensor& b_hh) {
  if (!recording({&gates_x, &state.h, &state.c, &w_hh, &b_hh}))
    return lstm_step_in_place(gates_x, state, w_hh, b_hh);
  // A zero state contributes only b_hh to the gates and nothing to c: skip the product.
  Tensor gates;
  if (state.h.defined())
    gates = add(linear(state.h, w_hh, b_hh), gates_x);
  else
    gates = b_hh.defined() ? add(gates_x, b_hh) : gates_x;
  // One split node: its backward joins the four gate gradients with a single cat.
  const std::vector<Tensor> g = chunk(gates, 4, -1);
  const Tensor in_gate = sigmoid(g[0]);
  const Tensor forget_gate = sigmoid(g[1]);
  const Tensor cell_gate = tanh(g[2]);
  const Tensor out_gate = sigmoid(g[3]);
  Tensor c =
      state.c.defined() ? add(mul(forget_gate, state.c), mul(in_gate, cell_gate)) : mul(in_gate, cell_gate);
  Tensor h = mul(out_gate, tanh(c));
  return {std::move(h), std::move(c)};
}

Tensor gru_step(const Tensor& gates_x, const Tensor& h, const Tensor& w_hh, const Tensor& b_hh) {
  if (!recording({&gates_x, &h, &w_hh, &b_hh})) return gru_step_in_place(gates_x, h, w_hh, b_hh);
  const std::vector<Tensor> gx = chunk(gates_x, 3, -1);
  // With a zero h the hidden gates are just b_hh (or nothing), and h' = (0 - n) * z + n.
  const Tensor gates_h = h.defined() ? linear(h, w_hh, b_hh) : b_hh;
  if (!gates_h.defined()) {
    const Tensor z = sigmoid(gx[1]);
    const Tensor n = tanh(gx[2]);
    return sub(n, mul(n, z));
  }
  const std::vector<Tensor> gh = chunk(gates_h, 3, -1);
  const Tensor r = sigmoid(add(gh[0], gx[0]));
  const Tensor z = sigmoid(add(gh[1], gx[1]));
  const Tensor n = tanh(add(gx[2], mul(gh[2], r)));
  if (!h.defined()) return sub(n, mul(n, z));
  return add(mul(sub(h, n), z), n);
}

}  // namespace detail

namespace {

// PyTorch's RNN init: every parameter uniform(+-1/sqrt(hidden_size)).
void init_uniform(std::initializer_list<const Tensor*> params, int64_t hidden_size) {
  const double bound = hidden_size > 0 ? 1.0 / std::sqrt(static_cast<double>(hidden_size)) : 0.0;
  for (const Tensor* p : params)
    if (p->defined()) init::uniform_(*p, -bound, bound);
}

void check_sizes(std::string_view kind, int64_t input_size, int64_t hidden_size) {
  if (input_size < 0 || hidden_size <= 0)
    fail("[{}] input_size must be >= 0 and hidden_size > 0, got {}({}, {})", kind, kind, input_size,
         hidden_size);
}

std::string cell_repr(int64_t input_size, int64_t hidden_size, bool bias) {
  return fmt::format("{}, {}{}", input_size, hidden_size, bias ? "" : ", bias=false");
}

// Checks a cell's input and one state tensor; returns whether the input is batched.
bool check_cell(const std::string& who, const Tensor& input, int64_t input_size, int64_t hidden_size,
                const Tensor& weight, std::initializer_list<std::pair<const char*, const Tensor*>> states) {
  if (!input.defined()) fail("{}: the input is an undefined tensor", who);
  if (input.dim() != 1 && input.dim() != 2)
    fail("{}: input {} must be 2-D [batch, input_size] or 1-D [input_size] (unbatched), got {} dims", who,
         input.shape().str(), input.dim());
  if (input.size(-1) != input_size)
    fail("{}: input {} has {} features, expected input_size = {}. Check the layer before it", who,
         input.shape().str(), input.size(-1), input_size);
  if (input.dtype() != weight.dtype())
    fail(
        "{}: input is {} but the parameters are {}; convert the input with x.to({}) or the cell with .to({})",
        who, dtype_name(input.dtype()), dtype_name(weight.dtype()), dtype_name(weight.dtype()),
        dtype_name(input.dtype()));
  if (!(input.device() == weight.device()))
    fail("{}: input is on {}, the parameters on {}; move one to the other's device", who,
         input.device().str(), weight.device().str());
  const bool batched = input.dim() == 2;
  const Shape want = batched ? Shape{input.size(0), hidden_size} : Shape{hidden_size};
  for (const auto& [name, t] : states) {
    if (!t->defined()) continue;
    if (!(t->shape() == want))
      fail("{}: state {} is {}, expected {} for input {} ([{}hidden_size])", who, name, t->shape().str(),
           want.str(), input.shape().str(), batched ? "batch, " : "");
    if (t->dtype() != weight.dtype() || !(t->device() == weight.device()))
      fail("{}: state {} is {}; it must be {} on {} like the parameters", who, name, t->describe(),
           dtype_name(weight.dtype()), weight.device().str());
  }
  return batched;
}

}  // namespace

LSTMCell::LSTMCell(int64_t input_size, int64_t hidden_size, bool bias)
    : input_size_(input_size), hidden_size_(hidden_size) {
  check_sizes("LSTMCell", input_size, hidden_size);
  weight_ih = Parameter(empty({4 * hidden_size, input_size}));
  weight_hh = Parameter(empty({4 * hidden_size, hidden_size}));
  if (bias) {
    bias_ih = Parameter(empty({4 * hidden_size}));
    bias_hh = Parameter(empty({4 * hidden_size}));
  }
  reset_parameters();
}

void LSTMCell::reset_parameters() {
  init_uniform({&weight_ih, &weight_hh, &bias_ih, &bias_hh}, hidden_size_);
}

std::string LSTMCell::extra_repr() const { return cell_repr(input_size_, hidden_size_, bias_ih.defined()); }

LSTMState LSTMCell::forward(const Tensor& input, const LSTMState& state) {
  const std::string who = fmt::format("{} (LSTMCell {}->{})", path(), input_size_, hidden_size_);
  if (state.h.defined() != state.c.defined())
    fail("{}: the state has {} but not {}; pass both h and c, or neither (zeros)", who,
         state.h.defined() ? "h" : "c", state.h.defined() ? "c" : "h");
  const bool batched =
      check_cell(who, input, input_size_, hidden_size_, weight_ih, {{"h", &state.h}, {"c", &state.c}});
  const Tensor x = batched ? input : input.unsqueeze(0);
  // A zero state is materialised (not skipped as nn::LSTM's first step may be) so that weight_hh
  // gets a gradient, zeros, as in PyTorch.
  LSTMState s;
  if (state.h.defined()) {
    s = batched ? state : LSTMState{state.h.unsqueeze(0), state.c.unsqueeze(0)};
  } else {
    s.h = zeros({x.size(0), hidden_size_}, {.dtype = x.dtype(), .device = x.device()});
    s.c = s.h;
  }
  LSTMState out = detail::lstm_step(linear(x, weight_ih, bias_ih), s, weight_hh, bias_hh);
  if (!batched) out = {out.h.squeeze(0), out.c.squeeze(0)};
  return out;
}

GRUCell::GRUCell(int64_t input_size, int64_t hidden_size, bool bias)
    : input_size_(input_size), hidden_size_(hidden_size) {
  check_sizes("GRUCell", input_size, hidden_size);
  weight_ih = Parameter(empty({3 * hidden_size, input_size}));
  weight_hh = Parameter(empty({3 * hidden_size, hidden_size}));
  if (bias) {
    bias_ih = Parameter(empty({3 * hidden_size}));
    bias_hh = Parameter(empty({3 * hidden_size}));
  }
  reset_parameters();
}

void GRUCell::reset_parameters() { init_uniform({&weight_ih, &weight_hh, &bias_ih, &bias_hh}, hidden_size_); }

std::string GRUCell::extra_repr() const { return cell_repr(input_size_, hidden_size_, bias_ih.defined()); }

Tensor GRUCell::forward(const Tensor& input, const Tensor& h) {
  const std::string who = fmt::format("{} (GRUCell {}->{})", path(), input_size_, hidden_size_);
  const bool batched = check_cell(who, input, input_size_, hidden_size_, weight_ih, {{"h", &h}});
  const Tensor x = batched ? input : input.unsqueeze(0);
  const Tensor h0 = !h.defined()
                        ? zeros({x.size(0), hidden_size_}, {.dtype = x.dtype(), .device = x.device()})
                    : batched ? h
                              : h.unsqueeze(0);
  Tensor out = detail::gru_step(linear(x, weight_ih, bias_ih), h0, weight_hh, bias_hh);
  return batched ? out : out.squeeze(0);
}

}  // namespace strata::nn
