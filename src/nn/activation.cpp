// The configuration each activation module prints, in PyTorch's words.
#include "strata/nn/activation.h"

#include <fmt/format.h>

namespace strata::nn {

GELU::GELU(std::string approximate) : approximate_(std::move(approximate)) {
  if (approximate_ != "none" && approximate_ != "tanh")
    fail("[GELU] approximate must be \"none\" or \"tanh\", got \"{}\"", approximate_);
}
std::string GELU::extra_repr() const { return fmt::format("approximate='{}'", approximate_); }
std::string LeakyReLU::extra_repr() const { return fmt::format("negative_slope={}", negative_slope_); }
std::string Softmax::extra_repr() const { return fmt::format("dim={}", dim_); }
std::string LogSoftmax::extra_repr() const { return fmt::format("dim={}", dim_); }
std::string Flatten::extra_repr() const {
  return fmt::format("start_dim={}, end_dim={}", start_dim_, end_dim_);
}
std::string Unflatten::extra_repr() const {
  std::string sizes;
  for (size_t i = 0; i < sizes_.size(); ++i) sizes += fmt::format("{}{}", i ? ", " : "", sizes_[i]);
  return fmt::format("dim={}, unflattened_size=({}{})", dim_, sizes, sizes_.size() == 1 ? "," : "");
}

}  // namespace strata::nn
