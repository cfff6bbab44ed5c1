// Tensor::index and Tensor::index_put_: NumPy/PyTorch indexing with integers, slices, None,
// Ellipsis, int64 tensors and bool masks.
//
// An index list is first turned into a plan: the basic indices (integers, slices, None) as view
// steps, applied to a layout (sizes, strides, offset), and the advanced ones (tensors) as
// int64 positions along dims of that view. Basic-only indexing applies the steps to the tensor and
// returns a view. With tensors, the plan yields the flat position of every selected element, and
// the result is index_select of the flattened tensor at those positions, so its gradient (an
// index_add) accumulates over repeated indices. index_put_ scatters into the same positions.
#include <algorithm>

#include "ops/common.h"
#include "ops/registry.h"
#include "strata/factories.h"
#include "strata/ops.h"

namespace strata {
namespace ops {

void check_index_range(std::string_view op, const Tensor& index, int64_t size, int64_t dim,
                       bool allow_negative);

namespace {

enum class StepKind : uint8_t { Select, Slice, Unsqueeze };
struct Step {
  StepKind kind;
  int64_t dim, start = 0, stop = 0, step = 1;
};
// An index tensor along dim `dim` of the basic view: int64 on the host, contiguous, in [0, size).
struct Advanced {
  int64_t dim;
  Tensor index;
};
struct IndexPlan {
  std::vector<Step> steps;
  Shape sizes, strides;  // of the basic view, in the layout the plan was made for
  int64_t offset = 0;
  std::vector<Advanced> advanced;
};

// How many dims of the indexed tensor an index uses up (None and Ellipsis use none).
int64_t consumed(std::string_view op, const TensorIndex& index) {
  if (std::holds_alternative<int64_t>(index) || std::holds_alternative<Slice>(index)) return 1;
  if (!std::holds_alternative<Tensor>(index)) return 0;
  const Tensor& t = std::get<Tensor>(index);
  if (!t.defined()) fail("[{}] an index tensor is undefined (default-constructed Tensor())", op);
  if (t.dtype() == kBool) return t.dim();
  if (t.dtype() == kInt64) return 1;
  fail(
      "[{}] tensors used as indices must be int64 (positions) or bool (masks), got {}; convert with "
      ".to(strata::kInt64)",
      op, t.describe());
}

// Negative positions counted from the end, on the host.
Tensor wrapped_positions(const Tensor& t, int64_t size) {
  Tensor h = t.to(Device::cpu()).contiguous();
  const int64_t* v = h.data<int64_t>();
  if (std::none_of(v, v + h.numel(), [](int64_t k) { return k < 0; })) return h;
  Tensor w = empty_tensor(h.shape(), kInt64, Device::cpu());
  int64_t* o = w.data<int64_t>();
  for (int64_t i = 0; i < h.numel(); ++i) o[i] = v[i] < 0 ? v[i] + size : v[i];
  return w;
}

class Planner {
 public:
  Planner(std::string_view op, const Tensor& self, const Shape& strides, int64_t offset)
      : op_(op), self_(self) {
    plan_.sizes = self.shape();
    plan_.strides = strides;
    plan_.offset = offset;
  }

  IndexPlan run(const std::vector<TensorIndex>& indices) {
    int64_t used = 0, ellipses = 0;
    for (const TensorIndex& index : indices) {
      used += consumed(op_, index);
      ellipses += std::holds_alternative<EllipsisIndex>(index) ? 1 : 0;
    }
    if (ellipses > 1) fail("[{}] an index can hold only one Ellipsis, got {}", op_, ellipses);
    if (used > self_.dim())
      fail("[{}] too many indices for {}: they index {} dims but the tensor has {}", op_, self_.describe(),
           used, self_.dim());
    for (const TensorIndex& index : indices) {
      if (auto* i = std::get_if<int64_t>(&index))
        select(*i);
      else if (auto* s = std::get_if<Slice>(&index))
        slice(*s);
      else if (std::holds_alternative<NoneIndex>(index))
        unsqueeze();
      else if (std::holds_alternative<EllipsisIndex>(index))
        skip(self_.dim() - used);
      else
        tensor(std::get<Tensor>(index));
    }
    return std::move(plan_);
  }

 private:
  void select(int64_t i) {
    const int64_t n = plan_.sizes[cur_];
    if (i < -n || i >= n)
      fail("[{}] index {} is out of range for dim {} with size {} of {} (expected an index in [{}, {}])", op_,
           i, orig_, n, self_.describe(), -n, n - 1);
    if (i < 0) i += n;
    plan_.steps.push_back({StepKind::Select, cur_, i});
    plan_.offset += i * plan_.strides[cur_];
    plan_.sizes.erase(cur_);
    plan_.strides.erase(cur_);
    ++orig_;
  }

