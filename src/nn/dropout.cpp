// nn::Dropout: the functional form, switched by the module's training flag.
#include "strata/nn/dropout.h"

#include "strata/nn/functional/dropout.h"

namespace strata::nn {

Dropout::Dropout(double p) : p_(p) {
  if (!(p >= 0.0 && p <= 1.0))
    fail(
        "[Dropout] dropout probability has to be between 0 and 1, got Dropout({}); p is the chance an "
        "element is "
        "zeroed",
        p);
}

Tensor Dropout::forward(const Tensor& x) {
  if (!x.defined()) fail("{} (Dropout p={}): the input is an undefined tensor", path(), p_);
  if (is_training() && p_ > 0.0 && !x.is_floating_point())
    fail(
        "{} (Dropout p={}): input {} is not floating point; dropout scales values, convert with "
        ".to(strata::kFloat32)",
        path(), p_, x.describe());
  return functional::dropout(x, p_, is_training());
}

std::string Dropout::extra_repr() const {
  // PyTorch prints p with Python's repr of a float: 0.5, 0.1, 0.0.
  std::string s = fmt::format("{}", p_);
  if (s.find_first_of(".e") == std::string::npos && s.find("inf") == std::string::npos) s += ".0";
  return fmt::format("p={}, inplace=False", s);
}

}  // namespace strata::nn
