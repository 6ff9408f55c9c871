#!/usr/bin/env bash
# One FIDM Method 1 all-accounts file of N (default 1,000,000) synthetic accounts, three
# obligors planted, matched through the streaming intake on the embedded default
# (SQLite) against 10,000 cases. Prints the timings and the peak resident memory
# (VmHWM). Usage: tools/bench/fidm-accounts.sh [N] [CASES]
set -euo pipefail
cd "$(dirname "$0")/../.."

records="${1:-1000000}"
cases="${2:-10000}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/var/tmp/ivd-release}"
cargo build --release --quiet -p ivd-tools --example generate_accounts --example match_accounts
gen="$CARGO_TARGET_DIR/release/examples/generate_accounts"
match="$CARGO_TARGET_DIR/release/examples/match_accounts"
work="$(mktemp -d /var/tmp/ivd-bench-fidm-XXXXXX)"
trap 'rm -rf "$work"' EXIT

now() { date +%s.%N; }
t0=$(now)
"$gen" "$records" "$work/accounts.dat" 42
t1=$(now)
size=$(stat -c %s "$work/accounts.dat")
awk -v n="$records" -v size="$size" -v gen="$(echo "$t1 - $t0" | bc)" 'BEGIN {
  printf "records: %d (%.1f MB all-accounts file)\n", n, size / 1e6
  printf "generate file:                      %6.1f s\n", gen
}'
"$match" "$work/accounts.dat" "$work" "$cases"
