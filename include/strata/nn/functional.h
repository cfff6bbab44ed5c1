#pragma once
/// \file functional.h
/// `strata::nn::functional`: activations and losses as plain functions.
#include "strata/nn/functional/activation.h"
#include "strata/nn/functional/loss.h"
