// Printing a tensor exactly as PyTorch 1.13's repr does (torch/_tensor_str.py with the default
// print options: precision 4, threshold 1000, edgeitems 3, linewidth 80), so that output can be
// compared with PyTorch's by eye or by diff. Only the dtype suffix differs: `dtype=strata.float64`.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "strata/autograd.h"
#include "strata/tensor.h"

namespace strata {
namespace {

constexpr int kPrecision = 4;
constexpr int64_t kThreshold = 1000;
constexpr int64_t kEdgeItems = 3;
constexpr int64_t kLineWidth = 80;
constexpr int64_t kPrefixLength = 7;  // "tensor("

// The elements that will be shown, in row-major order: every element, or with summarisation
// only the first and last kEdgeItems along each long dim. `elided[d]` marks dims cut in two.
struct Shown {
  Shape sizes;
  std::vector<bool> elided;
  std::vector<double> reals;  // floating-point dtypes
  std::vector<int64_t> ints;  // integer and bool dtypes
};

// Reads one element straight from memory. Printing reads the bytes itself (rather than calling
// conversion kernels) so that it works for every dtype, touches only the elements it shows, and
// cannot fail halfway through for a dtype some kernel lacks.
double read_real(const char* p, DType dtype) {
  switch (dtype) {
    case kFloat16: {
      Half h;
      std::memcpy(&h.bits, p, sizeof(h.bits));
      return static_cast<float>(h);
    }
    case kBFloat16: {
      BFloat16 b;
      std::memcpy(&b.bits, p, sizeof(b.bits));
      return static_cast<float>(b);
    }
    case kFloat32: {
      float f;
      std::memcpy(&f, p, sizeof(f));
      return f;
    }
    default: {
      double d;
      std::memcpy(&d, p, sizeof(d));
      return d;
    }
  }
}

int64_t read_int(const char* p, DType dtype) {
  switch (dtype) {
    case kBool:
      return *reinterpret_cast<const uint8_t*>(p) != 0;
    case kUInt8:
      return *reinterpret_cast<const uint8_t*>(p);
    case kInt32: {
      int32_t v;
      std::memcpy(&v, p, sizeof(v));
      return v;
    }
    default: {
      int64_t v;
      std::memcpy(&v, p, sizeof(v));
      return v;
    }
  }
}

Shown gather_shown(const Tensor& t) {
  const bool summarize = t.numel() > kThreshold;
  const size_t ndim = static_cast<size_t>(t.dim());
  Shown shown;
  std::vector<std::vector<int64_t>> kept(ndim);  // the source index of each shown position
  for (size_t d = 0; d < ndim; ++d) {
    const int64_t n = t.shape()[d];
    const bool cut = summarize && n > 2 * kEdgeItems;
    shown.elided.push_back(cut);
    for (int64_t i = 0; i < n; ++i)
      if (!cut || i < kEdgeItems || i >= n - kEdgeItems) kept[d].push_back(i);
    shown.sizes.push_back(static_cast<int64_t>(kept[d].size()));
  }
  const char* base = static_cast<const char*>(t.data_ptr());
  const int64_t item = static_cast<int64_t>(element_size(t.dtype()));
  const bool floating = t.is_floating_point();
  std::vector<size_t> pos(ndim, 0);
  const int64_t count = shown.sizes.numel();
  for (int64_t k = 0; k < count; ++k) {
    int64_t offset = 0;
    for (size_t d = 0; d < ndim; ++d) offset += kept[d][pos[d]] * t.strides()[d];
    const char* p = base + offset * item;
    if (floating)
      shown.reals.push_back(read_real(p, t.dtype()));
    else
      shown.ints.push_back(read_int(p, t.dtype()));
    for (size_t d = ndim; d-- > 0;) {  // odometer over the shown positions
      if (++pos[d] < kept[d].size()) break;
      pos[d] = 0;
    }
  }
  return shown;
}

std::string printf_number(const char* format, double v) {
  char buf[512];
  std::snprintf(buf, sizeof(buf), format, kPrecision, v);
  return buf;
}

// Python prints NaN without a sign, whatever its sign bit (printf would give "-nan").
std::string nonfinite(double v) { return std::isnan(v) ? "nan" : v < 0 ? "-inf" : "inf"; }

// PyTorch's _Formatter: picks one notation and one width for all the shown elements.
class Formatter {
 public:
  explicit Formatter(const Shown& shown, DType dtype) : dtype_(dtype) {
    if (!is_floating_point(dtype)) {
      for (int64_t v : shown.ints) width_ = std::max(width_, format_int(v).size());
      return;
    }
    double lo = INFINITY, hi = 0.0;
    bool any = false;
    for (double v : shown.reals) {
      if (v == 0.0 || !std::isfinite(v)) continue;
      any = true;
      lo = std::min(lo, std::fabs(v));
      hi = std::max(hi, std::fabs(v));
      if (v != std::ceil(v)) int_mode_ = false;
    }
    if (!any) return;  // only zeros and non-finite values: "0.", "nan", width 1
    if (int_mode_) {
      sci_mode_ = hi / lo > 1000.0 || hi > 1.0e8;
    } else {
      sci_mode_ = hi / lo > 1000.0 || hi > 1.0e8 || lo < 1.0e-4;
    }
    for (double v : shown.reals) {
      if (v == 0.0 || !std::isfinite(v)) continue;
      // In int mode a "." follows each number, hence the + 1.
      const size_t w = sci_mode_   ? printf_number("%.*e", v).size()
                       : int_mode_ ? printf_number("%.0f", v).size() + 1
                                   : printf_number("%.*f", v).size();
      width_ = std::max(width_, w);
    }
  }

