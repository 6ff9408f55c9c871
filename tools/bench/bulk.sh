#!/usr/bin/env bash
# The bulk case push: N synthetic cases through POST /state/v1/cases/bulk over loopback
# HTTP, cases a second until the last verdict (each sent only after its line committed:
# durable), on SQLite (the embedded default) and PostgreSQL, without and with a case-json
# transaction on every 10th line. Each configuration runs RUNS times (default 3); a table
# of the medians follows. Needs PostgreSQL at $IVD_BENCH_DATABASE_URL (default
# postgres://postgres@127.0.0.1:5432/test); a scratch database is created and dropped per
# run.
# Usage: tools/bench/bulk.sh [N]   (cases a run, default 100,000)
set -euo pipefail
cd "$(dirname "$0")/../.."

cases="${1:-100000}"
runs="${RUNS:-3}"
pg="${IVD_BENCH_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/test}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/var/tmp/ivd-release}"
cargo build --release --quiet -p ivd-tools
bin="$CARGO_TARGET_DIR/release/ivd-tools"
results="$(mktemp /var/tmp/ivd-bench-bulk-XXXXXX.jsonl)"
trap 'rm -f "$results"' EXIT

echo "machine: $(nproc) vCPU, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(free -g | awk '/Mem:/ {print $2}') GiB"
echo "binary: $("$bin" --version)"
for database in sqlite "$pg"; do
  for every in 0 10; do
    for run in $(seq "$runs"); do
      echo "== ${database%%://*}, transaction every ${every} lines, run $run ($(uptime | sed 's/.*load/load/'))" >&2
      "$bin" bench bulk --database "$database" --cases "$cases" --transaction-every "$every" --json >> "$results"
    done
  done
done

echo
jq -r -s '
  def median: sort | .[(length - 1) / 2 | floor];
  ["backend", "cases", "with transaction", "runs", "cases/s median", "min..max", "all stored"],
  (group_by([.backend, .transactions])[] | . as $runs
    | ($runs | map(.cases_per_second)) as $rates
    | [$runs[0].backend, $runs[0].cases, $runs[0].transactions, ($runs | length),
       ($rates | median | round), "\($rates | min | round)..\($rates | max | round)",
       ($runs | all(.complete and .not_accepted == 0 and .cases_in_store == .cases and .messages_in_store == .transactions))])
  | @tsv' "$results" | column -t -s $'\t'
