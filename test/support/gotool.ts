// Small Go programs the tests run as real peers (test/support/<name>/: main.go, go.mod, go.sum pinning every
// module): the OpenTelemetry Collector built with its otlp receiver and file exporter (otelcol), and the
// Prometheus text parser (promparse). Built once per go.sum+main.go into the temp directory, from the Go module
// cache when it has the modules (scripts/setup.sh --peers fills it), else through the configured module proxy.
import { existsSync, readFileSync, renameSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const built = new Map<string, string>();

function goBinary(): string | undefined {
  return Bun.which("go") ?? (existsSync("/usr/local/go/bin/go") ? "/usr/local/go/bin/go" : undefined);
}

/** The path of the built tool; throws (with how to get it) when Go is missing or the build fails. */
export function goTool(name: "otelcol" | "promparse"): string {
  const hit = built.get(name);
  if (hit) return hit;
  const src = join(import.meta.dir, name);
  const go = goBinary();
  if (!go) throw new Error(`${name}: Go is not installed (run 'bash scripts/setup.sh --peers' on a machine with Go)`);
  const key = Bun.hash(readFileSync(join(src, "go.sum")).toString() + readFileSync(join(src, "main.go")).toString()).toString(16);
  const out = join(tmpdir(), `tollgate-${name}-${key}`);
  if (!existsSync(out)) {
    const tmp = `${out}.${process.pid}`;
    const modcache = Bun.spawnSync([go, "env", "GOMODCACHE"], { stdout: "pipe" }).stdout.toString().trim();
    const base = { ...process.env, GOFLAGS: "-mod=mod", GOTOOLCHAIN: "local" };
    // Offline first (the module cache as a proxy), then the configured proxy.
    let r = Bun.spawnSync([go, "build", "-o", tmp, "."], { cwd: src, stdout: "pipe", stderr: "pipe", env: { ...base, GOPROXY: `file://${modcache}/cache/download`, GOSUMDB: "off" } });
    if (r.exitCode !== 0) r = Bun.spawnSync([go, "build", "-o", tmp, "."], { cwd: src, stdout: "pipe", stderr: "pipe", env: base });
    if (r.exitCode !== 0) throw new Error(`building test/support/${name} failed: ${r.stderr.toString().trim().split("\n").slice(-3).join(" | ")}`);
    renameSync(tmp, out);
  }
  built.set(name, out);
  return out;
}

export interface PromSample {
  labels: Record<string, string>;
  value?: number;
  buckets?: { le: string; count: number }[];
  sum?: number;
  count?: number;
}
export interface PromFamily {
  name: string;
  type: "COUNTER" | "GAUGE" | "HISTOGRAM" | "SUMMARY" | "UNTYPED";
  help: string;
  samples: PromSample[];
}

/** Parse exposition text with Prometheus's own Go text parser (expfmt); a parse error throws with its message. */
export function promParse(text: string): PromFamily[] {
  const r = Bun.spawnSync([goTool("promparse")], { stdin: new TextEncoder().encode(text), stdout: "pipe", stderr: "pipe" });
  if (r.exitCode !== 0) throw new Error(`expfmt: ${r.stderr.toString().trim()}`);
  return JSON.parse(r.stdout.toString()) as PromFamily[];
}

/** The value of one counter/gauge sample (0 when the sample is absent), from parsed families. */
export function promValue(fams: PromFamily[], name: string, labels: Record<string, string> = {}): number {
  const f = fams.find((x) => x.name === name);
  const s = f?.samples.find((x) => Object.entries(labels).every(([k, v]) => x.labels[k] === v) && Object.keys(x.labels).length === Object.keys(labels).length);
  return s?.value ?? 0;
}
