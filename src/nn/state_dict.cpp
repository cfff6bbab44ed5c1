// Ordered name -> tensor map with an index for lookups.
#include "strata/nn/state_dict.h"

#include <fmt/format.h>

namespace strata::nn {

StateDict::StateDict(std::initializer_list<Entry> entries) {
  for (const auto& [name, tensor] : entries) insert(name, tensor);
}

void StateDict::insert(std::string name, Tensor tensor) {
  if (auto it = index_.find(name); it != index_.end()) {
    entries_[it->second].second = std::move(tensor);
    return;
  }
  index_.emplace(name, entries_.size());
  entries_.emplace_back(std::move(name), std::move(tensor));
}

bool StateDict::contains(std::string_view name) const { return index_.count(std::string(name)) != 0; }

const Tensor& StateDict::at(std::string_view name) const {
  auto it = index_.find(std::string(name));
  if (it == index_.end()) {
    // Suggest keys that share the last component ("weight") so a renamed prefix is easy to spot.
    const auto dot = name.rfind('.');
    const std::string_view leaf = dot == std::string_view::npos ? name : name.substr(dot + 1);
    std::string similar;
    for (const auto& [key, tensor] : entries_)
      if (key.size() >= leaf.size() && key.compare(key.size() - leaf.size(), leaf.size(), leaf) == 0)
        similar += (similar.empty() ? "" : ", ") + key;
    fail("[StateDict] no key \"{}\" among {} keys{}", name, entries_.size(),
         similar.empty() ? std::string() : fmt::format("; similar keys: {}", similar));
  }
  return entries_[it->second].second;
}

bool StateDict::erase(std::string_view name) {
  auto it = index_.find(std::string(name));
  if (it == index_.end()) return false;
  entries_.erase(entries_.begin() + static_cast<std::ptrdiff_t>(it->second));
  index_.clear();
  for (size_t i = 0; i < entries_.size(); ++i) index_.emplace(entries_[i].first, i);
  return true;
}

std::vector<std::string> StateDict::keys() const {
  std::vector<std::string> out;
  out.reserve(entries_.size());
  for (const auto& [key, tensor] : entries_) out.push_back(key);
  return out;
}

}  // namespace strata::nn
