#!/usr/bin/env python3
"""Prints criterion's adapter estimates as a table: crate, bench, records/s, MB/s.

Reads <target>/criterion/<group>/<bench>/new/{benchmark,estimates}.json. Throughput is
the bench's declared elements and bytes per iteration divided by the mean time (criterion's
point estimate); MB is 10^6 bytes. Used by tools/bench/adapters.sh.
"""

import json
import pathlib
import sys


def rows(root):
    for bench_file in sorted(root.glob("**/new/benchmark.json")):
        bench = json.loads(bench_file.read_text())
        estimates = json.loads((bench_file.parent / "estimates.json").read_text())
        mean_ns = estimates["mean"]["point_estimate"]
        throughput = bench.get("throughput") or {}
        counts = throughput.get("ElementsAndBytes", {})
        elements = counts.get("elements", throughput.get("Elements"))
        size = counts.get("bytes", throughput.get("Bytes"))
        group = bench["group_id"]
        crate, _, part = group.partition("/")
        name = f"{part}/{bench['function_id']}" if part else bench["function_id"]
        per_second = 1e9 / mean_ns
        yield (
            crate,
            name,
            f"{elements * per_second:,.0f}" if elements else "-",
            f"{size * per_second / 1e6:,.1f}" if size else "-",
            f"{mean_ns / 1e6:,.2f}",
        )


def main():
    root = pathlib.Path(sys.argv[1]) / "criterion"
    table = list(rows(root))
    if not table:
        sys.exit(f"no criterion estimates under {root}")
    header = ("crate", "bench", "records/s", "MB/s", "ms/iter")
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for row in table:
        print("| " + " | ".join(row) + " |")


if __name__ == "__main__":
    main()
