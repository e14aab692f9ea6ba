// tollgate policy-test on unit tests that call conftest's parse_config built-ins (which opa test does not
// know): run over WASM with the host parsing (test/conftest-parity.test.ts compares them with conftest
// verify); opa's report and trace need opa test, so those are refused in one line.
import { describe, expect, test } from "bun:test";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { REPO_ROOT } from "./support/fixtures.ts";
import { tollgate } from "./support/cli.ts";

const POLICY = join(REPO_ROOT, "test/conftest-corpus/policy-parse-config");

describe("policy-test with conftest's parse_config built-ins", () => {
  test("each test_ rule is run; the results name the failing ones", () => {
    const r = tollgate(["policy-test", "-o", "json", "-p", POLICY]);
    expect(r.code).toBe(1);
    const out = JSON.parse(r.stdout) as { failures?: { msg: string }[]; skipped?: { msg: string }[]; successes: number }[];
    expect(out.flatMap((x) => x.failures ?? []).map((f) => f.msg).sort()).toEqual(["data.main.test_expects_the_wrong_message", "data.main.test_missing_file_fails", "data.main.test_unparsable_text_fails"]);
    expect(out.flatMap((x) => x.skipped ?? []).map((f) => f.msg)).toEqual(["data.main.todo_test_ini_later"]);
    expect(out.reduce((n, x) => n + x.successes, 0)).toBe(6);
  });
  test("a namespace with no tests: nothing runs, exit 0", () => {
    const r = tollgate(["policy-test", "--no-color", "-p", POLICY, "-n", "nosuch"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("0 tests, 0 passed");
  });
  test("a test that fails to evaluate (a conflict) is one line naming its file, line and rule, exit 2", () => {
    const dir = mkdtempSync(join(tmpdir(), "tollgate-ptb-"));
    writeFileSync(join(dir, "p.rego"), 'package main\n\nf(x) := 1\nf(x) := 2\n\ntest_conflict if {\n\tparse_config("yaml", "a: 1")\n\tf(1) == 1\n}\n');
    const r = tollgate(["policy-test", "-p", dir]);
    expect(r.code).toBe(2);
    const lines = r.stderr.trim().split("\n");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/p\.rego:6: data\.main\.test_conflict: policy evaluation failed at main\/test_conflict: \S/);
    expect(lines[0]).not.toContain("undefined");
  });
  test("the evaluation error names only the user's file, never the compiled copy (m0.rego), also from the cache", () => {
    // The WASM module's own message locates the conflict in the copy opa build compiled (m0.rego, the first file),
    // which is the user's m1.rego, itself named like the second copy: mapped once, it stays m1.rego. Run twice:
    // the second loads the module from the cache, compiled in a directory that is gone.
    const dir = mkdtempSync(join(tmpdir(), "tollgate-ptb-"));
    writeFileSync(join(dir, "m1.rego"), "package main\n\nf(x) := 1\nf(x) := 2\n");
    writeFileSync(join(dir, "x_test.rego"), 'package main\n\ntest_conflict if {\n\tparse_config("yaml", "a: 1")\n\tf(1) == 1\n}\n');
    const env = { XDG_CACHE_HOME: mkdtempSync(join(tmpdir(), "tollgate-ptb-cache-")) };
    for (let run = 0; run < 2; run++) {
      const r = tollgate(["policy-test", "-p", dir], { env });
      expect(r.code).toBe(2);
      const where = `${join(dir, "x_test.rego")}:3: data.main.test_conflict: policy evaluation failed at main/test_conflict`;
      expect([run, r.stderr]).toEqual([run, `tollgate policy-test: ${where}: ${join(dir, "m1.rego")}:4:1: var assignment conflict\n`]);
    }
  });
  for (const flag of [["--report", "fails"], ["--trace"]]) {
    test(`${flag[0]} is refused in one line (it needs opa test)`, () => {
      const r = tollgate(["policy-test", ...flag, "-p", POLICY]);
      expect(r.code).toBe(2);
      expect(r.stdout).toBe("");
      const lines = r.stderr.trim().split("\n");
      expect(lines).toHaveLength(1);
      expect(lines[0]).toContain(`${flag[0]} needs opa test, which does not know conftest's parse_config built-ins`);
    });
  }
});
