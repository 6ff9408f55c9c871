#!/usr/bin/env bash
# The outbox's claim statement on a fresh database bulk-loaded with N live messages (10 a
# key) and never analyzed: each claim statement timed on its own, on SQLite and on
# PostgreSQL (with the server's own EXPLAIN ANALYZE timing of one more claim), at claim
# batches of 16 and 64. Usage: tools/bench/claim.sh [N]   (default 1,000,000)
set -euo pipefail
cd "$(dirname "$0")/../.."

live="${1:-1000000}"
pg="${IVD_BENCH_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/test}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/var/tmp/ivd-release}"
cargo build --release --quiet -p ivd-tools
bin="$CARGO_TARGET_DIR/release/ivd-tools"

echo "machine: $(nproc) vCPU, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); $(uptime | sed 's/.*load/load/')"
for database in sqlite "$pg"; do
  for batch in 16 64; do
    # The bulk load's slow-statement warnings go to stderr; the report to stdout.
    "$bin" bench claim --database "$database" --live "$live" --batch "$batch" 2>/dev/null
  done
done
