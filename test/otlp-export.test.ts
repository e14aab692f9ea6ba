// Decision logs over OTLP/HTTP (config `otlp:`), against a real OpenTelemetry Collector on 127.0.0.1: the
// Collector's own otlp receiver and file exporter (v0.161.0, built from test/support/otelcol — the upstream
// otelcorecol command is not a published module, so it cannot be go-installed), whose output file is read back.
// Also: a collector that is down (then comes up), one that accepts connections and never answers, Retry-After and
// the back-off, the queue bound and its dropped-record counter on /metrics.
import { afterAll, describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { otlpLogsUrl, resolveServeConfig } from "../src/serve/config.ts";
import type { GateServer } from "../src/serve/server.ts";
import { OTLP_DEFAULTS, OtlpLogExporter, retryAfterMs, type LogRecord } from "../src/telemetry/otlp.ts";
import { BUN } from "./support/cli.ts";
import { promValue } from "./support/gotool.ts";
import { freePort } from "./support/registry.ts";
import { until } from "./support/serve-bundle.ts";
import { decide, demoGates, flat, hungReceiver, scrape as metrics, startCollector as collectorIn, stubReceiver, type Collector } from "./support/telemetry-gate.ts";

const gates = demoGates("otlp-export", "otlp-1");
const work = gates.work;
afterAll(() => gates.remove());

const startCollector = (port: number, name: string): Promise<Collector> => collectorIn(work, port, name);

/** A gate whose decision records go to `otlp` (service.environment set, as decision logs require). */
function startGate(otlp: Record<string, unknown>, logs: string[] = []): Promise<GateServer> {
  return gates.start({ service: { name: "gate-otlp-test", environment: "test", instance_id: "g1" }, otlp }, logs);
}

describe("config", () => {
  test("otlp.endpoint is the base URL (/v1/logs appended), logs_endpoint is used as is, decision_logs.endpoint is its older name", () => {
    expect(otlpLogsUrl("http://collector:4318")).toBe("http://collector:4318/v1/logs");
    expect(otlpLogsUrl("http://collector:4318/")).toBe("http://collector:4318/v1/logs");
    expect(otlpLogsUrl("https://gw.example/otel/")).toBe("https://gw.example/otel/v1/logs");
    const base = { service: { environment: "test" } };
    const a = resolveServeConfig({ ...base, otlp: { endpoint: "http://c:4318", headers: { authorization: "Bearer x" } } }, work, "v");
    // The config passes on what the operator set, and only that: every default is the exporter's (OTLP_DEFAULTS).
    expect(a.decisionLogs).toEqual({ endpoint: "http://c:4318/v1/logs", headers: { authorization: "Bearer x" }, otlp: {} });
    expect(resolveServeConfig({ ...base, otlp: { logs_endpoint: "http://c:4318/custom/logs", max_queue: 7, retry: { max_attempts: 2 } } }, work, "v").decisionLogs).toEqual({
      endpoint: "http://c:4318/custom/logs",
      headers: {},
      otlp: { maxQueue: 7, maxAttempts: 2 },
    });
    const all = { timeout_ms: 1, batch_size: 2, flush_interval_ms: 30, max_queue: 4, retry: { max_attempts: 5, initial_interval_ms: 6, max_interval_ms: 7 } };
    expect(resolveServeConfig({ ...base, otlp: { endpoint: "http://c:4318", ...all } }, work, "v").decisionLogs.otlp).toEqual({ timeoutMs: 1, batchSize: 2, flushIntervalMs: 30, maxQueue: 4, maxAttempts: 5, retryBaseMs: 6, maxBackoffMs: 7 });
    expect(resolveServeConfig({ ...base, decision_logs: { endpoint: "http://c:4318/v1/logs", batch_size: 9 } }, work, "v").decisionLogs).toEqual({ endpoint: "http://c:4318/v1/logs", headers: {}, batchSize: 9, otlp: {} });
    expect(OTLP_DEFAULTS).toEqual({ batchSize: 256, flushIntervalMs: 1000, maxQueue: 10_000, maxAttempts: 5, retryBaseMs: 250, maxBackoffMs: 5_000, timeoutMs: 10_000 });
    expect(resolveServeConfig({ ...base, decision_logs: { endpoint: "http://c:4318/v1/logs" } }, work, "v").decisionLogs.endpoint).toBe("http://c:4318/v1/logs");
  });

  test("bad otlp configurations are refused at start, each with one clear line", () => {
    const base = { service: { environment: "test" } };
    expect(() => resolveServeConfig({ ...base, otlp: { endpoint: "http://a:4318" }, decision_logs: { endpoint: "http://b:4318/v1/logs" } }, work, "v")).toThrow(
      "give the OTLP/HTTP endpoint once: otlp (endpoint or logs_endpoint) or decision_logs.endpoint, not both",
    );
    expect(() => resolveServeConfig({ otlp: { endpoint: "http://a:4318" } }, work, "v")).toThrow("otlp needs service.environment (the deployment.environment Resource attribute of every record)");
    expect(() => resolveServeConfig({ ...base, otlp: { endpoint: "ftp://a:4318" } }, work, "v")).toThrow(/invalid serve config: .*otlp\/endpoint/);
    expect(() => resolveServeConfig({ ...base, otlp: {} }, work, "v")).toThrow(/invalid serve config: .*otlp/);
    expect(() => resolveServeConfig({ ...base, otlp: { endpoint: "http://a:4318", logs_endpoint: "http://a:4318/v1/logs" } }, work, "v")).toThrow(/invalid serve config: .*otlp/);
    expect(() => resolveServeConfig({ ...base, otlp: { endpoint: "http://a:4318", retry: { max_attempts: 0 } } }, work, "v")).toThrow(/invalid serve config: .*otlp\/retry\/max_attempts/);
  });

  test("Retry-After: delay-seconds and HTTP-date forms; anything else is no hint", () => {
    expect(retryAfterMs("3")).toBe(3000);
    expect(retryAfterMs("Wed, 21 Oct 2015 07:28:00 GMT", Date.parse("Wed, 21 Oct 2015 07:27:58 GMT"))).toBe(2000);
    expect(retryAfterMs("Wed, 21 Oct 2015 07:28:00 GMT", Date.parse("Wed, 21 Oct 2015 07:29:00 GMT"))).toBe(0);
    expect(retryAfterMs(null)).toBeUndefined();
    expect(retryAfterMs("soon")).toBeUndefined();
    expect(retryAfterMs("-1")).toBeUndefined();
  });
});

describe("against a real OpenTelemetry Collector", () => {
  test("every decision reaches the Collector's file exporter as one LogRecord, with its Resource; /metrics counts them", async () => {
    const collector = await startCollector(await freePort(), "up");
    const gate = await startGate({ endpoint: `http://127.0.0.1:${collector.port}`, batch_size: 3, flush_interval_ms: 50 });
    try {
      const ids: string[] = [];
      for (const user of ["alice", "bob", "alice", "carol", "alice", "dave", "erin"]) ids.push((await decide(gate, user)).id);
      const got = await until("7 records in the Collector's output", () => {
        const r = collector.records();
        return r.length >= 7 ? r : undefined;
      });
      expect(got.length).toBe(7);
      expect(got.map((r) => flat(r.record.attributes as never)["tollgate.decision.id"]).sort()).toEqual([...ids].sort());
      expect(got.filter((r) => flat(r.record.attributes as never)["tollgate.decision.allow"] === true).length).toBe(3);
      expect(got[0]!.resource).toMatchObject({ "service.name": "gate-otlp-test", "service.instance.id": "g1", "deployment.environment": "test" });
      expect(got[0]!.record.eventName).toBe("tollgate.decision");
      const m = await until("the exported counter", async () => {
        const f = await metrics(gate);
        return promValue(f, "tollgate_decision_log_exported_total", { exporter: "otlp" }) === 7 ? f : undefined;
      });
      expect(promValue(m, "tollgate_decision_log_dropped_total", { exporter: "otlp", reason: "queue_full" })).toBe(0);
      expect(promValue(m, "tollgate_decision_log_dropped_total", { exporter: "otlp", reason: "export_failed" })).toBe(0);
      expect(promValue(m, "tollgate_decision_log_queue_length", { exporter: "otlp" })).toBe(0);
    } finally {
      await gate.stop();
      await collector.stop();
    }
  }, 120_000);

  test("a Collector that is down is retried with back-off; records queued meanwhile arrive once it is up", async () => {
    const port = await freePort();
    const logs: string[] = [];
    const gate = await startGate({ endpoint: `http://127.0.0.1:${port}`, flush_interval_ms: 20, retry: { max_attempts: 100, initial_interval_ms: 20, max_interval_ms: 200 } }, logs);
    let collector: Collector | undefined;
    try {
      const ids: string[] = [];
      for (const user of ["alice", "bob", "carol", "alice", "bob"]) {
        const d = await decide(gate, user);
        expect(d.ms).toBeLessThan(1000);
        ids.push(d.id);
      }
      const before = await until("a retry", async () => {
        const f = await metrics(gate);
        return promValue(f, "tollgate_decision_log_export_retries_total", { exporter: "otlp" }) >= 2 ? f : undefined;
      });
      expect(promValue(before, "tollgate_decision_log_exported_total", { exporter: "otlp" })).toBe(0);
      collector = await startCollector(port, "late");
      const c = collector;
      const got = await until("the 5 queued records", () => {
        const r = c.records().filter((x) => ids.includes(flat(x.record.attributes as never)["tollgate.decision.id"] as string));
        return r.length >= 5 ? r : undefined;
      });
      expect(new Set(got.map((r) => flat(r.record.attributes as never)["tollgate.decision.id"]))).toEqual(new Set(ids));
      const after = await until("the exported counter", async () => {
        const f = await metrics(gate);
        return promValue(f, "tollgate_decision_log_exported_total", { exporter: "otlp" }) === 5 ? f : undefined;
      });
      expect(promValue(after, "tollgate_decision_log_dropped_total", { exporter: "otlp", reason: "export_failed" })).toBe(0);
      expect(logs.filter((l) => l.startsWith("decision log endpoint"))).toEqual([]);
    } finally {
      await gate.stop();
      await collector?.stop();
    }
  }, 120_000);
});

describe("never blocking a decision", () => {
  test("a receiver that accepts connections and never answers: decisions stay fast, the queue stays bounded, what overflows is dropped and counted", async () => {
    const hung = hungReceiver();
    const logs: string[] = [];
    // A long per-attempt deadline: were export in the request path, each decision would wait for it.
    const gate = await startGate({ logs_endpoint: `http://127.0.0.1:${hung.port}/v1/logs`, batch_size: 2, max_queue: 5, flush_interval_ms: 60_000, timeout_ms: 60_000 }, logs);
    let stopped = false;
    try {
      const started = performance.now();
      const times: number[] = [];
      for (let i = 0; i < 50; i++) times.push((await decide(gate, i % 2 ? "alice" : "bob")).ms);
      const total = performance.now() - started;
      expect(total).toBeLessThan(10_000);
      expect(Math.max(...times)).toBeLessThan(2_000);
      // The exporter really is waiting on the receiver: it sent the first batch of 2 and got no answer.
      await until("the first export request", () => (hung.received().includes("POST /v1/logs") ? true : undefined));
      const m = await metrics(gate);
      // 2 in flight, 5 queued (the bound), the 43 oldest of the others dropped.
      expect(promValue(m, "tollgate_decision_log_queue_length", { exporter: "otlp" })).toBe(5);
      expect(promValue(m, "tollgate_decision_log_dropped_total", { exporter: "otlp", reason: "queue_full" })).toBe(43);
      expect(promValue(m, "tollgate_decision_log_exported_total", { exporter: "otlp" })).toBe(0);
      expect(promValue(m, "tollgate_decisions_total", { endpoint: "data", outcome: "allow" })).toBe(25);
      expect(gate.decisionLog.snapshot()).toMatchObject({ queued: 5, dropped: 43 });
      // Shutdown is bounded too: at the close deadline the request in flight is aborted, and every record not
      // delivered — its batch of 2 and the 5 queued — is dropped, counted and said, once.
      const t = performance.now();
      await gate.stop();
      stopped = true;
      expect(performance.now() - t).toBeLessThan(9_000);
      expect(logs.filter((l) => l.startsWith("decision log endpoint"))).toEqual([`decision log endpoint http://127.0.0.1:${hung.port}/v1/logs: still unsent after 5000 ms at shutdown (7 records dropped: 2 in flight, 5 queued)`]);
      // Every one of the 50 decisions is accounted for: 43 dropped from the full queue, 7 at shutdown.
      expect(gate.decisionLog.snapshot().exporters?.otlp).toMatchObject({ exported: 0, dropped: 50, queued: 0 });
      await until("the aborted request's connection closed", () => (hung.hungUp() >= 1 ? true : undefined), 5_000);
    } finally {
      if (!stopped) await gate.stop();
      hung.stop();
    }
  }, 60_000);

  test("a gate that sets no max_attempts makes the exporter's default 5 attempts per batch (one default, not 3 here and 5 there)", async () => {
    const stub = stubReceiver(() => new Response("busy", { status: 503 }));
    const logs: string[] = [];
    // Only the back-off is set (to keep the test short): the number of attempts is the default.
    const gate = await startGate({ endpoint: `http://127.0.0.1:${stub.port}`, batch_size: 1, flush_interval_ms: 20, retry: { initial_interval_ms: 1, max_interval_ms: 5 } }, logs);
    try {
      await decide(gate, "alice");
      const line = await until("the batch dropped", () => logs.find((l) => l.startsWith("decision log endpoint")));
      expect(line).toBe(`decision log endpoint http://127.0.0.1:${stub.port}/v1/logs: HTTP 503 (after ${OTLP_DEFAULTS.maxAttempts} attempts) (1 records dropped)`);
      expect(stub.seen.length).toBe(5);
      expect(gate.decisionLog.snapshot().exporters?.otlp).toMatchObject({ retries: 4, dropped: 1, failedFlushes: 1 });
    } finally {
      await gate.stop();
      stub.stop();
    }
  }, 60_000);

  test("a receiver that is down: decisions stay fast; each batch is dropped after its attempts, counted and logged in one line", async () => {
    const port = await freePort();
    const logs: string[] = [];
    const gate = await startGate({ endpoint: `http://127.0.0.1:${port}`, batch_size: 2, flush_interval_ms: 20, retry: { max_attempts: 2, initial_interval_ms: 10 } }, logs);
    try {
      for (let i = 0; i < 4; i++) expect((await decide(gate, "alice")).ms).toBeLessThan(1000);
      const m = await until("4 records dropped", async () => {
        const f = await metrics(gate);
        return promValue(f, "tollgate_decision_log_dropped_total", { exporter: "otlp", reason: "export_failed" }) === 4 ? f : undefined;
      });
      expect(promValue(m, "tollgate_decision_log_exported_total", { exporter: "otlp" })).toBe(0);
      expect(promValue(m, "tollgate_decision_log_export_retries_total", { exporter: "otlp" })).toBeGreaterThanOrEqual(2);
      const lines = logs.filter((l) => l.startsWith("decision log endpoint"));
      expect(lines.length).toBeGreaterThanOrEqual(2);
      for (const l of lines) expect(l).toMatch(new RegExp(`^decision log endpoint http://127\\.0\\.0\\.1:${port}/v1/logs: .+ \\(after 2 attempts\\) \\([12] records dropped\\)$`));
    } finally {
      await gate.stop();
    }
  }, 60_000);
});

describe("retries", () => {
  const rec = (n: number): LogRecord => ({ timeUnixNano: String(n), observedTimeUnixNano: String(n), severityNumber: 9, severityText: "INFO", body: { stringValue: `r${n}` }, attributes: [] });

  const stub = async (answers: ((req: Request) => Response)[]) => {
    const s = stubReceiver((n, req) => (answers[n] ?? (() => new Response("{}")))(req));
    return { server: { port: s.port, stop: s.stop }, seen: s.seen };
  };

  test("Retry-After on a 503 is waited for, then the batch goes through, with the configured headers", async () => {
    const { server, seen } = await stub([() => new Response("busy", { status: 503, headers: { "Retry-After": "1" } })]);
    const errors: string[] = [];
    const x = new OtlpLogExporter({ endpoint: `http://127.0.0.1:${server.port}/v1/logs`, headers: { Authorization: "Bearer t0k" }, encode: (r) => JSON.stringify(r), retryBaseMs: 1, flushIntervalMs: 60_000, onError: (m) => errors.push(m) });
    try {
      x.add(rec(1));
      await x.flush();
      expect(seen.length).toBe(2);
      expect(seen[1]!.at - seen[0]!.at).toBeGreaterThanOrEqual(950);
      expect(seen.map((s) => s.auth)).toEqual(["Bearer t0k", "Bearer t0k"]);
      expect(seen[1]!.body).toBe(seen[0]!.body);
      expect(x.snapshot()).toMatchObject({ exported: 1, dropped: 0, retries: 1 });
      expect(errors).toEqual([]);
    } finally {
      await x.close();
      server.stop();
    }
  });

  test("back-off doubles per attempt and is capped (a huge Retry-After too); a non-retryable status is final", async () => {
    const busy = () => new Response("", { status: 429, headers: { "Retry-After": "3600" } });
    const { server, seen } = await stub([() => new Response("", { status: 502 }), () => new Response("", { status: 504 }), () => new Response("", { status: 503 }), busy, () => new Response("bad", { status: 400 })]);
    const errors: string[] = [];
    const x = new OtlpLogExporter({ endpoint: `http://127.0.0.1:${server.port}/v1/logs`, encode: (r) => JSON.stringify(r), retryBaseMs: 40, maxBackoffMs: 200, maxAttempts: 10, flushIntervalMs: 60_000, onError: (m) => errors.push(m) });
    try {
      x.add(rec(1));
      await x.flush();
      const gaps = seen.slice(1).map((s, i) => s.at - seen[i]!.at);
      expect(seen.length).toBe(5);
      // 40, 80, 160 ms, then Retry-After 3600 s capped at 200 ms.
      expect(gaps[0]).toBeGreaterThanOrEqual(35);
      expect(gaps[1]).toBeGreaterThanOrEqual(75);
      expect(gaps[2]).toBeGreaterThanOrEqual(155);
      expect(gaps[3]).toBeGreaterThanOrEqual(195);
      expect(gaps[3]).toBeLessThan(2_000);
      expect(errors).toEqual([`decision log endpoint http://127.0.0.1:${server.port}/v1/logs: HTTP 400 (after 5 attempts) (1 records dropped)`]);
      expect(x.snapshot()).toMatchObject({ exported: 0, dropped: 1, failedFlushes: 1, retries: 4 });
    } finally {
      await x.close();
      server.stop();
    }
  });
});

describe("close()", () => {
  /**
   * An exporter in a child process: `records` added (batches of 2), close(closeMs), then nothing. The child must
   * exit by itself as soon as close() returns: a timer or request of the exporter still pending would hold it.
   */
  async function closeInChild(endpoint: string, records: number, closeMs: number) {
    const script = join(work, "close-child.ts");
    writeFileSync(
      script,
      [
        `import { OtlpLogExporter } from ${JSON.stringify(join(import.meta.dir, "../src/telemetry/otlp.ts"))};`,
        "const [endpoint, n, closeMs] = [process.argv[2]!, Number(process.argv[3]), Number(process.argv[4])];",
        "const counts: Record<string, number> = {};",
        "const add = (k: string, v: number) => void (counts[k] = (counts[k] ?? 0) + v);",
        "const x = new OtlpLogExporter({ endpoint, encode: (r) => JSON.stringify(r), batchSize: 2, flushIntervalMs: 60_000, timeoutMs: 60_000, maxBackoffMs: 60_000, retryBaseMs: 60_000, maxAttempts: 5,",
        "  onError: (m) => console.log(`error: ${m}`), counters: { exported: (v) => add('exported', v), dropped: (r, v) => add(r, v), retried: () => add('retried', 1), queueLength: () => {} } });",
        "for (let i = 0; i < n; i++) x.add({ timeUnixNano: String(i), body: { stringValue: String(i) }, attributes: [], observedTimeUnixNano: String(i), severityNumber: 9, severityText: 'INFO' });",
        "await Bun.sleep(300);",
        "const t = performance.now();",
        "await x.close(closeMs);",
        "const closed = performance.now();",
        "console.log(`closed in ${Math.round(closed - t)} ms`);",
        "console.log(`stats ${JSON.stringify(x.snapshot())} counters ${JSON.stringify(counts)}`);",
        "process.on('exit', () => console.log(`exit ${Math.round(performance.now() - closed)} ms after close`));",
        "",
      ].join("\n"),
    );
    const p = Bun.spawn([BUN, script, endpoint, String(records), String(closeMs)], { stdout: "pipe", stderr: "pipe" });
    const timer = setTimeout(() => p.kill("SIGKILL"), 30_000);
    const [out, err, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited]);
    clearTimeout(timer);
    if (code !== 0) throw new Error(`child exited ${code}: ${err}${out}`);
    return out.trim().split("\n");
  }

  test("a collector that never answers: at the deadline the request in flight is aborted; queued + in flight are counted exactly; nothing outlives close()", async () => {
    const hung = hungReceiver();
    try {
      const endpoint = `http://127.0.0.1:${hung.port}/v1/logs`;
      const lines = await closeInChild(endpoint, 7, 400);
      expect(lines[0]).toBe(`error: decision log endpoint ${endpoint}: still unsent after 400 ms at shutdown (7 records dropped: 2 in flight, 5 queued)`);
      expect(lines[2]).toBe('stats {"exported":0,"dropped":7,"failedFlushes":0,"retries":0,"queued":0} counters {"export_failed":7}');
      expect(lines).toHaveLength(4);
      // Before, the child lived on until the request's own 60 s deadline.
      expect(Number(/^closed in (\d+) ms$/.exec(lines[1]!)?.[1])).toBeLessThan(2_000);
      expect(Number(/^exit (\d+) ms after close$/.exec(lines[3]!)?.[1])).toBeLessThan(1_000);
      await until("the aborted connection closed", () => (hung.hungUp() >= 1 ? true : undefined), 5_000);
    } finally {
      hung.stop();
    }
  }, 60_000);

  test("a collector that answers: close() sends what is left and returns; its 5 s deadline timer does not keep the process alive", async () => {
    const server = stubReceiver();
    try {
      const lines = await closeInChild(server.url, 5, 5_000);
      expect(lines[1]).toBe('stats {"exported":5,"dropped":0,"failedFlushes":0,"retries":0,"queued":0} counters {"exported":5}');
      expect(server.seen.reduce((n, s) => n + (JSON.parse(s.body) as unknown[]).length, 0)).toBe(5);
      // Before, the deadline's Bun.sleep(5000) held the process for the rest of its 5 s.
      expect(Number(/^exit (\d+) ms after close$/.exec(lines[2]!)?.[1])).toBeLessThan(1_000);
    } finally {
      server.stop();
    }
  }, 60_000);

  test("a batch waiting out its back-off at the deadline: counted as in flight, and its wait's timer is cleared", async () => {
    const server = stubReceiver(() => new Response("", { status: 503 }));
    try {
      const endpoint = server.url;
      // retryBaseMs 60 s: the batch is waiting for its second attempt when the 400 ms deadline comes.
      const lines = await closeInChild(endpoint, 3, 400);
      expect(lines[0]).toBe(`error: decision log endpoint ${endpoint}: still unsent after 400 ms at shutdown (3 records dropped: 2 in flight, 1 queued)`);
      expect(Number(/^closed in (\d+) ms$/.exec(lines[1]!)?.[1])).toBeLessThan(2_000);
      expect(lines[2]).toBe('stats {"exported":0,"dropped":3,"failedFlushes":0,"retries":1,"queued":0} counters {"retried":1,"export_failed":3}');
      expect(Number(/^exit (\d+) ms after close$/.exec(lines[3]!)?.[1])).toBeLessThan(1_000);
      expect(server.seen.length).toBe(1);
    } finally {
      server.stop();
    }
  }, 60_000);
});
