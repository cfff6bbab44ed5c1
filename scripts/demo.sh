#!/usr/bin/env bash
# Quick start, step 1: installs what the build needs (when missing), builds strata and runs the
# demos: examples/simple_net.cpp (the first program), examples/spirals.cpp (a small MLP trained
# on two interleaved spirals), examples/cnn.cpp (a LeNet-shaped CNN on generated pictures) and
# examples/transformer.cpp (a small transformer encoder on generated sequences).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

"$scripts/deps.sh"
configure
cmake --build "$build_dir" --target simple_net spirals cnn transformer
echo
echo "== examples/simple_net.cpp"
"$build_dir/examples/simple_net"
echo
echo "== examples/spirals.cpp"
"$build_dir/examples/spirals"
echo
echo "== examples/cnn.cpp"
"$build_dir/examples/cnn"
echo
echo "== examples/transformer.cpp"
"$build_dir/examples/transformer"
