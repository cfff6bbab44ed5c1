// How a module finds its place in its tree without storing anything a move would invalidate:
// parent links and paths are a cache, rebuilt from the STRATA_MODULE lists whenever any module
// has moved since it was built (a global counter says so). Binding is also where a member the
// list leaves out is found, and the forward() scope is where a module called from outside its
// parent's tree is caught.
#include <algorithm>
#include <atomic>
#include <map>
#include <mutex>
#include <unordered_set>

#include "nn/module_internal.h"
#include "strata/autograd.h"

namespace strata::nn::detail {
namespace {

std::atomic<uint64_t> g_epoch{1};

struct Registry {
  std::mutex mutex;
  std::map<const char*, ObjectKind> objects;
};
// Leaked on purpose: modules with static storage may unregister after static destructors ran.
Registry& registry() {
  static Registry* r = new Registry;
  return *r;
}

thread_local std::vector<Module*> t_forward_stack;
thread_local int t_copy_permits = 0;

const char* as_bytes(const void* p) { return static_cast<const char*>(p); }

void name_tensor(const Tensor& t, const std::string& name) {
  if (!t.defined()) return;
  auto& slot = t.impl().name;
  if (!slot || *slot != name) slot = std::make_shared<const std::string>(name);
}

std::string kind_text(const char* address, ObjectKind kind) {
  switch (kind) {
    case ObjectKind::Module:
      return fmt::format("nn::{} member", reinterpret_cast<const Module*>(address)->type_name());
    case ObjectKind::Parameter: {
      const auto* p = reinterpret_cast<const Parameter*>(address);
      return p->defined() ? fmt::format("nn::Parameter member of shape {}", p->shape().str())
                          : std::string("nn::Parameter member");
    }
    case ObjectKind::Buffer:
      return "nn::Buffer member";
  }
  return "member";
}

// Throws when a live module, parameter or buffer lies inside `m` but is not one of its listed
// members (nor inside one).
void check_member_list(Module& m) {
  const char* begin = as_bytes(m.object_begin());
  const char* end = begin + m.object_size();
  struct Listed {
    const char* begin;
    const char* end;
    std::string_view name;
  };
  std::vector<Listed> listed;
  visit(
      m,
      [&](std::string_view name, Module& child) {
        const char* b = as_bytes(child.object_begin());
        listed.push_back({b, b + child.object_size(), name});
      },
      [&](std::string_view name, Parameter& p) {
        listed.push_back({as_bytes(&p), as_bytes(&p) + sizeof(Parameter), name});
      },
      [&](std::string_view name, Buffer& b) {
        listed.push_back({as_bytes(&b), as_bytes(&b) + sizeof(Buffer), name});
      });
  const char* self = as_bytes(static_cast<const void*>(&m));
  std::pair<const char*, ObjectKind> stray{nullptr, ObjectKind::Module};
  {
    auto& r = registry();
    std::lock_guard lock(r.mutex);
    for (auto it = r.objects.lower_bound(begin); it != r.objects.end() && it->first < end; ++it) {
      if (it->first == self) continue;
      const bool covered = std::any_of(listed.begin(), listed.end(), [&](const Listed& l) {
        return it->first >= l.begin && it->first < l.end;
      });
      if (!covered) {
        stray = *it;
        break;
      }
    }
  }
  if (!stray.first) return;
  const Listed* before = nullptr;
  for (const Listed& l : listed)
    if (l.begin < stray.first && (!before || l.begin > before->begin)) before = &l;
  // Before every listed member is where a base class's members sit: a derived module lists them too.
  const std::string where = before ? fmt::format("declared after `{}`", before->name)
                                   : std::string("declared before the listed ones, or in a base class");
  const std::string list = std::string(m.member_list());
  fail(
      "[{}] has an {} ({}) that STRATA_MODULE({}{}{}) does not list. An unlisted member is invisible to "
      "parameters(), state_dict(), to(), train()/eval() and the optimizer. Add its name to the list: "
      "STRATA_MODULE({}, {}{}<its name>)",
      ModuleAccess::path(m), kind_text(stray.first, stray.second), where, m.type_name(),
      list.empty() ? "" : ", ", list, m.type_name(), list, list.empty() ? "" : ", ");
}

void bind_tree(Module& m, uint64_t epoch, std::unordered_set<const Module*>& seen) {
  ModuleAccess::bound_epoch(m) = epoch;
  check_member_list(m);
  const std::string& path = ModuleAccess::path(m);
  visit(
      m,
      [&](std::string_view name, Module& child) {
        if (!seen.insert(&child).second)
          fail("[{}] lists the module `{}` a second time (STRATA_MODULE({}, {})); list each member once",
               path, name, m.type_name(), m.member_list());
        ModuleAccess::parent(child) = &m;
        ModuleAccess::path(child) = fmt::format("{}.{}", path, name);
        bind_tree(child, epoch, seen);
      },
      [&](std::string_view name, Parameter& p) { name_tensor(p, fmt::format("{}.{}", path, name)); },
      [&](std::string_view name, Buffer& b) { name_tensor(b, fmt::format("{}.{}", path, name)); });
}

bool is_descendant(Module& m, const Module& ancestor) {
  for (Module* p = ModuleAccess::parent(m); p; p = ModuleAccess::parent(*p))
    if (p == &ancestor) return true;
  return false;
}

[[noreturn]] void fail_stray_call(Module& caller, const Module& callee) {
  fail(
      "[{}] forward() called {} that is not registered in {}. Modules kept in a plain std::vector, std::map "
      "or std::unique_ptr (or created inside forward()) are invisible to parameters(), state_dict(), to(), "
      "train()/eval() and the optimizer, so they would never be trained. Fix: use nn::ModuleList / "
      "nn::ModuleDict for them, or hold them as members listed in STRATA_MODULE({}, ...)",
      ModuleAccess::path(caller), describe_module(callee), caller.type_name(), caller.type_name());
}

}  // namespace

void register_object(const void* address, ObjectKind kind) {
  auto& r = registry();
  std::lock_guard lock(r.mutex);
  r.objects[as_bytes(address)] = kind;
}

void unregister_object(const void* address) {
  auto& r = registry();
  std::lock_guard lock(r.mutex);
  r.objects.erase(as_bytes(address));
}

void structure_changed() { g_epoch.fetch_add(1, std::memory_order_relaxed); }

void ensure_bound(Module& m) {
  const uint64_t epoch = g_epoch.load(std::memory_order_relaxed);
  if (ModuleAccess::bound_epoch(m) == epoch) return;
  ModuleAccess::parent(m) = nullptr;
  ModuleAccess::path(m) = std::string(m.type_name());
  std::unordered_set<const Module*> seen;
  try {
    bind_tree(m, epoch, seen);
  } catch (...) {
    ModuleAccess::bound_epoch(m) = 0;  // check again at the next use
    throw;
  }
}

Module* current_forward_module() { return t_forward_stack.empty() ? nullptr : t_forward_stack.back(); }

ForwardScope::ForwardScope(Module& module) {
  auto& stack = t_forward_stack;
  if (stack.empty()) {
    ensure_bound(module);
  } else {
    Module& caller = *stack.back();
    const uint64_t epoch = g_epoch.load(std::memory_order_relaxed);
    if (ModuleAccess::bound_epoch(module) != epoch || ModuleAccess::bound_epoch(caller) != epoch)
      ensure_bound(*stack.front());  // something moved mid-forward: relink from the root
    if (ModuleAccess::bound_epoch(module) != g_epoch.load(std::memory_order_relaxed) ||
        !is_descendant(module, caller))
      fail_stray_call(caller, module);
  }
  stack.push_back(&module);
  previous_scope_ = autograd::set_current_scope(&ModuleAccess::path(module));
}

ForwardScope::~ForwardScope() {
  t_forward_stack.pop_back();
  autograd::set_current_scope(previous_scope_);
}

CopyPermit::CopyPermit() { ++t_copy_permits; }
CopyPermit::~CopyPermit() { --t_copy_permits; }
bool copy_permitted() { return t_copy_permits > 0; }

void fail_not_copyable(std::string_view type_name) {
  fail(
      "[{}] clone() needs a copyable class, but {} has a member that cannot be copied (a std::unique_ptr, "
      "say). Hold child modules by value or in nn::ModuleList, which clone() copies deeply",
      type_name, type_name);
}

}  // namespace strata::nn::detail

namespace strata::nn::detail {
void fail_not_tensor_module(std::string_view type_name) {
  fail(
      "[{}] was called with one Tensor through a Module& (by nn::Sequential, or a ModuleList<> / "
      "ModuleDict<> element), but its forward() does not take a single Tensor and return one. Call it "
      "through its own type instead",
      type_name);
}
}  // namespace strata::nn::detail
