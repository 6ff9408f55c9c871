#!/usr/bin/env bash
# Fuzz smoke test for CI: builds every cargo-fuzz target of the project (model/fuzz and
# adapters/*/fuzz) and runs each for a few seconds from its committed seed corpus. Fails
# on any crash, timeout or out-of-memory a target finds, and on any target that does not
# build. Long runs are done by hand (RELIABILITY.md, "Fuzzing"); this only proves that
# every target still builds and survives its seeds plus a few seconds of mutation.
#
#   scripts/fuzz-smoke.sh                          # every target, 10 s each
#   FUZZ_SMOKE_SECONDS=60 scripts/fuzz-smoke.sh
#   scripts/fuzz-smoke.sh adapters/offset/fuzz     # only these fuzz workspaces
#
# cargo-fuzz needs a nightly toolchain (sanitizer flags). Without one the script prints a
# SKIPPED line saying so and exits 0: a missing toolchain is reported, never passed off
# as a clean run.
set -euo pipefail

cd "$(dirname "$0")/.."
root=$(pwd)
seconds=${FUZZ_SMOKE_SECONDS:-10}
# Fuzz builds go outside the clone, one directory per fuzz workspace (each has its own
# lock file), so CI's fresh clones stay warm; a new machine just builds them once.
fuzz_target_root=${FUZZ_TARGET_DIR:-/var/tmp/ivd-fuzz-target}

if ! command -v rustup >/dev/null 2>&1 || ! rustup toolchain list | grep -q '^nightly'; then
    echo "=================================================================="
    echo "SKIPPED: fuzz smoke NOT RUN - no nightly Rust toolchain is installed"
    echo "         (cargo-fuzz needs nightly; 'rustup toolchain install nightly')"
    echo "=================================================================="
    exit 0
fi

if ! cargo +nightly fuzz --version >/dev/null 2>&1; then
    echo "fuzz-smoke: installing cargo-fuzz"
    cargo install --locked cargo-fuzz
fi

# Fresh corpora go to a scratch directory: the committed seeds are read, never written.
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT

failed=()
ran=0
if [ $# -gt 0 ]; then
    fuzz_dirs=("$@")
else
    fuzz_dirs=(model/fuzz adapters/*/fuzz)
fi
for fuzz_dir in "${fuzz_dirs[@]}"; do
    fuzz_dir=${fuzz_dir%/}
    if [ ! -f "$fuzz_dir/Cargo.toml" ]; then
        failed+=("$fuzz_dir (no cargo-fuzz workspace)")
        continue
    fi
    crate_dir=$(dirname "$fuzz_dir")
    echo "--- building fuzz targets of $crate_dir"
    target_dir="$fuzz_target_root/${crate_dir//\//-}"
    if ! (cd "$crate_dir" && cargo +nightly fuzz build --target-dir "$target_dir"); then
        failed+=("$crate_dir (build)")
        continue
    fi
    for target in $(cd "$crate_dir" && cargo +nightly fuzz list); do
        corpus="$scratch/$crate_dir/$target"
        mkdir -p "$corpus"
        seeds=()
        [ -d "$root/$fuzz_dir/corpus/$target" ] && seeds=("$root/$fuzz_dir/corpus/$target")
        echo "--- $crate_dir $target: ${seconds}s"
        log="$scratch/$target.log"
        if ! (cd "$crate_dir" && cargo +nightly fuzz run --target-dir "$target_dir" "$target" "$corpus" "${seeds[@]}" -- \
            -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=10 -print_final_stats=1 \
            >"$log" 2>&1); then
            failed+=("$crate_dir $target")
            tail -n 40 "$log"
        fi
        grep -E '^stat::number_of_executed_units|^Done [0-9]+ runs' "$log" || true
        ran=$((ran + 1))
    done
done

if [ ${#failed[@]} -gt 0 ]; then
    echo "fuzz-smoke: FAILED (${#failed[@]}):"
    printf '  %s\n' "${failed[@]}"
    echo "Crash inputs are in <crate>/fuzz/artifacts/<target>/; reproduce with"
    echo "  cd <crate> && cargo +nightly fuzz run <target> fuzz/artifacts/<target>/<file>"
    exit 1
fi
echo "fuzz-smoke: $ran target(s) ran ${seconds}s each without a finding"
