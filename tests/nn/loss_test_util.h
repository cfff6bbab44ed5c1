#pragma once
// What the loss tests share: the reductions to loop over and a float64 tensor from values.
#include <vector>

#include "strata/nn/functional/loss.h"
#include "support/test_util.h"

namespace strata::test {

inline const nn::functional::Reduction kReductions[] = {
    nn::functional::Reduction::None, nn::functional::Reduction::Mean, nn::functional::Reduction::Sum};

inline Tensor f64(const std::vector<double>& v, const Shape& shape) {
  return from_vector(v, shape, {.dtype = kFloat64});
}

}  // namespace strata::test
