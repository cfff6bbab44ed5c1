#!/usr/bin/env bash
# Quick start, step 1: installs what the build needs (when missing), builds strata and runs the
# demo, examples/tensor_basics.cpp.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

"$scripts/deps.sh"
configure
cmake --build "$build_dir" --target tensor_basics
echo
"$build_dir/examples/tensor_basics"
