#pragma once
// What the nn/*.cpp files share about Module: access to its private bookkeeping, the member
// visitor built from lambdas, and the registry of live modules and tensors (module_binding.cpp).
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

#include "strata/autograd.h"
#include "strata/nn/module.h"

namespace strata::nn {

struct ModuleAccess {
  static Module*& parent(Module& m) { return m.parent_; }
  static uint64_t& bound_epoch(Module& m) { return m.bound_epoch_; }
  static std::string& path(Module& m) { return m.path_; }
  static bool& training(Module& m) { return m.training_; }
  static std::shared_ptr<detail::Hooks>& hooks(Module& m) { return m.hooks_; }
};

namespace detail {

struct Hooks {
  uint64_t next_id = 1;
  std::vector<std::pair<uint64_t, Module::ForwardPreHook>> pre;
  std::vector<std::pair<uint64_t, Module::ForwardHook>> post;
};

/// A MemberVisitor from three callables; the ones a walk does not need can be `ignore`.
template <typename OnModule, typename OnParameter, typename OnBuffer>
class LambdaVisitor final : public MemberVisitor {
 public:
  LambdaVisitor(OnModule m, OnParameter p, OnBuffer b)
      : m_(std::move(m)), p_(std::move(p)), b_(std::move(b)) {}
  void on_module(std::string_view name, Module& child) override { m_(name, child); }
  void on_parameter(std::string_view name, Parameter& parameter) override { p_(name, parameter); }
  void on_buffer(std::string_view name, Buffer& buffer) override { b_(name, buffer); }

 private:
  OnModule m_;
  OnParameter p_;
  OnBuffer b_;
};
inline constexpr auto ignore = [](std::string_view, auto&) {};

template <typename OnModule, typename OnParameter, typename OnBuffer>
void visit(Module& m, OnModule on_module, OnParameter on_parameter, OnBuffer on_buffer) {
  LambdaVisitor<OnModule, OnParameter, OnBuffer> visitor(std::move(on_module), std::move(on_parameter),
                                                         std::move(on_buffer));
  m.visit_members(visitor);
}

/// Modules, parameters and buffers register their address while alive, so that binding can find
/// the ones inside an object that its STRATA_MODULE list does not name.
enum class ObjectKind : uint8_t { Module, Parameter, Buffer };
void register_object(const void* address, ObjectKind kind);
void unregister_object(const void* address);

/// Any module moved (or a container changed) since this counter's value invalidates the cached
/// parent links and paths of every tree; the next use rebinds.
void structure_changed();
/// Makes sure `m`'s tree links, paths and parameter names are current; checks the member list.
void ensure_bound(Module& m);

/// "Linear(in_features=10, out_features=32, bias=true)": a module described in one line.
std::string describe_module(const Module& m);

}  // namespace detail
}  // namespace strata::nn

namespace strata::nn::detail {
/// True while a CopyPermit is alive on this thread.
bool copy_permitted();
}  // namespace strata::nn::detail
