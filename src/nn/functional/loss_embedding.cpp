// cosine_embedding_loss: PyTorch 1.13's formula, term for term, so values agree to rounding.
#include "nn/functional/loss_util.h"
#include "strata/factories.h"

namespace strata::nn::functional {
namespace {

constexpr const char* kOp = "cosine_embedding_loss";
// What PyTorch adds to each squared magnitude, so that a zero vector gives cos = 0, not NaN.
constexpr double kEpsilon = 1e-12;

void check_shapes(const Tensor& x1, const Tensor& x2, const Tensor& target) {
  if (target.dim() > 1)
    fail("[{}] target {} must be 0-d or 1-d (one label per pair); multi-target is not supported", kOp,
         target.describe());
  const int64_t want = target.dim() == 1 ? 2 : 1;
  if (x1.dim() != want || x2.dim() != want)
    fail("[{}] a {}-d target expects {}-d inputs ({}), got x1 {} and x2 {}", kOp, target.dim(), want,
         want == 2 ? "[N, D] with target [N]" : "[D] with a 0-d target", x1.describe(), x2.describe());
  for (int64_t d = 0; d < want; ++d) {
    const int64_t a = x1.size(d), b = x2.size(d);
    if (a != b && a != 1 && b != 1)
      fail("[{}] x1 {} and x2 {} do not broadcast (dim {}: {} vs {}); give them the same shape", kOp,
           x1.describe(), x2.describe(), d, a, b);
  }
  if (want == 2) {
    const int64_t n = std::max(x1.size(0), x2.size(0));
    const int64_t t = target.size(0);
    if (t != n && t != 1 && n != 1)
      fail("[{}] target {} has {} labels for {} pairs (x1 {}, x2 {}); give one label per row", kOp,
           target.describe(), t, n, x1.describe(), x2.describe());
  }
}

}  // namespace

Tensor cosine_embedding_loss(const Tensor& x1, const Tensor& x2, const Tensor& target, double margin,
                             Reduction reduction) {
  detail::check_defined(kOp, x1, "x1");
  detail::check_defined(kOp, x2, "x2");
  detail::check_defined(kOp, target, "target");
  detail::check_floating_input(kOp, x1, "x1");
  detail::check_floating_input(kOp, x2, "x2");
  detail::check_same_device(kOp, x1, x2, "x2");
  detail::check_same_device(kOp, x1, target, "target");
  check_shapes(x1, x2, target);
  const Shape dim{target.dim()};
  const Tensor prod_sum = sum(x1 * x2, dim);
  const Tensor mag_square1 = sum(x1 * x1, dim) + kEpsilon;
  const Tensor mag_square2 = sum(x2 * x2, dim) + kEpsilon;
  const Tensor cos = prod_sum / sqrt(mag_square1 * mag_square2);
  const Tensor zero = zeros_like(cos);
  const Tensor positive = where(target == 1, 1.0 - cos, zero);
  const Tensor negative = where(target == -1, clamp(cos - margin, 0.0, std::nullopt), zero);
  return detail::reduce(positive + negative, reduction);
}

}  // namespace strata::nn::functional
