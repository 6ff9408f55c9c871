#!/usr/bin/env bash
# Every number in BENCHMARKS.md, in one run on this machine: the adapters (criterion), the
# outbox alone (SQLite, PostgreSQL with one and two instances), the claim statement at
# 1,000,000 live messages, the outbox side by side with graphile-worker and pgqueuer (the
# gateway through the state API, a backlog drained), the bulk case push, the
# 1,000,000-record new-hire intake, and the FIDM all-accounts match. Each part prints its
# own table; the machine is printed first.
#
# Usage: tools/bench/all.sh            (full sizes; about half an hour)
#        QUICK=1 tools/bench/all.sh    (smaller inputs, to check the scripts work)
set -euo pipefail
cd "$(dirname "$0")/../.."

echo "== machine"
date -u +%Y-%m-%dT%H:%M:%SZ
nproc
grep -m1 'model name' /proc/cpuinfo || true
free -g | sed -n 2p
uptime
rustc --version

if [ -n "${QUICK:-}" ]; then
  intake=100000 accounts=100000 live=100000 backlog=2000
else
  intake=1000000 accounts=1000000 live=1000000 backlog=20000
fi

echo "== adapters: parse + validate and write (criterion)"
tools/bench/adapters.sh
echo "== outbox: durable deliveries and latency"
tools/bench/outbox.sh
echo "== the claim statement at $live live messages, never analyzed"
tools/bench/claim.sh "$live"
echo "== side by side: graphile-worker, pgqueuer (the gateway: a backlog through the state API)"
# Every peer's latency phase at one rate, half the gateway's PostgreSQL target.
LATENCY_RATE="${LATENCY_RATE:-1500}" CONCURRENCIES="${CONCURRENCIES:-8 32}" tools/bench/queues.sh "$backlog"
echo "== bulk case push: cases a second, durable"
tools/bench/bulk.sh
echo "== new-hire intake: $intake W4 records to NDNH files"
tools/bench/newhire-intake.sh "$intake"
echo "== FIDM: $accounts accounts matched"
tools/bench/fidm-accounts.sh "$accounts"
