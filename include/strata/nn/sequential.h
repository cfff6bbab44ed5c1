#pragma once
/// \file sequential.h
/// `nn::Sequential`: modules applied one after the other, named "0", "1", ... like PyTorch's.
///
///     nn::Sequential mlp(nn::Linear(784, 256), nn::ReLU(), nn::Linear(256, 10));
///     mlp.push_back(nn::LogSoftmax(1));
///     Tensor y = mlp(x);              // state_dict keys: 0.weight, 0.bias, 2.weight, ...
#include "strata/nn/detail/module_store.h"

namespace strata::nn {

class Sequential : public Module {
 public:
  Sequential() = default;
  /// Takes ownership of each module (pass temporaries or std::move). A lone Sequential argument
  /// is a move, not nesting: nest it with push_back.
  template <typename... Ms>
  requires(sizeof...(Ms) > 0 && !(sizeof...(Ms) == 1 && (std::is_same_v<std::decay_t<Ms>, Sequential> &&
                                                         ...))) explicit Sequential(Ms&&... modules) {
    (push_back(std::forward<Ms>(modules)), ...);
  }

  /// Appends a module whose forward() takes one Tensor and returns one.
  template <typename M>
  Sequential& push_back(M&& module) {
    static_assert(
        requires(std::decay_t<M> & m, const Tensor& x) {
          { m(x) } -> std::convertible_to<Tensor>;
        },
        "nn::Sequential chains modules whose forward() takes one Tensor and returns one");
    store_.add(std::to_string(store_.size()), detail::own(std::forward<M>(module)));
    return *this;
  }

  Tensor forward(const Tensor& x);
  Tensor operator()(const Tensor& x) { return detail::call_forward(*this, x); }

  size_t size() const { return store_.size(); }
  bool empty() const { return store_.size() == 0; }
  /// The i-th module; an error when out of range.
  Module& operator[](size_t i) const { return store_.at("Sequential", i); }
  /// The i-th module as its own type; an error when it is another type.
  template <typename M>
  M& at(size_t i) const {
    auto* m = dynamic_cast<M*>(&(*this)[i]);
    if (!m) fail("[Sequential] module {} is a {}, not the type asked for", i, (*this)[i].type_name());
    return *m;
  }
  auto begin() const { return detail::StoreIterator<Module>(store_.entries().begin()); }
  auto end() const { return detail::StoreIterator<Module>(store_.entries().end()); }

  std::string_view member_list() const override { return ""; }
  void visit_members(detail::MemberVisitor& visitor) override { store_.visit(visitor); }
  Tensor call_tensor(const Tensor& x) override { return (*this)(x); }
  STRATA_DETAIL_MODULE_COMMON(Sequential, "Sequential")

 private:
  detail::ModuleStore store_;
};

}  // namespace strata::nn
