#pragma once
/// \file module_list.h
/// `nn::ModuleList<T>` and `nn::ModuleDict<T>`: a dynamic number of child modules, named by
/// position ("layers.0.weight") or by key ("heads.cls.weight"). With the default T = Module they
/// hold modules of mixed types, each callable on a Tensor through `Module&`.
///
///     struct Net : nn::Module {
///       nn::ModuleList<nn::Linear> layers;
///       Net() { for (int i = 0; i < 3; ++i) layers.emplace_back(16, 16); }
///       Tensor forward(Tensor x) { for (auto& l : layers) x = l(x).relu(); return x; }
///       STRATA_MODULE(Net, layers)
///     };
#include "strata/nn/detail/module_store.h"

namespace strata::nn {

namespace detail {
[[noreturn]] void fail_container_call(std::string_view container);
}

template <typename T = Module>
class ModuleList : public Module {
  static_assert(std::is_base_of_v<Module, T>,
                "nn::ModuleList<T> holds modules: T must derive from nn::Module");

 public:
  ModuleList() = default;

  /// Takes ownership of `module` (a temporary or std::move).
  template <typename U>
  T& push_back(U&& module) {
    static_assert(std::is_base_of_v<T, std::decay_t<U>>, "this ModuleList holds another module type");
    return static_cast<T&>(store_.add(std::to_string(store_.size()), detail::own(std::forward<U>(module))));
  }
  /// Constructs a U (T by default) in place from `args`.
  template <typename U = T, typename... Args>
  U& emplace_back(Args&&... args) {
    static_assert(std::is_base_of_v<T, U>, "this ModuleList holds another module type");
    return static_cast<U&>(
        store_.add(std::to_string(store_.size()), std::make_unique<U>(std::forward<Args>(args)...)));
  }

  size_t size() const { return store_.size(); }
  bool empty() const { return store_.size() == 0; }
  /// The i-th module; an error when out of range.
  T& operator[](size_t i) const { return static_cast<T&>(store_.at("ModuleList", i)); }
  T& front() const { return (*this)[0]; }
  T& back() const { return (*this)[size() - 1]; }
  auto begin() const { return detail::StoreIterator<T>(store_.entries().begin()); }
  auto end() const { return detail::StoreIterator<T>(store_.entries().end()); }

  std::string_view member_list() const override { return ""; }
  void visit_members(detail::MemberVisitor& visitor) override { store_.visit(visitor); }
  Tensor call_tensor(const Tensor&) override { detail::fail_container_call("ModuleList"); }
  STRATA_DETAIL_MODULE_COMMON(ModuleList, "ModuleList")

 private:
  detail::ModuleStore store_;
};

template <typename T = Module>
class ModuleDict : public Module {
  static_assert(std::is_base_of_v<Module, T>,
                "nn::ModuleDict<T> holds modules: T must derive from nn::Module");

 public:
  ModuleDict() = default;

  /// Adds `module` under `key`, or replaces the module there (keeping its position).
  template <typename U>
  T& insert(const std::string& key, U&& module) {
    static_assert(std::is_base_of_v<T, std::decay_t<U>>, "this ModuleDict holds another module type");
    detail::check_key("ModuleDict", key);
    return static_cast<T&>(store_.put(key, detail::own(std::forward<U>(module))));
  }
  template <typename U = T, typename... Args>
  U& emplace(const std::string& key, Args&&... args) {
    static_assert(std::is_base_of_v<T, U>, "this ModuleDict holds another module type");
    detail::check_key("ModuleDict", key);
    return static_cast<U&>(store_.put(key, std::make_unique<U>(std::forward<Args>(args)...)));
  }

  bool contains(std::string_view key) const { return store_.find(key) != nullptr; }
  /// The module under `key`; an error listing the keys when absent.
  T& operator[](std::string_view key) const {
    Module* m = store_.find(key);
    if (!m) detail::fail_key("ModuleDict", key, store_.names());
    return static_cast<T&>(*m);
  }
  size_t size() const { return store_.size(); }
  bool empty() const { return store_.size() == 0; }
  std::vector<std::string> keys() const { return store_.names(); }
  /// (key, module) pairs in insertion order.
  std::vector<std::pair<std::string, T*>> items() const {
    std::vector<std::pair<std::string, T*>> out;
    for (const auto& e : store_.entries()) out.emplace_back(e.name, static_cast<T*>(e.module.get()));
    return out;
  }

  std::string_view member_list() const override { return ""; }
  void visit_members(detail::MemberVisitor& visitor) override { store_.visit(visitor); }
  Tensor call_tensor(const Tensor&) override { detail::fail_container_call("ModuleDict"); }
  STRATA_DETAIL_MODULE_COMMON(ModuleDict, "ModuleDict")

 private:
  detail::ModuleStore store_;
};

}  // namespace strata::nn
