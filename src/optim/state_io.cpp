// How optimizer options and buffers become named tensors in a state dict and back.
#include <charconv>

#include "optim/optimizer_with.h"

namespace strata::optim::detail {

std::optional<std::pair<size_t, std::string_view>> split_index(std::string_view key) {
  size_t index = 0;
  const char* end = key.data() + key.size();
  auto [ptr, ec] = std::from_chars(key.data(), end, index);
  if (ec != std::errc() || ptr == key.data() || ptr == end || *ptr != '.') return std::nullopt;
  return std::pair{index, std::string_view(ptr + 1, static_cast<size_t>(end - ptr - 1))};
}

Tensor option_tensor(double value) { return full({}, value, {.dtype = kFloat64}); }
Tensor option_tensor(bool value) { return full({}, value, {.dtype = kBool}); }
Tensor option_tensor(const std::array<double, 2>& value) {
  return from_vector(std::vector<double>{value[0], value[1]}, {2}, {.dtype = kFloat64});
}

std::string read_option(const Tensor& t, double& value) {
  if (t.numel() != 1 || t.dtype() == kBool) return fmt::format("is {}, expected one number", t.describe());
  value = t.item<double>();
  return {};
}

std::string read_option(const Tensor& t, bool& value) {
  if (t.numel() != 1 || t.dtype() != kBool) return fmt::format("is {}, expected one bool", t.describe());
  value = t.item<bool>();
  return {};
}

std::string read_option(const Tensor& t, std::array<double, 2>& value) {
  if (t.numel() != 2 || t.dtype() == kBool) return fmt::format("is {}, expected two numbers", t.describe());
  const auto v = t.to_vector<double>();
  value = {v[0], v[1]};
  return {};
}

Tensor copy_like(const Tensor& buffer, const Tensor& param) {
  Tensor out = buffer.detach();
  if (out.dtype() != param.dtype()) out = out.to(param.dtype());
  if (out.device() != param.device()) out = out.to(param.device());
  // The optimizer must own its buffers: never share memory with the caller's state dict.
  if (out.impl().storage == buffer.impl().storage) out = out.clone();
  return out;
}

void fail_load(std::string_view optimizer, const std::vector<std::string>& problems) {
  constexpr size_t kShown = 20;
  std::string list;
  for (size_t i = 0; i < problems.size() && i < kShown; ++i) list += "\n  - " + problems[i];
  if (problems.size() > kShown) list += fmt::format("\n  ... and {} more", problems.size() - kShown);
  fail(
      "[{}] load_state_dict: the state dict does not fit this optimizer, so nothing was loaded ({} "
      "problem{}):{}\nLoad a state dict saved by the same optimizer class over the same parameter groups.",
      optimizer, problems.size(), problems.size() == 1 ? "" : "s", list);
}

}  // namespace strata::optim::detail