  void slice(const Slice& s) {
    if (s.step <= 0) fail("[{}] slice step must be positive, got {}", op_, s.step);
    const int64_t n = plan_.sizes[cur_];
    auto clamp_index = [n](int64_t i) { return std::clamp<int64_t>(i < 0 ? i + n : i, 0, n); };
    const int64_t b = s.start ? clamp_index(*s.start) : 0;
    const int64_t e = std::max(b, s.stop ? clamp_index(*s.stop) : n);
    plan_.steps.push_back({StepKind::Slice, cur_, b, e, s.step});
    plan_.offset += b * plan_.strides[cur_];
    plan_.sizes[cur_] = (e - b + s.step - 1) / s.step;
    plan_.strides[cur_] *= s.step;
    ++cur_;
    ++orig_;
  }

  void unsqueeze() {
    plan_.steps.push_back({StepKind::Unsqueeze, cur_});
    plan_.sizes.insert(cur_, 1);
    plan_.strides.insert(cur_, 0);
    ++cur_;
  }

  void skip(int64_t dims) {
    cur_ += dims;
    orig_ += dims;
  }

  void tensor(const Tensor& t) {
    check_same_device(op_, {&self_, &t});
    if (t.dtype() == kInt64) {
      const int64_t n = plan_.sizes[cur_];
      check_index_range(op_, t, n, orig_, true);
      plan_.advanced.push_back({cur_, wrapped_positions(t, n)});
      skip(1);
    } else if (t.dim() == 0) {  // x[true] adds a dim of size 1 and keeps it; x[false] keeps none
      unsqueeze();
      const bool keep = t.item<bool>();
      plan_.advanced.push_back(
          {cur_ - 1, keep ? zeros({1}, {.dtype = kInt64}) : empty({0}, {.dtype = kInt64})});
    } else {
      mask(t);
    }
  }

  // A mask over the next t.dim() dims selects like the coordinates of its true elements.
  void mask(const Tensor& t) {
    for (int64_t j = 0; j < t.dim(); ++j) {
      if (t.size(j) != plan_.sizes[cur_ + j]) {
        Shape covered;
        for (int64_t k = 0; k < t.dim(); ++k) covered.push_back(plan_.sizes[cur_ + k]);
        fail(
            "[{}] the mask {} does not match the dims {}..{} of {} that it indexes (sizes {}); a mask must "
            "have "
            "exactly the sizes of the dims it covers",
            op_, t.describe(), orig_, orig_ + t.dim() - 1, self_.describe(), covered.str());
      }
    }
    const Tensor coords = nonzero(t).to(Device::cpu());
    for (int64_t j = 0; j < t.dim(); ++j)
      plan_.advanced.push_back({cur_ + j, coords.select(1, j).contiguous()});
    skip(t.dim());
  }

