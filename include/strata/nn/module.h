#pragma once
/// \file module.h
/// `nn::Module`, the base class of every network, and `STRATA_MODULE`, the one line that names a
/// module's children and parameters.
///
///     struct SimpleNet : nn::Module {
///       nn::Linear fc1;
///       nn::ReLU relu;
///       nn::Linear fc2;
///       SimpleNet(int64_t in, int64_t hidden, int64_t out) : fc1(in, hidden), fc2(hidden, out) {}
///       Tensor forward(const Tensor& x) { return fc2(relu(fc1(x))); }
///       STRATA_MODULE(SimpleNet, fc1, relu, fc2)
///     };
///     SimpleNet model(10, 32, 2);
///     Tensor y = model(strata::randn({4, 10}));   // calls forward()
///
/// Children are members held by value (or in nn::ModuleList / nn::ModuleDict / nn::Sequential);
/// the list names them once, by their identifiers. Nothing is registered by pointer, so moving a
/// model is safe; copying is explicit (`clone()`). The mistakes a list invites are errors that
/// name the module path: a member the list leaves out (found at first use), a module kept in a
/// std::vector / std::map / std::unique_ptr and called in forward(), a Parameter created in
/// forward().
///
/// A module derived from another module lists the base's members in its own STRATA_MODULE too.
/// Binding (the first use after any module moved) is not thread-safe: use a model from one thread
/// at a time, or finish building it before sharing it.
#include <concepts>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <ostream>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "strata/device.h"
#include "strata/dtype.h"
#include "strata/nn/detail/for_each.h"
#include "strata/nn/parameter.h"
#include "strata/nn/state_dict.h"
#include "strata/tensor.h"

namespace strata::nn {

class Module;

namespace detail {
/// What STRATA_MODULE's list hands each member to; traversals implement it.
class MemberVisitor {
 public:
  virtual void on_module(std::string_view name, Module& child) = 0;
  virtual void on_parameter(std::string_view name, Parameter& parameter) = 0;
  virtual void on_buffer(std::string_view name, Buffer& buffer) = 0;

 protected:
  ~MemberVisitor() = default;
};
struct Hooks;
}  // namespace detail

/// What `load_state_dict` found: keys the model has but the dict lacks, keys the dict has but the
/// model lacks, and keys whose shapes differ.
struct LoadResult {
  struct Mismatch {
    std::string key;
    Shape expected, given;
  };
  std::vector<std::string> missing_keys;
  std::vector<std::string> unexpected_keys;
  std::vector<Mismatch> mismatched_keys;
  bool ok() const { return missing_keys.empty() && unexpected_keys.empty() && mismatched_keys.empty(); }
  /// One line per problem; "all keys matched" when there is none.
  std::string str() const;
};

/// Removes the hook it was returned for; harmless after the module is gone.
class HookHandle {
 public:
  HookHandle() = default;
  HookHandle(std::weak_ptr<detail::Hooks> hooks, uint64_t id) : hooks_(std::move(hooks)), id_(id) {}
  void remove();

 private:
  std::weak_ptr<detail::Hooks> hooks_;
  uint64_t id_ = 0;
};

class Module {
 public:
  /// Called before forward() with the module and its tensor arguments.
  using ForwardPreHook = std::function<void(Module&, std::span<const Tensor> inputs)>;
  /// Called after forward() with the tensor arguments and the output (undefined when forward()
  /// does not return a Tensor).
  using ForwardHook = std::function<void(Module&, std::span<const Tensor> inputs, const Tensor& output)>;

  virtual ~Module();
  Module(Module&& other) noexcept;
  Module& operator=(Module&& other) noexcept;
  /// Copying is explicit: these throw unless called by clone(), because a plain copy would share
  /// every parameter with the original.
  Module(const Module& other);
  Module& operator=(const Module& other);

  // ---- identity ----
  /// The class name given to STRATA_MODULE ("SimpleNet").
  virtual std::string_view type_name() const = 0;
  /// The configuration shown in `std::cout << module` ("in_features=10, out_features=32, bias=true").
  virtual std::string extra_repr() const { return {}; }
  /// Where this module sits: "SimpleNet.fc1" inside a SimpleNet, the class name for a root.
  /// Known once the model has been used (called or traversed).
  const std::string& path() const;

  // ---- traversal (declaration order; own parameters first, then each child's, like PyTorch) ----
  std::vector<Tensor> parameters(bool recurse = true) const;
  std::vector<std::pair<std::string, Tensor>> named_parameters(bool recurse = true) const;
  std::vector<Tensor> buffers(bool recurse = true) const;
  std::vector<std::pair<std::string, Tensor>> named_buffers(bool recurse = true) const;
  std::vector<Module*> children() const;
  std::vector<std::pair<std::string, Module*>> named_children() const;
  /// This module and every descendant, pre-order; this module's name is "".
  std::vector<Module*> modules() const;
  std::vector<std::pair<std::string, Module*>> named_modules() const;
  /// Number of parameter elements (shared parameters counted once).
  int64_t num_parameters(bool trainable_only = false) const;

