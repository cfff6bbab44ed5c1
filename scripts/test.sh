#!/usr/bin/env bash
# Quick start, step 2: builds everything (library, tests, examples, benchmarks) and runs every test
# with ctest. Arguments are passed to CMake's configure step; CI passes -DSTRATA_WERROR=ON.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

"$scripts/deps.sh"
configure "$@"
cmake --build "$build_dir"

log="$(mktemp)"
trap 'rm -f "$log"' EXIT
status=0
ctest --test-dir "$build_dir" --output-on-failure --timeout 600 -j"$(nproc)" 2>&1 | tee "$log" || status=$?
# ctest prints "N% tests passed, M tests failed out of K" before its list of failed tests;
# repeating it makes it the last line of the output whatever happened (CI reads that line).
summary="$(grep -E '^[0-9]+% tests passed' "$log" | tail -n 1 || true)"
if [ -n "$summary" ]; then
  echo
  echo "$summary"
fi
exit "$status"
