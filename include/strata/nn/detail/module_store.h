#pragma once
// The owned, named, ordered children behind nn::Sequential, nn::ModuleList and nn::ModuleDict.
// Children live on the heap, so moving the container moves no module; copying (only inside
// clone()) copies each child through its most-derived type.
#include <memory>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "strata/nn/module.h"

namespace strata::nn::detail {

void structure_changed();
[[noreturn]] void fail_index(std::string_view container, size_t index, size_t size);
[[noreturn]] void fail_key(std::string_view container, std::string_view key,
                           const std::vector<std::string>& keys);
void check_key(std::string_view container, std::string_view key);

class ModuleStore {
 public:
  struct Entry {
    std::string name;
    std::unique_ptr<Module> module;
  };

  ModuleStore() = default;
  ModuleStore(const ModuleStore& other) {
    for (const Entry& e : other.entries_) entries_.push_back({e.name, e.module->copy_module()});
  }
  ModuleStore(ModuleStore&&) noexcept = default;
  ModuleStore& operator=(ModuleStore&&) noexcept = default;
  ModuleStore& operator=(const ModuleStore& other) {
    ModuleStore copy(other);
    return *this = std::move(copy);
  }

  Module& add(std::string name, std::unique_ptr<Module> module) {
    Module& m = *module;
    entries_.push_back({std::move(name), std::move(module)});
    structure_changed();
    return m;
  }
  /// Replaces the module of an existing name (keeping its position) or adds it.
  Module& put(std::string name, std::unique_ptr<Module> module) {
    for (Entry& e : entries_)
      if (e.name == name) {
        e.module = std::move(module);
        structure_changed();
        return *e.module;
      }
    return add(std::move(name), std::move(module));
  }
  void visit(MemberVisitor& visitor) {
    for (Entry& e : entries_) visitor.on_module(e.name, *e.module);
  }
  size_t size() const { return entries_.size(); }
  Module& at(std::string_view container, size_t i) const {
    if (i >= entries_.size()) fail_index(container, i, entries_.size());
    return *entries_[i].module;
  }
  Module* find(std::string_view name) const {
    for (const Entry& e : entries_)
      if (e.name == name) return e.module.get();
    return nullptr;
  }
  std::vector<std::string> names() const {
    std::vector<std::string> out;
    for (const Entry& e : entries_) out.push_back(e.name);
    return out;
  }
  const std::vector<Entry>& entries() const { return entries_; }

 private:
  std::vector<Entry> entries_;
};

/// Moves a module (given as an rvalue) onto the heap.
template <typename M>
std::unique_ptr<Module> own(M&& module) {
  static_assert(std::is_base_of_v<Module, std::decay_t<M>>,
                "nn containers hold modules (classes derived from nn::Module)");
  static_assert(!std::is_lvalue_reference_v<M>,
                "nn containers own their modules: pass a temporary, std::move(module), or module.clone()");
  return std::make_unique<std::decay_t<M>>(std::forward<M>(module));
}

/// Iterates the store's modules as T&.
template <typename T>
class StoreIterator {
 public:
  using Inner = std::vector<ModuleStore::Entry>::const_iterator;
  using value_type = T;
  using reference = T&;
  using difference_type = std::ptrdiff_t;
  StoreIterator() = default;
  explicit StoreIterator(Inner it) : it_(it) {}
  T& operator*() const { return static_cast<T&>(*it_->module); }
  T* operator->() const { return &**this; }
  StoreIterator& operator++() {
    ++it_;
    return *this;
  }
  StoreIterator operator++(int) {
    StoreIterator old = *this;
    ++it_;
    return old;
  }
  bool operator==(const StoreIterator& other) const = default;

 private:
  Inner it_;
};

}  // namespace strata::nn::detail
