// /metrics: the Prometheus text exposition format (0.0.4), read back with Prometheus's own Go text parser
// (github.com/prometheus/common/expfmt, built from test/support/promparse), on a single-thread gate with bearer
// auth (where /metrics stays open) and on a gate of several threads (the sums over every thread, whichever answers).
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import type { GateServer } from "../src/serve/server.ts";
import { GateMetrics, METRICS_CONTENT_TYPE, routeOf } from "../src/telemetry/metrics.ts";
import { promParse, promValue, type PromFamily } from "./support/gotool.ts";
import { demoGates, fresh, scrape } from "./support/telemetry-gate.ts";

const TOKEN = "metrics-test-token-0123456789";

const gates = demoGates("serve-metrics", "m1");
writeFileSync(join(gates.work, "tokens"), `${TOKEN}\n`);
afterAll(() => gates.remove());

const histogram = (fams: PromFamily[], path: string) => fams.find((f) => f.name === "tollgate_http_request_duration_seconds")?.samples.find((s) => s.labels.path === path);

describe("GateMetrics", () => {
  test("label values are bounded: every /v1/data path is one label, unrouted paths are 'other'", () => {
    expect(routeOf("/v1/data/demo/allow")).toBe("/v1/data");
    expect(routeOf("/v1/data")).toBe("/v1/data");
    expect(routeOf("/v1/gate")).toBe("/v1/gate");
    expect(routeOf("/v1/gatex")).toBe("other");
    expect(routeOf("/../../etc/passwd")).toBe("other");
  });

  test("the exposition parses with expfmt: types, cumulative buckets, +Inf = _count, _sum in seconds", () => {
    const m = new GateMetrics();
    m.request("/v1/gate", 200, 0.0004);
    m.request("/v1/gate", 200, 0.03);
    m.request("/v1/gate", 400, 20); // past the last bucket: only +Inf holds it
    m.decision("gate", true);
    m.decision("admission", false);
    m.dropped("otlp", "queue_full", 7);
    m.queueLength("otlp", 3);
    const fams = promParse(m.render());
    const byName = Object.fromEntries(fams.map((f) => [f.name, f.type]));
    expect(byName).toMatchObject({
      tollgate_http_requests_total: "COUNTER",
      tollgate_http_request_duration_seconds: "HISTOGRAM",
      tollgate_decisions_total: "COUNTER",
      tollgate_decision_log_exported_total: "COUNTER",
      tollgate_decision_log_dropped_total: "COUNTER",
      tollgate_decision_log_export_retries_total: "COUNTER",
      tollgate_decision_log_queue_length: "GAUGE",
    });
    expect(promValue(fams, "tollgate_http_requests_total", { path: "/v1/gate", code: "200" })).toBe(2);
    expect(promValue(fams, "tollgate_http_requests_total", { path: "/v1/gate", code: "400" })).toBe(1);
    const h = histogram(fams, "/v1/gate")!;
    expect(h.count).toBe(3);
    expect(h.sum).toBeCloseTo(20.0304, 9);
    expect(h.buckets!.find((b) => b.le === "0.0005")!.count).toBe(1);
    expect(h.buckets!.find((b) => b.le === "0.05")!.count).toBe(2);
    expect(h.buckets!.find((b) => b.le === "10")!.count).toBe(2);
    expect(h.buckets!.at(-1)).toEqual({ le: "+Inf", count: 3 });
    expect(promValue(fams, "tollgate_decisions_total", { endpoint: "gate", outcome: "allow" })).toBe(1);
    expect(promValue(fams, "tollgate_decisions_total", { endpoint: "admission", outcome: "deny" })).toBe(1);
    expect(promValue(fams, "tollgate_decision_log_dropped_total", { exporter: "otlp", reason: "queue_full" })).toBe(7);
    expect(promValue(fams, "tollgate_decision_log_queue_length", { exporter: "otlp" })).toBe(3);
  });

  test("the parser is a real check: malformed exposition text is refused with its line", () => {
    expect(() => promParse('tollgate_x{path=/v1/gate} 1\n')).toThrow(/expfmt: text format parsing error in line 1/);
    expect(() => promParse("# TYPE a counter\n# TYPE a gauge\na 1\n")).toThrow(/expfmt: .*second TYPE line for metric name "a"/);
  });

  test("a buffer of the wrong size is refused (a worker never writes past the shared counters)", () => {
    expect(() => new GateMetrics(new SharedArrayBuffer(8))).toThrow(/metrics buffer of 8 bytes, want \d+/);
  });
});

