#pragma once
/// \file functional/size.h
/// `Size2`: a size for the two spatial dims of a convolution or a pooling window, written as
/// PyTorch writes it: one number for both (`.stride = 2`) or `{h, w}` (`.dilation = {1, 2}`).
#include <cstdint>

namespace strata::nn::functional {

struct Size2 {
  int64_t h, w;
  bool pair;  ///< given as {h, w}: a module's repr then prints a tuple, as PyTorch's
  Size2(int64_t both) : h(both), w(both), pair(false) {}  // NOLINT(google-explicit-constructor): 2 is 2x2
  Size2(int64_t h_, int64_t w_) : h(h_), w(w_), pair(true) {}
};

}  // namespace strata::nn::functional
