#!/usr/bin/env bash
# One employer file of N (default 1,000,000) synthetic W4 records, from upload to NDNH
# transmission files, on the embedded default (SQLite). Prints the timings, the gateway's
# peak resident memory (VmHWM), its user and system CPU time and I/O, and (where `perf` can
# count syscall tracepoints, usually as root) how many fsync / fdatasync / pwrite64 /
# write / pread64 calls it made from the upload to the last file (SYSCALLS=0 skips that).
# Usage: tools/bench/newhire-intake.sh [N]
set -euo pipefail
cd "$(dirname "$0")/../.."

records="${1:-1000000}"
if [ -n "${BENCH_BIN:-}" ]; then
  # A/B runs (not IVD_*: the gateway reads those as settings): BENCH_BIN=/var/tmp/bin-before tools/bench/newhire-intake.sh (no build).
  bin="$BENCH_BIN"
else
  export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/var/tmp/ivd-release}"
  cargo build --release --quiet -p ivd-gateway
  bin="$CARGO_TARGET_DIR/release/ivd-gateway"
fi
work="$(mktemp -d /var/tmp/ivd-bench-XXXXXX)"
trap 'if [ -n "${pid:-}" ]; then kill -INT "$pid" 2>/dev/null || true; sleep 2; fi; rm -rf "$work"' EXIT
mkdir -p "$work/ndnh-out"
api_port="${API_PORT:-18480}"

cat > "$work/gateway.toml" <<TOML
[database]
url = "sqlite://$work/gateway.db"
[server]
listen = "127.0.0.1:$api_port"
partner_listen = "127.0.0.1:0"
[tls]
dir = "$work/tls"
[state]
fips = "2700000"
[log]
format = "json"
filter = "warn"
[employers]
spool_dir = "$work/spool"
ndnh_partner = "ndnh"
ndnh_batch_size = 10000
forward_interval_secs = 1
ndnh_encoding = "ebcdic"
[privacy]
lookup_key_file = "$work/keys/lookup.key"
[[partners]]
id = "ndnh"
kind = "federal"
concurrency = 2
transport = { type = "file-drop", directory = "$work/ndnh-out" }
TOML

now() { date +%s.%N; }
t0=$(now)
"$bin" generate newhire --records "$records" --seed 42 --fein 41-1234567 -o "$work/w4.dat" 2>/dev/null
t1=$(now)
size=$(stat -c %s "$work/w4.dat")

"$bin" --config "$work/gateway.toml" migrate >/dev/null
token=$("$bin" --config "$work/gateway.toml" token issue --name bench-employer --role employer --fein 41-1234567 2>/dev/null)
if [ -n "${PERF_OUT:-}" ]; then
  # Profile the gateway: PERF_OUT=/tmp/newhire.perf tools/bench/newhire-intake.sh 200000
  perf record -F 499 -g -o "$PERF_OUT" -- "$bin" --config "$work/gateway.toml" serve 2>"$work/gateway.log" &
  sleep 1
  pid=$(pgrep -n -f "$bin --config $work/gateway.toml serve")
else
  "$bin" --config "$work/gateway.toml" serve 2>"$work/gateway.log" &
  pid=$!
fi
for _ in $(seq 1 100); do curl -fsS "http://127.0.0.1:$api_port/healthz" >/dev/null 2>&1 && break; sleep 0.1; done

# The gateway's CPU time (user, system; clock ticks, every thread) and I/O so far, so that
# what the upload cost is the difference at the end.
cpu() { awk '{ print $14, $15 }' "/proc/$pid/stat"; }
io() { awk '/^(syscr|syscw|read_bytes|write_bytes):/ { printf "%s ", $2 } END { print "" }' "/proc/$pid/io"; }
read -r user0 sys0 < <(cpu)
read -r syscr0 syscw0 rbytes0 wbytes0 < <(io)
syscalls=(fsync fdatasync pwrite64 write pread64)
counting=""
if [ "${SYSCALLS:-1}" != 0 ] && command -v perf >/dev/null \
   && perf stat -e syscalls:sys_enter_fsync true >/dev/null 2>&1; then
  events=$(printf 'syscalls:sys_enter_%s,' "${syscalls[@]}")
  perf stat -x, -e "${events%,}" -p "$pid" -o "$work/syscalls.csv" &
  counting=$!
fi

t2=$(now)
curl -fsS -X POST -T "$work/w4.dat" \
  -H "Authorization: Bearer $token" -H "Content-Type: application/vnd.ivd.newhire-w4" \
  "http://127.0.0.1:$api_port/employer/v1/new-hires" > "$work/receipt.json"
t3=$(now)
accepted=$(sed -E 's/.*"accepted":([0-9]+).*/\1/' "$work/receipt.json")

# Every accepted record in a transmission file: (size / 801) - header - trailer, per file.
forwarded=0
while [ "$forwarded" -lt "$accepted" ]; do
  sleep 0.2
  forwarded=0
  for f in "$work"/ndnh-out/*; do
    [ -f "$f" ] || continue
    forwarded=$(( forwarded + $(stat -c %s "$f") / 801 - 2 ))
  done
done
t4=$(now)
peak_kb=$(awk '/VmHWM/ {print $2}' "/proc/$pid/status")
files=$(ls "$work/ndnh-out" | wc -l)
read -r user1 sys1 < <(cpu)
read -r syscr1 syscw1 rbytes1 wbytes1 < <(io)
tick=$(getconf CLK_TCK)
if [ -n "$counting" ]; then
  kill -INT "$counting" 2>/dev/null || true
  wait "$counting" 2>/dev/null || true
fi

awk -v n="$records" -v size="$size" -v acc="$accepted" -v files="$files" -v peak="$peak_kb" \
    -v gen="$(echo "$t1 - $t0" | bc)" -v up="$(echo "$t3 - $t2" | bc)" -v total="$(echo "$t4 - $t2" | bc)" 'BEGIN {
  printf "records: %d (%.1f MB W4), accepted: %d\n", n, size / 1e6, acc
  printf "generate file:                       %6.1f s\n", gen
  printf "upload -> receipt (stored, judged):  %6.1f s  (%.0f records/s, %.1f MB/s)\n", up, n / up, size / 1e6 / up
  printf "upload -> all in NDNH files:         %6.1f s  (%d transmission files)\n", total, files
  printf "gateway peak RSS (VmHWM):            %6.1f MB\n", peak / 1024
}'
awk -v tick="$tick" -v u="$((user1 - user0))" -v s="$((sys1 - sys0))" \
    -v rc="$((syscr1 - syscr0))" -v wc="$((syscw1 - syscw0))" \
    -v rb="$((rbytes1 - rbytes0))" -v wb="$((wbytes1 - wbytes0))" 'BEGIN {
  printf "gateway CPU, upload -> last file:    %6.1f s user, %.1f s system\n", u / tick, s / tick
  printf "gateway I/O, upload -> last file:    %d read and %d write calls; %.0f MB read from and %.0f MB written to disk\n", rc, wc, rb / 1e6, wb / 1e6
}'
if [ -n "$counting" ] && [ -s "$work/syscalls.csv" ]; then
  # perf stat -x, lines: count,,event,...
  awk -F, '/syscalls:sys_enter_/ { sub(/.*sys_enter_/, "", $3); printf "%s%s %s", sep, $3, $1; sep = ", " } END { print "" }' \
    "$work/syscalls.csv" | sed 's/^/gateway syscalls, upload -> last file: /'
fi