  // ---- state ----
  /// Parameters and persistent buffers by dotted name (`fc1.weight`), as PyTorch names them.
  StateDict state_dict() const;
  /// Copies `state` into this module's tensors (converting dtype and device). With `strict`, any
  /// missing, unexpected or mismatched key is an error and nothing is changed; otherwise the
  /// tensors that fit are loaded and the rest are reported.
  LoadResult load_state_dict(const StateDict& state, bool strict = true);

  // ---- modes and placement ----
  Module& train(bool on = true);
  Module& eval() { return train(false); }
  bool is_training() const { return training_; }
  /// Moves every parameter, buffer and gradient, in place: optimizers holding the parameters keep
  /// working. `to(dtype)` converts only floating-point tensors, like PyTorch.
  Module& to(Device device);
  Module& to(DType dtype);
  /// The device of all parameters and buffers (cpu when there are none); an error naming the odd
  /// one out when they disagree.
  Device device() const;
  /// Drops every parameter's gradient (`set_to_none`, PyTorch 2's default) or zeroes it.
  void zero_grad(bool set_to_none = true);
  Module& requires_grad_(bool requires_grad = true);
  /// Calls `fn` on every descendant and then on this module (children first, like PyTorch).
  Module& apply(const std::function<void(Module&)>& fn);

  // ---- hooks ----
  HookHandle register_forward_pre_hook(ForwardPreHook hook);
  HookHandle register_forward_hook(ForwardHook hook);
  bool has_forward_hooks() const { return hooks_ != nullptr; }
  void run_forward_pre_hooks(std::span<const Tensor> inputs);
  void run_forward_hooks(std::span<const Tensor> inputs, const Tensor& output);

  /// Runs forward() on one tensor through a Module& (a ModuleList element, say); an error for
  /// modules whose forward() takes other arguments. A module's own class calls any forward().
  Tensor operator()(const Tensor& x) { return call_tensor(x); }

  // ---- machinery STRATA_MODULE fills in (not for direct use) ----
  virtual Tensor call_tensor(const Tensor& x) = 0;
  /// Hands each listed member to `visitor`, in list order.
  virtual void visit_members(detail::MemberVisitor& visitor) = 0;
  /// The listed names as written ("fc1, relu, fc2"), for error messages.
  virtual std::string_view member_list() const = 0;
  /// The address and size of the most-derived object, to find members the list leaves out.
  virtual const void* object_begin() const = 0;
  virtual size_t object_size() const = 0;
  /// A copy of the most-derived object whose tensors are still shared (clone() then deep-copies).
  virtual std::unique_ptr<Module> copy_module() const = 0;

 protected:
  Module();

 private:
  friend struct ModuleAccess;
  bool training_ = true;
  std::shared_ptr<detail::Hooks> hooks_;
  // Where this module sits in its tree, recomputed whenever modules have moved since (see
  // module_binding.cpp); never trusted across a move.
  Module* parent_ = nullptr;
  uint64_t bound_epoch_ = 0;
  std::string path_;
};

/// Prints the module tree like PyTorch's repr.
std::ostream& operator<<(std::ostream& os, const Module& module);

namespace detail {
template <typename T>
struct IsOptional : std::false_type {};
template <typename T>
struct IsOptional<std::optional<T>> : std::true_type {};
template <typename T>
inline constexpr bool kAlwaysFalse = false;

template <typename T>
void visit_member(MemberVisitor& visitor, std::string_view name, T& member) {
  if constexpr (std::is_base_of_v<Module, T>) {
    visitor.on_module(name, member);
  } else if constexpr (std::is_same_v<T, Parameter>) {
    visitor.on_parameter(name, member);
  } else if constexpr (std::is_same_v<T, Buffer>) {
    visitor.on_buffer(name, member);
  } else if constexpr (IsOptional<T>::value) {
    if (member) visit_member(visitor, name, *member);
  } else {
    static_assert(kAlwaysFalse<T>,
                  "STRATA_MODULE lists a member that is not an nn::Module, nn::Parameter or nn::Buffer. "
                  "Hold child modules by value (or std::optional) or in nn::ModuleList / nn::ModuleDict; "
                  "make a plain Tensor member an nn::Parameter (trained) or nn::Buffer (state).");
  }
}

/// Marks `module` as running forward() for the duration of the call: checks that it belongs to
/// the caller's tree, binds names on a root call, and sets the scope anomaly reports name.
class ForwardScope {
 public:
  explicit ForwardScope(Module& module);
  ~ForwardScope();
  ForwardScope(const ForwardScope&) = delete;
  ForwardScope& operator=(const ForwardScope&) = delete;

