// Decide with both engines and insist they agree: `opa eval` over policies/ (OPA's Go evaluator) and the WASM
// bundle `opa build` makes from the same policies, run by the engine tollgate ships.
import { expect } from "bun:test";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadBundleFile, type PolicyBundle } from "../../src/policy/bundle.ts";
import { PolicyEngine } from "../../src/policy/evaluator.ts";
import { evaluateDecision, toDecision, type Decision, type PolicyResult } from "../../src/policy/gate.ts";
import { REPO_ROOT } from "./fixtures.ts";
import { runOpa } from "./opa.ts";

const tmp = mkdtempSync(join(tmpdir(), "tollgate-parity-"));
let wasmBundle: PolicyBundle | undefined;
const engines = new Map<string, PolicyEngine>();
let evalCount = 0;

async function wasmEngine(data: Record<string, unknown>): Promise<PolicyEngine> {
  if (!wasmBundle) {
    const out = join(tmp, "gate.tar.gz");
    const b = runOpa(["build", "-t", "wasm", "-e", "tollgate/gate/decision", "--ignore", "*_test.rego", "-o", out, "policies"], REPO_ROOT);
    if (b.code !== 0) throw new Error(b.stderr);
    wasmBundle = await loadBundleFile(out);
  }
  const k = JSON.stringify(data);
  let e = engines.get(k);
  if (!e) engines.set(k, (e = await PolicyEngine.create(wasmBundle, [{ source: "test data", data }])));
  return e;
}

const canonical = (rs: PolicyResult[]) => rs.map((r) => JSON.stringify([r.rule, r.msg, r.evidence ?? null, r.severity ?? null])).sort();

/** The gate's decision for INPUT under DATA, after checking opa and tollgate's WASM engine agree on it. */
export async function decideBothEngines(input: unknown, data: Record<string, unknown>): Promise<Decision> {
  const i = ++evalCount;
  writeFileSync(join(tmp, `input-${i}.json`), JSON.stringify(input));
  writeFileSync(join(tmp, `data-${i}.json`), JSON.stringify(data));
  const r = runOpa(["eval", "--format", "json", "-d", join(REPO_ROOT, "policies"), "-d", join(tmp, `data-${i}.json`), "-i", join(tmp, `input-${i}.json`), "data.tollgate.gate.decision"]);
  if (r.code !== 0) throw new Error(r.stderr);
  const go = toDecision(JSON.parse(r.stdout).result[0].expressions[0].value, "opa eval");
  const wasm = evaluateDecision(await wasmEngine(data), "tollgate/gate/decision", input);
  expect(canonical(wasm.deny)).toEqual(canonical(go.deny));
  expect(canonical(wasm.warn)).toEqual(canonical(go.warn));
  return wasm;
}
