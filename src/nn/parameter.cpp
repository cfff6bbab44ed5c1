// Parameter and Buffer: tensors that announce themselves to the registry that binding checks
// member lists against, and refuse to be born inside forward().
#include "nn/module_internal.h"

namespace strata::nn {
namespace {

using detail::ObjectKind;

Tensor make_parameter(const Tensor& data, bool requires_grad) {
  if (Module* m = detail::current_forward_module())
    fail(
        "[{}] an nn::Parameter ({}) was created inside {}.forward(): it would be a fresh, untrained tensor "
        "on "
        "every call, invisible to parameters() and the optimizer. Create parameters in the constructor, as "
        "members listed in STRATA_MODULE({}, ...)",
        ModuleAccess::path(*m), data.defined() ? data.describe() : "empty", m->type_name(), m->type_name());
  if (!data.defined()) return data;
  Tensor t = data.detach();
  if (requires_grad) t.requires_grad_(true);
  return t;
}

}  // namespace

Parameter::Parameter() noexcept { detail::register_object(this, ObjectKind::Parameter); }
Parameter::Parameter(const Tensor& data, bool requires_grad) : Tensor(make_parameter(data, requires_grad)) {
  detail::register_object(this, ObjectKind::Parameter);
}
Parameter::Parameter(const Parameter& other) : Tensor(other) {
  detail::register_object(this, ObjectKind::Parameter);
}
Parameter::Parameter(Parameter&& other) noexcept : Tensor(std::move(other)) {
  detail::register_object(this, ObjectKind::Parameter);
}
Parameter::~Parameter() { detail::unregister_object(this); }

Buffer::Buffer() noexcept { detail::register_object(this, ObjectKind::Buffer); }
Buffer::Buffer(const Tensor& data, bool persistent)
    : Tensor(data.defined() ? data.detach() : data), persistent_(persistent) {
  detail::register_object(this, ObjectKind::Buffer);
}
Buffer::Buffer(const Buffer& other) : Tensor(other), persistent_(other.persistent_) {
  detail::register_object(this, ObjectKind::Buffer);
}
Buffer::Buffer(Buffer&& other) noexcept : Tensor(std::move(other)), persistent_(other.persistent_) {
  detail::register_object(this, ObjectKind::Buffer);
}
Buffer& Buffer::operator=(const Tensor& data) {
  Tensor::operator=(data.defined() ? data.detach() : data);
  return *this;
}
Buffer::~Buffer() { detail::unregister_object(this); }

}  // namespace strata::nn