describe("/metrics on a gate with bearer auth", () => {
  let gate: GateServer;
  beforeAll(async () => {
    gate = await gates.start({ auth: { bearer_tokens_file: "tokens" } });
  });
  afterAll(async () => gate?.stop());

  test("open without a token (as /health and OPA's /metrics), in format 0.0.4; /v1/* still needs the token; counts by path, code and outcome", async () => {
    const auth = { Authorization: `Bearer ${TOKEN}` };
    expect((await fetch(`${gate.url}/v1/data/demo/allow`, { method: "POST", body: '{"input":{"user":"alice"}}' })).status).toBe(401);
    for (let i = 0; i < 3; i++) {
      const r = await fetch(`${gate.url}/v1/data/demo/allow`, { method: "POST", headers: auth, body: '{"input":{"user":"alice"}}' });
      expect(await r.json()).toMatchObject({ result: true });
    }
    for (let i = 0; i < 2; i++) {
      const r = await fetch(`${gate.url}/v1/data/demo/allow`, { method: "POST", headers: auth, body: '{"input":{"user":"mallory"}}' });
      expect(await r.json()).toMatchObject({ result: false });
    }
    expect((await fetch(`${gate.url}/v1/nothing`, { headers: auth })).status).toBe(404);

    const res = await fetch(`${gate.url}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe(METRICS_CONTENT_TYPE);
    expect(METRICS_CONTENT_TYPE).toBe("text/plain; version=0.0.4; charset=utf-8");
    const fams = promParse(await res.text());
    expect(promValue(fams, "tollgate_http_requests_total", { path: "/v1/data", code: "401" })).toBe(1);
    expect(promValue(fams, "tollgate_http_requests_total", { path: "/v1/data", code: "200" })).toBe(5);
    expect(promValue(fams, "tollgate_http_requests_total", { path: "other", code: "404" })).toBe(1);
    expect(promValue(fams, "tollgate_decisions_total", { endpoint: "data", outcome: "allow" })).toBe(3);
    expect(promValue(fams, "tollgate_decisions_total", { endpoint: "data", outcome: "deny" })).toBe(2);
    const h = histogram(fams, "/v1/data")!;
    expect(h.count).toBe(6);
    expect(h.buckets!.at(-1)).toEqual({ le: "+Inf", count: 6 });
    const counts = h.buckets!.map((b) => b.count);
    expect(counts).toEqual([...counts].sort((a, b) => a - b)); // cumulative
    expect(h.sum!).toBeGreaterThan(0);
    // The scrape itself is counted once it has been answered: the next one sees it.
    const again = await scrape(gate);
    expect(promValue(again, "tollgate_http_requests_total", { path: "/metrics", code: "200" })).toBe(1);
  });

  test("HEAD /metrics has the headers and no body; POST is 405 naming the methods", async () => {
    const head = await fetch(`${gate.url}/metrics`, { method: "HEAD" });
    expect(head.status).toBe(200);
    expect(head.headers.get("content-type")).toBe(METRICS_CONTENT_TYPE);
    expect(await head.text()).toBe("");
    const post = await fetch(`${gate.url}/metrics`, { method: "POST", body: "x" });
    expect(post.status).toBe(405);
    expect(post.headers.get("allow")).toBe("GET, HEAD");
    expect(await post.json()).toEqual({ code: "method_not_allowed", message: "POST /metrics: allowed GET, HEAD" });
  });
});

describe("/metrics on a gate of several threads (workers: 3)", () => {
  let gate: GateServer;
  beforeAll(async () => {
    gate = await gates.start({ workers: 3 });
  });
  afterAll(async () => gate?.stop());

  test("every thread serves the sums over all threads", async () => {
    const N = 60;
    const threads = new Set<number>();
    for (let i = 0; i < N; i++) threads.add(((await (await fresh(gate, "/health")).json()) as { thread: number }).thread);
    for (let i = 0; i < N; i++) await (await fresh(gate, "/v1/data/demo/allow", { method: "POST", body: `{"input":{"user":"${i % 3 ? "alice" : "bob"}"}}` })).arrayBuffer();
    // The kernel spread the connections: several threads answered (else this test would prove nothing).
    expect(threads.size).toBeGreaterThan(1);
    // Scrape on fresh connections until several threads have answered /metrics too (each scrape is counted by
    // the thread that served it once it is answered, so the k-th scrape sees k-1 earlier ones).
    for (let k = 0; k < 12; k++) {
      const fams = await scrape(gate, { fresh: true });
      expect(promValue(fams, "tollgate_http_requests_total", { path: "/health", code: "200" })).toBe(N);
      expect(promValue(fams, "tollgate_http_requests_total", { path: "/v1/data", code: "200" })).toBe(N);
      expect(promValue(fams, "tollgate_http_requests_total", { path: "/metrics", code: "200" })).toBe(k);
      expect(promValue(fams, "tollgate_decisions_total", { endpoint: "data", outcome: "allow" })).toBe(40);
      expect(promValue(fams, "tollgate_decisions_total", { endpoint: "data", outcome: "deny" })).toBe(20);
      expect(histogram(fams, "/health")!.count).toBe(N);
    }
  });
});