  size_t width() const { return width_; }

  std::string format_real(double v) const {
    std::string s;
    if (!std::isfinite(v))
      s = nonfinite(v);
    else if (sci_mode_)
      s = printf_number("%.*e", v);
    else if (int_mode_)
      s = printf_number("%.0f", v) + ".";
    else
      s = printf_number("%.*f", v);
    return pad(s);
  }

  std::string format_int(int64_t v) const {
    if (dtype_ == kBool) return v ? "True" : "False";
    return std::to_string(v);
  }
  std::string format_padded_int(int64_t v) const { return pad(format_int(v)); }

 private:
  std::string pad(const std::string& s) const {
    return s.size() < width_ ? std::string(width_ - s.size(), ' ') + s : s;
  }

  DType dtype_;
  bool int_mode_ = true;
  bool sci_mode_ = false;
  size_t width_ = 1;
};

std::string join(const std::vector<std::string>& parts, const std::string& separator) {
  std::string out;
  for (size_t i = 0; i < parts.size(); ++i) {
    if (i) out += separator;
    out += parts[i];
  }
  return out;
}

// Lays out the pre-formatted cells as nested brackets; `cursor` walks the cells in order.
std::string render(const Shown& shown, const std::vector<std::string>& cells, size_t d, size_t& cursor,
                   int64_t indent, size_t width) {
  const size_t ndim = shown.sizes.size();
  if (ndim == 0) return cells[cursor++];
  const int64_t n = shown.sizes[d];
  if (d + 1 == ndim) {
    std::vector<std::string> items;
    for (int64_t i = 0; i < n; ++i) {
      if (shown.elided[d] && i == kEdgeItems) items.emplace_back(" ...");
      items.push_back(cells[cursor++]);
    }
    const int64_t element_length = static_cast<int64_t>(width) + 2;
    const int64_t remaining = kLineWidth - indent;
    // Python floors the quotient; only its sign matters below 1, and max() handles that.
    const size_t per_line = static_cast<size_t>(std::max<int64_t>(1, remaining / element_length));
    std::vector<std::string> lines;
    for (size_t i = 0; i < items.size(); i += per_line) {
      std::vector<std::string> line(
          items.begin() + static_cast<std::ptrdiff_t>(i),
          items.begin() + static_cast<std::ptrdiff_t>(std::min(items.size(), i + per_line)));
      lines.push_back(join(line, ", "));
    }
    return "[" + join(lines, ",\n" + std::string(static_cast<size_t>(indent + 1), ' ')) + "]";
  }
  std::vector<std::string> slices;
  for (int64_t i = 0; i < n; ++i) {
    if (shown.elided[d] && i == kEdgeItems) slices.emplace_back("...");
    slices.push_back(render(shown, cells, d + 1, cursor, indent + 1, width));
  }
  const std::string separator =
      "," + std::string(ndim - d - 1, '\n') + std::string(static_cast<size_t>(indent + 1), ' ');
  return "[" + join(slices, separator) + "]";
}

std::string body(const Tensor& t) {
  const Shown shown = gather_shown(t);
  const Formatter formatter(shown, t.dtype());
  std::vector<std::string> cells;
  if (t.is_floating_point()) {
    for (double v : shown.reals) cells.push_back(formatter.format_real(v));
  } else {
    for (int64_t v : shown.ints) cells.push_back(formatter.format_padded_int(v));
  }
  size_t cursor = 0;
  return render(shown, cells, 0, cursor, kPrefixLength, formatter.width());
}

// Python's str(tuple): "(0, 3)", "(5,)".
std::string tuple_string(const Shape& shape) {
  std::string s = "(";
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i) s += ", ";
    s += std::to_string(shape[i]);
  }
  return s + (shape.size() == 1 ? ",)" : ")");
}

