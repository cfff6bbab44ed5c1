#pragma once
// Which kernel the bmm kernel slot (matmul.cpp) runs a product on, exposed so that tests can check
// that their shapes take the route they are meant to exercise.
#include <cstdint>

#include "strata/dtype.h"

namespace strata::backend::cpu {

enum class MatmulRoute {
  kOwn,       // strata's kernel (matmul_own.cpp)
  kGemvRows,  // one cblas_?gemv per row of C
  kGemvCols,  // one cblas_?gemv per column of C
  kGemm,      // cblas_?gemm
};

/// The route of one M x K by K x N product of `dtype` (K >= 1).
MatmulRoute matmul_route(DType dtype, int64_t M, int64_t N, int64_t K);

}  // namespace strata::backend::cpu
