// The short seeded fuzz run of the suite (test/fuzz/harness.ts; the long run is in the README). Seeded: the same
// inputs on every run, so a failure names its seed, iteration and mutators and reproduces with test/fuzz/run.ts.
// No time is asserted here (bench/ measures speed); memory and every other invariant are.
import { describe, expect, test } from "bun:test";
import { MUTATORS, runFuzz } from "./harness.ts";

describe("fuzz (seeded, in process, every evidence kind)", () => {
  test("1,500 mutated inputs: no untyped exception, no admit of changed signed content, limits held", async () => {
    const report = await runFuzz({ seed: 16, iterations: 1500, maxRssMB: 1024 });
    expect(report.failures).toEqual([]);
    expect(report.iterations).toBe(1500);
    // the run reached what it claims to test: every mutator, inputs refused at a limit, inputs that became
    // evidence, signed seeds both verified unchanged and refused when changed, and the kinds beyond in-toto
    expect(Object.keys(report.mutators).sort()).toEqual(Object.keys(MUTATORS).sort());
    expect(report.outcomes.limit).toBeGreaterThan(0);
    expect(report.outcomes.evidence).toBeGreaterThan(0);
    expect(report.signed.verified).toBeGreaterThan(0);
    expect(report.signed.refused).toBeGreaterThan(0);
    for (const k of ["attestation", "runmanifest", "quality-event", "otel-log", "dast"]) expect(report.kinds[k] ?? 0).toBeGreaterThan(0);
  }, 120_000);

  test("the same seed gives the same run", async () => {
    const a = await runFuzz({ seed: 7, iterations: 150 });
    const b = await runFuzz({ seed: 7, iterations: 150 });
    expect(b.outcomes).toEqual(a.outcomes);
    expect(b.mutators).toEqual(a.mutators);
  }, 60_000);
});
