// Thread-local autograd switches: grad mode, anomaly mode and the current module scope.
#include "strata/autograd.h"

namespace strata {
namespace {
thread_local bool grad_enabled = true;
bool anomaly_enabled = false;
thread_local const std::string* scope = nullptr;
const std::string kNoScope;
}  // namespace

bool is_grad_enabled() { return grad_enabled; }
void set_grad_enabled(bool enabled) { grad_enabled = enabled; }

namespace autograd {
bool is_anomaly_enabled() { return anomaly_enabled; }
void set_detect_anomaly(bool enabled) { anomaly_enabled = enabled; }
const std::string* set_current_scope(const std::string* s) {
  std::swap(scope, s);
  return s;
}
const std::string& current_scope() { return scope ? *scope : kNoScope; }
}  // namespace autograd
}  // namespace strata
