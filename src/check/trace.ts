// --trace: opa's own evaluation trace of each query conftest would run (the WASM target keeps no trace), from
// `opa eval --explain debug` on the same modules, data and input, with the location column opa eval adds
// removed (conftest prints topdown.PrettyTrace, which has none).
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { nodeOs } from "../core/lazy.ts";
import { join } from "node:path";
import { TollgateError } from "../core/errors.ts";
import { findOpa, OPA_VERSION } from "../policy/opa-tool.ts";
import { regoFiles } from "./policy.ts";
import type { QueryResult } from "./run.ts";

/** Fill in `traces` of every query: `inputOf(q)` is the document it ran on (undefined: no input). */
export function traceQueries(policyPaths: readonly string[], regoVersion: string, data: Record<string, unknown>, queries: readonly QueryResult[], inputOf: (q: QueryResult) => unknown): void {
  const opa = findOpa();
  if (!opa) throw new TollgateError("unsupported", `--trace needs opa (go install github.com/open-policy-agent/opa@${OPA_VERSION})`);
  const files = regoFiles(policyPaths);
  if (files.length === 0) throw new TollgateError("unsupported", "--trace needs the Rego sources (-p DIR), not a built bundle", policyPaths.join(", "));
  const tmp = mkdtempSync(join(nodeOs().tmpdir(), "tollgate-trace-"));
  try {
    const dataFile = join(tmp, "data.json");
    writeFileSync(dataFile, JSON.stringify(data));
    for (const q of queries) {
      const args = [opa, "eval", "--explain", "debug", "--format", "pretty", ...(regoVersion.toLowerCase() === "v0" ? ["--v0-compatible"] : []), "-d", dataFile];
      const input = inputOf(q);
      if (input !== undefined) {
        const inputFile = join(tmp, "input.json");
        writeFileSync(inputFile, JSON.stringify(input));
        args.push("-i", inputFile);
      }
      for (const f of files) args.push("-d", f);
      args.push(q.ref ?? q.query);
      const text = Bun.spawnSync(args, { stdout: "pipe", stderr: "pipe" }).stdout.toString();
      q.traces = text.split("\n").flatMap((l) => {
        const m = /^(?:query:\d+|\S+:\d+)\s+(.*)$/.exec(l);
        return m ? [m[1]!] : [];
      });
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}
