#!/usr/bin/env bash
# The outbox alone: durable deliveries per second and enqueue -> delivered latency, on
# SQLite (the embedded default), PostgreSQL with one instance and with two instances (two
# processes). Each configuration runs RUNS times (default 3); a table of every run and the
# medians follows. Needs PostgreSQL at $IVD_BENCH_DATABASE_URL (default
# postgres://postgres@127.0.0.1:5432/test); a scratch database is created and dropped per
# run.
# The latency phase runs at half the issue's throughput target of the backend: 2,500/s on
# SQLite, 1,500/s on PostgreSQL (SQLITE_RATE, PG_RATE; "half" = half of the run's own
# measured throughput, a harder load where the backend beats its target).
# Usage: tools/bench/outbox.sh [N]   (N messages in the throughput phase, default 50,000)
set -euo pipefail
cd "$(dirname "$0")/../.."

messages="${1:-50000}"
runs="${RUNS:-3}"
sqlite_rate="${SQLITE_RATE:-2500}"
pg_rate="${PG_RATE:-1500}"
pg="${IVD_BENCH_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/test}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/var/tmp/ivd-release}"
cargo build --release --quiet -p ivd-tools
bin="$CARGO_TARGET_DIR/release/ivd-tools"
results="$(mktemp /var/tmp/ivd-bench-outbox-XXXXXX.jsonl)"
trap 'rm -f "$results"' EXIT

echo "machine: $(nproc) vCPU, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(free -g | awk '/Mem:/ {print $2}') GiB"
echo "binary: $("$bin" --version)"
for config in "sqlite 1 $sqlite_rate" "$pg 1 $pg_rate" "$pg 2 $pg_rate"; do
  set -- $config
  rate=()
  [ "$3" = half ] || rate=(--latency-rate "$3")
  for run in $(seq "$runs"); do
    echo "== ${1%%://*} x$2, latency at $3/s, run $run ($(uptime | sed 's/.*load/load/'))" >&2
    "$bin" bench outbox --database "$1" --instances "$2" --messages "$messages" "${rate[@]}" --json >> "$results"
  done
done

echo
jq -r -s '
  def median: sort | .[(length - 1) / 2 | floor];
  def r1: . * 10 | round / 10;
  ["backend", "instances", "runs", "deliveries/s median", "min..max", "latency rate/s", "p50 ms", "p90 ms", "p99 ms", "p99 min..max", "max ms", "recorded p99 ms", "duplicates", "all delivered"],
  (group_by([.backend, .instances])[] | . as $runs
    | ($runs | map(.throughput.per_second)) as $rates
    | ($runs | sort_by(.latency.arrival_latency_ms.p99) | .[(length - 1) / 2 | floor]) as $mid
    | [$runs[0].backend, $runs[0].instances, ($runs | length), ($rates | median | round),
       "\($rates | min | round)..\($rates | max | round)",
       ($mid.latency.target_rate | round), ($mid.latency.arrival_latency_ms | .p50, .p90, .p99 | r1),
       ($runs | map(.latency.arrival_latency_ms.p99) | "\(min | r1)..\(max | r1)"),
       ($mid.latency.arrival_latency_ms.max | r1),
       ($mid.latency.durable_latency_ms.p99 | r1),
       ($runs | map(.duplicates) | add), ($runs | all(.missing == 0 and .dead == 0))])
  | @tsv' "$results" | column -t -s $'\t'
echo "(latency: the run with the median p99; scheduled enqueue -> first arrival at the sink; recorded = enqueue -> committed delivered, store ms clock)"
