// nn::Conv1d, nn::Conv2d, nn::ConvTranspose2d: configuration checks at construction, input checks
// that name the layer and its configuration, then the functional ops.
#include "strata/nn/conv.h"

#include <cmath>

#include "strata/factories.h"
#include "strata/nn/init.h"

namespace strata::nn {
namespace detail {
namespace {

namespace F = functional;

// PyTorch's tuple repr: "(3, 3)", or "(3,)" in 1-d.
std::string tuple_str(int64_t nd, const F::Size2& p) {
  return nd == 1 ? fmt::format("({},)", p.w) : fmt::format("({}, {})", p.h, p.w);
}
// Compact form for messages: "3" in 1-d or when equal ("stride=1"), else "3x5".
std::string short_str(int64_t nd, const F::Size2& p) {
  return nd == 1 || p.h == p.w ? std::to_string(p.w) : fmt::format("{}x{}", p.h, p.w);
}
bool is(const F::Size2& p, int64_t v) { return p.h == v && p.w == v; }
F::Size2 padding_pair(const F::Padding& p) { return {p.h, p.w}; }

}  // namespace

void ConvConfig::check() const {
  const auto where = [&] { return fmt::format("[{}({})]", kind, repr(true)); };
  if (in_channels < 0 || out_channels < 0) fail("{} in_channels and out_channels must be >= 0", where());
  if (groups < 1) fail("{} groups must be >= 1, got {}", where(), groups);
  if (in_channels % groups != 0)
    fail("{} in_channels={} is not divisible by groups={}; each group takes in_channels / groups channels",
         where(), in_channels, groups);
  if (out_channels % groups != 0)
    fail("{} out_channels={} is not divisible by groups={}; each group makes out_channels / groups channels",
         where(), out_channels, groups);
  if (kernel_size.h < 1 || kernel_size.w < 1) fail("{} kernel_size must be >= 1", where());
  if (stride.h < 1 || stride.w < 1) fail("{} stride must be >= 1", where());
  if (dilation.h < 1 || dilation.w < 1) fail("{} dilation must be >= 1", where());
  if (!padding.mode.empty() && padding.mode != "same" && padding.mode != "valid")
    fail("{} padding must be \"same\", \"valid\" or numbers, got \"{}\"", where(), padding.mode);
  if (padding.mode == "same" && !is(stride, 1))
    fail("{} padding=\"same\" is not supported for strided convolutions (stride {}); use stride 1 or numbers",
         where(), short_str(nd, stride));
  if (padding.mode.empty() && (padding.h < 0 || padding.w < 0)) fail("{} padding must be >= 0", where());
  if (nd == 1 && padding.per_dim) fail("{} padding takes one number for Conv1d", where());
  if (padding_mode != "zeros")
    fail(
        "{} padding_mode=\"{}\" is not supported: strata pads convolutions with zeros only "
        "(padding_mode=\"zeros\")",
        where(), padding_mode);
  if (transposed && (output_padding.h < 0 || output_padding.w < 0 ||
                     (output_padding.h >= stride.h && output_padding.h >= dilation.h) ||
                     (output_padding.w >= stride.w && output_padding.w >= dilation.w)))
    fail("{} output_padding must be >= 0 and smaller than either stride or dilation in each dim", where());
}

std::string ConvConfig::summary() const {
  std::string s = fmt::format(
      "{} {}->{}, kernel_size={}, stride={}", kind, in_channels, out_channels,
      nd == 1 ? std::to_string(kernel_size.w) : fmt::format("{}x{}", kernel_size.h, kernel_size.w),
      short_str(nd, stride));
  if (!padding.mode.empty())
    s += ", padding=" + padding.mode;
  else if (padding.h != 0 || padding.w != 0)
    s += ", padding=" + short_str(nd, padding_pair(padding));
  if (!is(dilation, 1)) s += ", dilation=" + short_str(nd, dilation);
  if (transposed && !is(output_padding, 0)) s += ", output_padding=" + short_str(nd, output_padding);
  if (groups != 1) s += fmt::format(", groups={}", groups);
  return s;
}

std::string ConvConfig::repr(bool has_bias) const {
  std::string s = fmt::format("{}, {}, kernel_size={}, stride={}", in_channels, out_channels,
                              tuple_str(nd, kernel_size), tuple_str(nd, stride));
  if (!padding.mode.empty())
    s += ", padding=" + padding.mode;
  else if (padding.h != 0 || padding.w != 0)
    s += ", padding=" + tuple_str(nd, padding_pair(padding));
  if (!is(dilation, 1)) s += ", dilation=" + tuple_str(nd, dilation);
  if (transposed && !is(output_padding, 0)) s += ", output_padding=" + tuple_str(nd, output_padding);
  if (groups != 1) s += fmt::format(", groups={}", groups);
  if (!has_bias) s += ", bias=False";
  if (padding_mode != "zeros") s += ", padding_mode=" + padding_mode;
  return s;
}

void ConvConfig::check_input(const std::string& path, const Tensor& x, const Tensor& weight) const {
  if (!x.defined()) fail("{} ({}): the input is an undefined tensor", path, summary());
  const char* layout = nd == 1 ? "[N, C, L] or unbatched [C, L]" : "[N, C, H, W] or unbatched [C, H, W]";
  if (x.dim() != nd + 1 && x.dim() != nd + 2)
    fail("{} ({}): input {} has {} dims; {} takes {}", path, summary(), x.shape().str(), x.dim(), kind,
         layout);
  const int64_t ch_dim = x.dim() - nd - 1, C = x.size(ch_dim);
  if (C != in_channels)
    fail(
        "{} ({}): input {} has {} channels, expected {}. The channels are dim {} of {}; check the layer "
        "before it (its out_channels) or the data's layout",
        path, summary(), x.shape().str(), C, in_channels, ch_dim, layout);
  if (!(x.device() == weight.device()))
    fail(
        "{} ({}): {}.weight is on {}, input is on {}. Move the input with x.to({}) or the model with "
        "model.to({})",
        path, summary(), path, weight.device().str(), x.device().str(), weight.device().str(),
        x.device().str());
  if (x.dtype() != weight.dtype())
    fail(
        "{} ({}): input {} is {}, {}.weight is {}. Convert the input with x.to() or the model with "
        "model.to()",
        path, summary(), x.shape().str(), dtype_name(x.dtype()), path, dtype_name(weight.dtype()));
  const int64_t H = nd == 1 ? 1 : x.size(-2), W = x.size(-1);
  const int64_t kh = nd == 1 ? 1 : kernel_size.h, dh = nd == 1 ? 1 : dilation.h;
  if (transposed) {
    const int64_t oh = (H - 1) * stride.h - 2 * padding.h + dh * (kh - 1) + output_padding.h + 1;
    const int64_t ow =
        (W - 1) * stride.w - 2 * padding.w + dilation.w * (kernel_size.w - 1) + output_padding.w + 1;
    if (oh < 1 || ow < 1)
      fail("{} ({}): input {} gives an output of {}x{}; use a larger input or less padding", path, summary(),
           x.shape().str(), oh, ow);
    return;
  }
  const int64_t reach_h = dh * (kh - 1) + 1, reach_w = dilation.w * (kernel_size.w - 1) + 1;
  int64_t ph = H, pw = W;
  if (padding.mode == "same") {
    ph += reach_h - 1;
    pw += reach_w - 1;
  } else if (padding.mode.empty()) {
    ph += nd == 1 ? 0 : 2 * padding.h;
    pw += 2 * padding.w;
  }
  if (ph < reach_h || pw < reach_w)
    fail(
        "{} ({}): input {} is smaller than the kernel: {} padded, against a kernel reach of {} (kernel_size "
        "{} "
        "with dilation {}). Use a larger input, more padding, or a smaller kernel or dilation",
        path, summary(), x.shape().str(), nd == 1 ? std::to_string(pw) : fmt::format("{}x{}", ph, pw),
        nd == 1 ? std::to_string(reach_w) : fmt::format("{}x{}", reach_h, reach_w),
        nd == 1 ? std::to_string(kernel_size.w) : fmt::format("{}x{}", kernel_size.h, kernel_size.w),
        short_str(nd, dilation));
}

void ConvConfig::reset(const Tensor& weight, const Tensor& bias) const {
  // kaiming_uniform_(a = sqrt(5)) works out to uniform(+-1/sqrt(fan_in)), the bound the bias shares.
  init::kaiming_uniform_(weight, std::sqrt(5.0));
  if (bias.defined()) {
    const int64_t fan_in = init::calculate_fan_in_and_fan_out(weight).fan_in;
    const double bound = fan_in > 0 ? 1.0 / std::sqrt(static_cast<double>(fan_in)) : 0.0;
    init::uniform_(bias, -bound, bound);
  }
}

}  // namespace detail

namespace {

namespace F = functional;

// The weight's shape: [out, in / groups, k...], or [in, out / groups, k...] when transposed.
Shape weight_shape(const detail::ConvConfig& c) {
  Shape s = c.transposed ? Shape{c.in_channels, c.out_channels / c.groups}
                         : Shape{c.out_channels, c.in_channels / c.groups};
  if (c.nd == 2) s.push_back(c.kernel_size.h);
  s.push_back(c.kernel_size.w);
  return s;
}

}  // namespace

Conv1d::Conv1d(int64_t in_channels, int64_t out_channels, int64_t kernel_size, int64_t stride,
               F::Padding padding, int64_t dilation, int64_t groups, bool bias, std::string_view padding_mode)
    : config_{"Conv1d", 1,        false, in_channels, out_channels, kernel_size,
              stride,   dilation, 0,     padding,     groups,       std::string(padding_mode)} {
  config_.check();
  weight = Parameter(empty(weight_shape(config_)));
  if (bias) this->bias = Parameter(empty({out_channels}));
  reset_parameters();
}

void Conv1d::reset_parameters() { config_.reset(weight, bias); }

Tensor Conv1d::forward(const Tensor& x) {
  config_.check_input(path(), x, weight);
  return F::conv1d(x, weight, bias,
                   {.stride = config_.stride.w,
                    .padding = config_.padding,
                    .dilation = config_.dilation.w,
                    .groups = config_.groups});
}

std::string Conv1d::extra_repr() const { return config_.repr(bias.defined()); }

Conv2d::Conv2d(int64_t in_channels, int64_t out_channels, F::Size2 kernel_size, F::Size2 stride,
               F::Padding padding, F::Size2 dilation, int64_t groups, bool bias,
               std::string_view padding_mode)
    : config_{"Conv2d", 2,        false, in_channels, out_channels, kernel_size,
              stride,   dilation, 0,     padding,     groups,       std::string(padding_mode)} {
  config_.check();
  weight = Parameter(empty(weight_shape(config_)));
  if (bias) this->bias = Parameter(empty({out_channels}));
  reset_parameters();
}

void Conv2d::reset_parameters() { config_.reset(weight, bias); }

Tensor Conv2d::forward(const Tensor& x) {
  config_.check_input(path(), x, weight);
  return F::conv2d(x, weight, bias,
                   {.stride = config_.stride,
                    .padding = config_.padding,
                    .dilation = config_.dilation,
                    .groups = config_.groups});
}

std::string Conv2d::extra_repr() const { return config_.repr(bias.defined()); }

ConvTranspose2d::ConvTranspose2d(int64_t in_channels, int64_t out_channels, F::Size2 kernel_size,
                                 F::Size2 stride, F::Size2 padding, F::Size2 output_padding, int64_t groups,
                                 bool bias, F::Size2 dilation, std::string_view padding_mode)
    : config_{"ConvTranspose2d",
              2,
              true,
              in_channels,
              out_channels,
              kernel_size,
              stride,
              dilation,
              output_padding,
              F::Padding(padding.h, padding.w),
              groups,
              std::string(padding_mode)} {
  config_.check();
  weight = Parameter(empty(weight_shape(config_)));
  if (bias) this->bias = Parameter(empty({out_channels}));
  reset_parameters();
}

void ConvTranspose2d::reset_parameters() { config_.reset(weight, bias); }

Tensor ConvTranspose2d::forward(const Tensor& x) {
  config_.check_input(path(), x, weight);
  return F::conv_transpose2d(x, weight, bias,
                             {.stride = config_.stride,
                              .padding = {config_.padding.h, config_.padding.w},
                              .output_padding = config_.output_padding,
                              .groups = config_.groups,
                              .dilation = config_.dilation});
}

std::string ConvTranspose2d::extra_repr() const { return config_.repr(bias.defined()); }

}  // namespace strata::nn
