#!/usr/bin/env bash
# Builds strata_bench (Release) and runs the benchmark suite: every workload through strata and
# through libtorch (when libtorch-dev is installed) and OpenBLAS, at 1 and 2 threads, each library
# setting in processes of its own, several processes each; then the merged table on stdout and in
# build/bench/: summary.json (the table), table.txt, table.md (Markdown), and processes/ (each
# process's JSON and log).
#
#   scripts/bench.sh [--processes=K] [--threads="1 2"] [--settings2="blas2 both2"] [--quick]
#                    [strata_bench flags, e.g. --benchmark_filter=sgemm]
#
# --processes  processes per library setting and thread count (default 3, or $STRATA_BENCH_PROCESSES):
#              2-thread timings differ between processes (address layout), so each figure is the
#              median (and min) over processes
# --threads    the thread counts to measure (default "1 2")
# --settings2  libtorch's 2-thread settings to try (see benchmarks/settings.h); the fastest counts
# --quick      one process each, 2 short repetitions: checks that everything runs, measures nothing
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

processes="${STRATA_BENCH_PROCESSES:-3}"
threads_list="1 2"
settings2="blas2 both2"
quick=()
passthrough=()
for arg in "$@"; do
  case "$arg" in
    --processes=*) processes="${arg#*=}" ;;
    --threads=*) threads_list="${arg#*=}" ;;
    --settings2=*) settings2="${arg#*=}" ;;
    --quick) quick=(--quick) processes=1 ;;
    *) passthrough+=("$arg") ;;
  esac
done
if ! [[ "$processes" =~ ^[1-9][0-9]*$ ]]; then
  echo "strata: --processes must be a positive integer, not '$processes'" >&2
  exit 2
fi

"$scripts/deps.sh"
if ! dpkg -s libtorch-dev 2>/dev/null | grep -q '^Status: install ok installed'; then
  echo "strata: libtorch-dev is not installed, so libtorch is not measured (apt-get install libtorch-dev to compare)"
fi
configure -DSTRATA_BUILD_BENCHMARKS=ON
cmake --build "$build_dir" --target strata_bench

bench="$build_dir/benchmarks/strata_bench"
out="$build_dir/bench"
rm -rf "$out/processes"
mkdir -p "$out/processes"
libraries="$("$bench" --list_libraries)"

echo
echo "machine: $(grep -m1 '^model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), $(nproc) CPUs"
echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg) (1, 5, 15 min)"
echo "measuring: $libraries; $processes process(es) per setting and thread count"
if awk '{ exit !($1 > 0.5) }' /proc/loadavg; then
  echo "note: the machine is busy; 2-thread figures especially will be slower than on a quiet machine"
fi

# One process: strata_bench with these flags, its JSON and console output under processes/.
files=()
count=0
run() {
  local name="$1"
  shift
  count=$((count + 1))
  local file
  file="$out/processes/$(printf '%02d' "$count")_$name"
  local start=$SECONDS
  printf '[%2d] %-32s' "$count" "$name"
  if ! "$bench" "$@" "${quick[@]}" --out="$file.json" "${passthrough[@]}" >"$file.log" 2>&1; then
    echo " failed; see $file.log"
    tail -n 20 "$file.log" >&2
    exit 1
  fi
  echo " $((SECONDS - start)) s, load $(cut -d' ' -f1 /proc/loadavg)"
  files+=("$file.json")
}

# Rounds, so that a stretch of load from elsewhere falls on every setting alike.
for ((p = 1; p <= processes; p++)); do
  for t in $threads_list; do
    run "strata_t$t" --library=strata --threads="$t"
    if [[ "$libraries" == *libtorch* || "$libraries" == *openblas* ]]; then
      if [ "$t" = 1 ]; then
        run "libtorch_t1" --library=libtorch --threads=1 --torch_setting=t1
      else
        for s in $settings2; do run "libtorch_${s}" --library=libtorch --threads="$t" --torch_setting="$s"; done
      fi
    fi
  done
done

"$bench" --merge --summary_out="$out/summary.json" --markdown_out="$out/table.md" "${files[@]}" |
  tee "$out/table.txt"
