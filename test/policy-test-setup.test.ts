// policy-test's set-up is tollgate test's (src/check/policy.ts readRegoModules): each .rego is read once, through
// the reader the options name, and that text is what is compiled, searched for conftest's built-ins and quoted in
// opa's report. Each reader below returns text that differs from the disk in a way the result shows, so a second
// read from disk anywhere in the pipeline would change the outcome, and the counts catch a second read through it.
import { describe, expect, test } from "bun:test";
import { mkdtempSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runPolicyTests } from "../src/check/verify.ts";

function fresh(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), "tollgate-pts-"));
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(join(dir, name, ".."), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  return dir;
}

/** A reader that counts its reads per file and lets `edit` change the text it returns. */
function counting(edit: (path: string, text: string) => string = (_, t) => t) {
  const reads = new Map<string, number>();
  const read = (path: string) => {
    reads.set(path, (reads.get(path) ?? 0) + 1);
    return edit(path, readFileSync(path, "utf8"));
  };
  return { reads, read };
}

const sorted = (m: Map<string, number>) => [...m.entries()].sort((a, b) => (a[0] < b[0] ? -1 : 1));

describe("policy-test reads each .rego once", () => {
  test("opa test: once per file, and --report quotes the failing line from that read", async () => {
    const dir = fresh({
      "policy/deny.rego": 'package main\n\ndeny contains "no" if input.bad\n',
      "policy/deny_test.rego": "package main\n\ntest_x if {\n\tx := 1\n\tx == 2\n}\n\ntest_y if {\n\tdeny[\"no\"] with input as {\"bad\": true}\n}\n",
    });
    // A comment only opa does not see: the report's source line comes from this read, not from the disk.
    const { reads, read } = counting((p, t) => (p.endsWith("deny_test.rego") ? t.replace("\tx == 2\n", "\tx == 2 # as read\n") : t));
    const run = await runPolicyTests({ policy: [join(dir, "policy")], data: {}, regoVersion: "v1", namespaces: [], report: "fails", read });
    expect(sorted(reads)).toEqual([[join(dir, "policy/deny.rego"), 1], [join(dir, "policy/deny_test.rego"), 1]]);
    expect(run.results.map((r) => [r.failures.length, r.successes])).toEqual([[1, 0], [0, 1]]);
    expect(run.report).toContain(`  ${join(dir, "policy/deny_test.rego")}:5:\n    \tx == 2 # as read\n`);
  });

  test("over WASM (conftest's built-ins): once per file, and the compiled text is that read", async () => {
    const dir = fresh({
      "policy/lib.rego": "package main\n\nwant := 2\n",
      "policy/cfg_test.rego": 'package main\n\ntest_a if {\n\tparse_config("yaml", "a: 1").a == want\n}\n\ntest_b if {\n\tparse_config("yaml", "b: 1").b == 1\n}\n',
    });
    // On disk test_a fails (1 == 2); the text read makes it pass.
    const { reads, read } = counting((p, t) => (p.endsWith("lib.rego") ? t.replace("want := 2", "want := 1") : t));
    const run = await runPolicyTests({ policy: [join(dir, "policy")], data: {}, regoVersion: "v1", namespaces: [], read });
    expect(sorted(reads)).toEqual([[join(dir, "policy/cfg_test.rego"), 1], [join(dir, "policy/lib.rego"), 1]]);
    expect(run.results.map((r) => [r.queries[0]!.ref, r.failures.length, r.successes])).toEqual([
      ["data.main.test_a", 0, 1],
      ["data.main.test_b", 0, 1],
    ]);
  });
});
