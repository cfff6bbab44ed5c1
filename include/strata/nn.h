#pragma once
/// \file nn.h
/// Everything under strata::nn: Module and STRATA_MODULE, containers, layers, functional, init.
#include "strata/nn/activation.h"
#include "strata/nn/functional.h"
#include "strata/nn/init.h"
#include "strata/nn/linear.h"
#include "strata/nn/loss.h"
#include "strata/nn/module.h"
#include "strata/nn/module_list.h"
#include "strata/nn/parameter.h"
#include "strata/nn/parameter_list.h"
#include "strata/nn/sequential.h"
#include "strata/nn/state_dict.h"
#include "strata/nn/summary.h"
