// Random fills from a strata::Generator (float32/float64 destinations, contiguous).
#include "backend/cpu/cpu_kernels.h"
#include "backend/cpu/dispatch.h"

namespace strata::backend::cpu {
namespace {

template <typename F>
void fill_contiguous(const Tensor& dst, const char* op, F next) {
  if (!dst.is_contiguous()) fail("[{}] kernel expects a contiguous destination", op);
  dispatch_float(dst.dtype(), op, [&]<typename T>() {
    T* p = dst.data<T>();
    for (int64_t i = 0; i < dst.numel(); ++i) p[i] = static_cast<T>(next());
  });
}

void uniform(const Tensor& dst, double lo, double hi, Generator& gen) {
  fill_contiguous(dst, "uniform", [&] { return lo + (hi - lo) * gen.uniform(); });
}

void normal(const Tensor& dst, double mean, double std, Generator& gen) {
  fill_contiguous(dst, "normal", [&] { return mean + std * gen.normal(); });
}

}  // namespace

void register_random(Kernels& k) {
  k.uniform = &uniform;
  k.normal = &normal;
}

}  // namespace strata::backend::cpu
