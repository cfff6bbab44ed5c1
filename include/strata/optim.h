#pragma once
/// \file optim.h
/// The optimizers: SGD, Adam, AdamW and RMSprop (see strata/optim/optimizer.h for what they share),
/// and the learning-rate schedulers (strata/optim/lr_scheduler.h).
#include "strata/optim/adam.h"
#include "strata/optim/lr_scheduler.h"
#include "strata/optim/optimizer.h"
#include "strata/optim/rmsprop.h"
#include "strata/optim/sgd.h"
