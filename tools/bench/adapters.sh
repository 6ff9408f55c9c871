#!/usr/bin/env bash
# Runs the criterion benches of every adapter crate (parse + validate and write) and
# prints one table: crate, bench, records/s, MB/s. Times are the benchmarking thread's
# CPU time (adapters/bench_support/thread_cpu.rs), i.e. "one core", even on a shared box.
#
# Usage: tools/bench/adapters.sh [criterion filter]
#   e.g. tools/bench/adapters.sh parse      (only the parse benches)
# Environment: CARGO_TARGET_DIR (criterion writes $CARGO_TARGET_DIR/criterion/...),
#   MEASURE_SECONDS (default 3), WARMUP_SECONDS (default 1).
# Takes about six minutes (build check included) on a 2-vCPU machine.
set -euo pipefail

cd "$(dirname "$0")/../.."
target_dir="${CARGO_TARGET_DIR:-target}"
measure="${MEASURE_SECONDS:-3}"
warmup="${WARMUP_SECONDS:-1}"
filter=("$@")

crates=(fixed csenet newhire eiwo offset fidm tribal)

# Old estimates would be printed as if they were this run's.
rm -rf "$target_dir/criterion"

echo "machine: $(nproc) vCPU, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), $(free -g | awk '/Mem:/ {print $2}') GiB"
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"

for crate in "${crates[@]}"; do
  echo "== ivd-$crate" >&2
  cargo bench --quiet -p "ivd-$crate" --bench "$crate" -- \
    --warm-up-time "$warmup" --measurement-time "$measure" --noplot "${filter[@]}" \
    | { grep -E '^[a-z]+/|thrpt' || true; } >&2
done

echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
python3 tools/bench/adapter-table.py "$target_dir"
