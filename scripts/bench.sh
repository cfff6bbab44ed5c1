#!/usr/bin/env bash
# Builds strata_bench (Release) and runs it: the same workloads through strata and libtorch (when
# libtorch-dev is installed), a table of medians and ratios on stdout, and JSON in build/bench/:
# summary.json (the table) and raw.json (every repetition, Google Benchmark's format).
# Arguments are passed to strata_bench, e.g. --benchmark_filter=add or --benchmark_repetitions=20.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

"$scripts/deps.sh"
if ! dpkg -s libtorch-dev 2>/dev/null | grep -q '^Status: install ok installed'; then
  echo "strata: libtorch-dev is not installed, so only strata is measured (apt-get install libtorch-dev to compare)"
fi
configure
cmake --build "$build_dir" --target strata_bench

# One thread for libtorch's OpenMP and BLAS; they read these while loading, before main().
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1
out="$build_dir/bench"
mkdir -p "$out"
"$build_dir/benchmarks/strata_bench" --benchmark_out="$out/raw.json" --benchmark_out_format=json \
  --summary_out="$out/summary.json" "$@"
