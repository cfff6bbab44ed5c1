#pragma once
/// \file parameter_list.h
/// `nn::ParameterList` and `nn::ParameterDict`: a dynamic number of parameters, named by position
/// ("scales.0") or key ("scales.gamma").
///
///     nn::ParameterList scales;
///     for (int i = 0; i < 4; ++i) scales.push_back(strata::ones({8}));
#include "strata/nn/module.h"

namespace strata::nn {

class ParameterList : public Module {
 public:
  ParameterList() = default;
  /// Appends `data` as a new Parameter (or ties an existing one).
  Parameter& push_back(Parameter parameter);

  size_t size() const { return parameters_.size(); }
  bool empty() const { return parameters_.empty(); }
  /// The i-th parameter; an error when out of range.
  Parameter& operator[](size_t i);
  const Parameter& operator[](size_t i) const;
  auto begin() { return parameters_.begin(); }
  auto end() { return parameters_.end(); }
  auto begin() const { return parameters_.begin(); }
  auto end() const { return parameters_.end(); }

  std::string_view member_list() const override { return ""; }
  void visit_members(detail::MemberVisitor& visitor) override;
  Tensor call_tensor(const Tensor& x) override;
  std::string extra_repr() const override;
  STRATA_DETAIL_MODULE_COMMON(ParameterList, "ParameterList")

 private:
  std::vector<Parameter> parameters_;
};

class ParameterDict : public Module {
 public:
  ParameterDict() = default;
  /// Adds `parameter` under `key`, or replaces the one there (keeping its position).
  Parameter& insert(const std::string& key, Parameter parameter);
  bool contains(std::string_view key) const;
  /// The parameter under `key`; an error listing the keys when absent.
  Parameter& operator[](std::string_view key);
  size_t size() const { return entries_.size(); }
  bool empty() const { return entries_.empty(); }
  std::vector<std::string> keys() const;

  std::string_view member_list() const override { return ""; }
  void visit_members(detail::MemberVisitor& visitor) override;
  Tensor call_tensor(const Tensor& x) override;
  std::string extra_repr() const override;
  STRATA_DETAIL_MODULE_COMMON(ParameterDict, "ParameterDict")

 private:
  std::vector<std::pair<std::string, Parameter>> entries_;
};

}  // namespace strata::nn
