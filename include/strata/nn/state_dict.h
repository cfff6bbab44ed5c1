#pragma once
/// \file state_dict.h
/// `nn::StateDict`: named tensors in a fixed order, as `Module::state_dict()` and
/// `Optimizer::state_dict()` return them and `strata::save` writes them.
///
///     nn::StateDict sd = model.state_dict();
///     for (const auto& [name, t] : sd) std::cout << name << " " << t.shape() << "\n";
///     Tensor w = sd.at("fc1.weight");
#include <cstddef>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "strata/tensor.h"

namespace strata::nn {

class StateDict {
 public:
  using Entry = std::pair<std::string, Tensor>;

  StateDict() = default;
  StateDict(std::initializer_list<Entry> entries);

  /// Adds `name`, or replaces its tensor when present (keeping its position).
  void insert(std::string name, Tensor tensor);
  bool contains(std::string_view name) const;
  /// The tensor stored under `name`; an error listing similar keys when absent.
  const Tensor& at(std::string_view name) const;
  /// Removes `name`; returns whether it was present.
  bool erase(std::string_view name);

  size_t size() const { return entries_.size(); }
  bool empty() const { return entries_.empty(); }
  std::vector<std::string> keys() const;
  auto begin() const { return entries_.begin(); }
  auto end() const { return entries_.end(); }

 private:
  std::vector<Entry> entries_;
  std::unordered_map<std::string, size_t> index_;
};

}  // namespace strata::nn
