"""pgqueuer side of the outbox side-by-side benchmark (tools/bench/queues.sh).

The job: a durable row (enqueued in batches of 1,000 before the clock starts) whose
entrypoint POSTs to the benchmark sink (`ivd-tools bench sink`) with its
Idempotency-Key through one shared keep-alive aiohttp session, then completes. Phase 1
drains N pre-enqueued jobs: from `run()` until the sink has every key and the queue table
is empty (every completion committed). Phase 2 enqueues one job at a time at a fixed rate
(open loop) carrying its scheduled enqueue time, sent as X-Enqueued-Us; the sink reports
the latency.

Usage: python worker.py --db URL --sink http://127.0.0.1:PORT --n 20000 --concurrency 32
       --batch 10 [--latency-rate R --latency-secs S] [--payload-bytes 256]
Prints one JSON object.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time

import aiohttp
import asyncpg
from pgqueuer import AsyncpgPoolDriver, Job, QueueManager, Queries


def now_us() -> int:
    return time.time_ns() // 1000


def filler(size: int) -> bytes:
    head, tail = '{"bench":true,"filler":"', '"}'
    return (head + "x" * max(0, size - len(head) - len(tail)) + tail).encode()


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", required=True)
    parser.add_argument("--sink", required=True)
    parser.add_argument("--n", type=int, default=20000)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--batch", type=int, default=10)
    parser.add_argument("--latency-rate", type=float, default=0.0)
    parser.add_argument("--latency-secs", type=float, default=10.0)
    parser.add_argument("--payload-bytes", type=int, default=256)
    o = parser.parse_args()
    if o.batch * 2 > o.concurrency:
        raise SystemExit("pgqueuer needs max_concurrent_tasks >= 2 * batch_size")

    body = filler(o.payload_bytes)
    pool = await asyncpg.create_pool(o.db, min_size=2, max_size=max(4, o.concurrency // 4))
    queries = Queries(AsyncpgPoolDriver(pool))
    if not await queries.schema_is_installed():
        await queries.install()
    connector = aiohttp.TCPConnector(limit=o.concurrency, keepalive_timeout=60)
    session = aiohttp.ClientSession(connector=connector)
    control = aiohttp.ClientSession()

    async def sink_stats() -> dict:
        async with control.get(f"{o.sink}/_stats") as r:
            return await r.json()

    async def sink_reset() -> None:
        async with control.post(f"{o.sink}/_reset") as r:
            await r.read()

    async def remaining() -> int:
        return await pool.fetchval("SELECT count(*) FROM pgqueuer")

    qm = QueueManager(queries)

    @qm.entrypoint("deliver")
    async def deliver(job: Job) -> None:
        headers = {"content-type": "application/json"}
        headers.update(json.loads(job.payload))
        async with session.post(f"{o.sink}/deliver", data=body, headers=headers) as r:
            await r.read()
            if r.status != 200:
                raise RuntimeError(f"sink answered {r.status}")

    await sink_reset()
    clock = time.perf_counter()
    for start in range(0, o.n, 1000):
        keys = range(start, min(o.n, start + 1000))
        await queries.enqueue(
            ["deliver"] * len(keys),
            [json.dumps({"idempotency-key": f"t-{i}"}).encode() for i in keys],
            [0] * len(keys),
        )
    enqueue_seconds = time.perf_counter() - clock

    clock = time.perf_counter()
    worker = asyncio.create_task(qm.run(batch_size=o.batch, max_concurrent_tasks=o.concurrency))
    while True:
        stats = await sink_stats()
        if stats["distinct"] >= o.n and await remaining() == 0:
            break
        if worker.done():
            worker.result()
        await asyncio.sleep(0.02)
    drain_seconds = time.perf_counter() - clock
    drain_stats = await sink_stats()

    latency = None
    if o.latency_rate > 0:
        await sink_reset()
        count = max(100, round(o.latency_rate * o.latency_secs))
        begin = time.perf_counter() + 0.02
        begin_us = now_us() + 20_000
        adds = []
        for i in range(count):
            offset = i / o.latency_rate
            wait = begin + offset - time.perf_counter()
            if wait > 0.001:
                await asyncio.sleep(wait)
            payload = {"idempotency-key": f"l-{i}", "x-enqueued-us": str(begin_us + round(offset * 1e6))}
            adds.append(asyncio.create_task(queries.enqueue("deliver", json.dumps(payload).encode())))
        await asyncio.gather(*adds)
        while True:
            stats = await sink_stats()
            if stats["distinct"] >= count and await remaining() == 0:
                break
            await asyncio.sleep(0.02)
        stats = await sink_stats()
        latency = {
            "rate": o.latency_rate,
            "messages": count,
            "duplicates": stats["duplicates"],
            "latency_ms": stats["latency_ms"],
        }

    qm.shutdown.set()
    await worker
    await session.close()
    await control.close()
    await pool.close()
    print(
        json.dumps(
            {
                "queue": "pgqueuer",
                "mode": f"batch {o.batch}",
                "concurrency": o.concurrency,
                "messages": o.n,
                "enqueue_per_s": o.n / enqueue_seconds,
                "drain_s": drain_seconds,
                "drain_per_s": o.n / drain_seconds,
                "posts": drain_stats["posts"],
                "distinct": drain_stats["distinct"],
                "duplicates": drain_stats["duplicates"],
                "latency": latency,
            }
        )
    )


if __name__ == "__main__":
    asyncio.run(main())