  std::string_view op_;
  const Tensor& self_;
  IndexPlan plan_;
  int64_t cur_ = 0;   // dim of the view built so far
  int64_t orig_ = 0;  // dim of the indexed tensor, for messages
};

IndexPlan plan_index(std::string_view op, const Tensor& self, const std::vector<TensorIndex>& indices,
                     const Shape& strides, int64_t offset) {
  return Planner(op, self, strides, offset).run(indices);
}

Tensor apply_steps(const Tensor& self, const IndexPlan& plan) {
  Tensor v = self;
  for (const Step& s : plan.steps) {
    switch (s.kind) {
      case StepKind::Select:
        v = v.select(s.dim, s.start);
        break;
      case StepKind::Slice:
        v = v.slice(s.dim, s.start, s.stop, s.step);
        break;
      case StepKind::Unsqueeze:
        v = v.unsqueeze(s.dim);
        break;
    }
  }
  return v;
}

// The position (in the plan's layout) of every element the index selects, int64 on the host, in
// the result's shape. Index tensors broadcast together; their dims replace the indexed dims where
// those are adjacent, and go first otherwise (PyTorch's rule).
Tensor positions(std::string_view op, const IndexPlan& p) {
  // Without index tensors b stays 0-d: one row of `linear`, adding nothing.
  Shape b;
  for (const Advanced& a : p.advanced) b = broadcast_shapes(op, b, a.index.shape());
  std::vector<int64_t> linear(static_cast<size_t>(b.numel()), 0);
  for (const Advanced& a : p.advanced) {
    const Tensor e = a.index.expand(b).contiguous();
    const int64_t* v = e.data<int64_t>();
    for (size_t j = 0; j < linear.size(); ++j) linear[j] += v[j] * p.strides[a.dim];
  }
  bool adjacent = true;
  for (size_t k = 0; k < p.advanced.size(); ++k)
    adjacent = adjacent && p.advanced[k].dim == p.advanced[0].dim + static_cast<int64_t>(k);

  // Each result dim steps the position (view dims) or the row of `linear` (broadcast dims).
  Shape sizes, view_step, linear_step;
  const Shape b_strides = contiguous_strides(b);
  auto add_view_dims = [&](int64_t from, int64_t to) {
    for (int64_t d = from; d < to; ++d) {
      if (std::any_of(p.advanced.begin(), p.advanced.end(), [d](const Advanced& a) { return a.dim == d; }))
        continue;
      sizes.push_back(p.sizes[d]);
      view_step.push_back(p.strides[d]);
      linear_step.push_back(0);
    }
  };
  auto add_broadcast_dims = [&] {
    for (size_t d = 0; d < b.size(); ++d) {
      sizes.push_back(b[d]);
      view_step.push_back(0);
      linear_step.push_back(b_strides[d]);
    }
  };
  const int64_t nd = static_cast<int64_t>(p.sizes.size());
  const int64_t split = adjacent && !p.advanced.empty() ? p.advanced.front().dim : 0;
  add_view_dims(0, split);
  add_broadcast_dims();
  add_view_dims(split, nd);

  Tensor out = empty_tensor(sizes, kInt64, Device::cpu());
  int64_t* o = out.data<int64_t>();
  std::vector<int64_t> counter(sizes.size(), 0);
  int64_t pos = p.offset, row = 0;
  for (int64_t i = 0; i < out.numel(); ++i) {
    o[i] = pos + linear[static_cast<size_t>(row)];
    for (int64_t d = static_cast<int64_t>(sizes.size()) - 1; d >= 0; --d) {
      pos += view_step[d];
      row += linear_step[d];
      if (++counter[d] < sizes[d]) break;
      pos -= view_step[d] * sizes[d];
      row -= linear_step[d] * sizes[d];
      counter[d] = 0;
    }
  }
  return out;
}

// The value broadcast to the selected shape; leading size-1 dims beyond it are dropped (as
// libtorch's set_item does), so a [1, 4] row fits a [4] selection.
Tensor fit_value(std::string_view op, const Tensor& value, const Shape& selected) {
  Tensor v = value;
  while (v.dim() > static_cast<int64_t>(selected.size()) && v.size(0) == 1) v = v.squeeze(0);
  const int64_t extra = static_cast<int64_t>(selected.size()) - v.dim();
  bool fits = extra >= 0;
  for (int64_t d = 0; fits && d < v.dim(); ++d) fits = v.size(d) == 1 || v.size(d) == selected[d + extra];
  if (!fits)
    fail("[{}] the value {} cannot be broadcast to the shape {} of the indexed elements", op,
         value.describe(), selected.str());
  return v.expand(selected);
}

}  // namespace
}  // namespace ops

Tensor Tensor::index(std::initializer_list<TensorIndex> indices) const {
  return index(std::vector<TensorIndex>(indices));
}

Tensor Tensor::index(const std::vector<TensorIndex>& indices) const {
  const ops::IndexPlan plan = ops::plan_index("index", *this, indices, contiguous_strides(shape()), 0);
  if (plan.advanced.empty()) return ops::apply_steps(*this, plan);
  const Tensor pos = ops::positions("index", plan);
  const Tensor flat = pos.reshape({pos.numel()}).to(device());
  return index_select(reshape({numel()}), 0, flat).view(pos.shape());
}

Tensor& Tensor::index_put_(const std::vector<TensorIndex>& indices, const Tensor& value) {
  constexpr std::string_view op = "index_put_";
  ops::check_defined(op, {this, &value});
  ops::check_same_device(op, {this, &value});
  if (value.dtype() != dtype())
    fail("[index_put_] the value {} must have the dtype of the tensor {}; convert it with .to()",
         value.describe(), describe());
  for (int64_t d = 0; d < dim(); ++d)
    if (stride(d) == 0 && size(d) > 1)
      fail(
          "[index_put_] cannot write into {}: it was expanded, so several of its elements share one memory "
          "location (dim {} has stride 0); clone() it first",
          describe(), d);
  if (is_grad_enabled() && (requires_grad() || value.requires_grad())) {
    // Out of place on a copy, so that autograd sees a scatter (overwritten positions get no gradient).
    return ops::inplace_via_outofplace(op, *this, {&value}, [&](const Tensor& s) {
      const ops::IndexPlan plan = ops::plan_index(op, s, indices, contiguous_strides(s.shape()), 0);
      const Tensor pos = ops::positions(op, plan);
      const Tensor v = ops::fit_value(op, value, pos.shape());
      const int64_t n = pos.numel();
      return scatter(s.reshape({s.numel()}), 0, pos.reshape({n}).to(s.device()), v.reshape({n}))
          .view(s.shape());
    });
  }
  // No gradient: write straight into the storage at the selected positions of this tensor's layout.
  ops::check_inplace(op, *this, {&value});
  const ops::IndexPlan plan = ops::plan_index(op, *this, indices, strides(), storage_offset());
  const Tensor pos = ops::positions(op, plan);
  const int64_t n = pos.numel();
  // A value that shares memory with this tensor is read before any of it is overwritten.
  const Tensor v = value.impl().storage == impl().storage ? value.clone() : value;
  const Tensor src = ops::fit_value(op, v, pos.shape()).contiguous();
  const auto storage_numel = static_cast<int64_t>(impl().storage->nbytes / element_size(dtype()));
  backend::kernels(device(), op.data())
      .scatter(ops::alias(*this, {storage_numel}, {1}, 0), 0, pos.reshape({n}).to(device()),
               ops::alias(src, {n}, {1}, src.storage_offset()), false);
  ops::bump_version(*this);
  return *this;
}

Tensor& Tensor::index_put_(const std::vector<TensorIndex>& indices, const Scalar& value) {
  return index_put_(indices, full({}, value, {.dtype = dtype(), .device = device()}));
}

}  // namespace strata
