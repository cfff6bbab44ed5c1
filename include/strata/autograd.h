#pragma once
/// \file autograd.h
/// Controls for reverse-mode autograd: turning recording off, computing gradients of chosen
/// inputs, and anomaly mode.
#include <string>
#include <vector>

#include "strata/tensor.h"

namespace strata {

/// True unless a NoGradGuard is alive on this thread.
bool is_grad_enabled();
void set_grad_enabled(bool enabled);

/// While alive, ops record no graph (for inference and optimizer updates).
class NoGradGuard {
 public:
  NoGradGuard() : previous_(is_grad_enabled()) { set_grad_enabled(false); }
  ~NoGradGuard() { set_grad_enabled(previous_); }
  NoGradGuard(const NoGradGuard&) = delete;
  NoGradGuard& operator=(const NoGradGuard&) = delete;

 private:
  bool previous_;
};

/// Re-enables recording inside a NoGradGuard.
class EnableGradGuard {
 public:
  EnableGradGuard() : previous_(is_grad_enabled()) { set_grad_enabled(true); }
  ~EnableGradGuard() { set_grad_enabled(previous_); }
  EnableGradGuard(const EnableGradGuard&) = delete;
  EnableGradGuard& operator=(const EnableGradGuard&) = delete;

 private:
  bool previous_;
};

namespace autograd {

/// Gradients of `outputs` with respect to `inputs` (torch.autograd.grad), returned rather than
/// accumulated into `.grad()`. With `create_graph` the result is itself differentiable.
/// An input that the outputs do not depend on gets an undefined tensor, or an error unless
/// `allow_unused`.
std::vector<Tensor> grad(const std::vector<Tensor>& outputs, const std::vector<Tensor>& inputs,
                         const std::vector<Tensor>& grad_outputs = {}, bool retain_graph = false,
                         bool create_graph = false, bool allow_unused = false);

/// Anomaly mode: backward checks every gradient it computes and throws, naming the op (and the
/// module path where the op ran), at the first NaN or Inf.
bool is_anomaly_enabled();
void set_detect_anomaly(bool enabled);
class DetectAnomalyGuard {
 public:
  DetectAnomalyGuard() : previous_(is_anomaly_enabled()) { set_detect_anomaly(true); }
  ~DetectAnomalyGuard() { set_detect_anomaly(previous_); }
  DetectAnomalyGuard(const DetectAnomalyGuard&) = delete;
  DetectAnomalyGuard& operator=(const DetectAnomalyGuard&) = delete;

 private:
  bool previous_;
};

/// Where ops are running now ("SimpleNet.fc1"); nn::Module sets it so that anomaly reports name
/// the module. The string must outlive the scope (modules pass their own path). Returns the
/// previous value; null means no scope.
const std::string* set_current_scope(const std::string* scope);
/// The current scope, or "" outside any module.
const std::string& current_scope();

}  // namespace autograd
}  // namespace strata
