// nn::LSTM and nn::GRU: PyTorch's parameter names and order, the input and state checks, and the
// loop over layers, directions and time steps. Each layer and direction projects its whole input
// sequence with one product (x W_ih^T + b_ih for every step at once); a step then costs one
// hidden product and the gate math (rnn_cells.cpp).
#include <cmath>

#include "strata/factories.h"
#include "strata/nn/functional/dropout.h"
#include "strata/nn/init.h"
#include "strata/nn/rnn.h"
#include "strata/ops.h"

namespace strata::nn {
namespace detail {
namespace {

constexpr int64_t kWeightIh = 0, kWeightHh = 1, kBiasIh = 2, kBiasHh = 3, kPerDirection = 4;

// The steps of a projected sequence [seq_len, batch, G * H] as [batch, G * H] views, made by one
// split so that backward joins their gradients with one cat. (A select per step would give each
// step's gradient the whole sequence's size: quadratic in seq_len.)
std::vector<Tensor> per_step(const Tensor& projected) {
  const int64_t seq_len = projected.size(0), batch = projected.size(1);
  if (batch == 0) {
    std::vector<Tensor> steps;
    for (int64_t t = 0; t < seq_len; ++t) steps.push_back(projected.select(0, t));
    return steps;
  }
  return split(projected.flatten(0, 1), batch, 0);
}

}  // namespace

RNNBase::RNNBase(std::string_view kind, int64_t gates, int64_t input_size, int64_t hidden_size,
                 const RNNOptions& options)
    : kind_(kind), gates_(gates), input_size_(input_size), hidden_size_(hidden_size), options_(options) {
  if (input_size < 0 || hidden_size <= 0)
    fail("[{}] input_size must be >= 0 and hidden_size > 0, got {}({}, {})", kind, kind, input_size,
         hidden_size);
  if (options.num_layers < 1) fail("[{}] num_layers must be at least 1, got {}", kind, options.num_layers);
  if (!(options.dropout >= 0.0 && options.dropout <= 1.0))
    fail("[{}] dropout must be a probability in [0, 1] (of zeroing an element between layers), got {}", kind,
         options.dropout);
  if (options.proj_size != 0)
    fail(
        "[{}] proj_size = {} is not supported: strata's {} has no projections. Use proj_size = 0 (the "
        "default)",
        kind, options.proj_size, kind);
  const int64_t d = num_directions();
  parameters_.reserve(static_cast<size_t>(options.num_layers * d * kPerDirection));
  for (int64_t layer = 0; layer < options.num_layers; ++layer) {
    const int64_t layer_input = layer == 0 ? input_size : hidden_size * d;
    for (int64_t dir = 0; dir < d; ++dir) {
      const std::string suffix = fmt::format("_l{}{}", layer, dir == 1 ? "_reverse" : "");
      const int64_t rows = gates * hidden_size;
      parameters_.push_back({"weight_ih" + suffix, Parameter(empty({rows, layer_input}))});
      parameters_.push_back({"weight_hh" + suffix, Parameter(empty({rows, hidden_size}))});
      parameters_.push_back({"bias_ih" + suffix, options.bias ? Parameter(empty({rows})) : Parameter()});
      parameters_.push_back({"bias_hh" + suffix, options.bias ? Parameter(empty({rows})) : Parameter()});
    }
  }
  reset_parameters();
}

void RNNBase::reset_parameters() {
  const double bound = 1.0 / std::sqrt(static_cast<double>(hidden_size_));
  for (Named& p : parameters_)
    if (p.parameter.defined()) init::uniform_(p.parameter, -bound, bound);
}

Parameter& RNNBase::slot(int64_t layer, bool reverse, int64_t which) {
  if (layer < 0 || layer >= options_.num_layers)
    fail("[{}] layer {} is out of range: this {} has {} layer(s)", kind_, layer, kind_, options_.num_layers);
  if (reverse && !options_.bidirectional)
    fail("[{}] has no reverse direction: it was built with bidirectional = false", kind_);
  const int64_t index = (layer * num_directions() + (reverse ? 1 : 0)) * kPerDirection + which;
  return parameters_[static_cast<size_t>(index)].parameter;
}

Parameter& RNNBase::weight_ih(int64_t layer, bool reverse) { return slot(layer, reverse, kWeightIh); }
Parameter& RNNBase::weight_hh(int64_t layer, bool reverse) { return slot(layer, reverse, kWeightHh); }
Parameter& RNNBase::bias_ih(int64_t layer, bool reverse) { return slot(layer, reverse, kBiasIh); }
Parameter& RNNBase::bias_hh(int64_t layer, bool reverse) { return slot(layer, reverse, kBiasHh); }

void RNNBase::visit_members(MemberVisitor& visitor) {
  for (Named& p : parameters_)
    if (p.parameter.defined()) visitor.on_parameter(p.name, p.parameter);
}

Tensor RNNBase::call_tensor(const Tensor&) { fail_not_tensor_module(type_name()); }

std::string RNNBase::extra_repr() const {
  std::string s = fmt::format("{}, {}", input_size_, hidden_size_);
  if (options_.num_layers != 1) s += fmt::format(", num_layers={}", options_.num_layers);
  if (!options_.bias) s += ", bias=false";
  if (options_.batch_first) s += ", batch_first=true";
  if (options_.dropout != 0.0) s += fmt::format(", dropout={}", options_.dropout);
  if (options_.bidirectional) s += ", bidirectional=true";
  return s;
}

// "Net.encoder (LSTM 3->4, num_layers=2, bidirectional=true)": where errors say they come from.
std::string RNNBase::describe() const {
  std::string s = fmt::format("{} ({} {}->{}", path(), kind_, input_size_, hidden_size_);
  if (options_.num_layers != 1) s += fmt::format(", num_layers={}", options_.num_layers);
  if (!options_.bias) s += ", bias=false";
  if (options_.batch_first) s += ", batch_first=true";
  if (options_.bidirectional) s += ", bidirectional=true";
  return s + ")";
}

int64_t RNNBase::check_inputs(const Tensor& input, const Tensor& h0, const Tensor& c0) const {
  const std::string who = describe();
  const Tensor& weight = parameters_[kWeightIh].parameter;
  const char* layout = options_.batch_first ? "[batch, seq_len, input_size]" : "[seq_len, batch, input_size]";
  if (!input.defined()) fail("{}: the input is an undefined tensor", who);
  if (input.dim() != 2 && input.dim() != 3)
    fail("{}: input {} must be 3-D {} or 2-D [seq_len, input_size] (unbatched), got {} dims", who,
         input.shape().str(), layout, input.dim());
  if (input.size(-1) != input_size_)
    fail("{}: input {} has {} features (its last dim), expected input_size = {}. Input layout is {}{}", who,
         input.shape().str(), input.size(-1), input_size_, layout,
         options_.batch_first ? ""
                              : "; for [batch, seq_len, input_size] build the layer with batch_first = true");
  const bool batched = input.dim() == 3;
  const int64_t seq_len = batched && options_.batch_first ? input.size(1) : input.size(0);
  const int64_t batch = batched ? input.size(options_.batch_first ? 0 : 1) : 1;
  if (seq_len == 0)
    fail("{}: input {} has an empty sequence (seq_len = 0); a recurrent layer needs at least one step", who,
         input.shape().str());
  if (input.dtype() != weight.dtype())
    fail(
        "{}: input is {} but the parameters are {}; convert the input with x.to({}) or the layer with "
        ".to({})",
        who, dtype_name(input.dtype()), dtype_name(weight.dtype()), dtype_name(weight.dtype()),
        dtype_name(input.dtype()));
  if (!(input.device() == weight.device()))
    fail("{}: input is on {}, the parameters ({}.{}) on {}; move one to the other's device", who,
         input.device().str(), path(), parameters_[kWeightIh].name, weight.device().str());
  const int64_t stacked = options_.num_layers * num_directions();
  const Shape want = batched ? Shape{stacked, batch, hidden_size_} : Shape{stacked, hidden_size_};
  const char* want_layout = batched ? "[num_layers * num_directions, batch, hidden_size]"
                                    : "[num_layers * num_directions, hidden_size] for unbatched input";
  for (const auto& [name, t] : {std::pair<const char*, const Tensor*>{"h0", &h0}, {"c0", &c0}}) {
    if (!t->defined()) continue;
    if (!(t->shape() == want))
      fail("{}: initial state {} is {}, expected {} ({}) for input {}", who, name, t->shape().str(),
           want.str(), want_layout, input.shape().str());
    if (t->dtype() != weight.dtype() || !(t->device() == weight.device()))
      fail("{}: initial state {} is {}; it must be {} on {} like the parameters", who, name, t->describe(),
           dtype_name(weight.dtype()), weight.device().str());
  }
  return batch;
}

LSTMOutput RNNBase::run(const Tensor& input, const Tensor& h0, const Tensor& c0) {
  check_inputs(input, h0, c0);
  const bool lstm = gates_ == 4;
  const bool batched = input.dim() == 3;
  // Time-major throughout: step t is x.select(0, t).
  Tensor x = !batched ? input.unsqueeze(1) : options_.batch_first ? input.transpose(0, 1) : input;
  const Tensor h_init = h0.defined() && !batched ? h0.unsqueeze(1) : h0;
  const Tensor c_init = c0.defined() && !batched ? c0.unsqueeze(1) : c0;
  const int64_t seq_len = x.size(0), d = num_directions(), layers = options_.num_layers;
  std::vector<Tensor> h_n, c_n, steps(static_cast<size_t>(seq_len)), outputs;
  h_n.reserve(static_cast<size_t>(layers * d));
  c_n.reserve(lstm ? static_cast<size_t>(layers * d) : 0);
  for (int64_t layer = 0; layer < layers; ++layer) {
    // The last layer of a batch_first stack is stacked batch-major directly, saving a transpose copy.
    const int64_t stack_dim = layer + 1 == layers && batched && options_.batch_first ? 1 : 0;
    outputs.clear();
    for (int64_t dir = 0; dir < d; ++dir) {
      const int64_t index = layer * d + dir;
      const Named* p = &parameters_[static_cast<size_t>(index * kPerDirection)];
      const Tensor& w_hh = p[kWeightHh].parameter;
      const Tensor& b_hh = p[kBiasHh].parameter;
      const std::vector<Tensor> gates_x = per_step(linear(x, p[kWeightIh].parameter, p[kBiasIh].parameter));
      // A missing initial state is zeros; the first step skips its product, unless that step is
      // the only one and weight_hh would be left without the (zero) gradient PyTorch gives it.
      LSTMState state;
      if (h_init.defined()) {
        state.h = h_init.select(0, index);
        if (lstm) state.c = c_init.select(0, index);
      } else if (seq_len == 1) {
        state.h = zeros({x.size(1), hidden_size_}, {.dtype = x.dtype(), .device = x.device()});
        if (lstm) state.c = state.h;
      }
      for (int64_t k = 0; k < seq_len; ++k) {
        const int64_t t = dir == 0 ? k : seq_len - 1 - k;
        const Tensor& gx = gates_x[static_cast<size_t>(t)];
        if (lstm)
          state = lstm_step(gx, state, w_hh, b_hh);
        else
          state.h = gru_step(gx, state.h, w_hh, b_hh);
        steps[static_cast<size_t>(t)] = state.h;
      }
      h_n.push_back(state.h);
      if (lstm) c_n.push_back(state.c);
      outputs.push_back(stack(steps, stack_dim));
    }
    x = d == 1 ? outputs[0] : cat(outputs, -1);
    if (layer + 1 < layers && options_.dropout > 0.0 && is_training())
      x = functional::dropout(x, options_.dropout, true);
  }
  LSTMOutput out{x, stack(h_n, 0), lstm ? stack(c_n, 0) : Tensor()};
  if (!batched) {
    out.output = out.output.squeeze(1);
    out.h_n = out.h_n.squeeze(1);
    if (lstm) out.c_n = out.c_n.squeeze(1);
  }
  return out;
}

}  // namespace detail

LSTM::LSTM(int64_t input_size, int64_t hidden_size, int64_t num_layers, bool bias, bool batch_first,
           double dropout, bool bidirectional, int64_t proj_size)
    : LSTM(input_size, hidden_size,
           RNNOptions{.num_layers = num_layers,
                      .bias = bias,
                      .batch_first = batch_first,
                      .dropout = dropout,
                      .bidirectional = bidirectional,
                      .proj_size = proj_size}) {}

LSTM::LSTM(int64_t input_size, int64_t hidden_size, const RNNOptions& options)
    : RNNBase("LSTM", 4, input_size, hidden_size, options) {}

LSTMOutput LSTM::forward(const Tensor& input, const LSTMState& state) {
  if (state.h.defined() != state.c.defined())
    fail("{}: the initial state has {} but not {}; pass both h0 and c0, or neither (zeros)", describe(),
         state.h.defined() ? "h0" : "c0", state.h.defined() ? "c0" : "h0");
  return run(input, state.h, state.c);
}

GRU::GRU(int64_t input_size, int64_t hidden_size, int64_t num_layers, bool bias, bool batch_first,
         double dropout, bool bidirectional)
    : GRU(input_size, hidden_size,
          RNNOptions{.num_layers = num_layers,
                     .bias = bias,
                     .batch_first = batch_first,
                     .dropout = dropout,
                     .bidirectional = bidirectional}) {}

GRU::GRU(int64_t input_size, int64_t hidden_size, const RNNOptions& options)
    : RNNBase("GRU", 3, input_size, hidden_size, options) {}

GRUOutput GRU::forward(const Tensor& input, const Tensor& h0) {
  LSTMOutput out = run(input, h0, Tensor());
  return {std::move(out.output), std::move(out.h_n)};
}

}  // namespace strata::nn
