// graphile-worker side of the outbox side-by-side benchmark (tools/bench/queues.sh).
//
// The job: a durable row (added with addJobs before the clock starts), whose task POSTs
// to the benchmark sink (`ivd-tools bench sink`) with its Idempotency-Key over a
// keep-alive HTTP agent, then completes. Phase 1 drains N pre-added jobs: from `run()`
// until the sink has every key and the jobs table is empty (every completion committed).
// Phase 2 adds one job at a time at a fixed rate (open loop) carrying its scheduled
// enqueue time, which the task sends as X-Enqueued-Us; the sink reports the latency.
//
// Usage: node worker.js --db URL --sink http://127.0.0.1:PORT --n 20000 --concurrency 32
//        [--tuned] [--latency-rate R --latency-secs S] [--payload-bytes 256]
// Prints one JSON object.
"use strict";

const http = require("node:http");
const { Logger, run, makeWorkerUtils } = require("graphile-worker");

// Warnings and errors only, to stderr: the gateway runs its benchmark at log level warn
// too, and a line per job on stdout would cost the peer time the gateway does not spend.
const logger = new Logger(() => (level, message) => {
  if (level === "error" || level === "warning") console.error(message);
});

function args() {
  const out = { n: 20000, concurrency: 32, tuned: false, latencyRate: 0, latencySecs: 10, payloadBytes: 256 };
  const argv = process.argv.slice(2);
  for (let i = 0; i < argv.length; i++) {
    const name = argv[i];
    const value = () => argv[++i];
    if (name === "--db") out.db = value();
    else if (name === "--sink") out.sink = value();
    else if (name === "--n") out.n = Number(value());
    else if (name === "--concurrency") out.concurrency = Number(value());
    else if (name === "--tuned") out.tuned = true;
    else if (name === "--latency-rate") out.latencyRate = Number(value());
    else if (name === "--latency-secs") out.latencySecs = Number(value());
    else if (name === "--payload-bytes") out.payloadBytes = Number(value());
    else throw new Error(`unknown argument ${name}`);
  }
  if (!out.db || !out.sink) throw new Error("--db and --sink are required");
  return out;
}

const nowUs = () => Math.round((performance.timeOrigin + performance.now()) * 1000);
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function filler(bytes) {
  const head = '{"bench":true,"filler":"';
  const tail = '"}';
  return head + "x".repeat(Math.max(0, bytes - head.length - tail.length)) + tail;
}

function request(agent, url, method, headers, body) {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, agent, headers }, (res) => {
      const chunks = [];
      res.on("data", (c) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode, body: Buffer.concat(chunks).toString() }));
    });
    req.on("error", reject);
    if (body) req.end(body);
    else req.end();
  });
}

async function main() {
  const o = args();
  const agent = new http.Agent({ keepAlive: true, maxSockets: o.concurrency });
  const control = new http.Agent({ keepAlive: true, maxSockets: 2 });
  const body = filler(o.payloadBytes);
  const sinkStats = async () => JSON.parse((await request(control, `${o.sink}/_stats`, "GET", {})).body);
  const sinkReset = () => request(control, `${o.sink}/_reset`, "POST", {});

  const taskList = {
    deliver: async (payload) => {
      const headers = {
        "content-type": "application/json",
        "content-length": Buffer.byteLength(body),
        "idempotency-key": payload.key,
      };
      if (payload.enqueuedUs) headers["x-enqueued-us"] = String(payload.enqueuedUs);
      const res = await request(agent, `${o.sink}/deliver`, "POST", headers, body);
      if (res.status !== 200) throw new Error(`sink answered ${res.status}`);
    },
  };

  const utils = await makeWorkerUtils({ connectionString: o.db, logger });
  await utils.migrate();
  const remaining = () =>
    utils.withPgClient(async (c) => Number((await c.query("SELECT count(*) AS n FROM graphile_worker._private_jobs")).rows[0].n));
  await sinkReset();

  // Enqueue, timed on its own: batches of 1,000 through addJobs.
  let clock = performance.now();
  for (let i = 0; i < o.n; i += 1000) {
    const specs = [];
    for (let j = i; j < Math.min(o.n, i + 1000); j++) {
      specs.push({ identifier: "deliver", payload: { key: `t-${j}` }, maxAttempts: 25 });
    }
    await utils.addJobs(specs);
  }
  const enqueueSeconds = (performance.now() - clock) / 1000;

  // The documented speed options (Graphile's own performance advice): a local queue of
  // concurrency + 1 jobs fetched at once, and completions batched with no extra delay.
  const preset = o.tuned
    ? { worker: { localQueue: { size: o.concurrency + 1 }, completeJobBatchDelay: 0, failJobBatchDelay: 0 } }
    : {};
  clock = performance.now();
  const runner = await run({
    connectionString: o.db,
    concurrency: o.concurrency,
    maxPoolSize: Math.max(10, o.concurrency + 2),
    noHandleSignals: true,
    taskList,
    preset,
    logger,
  });
  for (;;) {
    const stats = await sinkStats();
    if (stats.distinct >= o.n && (await remaining()) === 0) break;
    await sleep(20);
  }
  const drainSeconds = (performance.now() - clock) / 1000;
  const drainStats = await sinkStats();

  let latency = null;
  if (o.latencyRate > 0) {
    await sinkReset();
    const count = Math.max(100, Math.round(o.latencyRate * o.latencySecs));
    const beginMs = performance.now() + 20;
    const beginUs = nowUs() + 20000;
    const adds = [];
    for (let i = 0; i < count; i++) {
      const offsetMs = (i * 1000) / o.latencyRate;
      const wait = beginMs + offsetMs - performance.now();
      if (wait > 1) await sleep(wait);
      adds.push(
        utils.addJob("deliver", { key: `l-${i}`, enqueuedUs: beginUs + Math.round(offsetMs * 1000) }, { maxAttempts: 25 }),
      );
    }
    await Promise.all(adds);
    for (;;) {
      const stats = await sinkStats();
      if (stats.distinct >= count && (await remaining()) === 0) break;
      await sleep(20);
    }
    const stats = await sinkStats();
    latency = { rate: o.latencyRate, messages: count, duplicates: stats.duplicates, latency_ms: stats.latency_ms };
  }

  await runner.stop();
  await utils.release();
  agent.destroy();
  control.destroy();
  console.log(
    JSON.stringify({
      queue: "graphile-worker",
      mode: o.tuned ? "tuned" : "default",
      concurrency: o.concurrency,
      messages: o.n,
      enqueue_per_s: o.n / enqueueSeconds,
      drain_s: drainSeconds,
      drain_per_s: o.n / drainSeconds,
      posts: drainStats.posts,
      distinct: drainStats.distinct,
      duplicates: drainStats.duplicates,
      latency,
    }),
  );
}

main().catch((error) => {
  console.error(error);
  process.exit(2);
});
