#pragma once
/// \file threads.h
/// How many threads strata's CPU kernels use.
///
/// strata owns one pool of worker threads. A kernel splits its work across the pool only when the
/// work is large enough for the split to pay (a few tens of microseconds of work per thread), so
/// small models run on the calling thread alone. Idle workers sleep instead of spinning, and
/// strata touches no OpenMP state. OpenBLAS, which strata calls for matrix products, runs one
/// thread per call: strata sets OpenBLAS's process-wide thread count to 1 at its first product and
/// its own pool splits large products (a program that raises OpenBLAS's count again gets both
/// pools at once).

namespace strata {

/// The number of threads strata's CPU kernels use, counting the calling thread. The default is
/// the number of CPUs this process may run on, or the value of the environment variable
/// `STRATA_NUM_THREADS` when it is set to a positive integer.
int get_num_threads();

/// Sets the number of threads strata's CPU kernels use (n >= 1; 1 means the calling thread
/// alone). Throws strata::Error for n < 1. Call it between operations, not while another thread
/// is running strata kernels.
void set_num_threads(int n);

}  // namespace strata
