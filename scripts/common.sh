# Shared by the scripts in this folder (sourced, not run): where the build lives and how it is
# configured. STRATA_BUILD_DIR overrides the build directory (default: build/ in the repo).
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
scripts="$repo/scripts"
build_dir="${STRATA_BUILD_DIR:-$repo/build}"

# configure [cmake -D options...]: a Release build with Ninja; extra options are passed on.
configure() {
  cmake -S "$repo" -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=Release "$@"
}
