// The set-up the telemetry tests share (test/otlp-export.test.ts, test/serve-metrics.test.ts): a small unsigned
// bundle built by the real `tollgate bundle build` (demo/allow admits alice only; tollgate.gate's decision), gates
// started on it on an ephemeral 127.0.0.1 port, decisions asked of them, /metrics read back with Prometheus's own
// expfmt parser, and the receivers decision logs go to: the real OpenTelemetry Collector (v0.161.0, built from
// test/support/otelcol), a listener that reads requests and never answers, and a scripted HTTP stub.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { resolveServeConfig } from "../../src/serve/config.ts";
import { startGateServer, type GateServer } from "../../src/serve/server.ts";
import type { LogRecord } from "../../src/telemetry/otlp.ts";
import { BUN, CLI } from "./cli.ts";
import { goTool, promParse, type PromFamily } from "./gotool.ts";
import { until } from "./serve-bundle.ts";

export const DEMO_POLICY = `package demo

default allow := false

allow if input.user == "alice"
`;
export const DEMO_GATE = `package tollgate.gate

decision := {"allow": false, "deny": [], "warn": []}
`;

export interface DemoGates {
  /** The test's own directory (removed by remove()); the bundle is bundle.tar.gz in it. */
  readonly work: string;
  /** A gate on the demo bundle: `extra` is serve config on top of addr 127.0.0.1:0 and the bundle; log lines go to `logs`. */
  start(extra?: Record<string, unknown>, logs?: string[]): Promise<GateServer>;
  remove(): void;
}

/** Build the demo bundle (revision `revision`) in a fresh temp directory named after `prefix`. */
export function demoGates(prefix: string, revision: string): DemoGates {
  const work = mkdtempSync(join(tmpdir(), `tollgate-${prefix}-`));
  const dir = join(work, "policy");
  mkdirSync(join(dir, "tollgate/gate"), { recursive: true });
  writeFileSync(join(dir, "demo.rego"), DEMO_POLICY);
  writeFileSync(join(dir, "tollgate/gate/gate.rego"), DEMO_GATE);
  const r = Bun.spawnSync([BUN, CLI, "bundle", "build", dir, "-o", join(work, "bundle.tar.gz"), "--revision", revision, "-e", "demo/allow", "-e", "tollgate/gate/decision"], { stdout: "pipe", stderr: "pipe" });
  if (r.exitCode !== 0) throw new Error(r.stderr.toString());
  return {
    work,
    start(extra = {}, logs) {
      const cfg = resolveServeConfig({ addr: "127.0.0.1:0", bundle: { file: "bundle.tar.gz", allow_unsigned: true }, ...extra }, work, "test");
      return startGateServer(cfg, { log: logs ? (l) => logs.push(l) : () => {} });
    },
    remove: () => rmSync(work, { recursive: true, force: true }),
  };
}

/** One request on its own connection (with several threads the kernel picks one per connection). */
export function fresh(gate: GateServer, path: string, init: RequestInit = {}): Promise<Response> {
  return fetch(gate.url + path, { ...init, headers: { ...(init.headers as Record<string, string>), Connection: "close" } });
}

/** POST /v1/data/demo/allow for `user`: how long it took, its decision id and result. */
export async function decide(gate: GateServer, user: string): Promise<{ ms: number; id: string; result: unknown }> {
  const t = performance.now();
  const r = await fetch(`${gate.url}/v1/data/demo/allow`, { method: "POST", body: JSON.stringify({ input: { user } }) });
  const body = (await r.json()) as { decision_id: string; result: unknown };
  return { ms: performance.now() - t, id: body.decision_id, result: body.result };
}

/** GET /metrics, parsed by expfmt (a malformed exposition throws). */
export async function scrape(gate: GateServer, init: { fresh?: boolean } = {}): Promise<PromFamily[]> {
  const r = init.fresh ? await fresh(gate, "/metrics") : await fetch(`${gate.url}/metrics`);
  return promParse(await r.text());
}

