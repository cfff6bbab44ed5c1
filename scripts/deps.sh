#!/usr/bin/env bash
# Installs the Debian packages that strata's build, tests, examples and benchmarks need, when any
# are missing (nothing happens, and no network is needed, when all are installed). Needs root, or
# sudo. libtorch-dev is optional and not installed here: with it, the benchmarks also measure
# libtorch.
set -euo pipefail

packages=(cmake ninja-build g++ libfmt-dev libopenblas-dev libhwy-dev libgtest-dev libbenchmark-dev nlohmann-json3-dev)
missing=()
for package in "${packages[@]}"; do
  if ! dpkg -s "$package" 2>/dev/null | grep -q '^Status: install ok installed'; then
    missing+=("$package")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "strata: installing ${missing[*]}"
sudo=()
if [ "$(id -u)" -ne 0 ]; then
  if ! command -v sudo >/dev/null; then
    echo "strata: these packages are missing and installing them needs root: ${missing[*]}" >&2
    exit 1
  fi
  sudo=(sudo)
fi
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update
"${sudo[@]}" apt-get install -y --no-install-recommends "${missing[@]}"
