#pragma once
/// \file functional.h
/// `strata::nn::functional`: layers, activations and losses as plain functions, named as in
/// torch.nn.functional.
#include "strata/nn/functional/activation.h"
#include "strata/nn/functional/attention.h"
#include "strata/nn/functional/conv.h"
#include "strata/nn/functional/dropout.h"
#include "strata/nn/functional/loss.h"
#include "strata/nn/functional/normalization.h"
#include "strata/nn/functional/pooling.h"