 private:
  const std::string* previous_scope_;
};

/// The module whose forward() is running on this thread, or null.
Module* current_forward_module();

/// Allows Module's copy constructor while alive; clone() and copy_module() use it.
class CopyPermit {
 public:
  CopyPermit();
  ~CopyPermit();
  CopyPermit(const CopyPermit&) = delete;
  CopyPermit& operator=(const CopyPermit&) = delete;
};
/// Gives every parameter and buffer of a freshly copied tree its own storage; tensors shared in
/// the original (tied weights) stay shared in the copy.
void deep_copy_tensors(Module& copy);
[[noreturn]] void fail_not_copyable(std::string_view type_name);

template <typename M>
std::unique_ptr<Module> copy_module(const M& module) {
  if constexpr (std::is_copy_constructible_v<M>) {
    CopyPermit permit;
    return std::make_unique<M>(module);
  } else {
    fail_not_copyable(module.type_name());
  }
}

template <typename M>
M clone_module(const M& module) {
  if constexpr (std::is_copy_constructible_v<M>) {
    std::optional<M> copy;
    {
      CopyPermit permit;
      copy.emplace(module);
    }
    deep_copy_tensors(*copy);
    return std::move(*copy);
  } else {
    fail_not_copyable(module.type_name());
  }
}

[[noreturn]] void fail_not_tensor_module(std::string_view type_name);

template <typename M>
Tensor call_tensor(M& module, const Tensor& x);

template <typename T>
void collect_tensor(std::vector<Tensor>& out, const T& arg) {
  if constexpr (std::is_convertible_v<const T&, const Tensor&>) out.push_back(arg);
}

/// Runs `module.forward(args...)` inside a ForwardScope, with its hooks when it has any.
template <typename M, typename... Args>
auto call_forward(M& module, Args&&... args) -> decltype(module.forward(std::forward<Args>(args)...)) {
  using Result = decltype(module.forward(std::forward<Args>(args)...));
  ForwardScope scope(module);
  if (!module.has_forward_hooks()) return module.forward(std::forward<Args>(args)...);
  std::vector<Tensor> inputs;
  (collect_tensor(inputs, args), ...);
  module.run_forward_pre_hooks(inputs);
  if constexpr (std::is_void_v<Result>) {
    module.forward(std::forward<Args>(args)...);
    module.run_forward_hooks(inputs, Tensor());
  } else {
    Result result = module.forward(std::forward<Args>(args)...);
    if constexpr (std::is_convertible_v<const Result&, const Tensor&>)
      module.run_forward_hooks(inputs, result);
    else
      module.run_forward_hooks(inputs, Tensor());
    return result;
  }
}

template <typename M>
Tensor call_tensor(M& module, const Tensor& x) {
  if constexpr (requires {
                  { module.forward(x) } -> std::convertible_to<Tensor>;
                })
    return call_forward(module, x);
  else
    fail_not_tensor_module(module.type_name());
}
}  // namespace detail
}  // namespace strata::nn

#define STRATA_DETAIL_VISIT_MEMBER(member) ::strata::nn::detail::visit_member(visitor, #member, member);

// What every module class defines about itself; STRATA_MODULE and the containers use it.
#define STRATA_DETAIL_MODULE_COMMON(Class, name)                                       \
 public:                                                                               \
  std::string_view type_name() const override { return name; }                         \
  const void* object_begin() const override { return static_cast<const void*>(this); } \
  size_t object_size() const override { return sizeof(Class); }                        \
  std::unique_ptr<::strata::nn::Module> copy_module() const override {                 \
    return ::strata::nn::detail::copy_module(*this);                                   \
  }                                                                                    \
  /** A deep copy: own parameters and buffers, tied ones still tied. */                \
  Class clone() const { return ::strata::nn::detail::clone_module(*this); }

/// Names a module's children, parameters and buffers (by their identifiers, in order) and gives
/// the class its call operator (`model(x)` runs forward()) and `clone()`. Put it last in the
/// class; it leaves the access at `public:`.
#define STRATA_MODULE(Class, ...)                                                              \
  STRATA_DETAIL_MODULE_COMMON(Class, #Class)                                                   \
  std::string_view member_list() const override { return "" #__VA_ARGS__; }                    \
  void visit_members([[maybe_unused]] ::strata::nn::detail::MemberVisitor& visitor) override { \
    STRATA_PP_FOR_EACH(STRATA_DETAIL_VISIT_MEMBER, __VA_ARGS__)                                \
  }                                                                                            \
  ::strata::Tensor call_tensor(const ::strata::Tensor& x) override {                           \
    return ::strata::nn::detail::call_tensor(*this, x);                                        \
  }                                                                                            \
  /** Runs forward() with these arguments (and the forward hooks). */                          \
  template <typename... StrataArgs, typename StrataSelf = Class>                               \
  auto operator()(StrataArgs&&... args)                                                        \
      ->decltype(static_cast<StrataSelf*>(this)->forward(std::forward<StrataArgs>(args)...)) { \
    return ::strata::nn::detail::call_forward(*this, std::forward<StrataArgs>(args)...);       \
  }                                                                                            \
                                                                                               \
 public:
