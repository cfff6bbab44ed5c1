// The out-of-line parts of the containers: Sequential's forward, the parameter containers, and
// the errors they share.
#include <fmt/format.h>

#include "nn/module_internal.h"
#include "strata/nn/module_list.h"
#include "strata/nn/parameter_list.h"
#include "strata/nn/sequential.h"

namespace strata::nn {

namespace detail {
void fail_index(std::string_view container, size_t index, size_t size) {
  fail("[{}] index {} is out of range for a {} of {} entries", container, index, container, size);
}

void fail_key(std::string_view container, std::string_view key, const std::vector<std::string>& keys) {
  fail("[{}] no key \"{}\"; the keys are: {}", container, key,
       keys.empty() ? "(none)" : fmt::format("{}", fmt::join(keys, ", ")));
}

void check_key(std::string_view container, std::string_view key) {
  if (key.empty() || key.find('.') != std::string_view::npos)
    fail(
        "[{}] key \"{}\" cannot be a name: keys must be non-empty and contain no '.' (it separates the parts "
        "of a parameter's name)",
        container, key);
}

void fail_container_call(std::string_view container) {
  fail("[{}] is not callable: it only holds modules. Iterate it in your forward() and call each one",
       container);
}
}  // namespace detail

Tensor Sequential::forward(const Tensor& x) {
  Tensor y = x;
  for (Module& m : *this) y = m(y);
  return y;
}

namespace {
std::string parameter_line(std::string_view name, const Tensor& p) {
  return fmt::format("({}): Parameter containing: [{} of size {}]", name, dtype_name(p.dtype()),
                     p.shape().str());
}
void append_line(std::string& s, const std::string& line) {
  if (!s.empty()) s += '\n';
  s += line;
}
}  // namespace

Parameter& ParameterList::push_back(Parameter parameter) {
  parameters_.push_back(std::move(parameter));
  detail::structure_changed();
  return parameters_.back();
}

Parameter& ParameterList::operator[](size_t i) {
  if (i >= parameters_.size()) detail::fail_index("ParameterList", i, parameters_.size());
  return parameters_[i];
}
const Parameter& ParameterList::operator[](size_t i) const { return const_cast<ParameterList&>(*this)[i]; }

void ParameterList::visit_members(detail::MemberVisitor& visitor) {
  for (size_t i = 0; i < parameters_.size(); ++i) visitor.on_parameter(std::to_string(i), parameters_[i]);
}
Tensor ParameterList::call_tensor(const Tensor&) { detail::fail_container_call("ParameterList"); }

std::string ParameterList::extra_repr() const {
  std::string s;
  for (size_t i = 0; i < parameters_.size(); ++i)
    if (parameters_[i].defined()) append_line(s, parameter_line(std::to_string(i), parameters_[i]));
  return s;
}

Parameter& ParameterDict::insert(const std::string& key, Parameter parameter) {
  detail::check_key("ParameterDict", key);
  detail::structure_changed();
  for (auto& [name, p] : entries_)
    if (name == key) return p = std::move(parameter);
  entries_.emplace_back(key, std::move(parameter));
  return entries_.back().second;
}

bool ParameterDict::contains(std::string_view key) const {
  for (const auto& [name, p] : entries_)
    if (name == key) return true;
  return false;
}

Parameter& ParameterDict::operator[](std::string_view key) {
  for (auto& [name, p] : entries_)
    if (name == key) return p;
  detail::fail_key("ParameterDict", key, keys());
}

std::vector<std::string> ParameterDict::keys() const {
  std::vector<std::string> out;
  for (const auto& [name, p] : entries_) out.push_back(name);
  return out;
}

void ParameterDict::visit_members(detail::MemberVisitor& visitor) {
  for (auto& [name, p] : entries_) visitor.on_parameter(name, p);
}
Tensor ParameterDict::call_tensor(const Tensor&) { detail::fail_container_call("ParameterDict"); }

std::string ParameterDict::extra_repr() const {
  std::string s;
  for (const auto& [name, p] : entries_)
    if (p.defined()) append_line(s, parameter_line(name, p));
  return s;
}

}  // namespace strata::nn