/** OTLP attributes as a plain object (string, bool, int and string-array values). */
export const flat = (attrs: { key: string; value: Record<string, unknown> }[] = []) =>
  Object.fromEntries(attrs.map((a) => [a.key, a.value.stringValue ?? a.value.boolValue ?? a.value.intValue ?? (a.value.arrayValue as { values?: { stringValue: string }[] } | undefined)?.values?.map((v) => v.stringValue) ?? []]));

export interface Collector {
  port: number;
  /** Every LogRecord the Collector's file exporter wrote, with its Resource attributes. */
  records(): { resource: Record<string, unknown>; record: LogRecord }[];
  stop(): Promise<void>;
}

/** The real Collector: otlp receiver (HTTP only) on 127.0.0.1:port → file exporter → `work`/`name`/out.jsonl. */
export async function startCollector(work: string, port: number, name: string): Promise<Collector> {
  const dir = join(work, name);
  mkdirSync(dir, { recursive: true });
  const out = join(dir, "out.jsonl");
  const cfg = join(dir, "collector.yaml");
  writeFileSync(
    cfg,
    [
      "receivers:",
      "  otlp:",
      "    protocols:",
      "      http:",
      `        endpoint: 127.0.0.1:${port}`,
      "exporters:",
      "  file:",
      `    path: ${out}`,
      "    flush_interval: 50ms",
      "service:",
      "  telemetry:",
      "    metrics:",
      "      level: none",
      "    logs:",
      "      level: warn",
      "  pipelines:",
      "    logs:",
      "      receivers: [otlp]",
      "      exporters: [file]",
      "",
    ].join("\n"),
  );
  const proc = Bun.spawn([goTool("otelcol"), "--config", `file:${cfg}`], { stdout: "ignore", stderr: "pipe" });
  // Up when its receiver answers an empty export (the Collector answers 200 with a partialSuccess object).
  const up = await until(`the Collector on port ${port}`, async () => {
    if (proc.exitCode !== null) return "exited" as const;
    const r = await fetch(`http://127.0.0.1:${port}/v1/logs`, { method: "POST", headers: { "Content-Type": "application/json" }, body: '{"resourceLogs":[]}' });
    return r.ok ? ("up" as const) : undefined;
  });
  if (up === "exited") throw new Error(`the Collector exited ${proc.exitCode}: ${await new Response(proc.stderr).text()}`);
  return {
    port,
    records() {
      if (!existsSync(out)) return [];
      const lines = readFileSync(out, "utf8").split("\n");
      // The exporter may be writing the last line right now: only complete lines (ended by a newline) count.
      lines.pop();
      return lines
        .filter(Boolean)
        .flatMap((line) =>
          (JSON.parse(line) as { resourceLogs: { resource: { attributes: never[] }; scopeLogs: { logRecords: LogRecord[] }[] }[] }).resourceLogs.flatMap((rl) =>
            rl.scopeLogs.flatMap((sl) => sl.logRecords.map((record) => ({ resource: flat(rl.resource.attributes), record }))),
          ),
        );
    },
    async stop() {
      proc.kill();
      await proc.exited;
    },
  };
}

/** A TCP listener on 127.0.0.1 that reads every request and never answers; counts the connections closed. */
export function hungReceiver(): { port: number; received(): string; hungUp(): number; stop(): void } {
  let received = "";
  let hungUp = 0;
  const l = Bun.listen({
    hostname: "127.0.0.1",
    port: 0,
    socket: {
      data(_s, d) {
        received += new TextDecoder().decode(d);
      },
      close() {
        hungUp++; // the exporter gave the request up
      },
    },
  });
  return { port: l.port, received: () => received, hungUp: () => hungUp, stop: () => l.stop(true) };
}

/** An HTTP stub on 127.0.0.1: `answer(n, req)` answers the n-th request (0-based; default 200 {}); what it saw, and when. */
export function stubReceiver(answer: (n: number, req: Request) => Response = () => new Response("{}")) {
  const seen: { at: number; auth: string | null; body: string }[] = [];
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    async fetch(req) {
      seen.push({ at: performance.now(), auth: req.headers.get("authorization"), body: await req.text() });
      return answer(seen.length - 1, req);
    },
  });
  return { port: server.port!, url: `http://127.0.0.1:${server.port}/v1/logs`, seen, stop: () => void server.stop(true) };
}