// PyTorch's _add_suffixes: a suffix goes on a new line when it would pass the line width.
std::string add_suffixes(std::string text, const std::vector<std::string>& suffixes) {
  const size_t newline = text.rfind('\n');
  // Reproduces Python's `len(s) - s.rfind("\n") + 1`, where rfind gives -1 when there is none.
  int64_t last_line = static_cast<int64_t>(text.size()) -
                      (newline == std::string::npos ? -1 : static_cast<int64_t>(newline)) + 1;
  for (const std::string& suffix : suffixes) {
    const int64_t len = static_cast<int64_t>(suffix.size());
    if (last_line + len + 2 > kLineWidth) {
      text += ",\n" + std::string(static_cast<size_t>(kPrefixLength), ' ') + suffix;
      last_line = kPrefixLength + len;
    } else {
      text += ", " + suffix;
      last_line += len + 2;
    }
  }
  return text + ")";
}

}  // namespace

std::ostream& operator<<(std::ostream& os, const Tensor& t) {
  if (!t.defined()) return os << "tensor(undefined)";
  std::vector<std::string> suffixes;
  if (!t.device().is_cpu()) suffixes.push_back("device='" + t.device().str() + "'");
  const std::string dtype_suffix = "dtype=strata." + std::string(dtype_name(t.dtype()));
  std::string text;
  if (t.numel() == 0) {
    // As NumPy: the shape is shown unless it is (0,), and the dtype unless it is the default,
    // since no element shows it.
    if (t.dim() != 1) suffixes.push_back("size=" + tuple_string(t.shape()));
    if (t.dtype() != default_dtype()) suffixes.push_back(dtype_suffix);
    text = "tensor([]";
  } else {
    if (t.dtype() != default_dtype() && t.dtype() != kInt64 && t.dtype() != kBool)
      suffixes.push_back(dtype_suffix);
    Tensor host = t;
    if (!t.device().is_cpu()) {
      NoGradGuard no_grad;
      host = t.to(Device::cpu());
    }
    text = "tensor(" + body(host);
  }
  if (t.grad_fn())
    suffixes.push_back("grad_fn=<" + t.grad_fn_name() + ">");
  else if (t.requires_grad())
    suffixes.push_back("requires_grad=True");
  return os << add_suffixes(std::move(text), suffixes);
}

}  // namespace strata
