#!/usr/bin/env bun
// Warm decisions per second through tollgate's evaluator vs raw opa-wasm `evaluate` on the same policy.wasm
// and the same input, in one process: the ratio is tollgate's overhead (decision shape checks, sorting).
// Also: the whole pipeline per decision (read evidence, verify DSSE signatures, normalize, validate the input
// document, decide) to show where time goes.
//   bun bench/eval.ts [seconds-per-case]
import { loadPolicy as loadWasm } from "@open-policy-agent/opa-wasm";
import { join } from "node:path";
import { loadDefaultBundle, GATE_ENTRYPOINT } from "../src/policy/default-bundle.ts";
import { PolicyEngine } from "../src/policy/evaluator.ts";
import { evaluateDecision } from "../src/policy/gate.ts";
import { decide, loadDataFile, prepareEvidence } from "../src/gate/run.ts";

const ROOT = join(import.meta.dir, "..");
const SECONDS = Number(process.argv[2] ?? 3);
const ex = (p: string) => join(ROOT, "examples", p);

const data = await loadDataFile(ex("data.yaml"));
const opts = {
  time: new Date("2026-11-23T00:00:00Z"),
  keyFiles: [ex("keys/release.pub")],
  subject: "4fadfddc8647253e1e7aa1d3f467b7ab3b28ab9a9a627f6cc9da0f426d4e4c58",
  data,
};
const prepared = await prepareEvidence([ex("evidence")], opts);
const input = prepared.input;

const bundle = await loadDefaultBundle();
const engine = await PolicyEngine.create(bundle, [{ source: "data.yaml", data }]);
const raw = await loadWasm(bundle.modules.get("policy.wasm")!);
raw.setData(engine.data);

function rate(name: string, fn: () => unknown): number {
  for (let i = 0; i < 200; i++) fn(); // warm up (JIT, WASM tiers)
  let n = 0;
  const end = performance.now() + SECONDS * 1000;
  const t0 = performance.now();
  while (performance.now() < end) {
    for (let i = 0; i < 50; i++) fn();
    n += 50;
  }
  const r = n / ((performance.now() - t0) / 1000);
  console.log(`${name.padEnd(44)} ${r.toFixed(0).padStart(8)} decisions/s`);
  return r;
}

async function rateAsync(name: string, fn: () => Promise<unknown>): Promise<number> {
  for (let i = 0; i < 20; i++) await fn();
  let n = 0;
  const end = performance.now() + SECONDS * 1000;
  const t0 = performance.now();
  while (performance.now() < end) {
    await fn();
    n++;
  }
  const r = n / ((performance.now() - t0) / 1000);
  console.log(`${name.padEnd(44)} ${r.toFixed(0).padStart(8)} decisions/s`);
  return r;
}

console.log(`input: ${input.evidence.length} evidence records, ${JSON.stringify(input).length} bytes; bundle ${bundle.revision}`);
const rawRate = rate("raw opa-wasm evaluate", () => raw.evaluate(input, GATE_ENTRYPOINT));
const ourRate = rate("tollgate evaluateDecision", () => evaluateDecision(engine, GATE_ENTRYPOINT, input));
const full = await rateAsync("tollgate full pipeline (read+verify+decide)", async () => decide(engine, await prepareEvidence([ex("evidence")], opts)));
console.log(`\noverhead ratio (raw / tollgate evaluator): ${(rawRate / ourRate).toFixed(3)}x`);
console.log(`full pipeline vs raw evaluate: ${(rawRate / full).toFixed(1)}x slower (signature verification and file reads dominate)`);
