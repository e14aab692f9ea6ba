// --trace: opa's own evaluation trace of each query conftest would run (the WASM target keeps no trace), from
// `opa eval --explain full` on the same modules, data and input. Written to stderr, as conftest does.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { TollgateError } from "../core/errors.ts";
import { findOpa, OPA_VERSION } from "../policy/opa-tool.ts";
import { regoFiles, type CheckPolicy } from "./policy.ts";
import type { CheckResult } from "./run.ts";

export async function traceQueries(
  policy: CheckPolicy,
  s: { policy: string[]; regoVersion: string },
  data: Record<string, unknown>,
  _configs: unknown,
  results: CheckResult[],
  _now: Date,
): Promise<CheckResult[]> {
  const opa = findOpa();
  if (!opa) throw new TollgateError("unsupported", `--trace needs opa (go install github.com/open-policy-agent/opa@${OPA_VERSION})`);
  if (!policy.printSites && !s.policy.length) return results;
  const files = regoFiles(s.policy);
  if (files.length === 0) throw new TollgateError("unsupported", "--trace needs the Rego sources (-p DIR), not a built bundle", policy.source);
  const tmp = mkdtempSync(join(tmpdir(), "tollgate-trace-"));
  try {
    const dataFile = join(tmp, "data.json");
    writeFileSync(dataFile, JSON.stringify(data));
    for (const r of results) {
      for (const q of r.queries) {
        const inputFile = join(tmp, "input.json");
        writeFileSync(inputFile, JSON.stringify(q.input ?? null));
        const args = [opa, "eval", "--explain", "full", "--format", "pretty", ...(s.regoVersion.toLowerCase() === "v0" ? ["--v0-compatible"] : []), "-d", dataFile, "-i", inputFile];
        for (const f of files) args.push("-d", f);
        args.push(q.query);
        const p = Bun.spawnSync(args, { stdout: "pipe", stderr: "pipe" });
        const text = p.stdout.toString();
        q.traces = text.split("\n").filter((l) => /^(query|data|input|\S+\.rego):\d*/.test(l) || /^\s*(Enter|Exit|Eval|Fail|Redo|Index|Unify|Save|Note)/.test(l.trim()));
      }
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  return results;
}
