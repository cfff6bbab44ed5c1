#pragma once
/// \file strata.h
/// The umbrella header: everything a user needs.
#include "strata/autograd.h"
#include "strata/device.h"
#include "strata/dtype.h"
#include "strata/error.h"
#include "strata/factories.h"
#include "strata/generator.h"
#include "strata/nn.h"
#include "strata/ops.h"
#include "strata/optim.h"
#include "strata/scalar.h"
#include "strata/shape.h"
#include "strata/tensor.h"
#include "strata/threads.h"
