// `tollgate policy-test`: conftest verify — the policy's own unit tests (`test_` rules; `todo_test_` are
// skipped), run by opa test on exactly what conftest loads (the .rego files of -p, the .json/.yaml data of -d),
// reported in conftest's shapes: one result per test, named `<package>.<test>`, filed under its source file.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { asTollgateError, TollgateError } from "../core/errors.ts";
import { findOpa } from "../policy/opa-tool.ts";
import { PolicyEngine } from "../policy/evaluator.ts";
import { hostBuiltins } from "../policy/host-builtins.ts";
import { ConftestBuiltins } from "./conftest-builtins.ts";
import { USES_CONFTEST_BUILTINS, loadCheckPolicy, OPA_MISSING, opaErrors, regoFiles } from "./policy.ts";
import { globMatch, type CheckResult } from "./run.ts";

export interface VerifyOptions {
  policy: string[];
  data: Record<string, unknown>;
  regoVersion: string;
  capabilities?: string;
  namespaces: string[];
  strict?: boolean;
  /** conftest's --report (full|notes|fails): opa's own verbose report instead of the results. */
  report?: string;
  varValues?: boolean;
  /** --trace was asked for (opa's trace, which needs opa test). */
  trace?: boolean;
}

interface OpaTestResult {
  location: { file: string; row: number; col: number };
  package: string;
  name: string;
  fail?: boolean;
  skip?: boolean;
  error?: { message?: string; code?: string } | string;
}

export interface VerifyRun {
  results: CheckResult[];
  /** opa's pretty report, when --report was asked for. */
  report?: string;
}

export async function runPolicyTests(o: VerifyOptions): Promise<VerifyRun> {
  const regoVersion = o.regoVersion;
  if (!/^[vV][01]$/.test(regoVersion)) throw new TollgateError("usage", `invalid Rego version: ${regoVersion} (use v0 or v1)`);
  const files = regoFiles(o.policy);
  if (files.length === 0) throw new TollgateError("policy_unreadable", `no policies found in ${o.policy.join(", ")}`);
  const opa = findOpa();
  if (!opa) throw new TollgateError("policy_unreadable", OPA_MISSING, o.policy.join(", "));
  if (files.some((f) => USES_CONFTEST_BUILTINS.test(readFileSync(f, "utf8")))) return runWasmTests(o);
  const tmp = mkdtempSync(join(tmpdir(), "tollgate-policy-test-"));
  try {
    // The .rego files themselves (never their directories), so opa test loads exactly these modules and no
    // data files beside them.
    const copies = files;
    const rename = (x: string) => x;
    const args = [opa, "test", ...(regoVersion.toLowerCase() === "v0" ? ["--v0-compatible"] : []), ...(o.capabilities ? ["--capabilities", o.capabilities] : [])];
    if (Object.keys(o.data).length) {
      writeFileSync(join(tmp, "data.json"), JSON.stringify(o.data));
      args.push(join(tmp, "data.json"));
    }
    args.push(...copies);
    if (o.strict) {
      const errs = opaErrors(opa, [...(regoVersion.toLowerCase() === "v0" ? ["--v0-compatible"] : []), ...(o.capabilities ? ["--capabilities", o.capabilities] : []), "--strict"], copies, rename);
      if (errs) throw new TollgateError("policy_invalid", errs);
    }
    const json = Bun.spawnSync([...args, "--format", "json"], { stdout: "pipe", stderr: "pipe" });
    const out = json.stdout.toString();
    let parsed: OpaTestResult[];
    try {
      if (!out.trim() && json.exitCode !== 0) throw new Error("no results");
      parsed = JSON.parse(out || "[]") as OpaTestResult[];
    } catch {
      // Not JSON: the modules did not compile (opa prints the errors); one line per error.
      const text = rename((json.stderr.toString() + out).trim());
      throw new TollgateError("policy_invalid", text.replace(/\n\t/g, " ").split("\n").filter(Boolean).join("\n") || "opa test failed");
    }
    const allowed = (pkg: string) => !o.namespaces.length || o.namespaces.some((p) => globMatch(p, pkg.replace(/^data\./, "")));
    parsed = parsed.filter((r) => allowed(r.package));
    for (const r of parsed) {
      if (r.error) {
        const msg = typeof r.error === "string" ? r.error : (r.error.message ?? JSON.stringify(r.error));
        throw new TollgateError("policy_invalid", `run test: ${r.package}.${r.name}: ${rename(msg)}`, rename(r.location.file));
      }
    }
    parsed.sort((a, b) => (a.location.file < b.location.file ? -1 : a.location.file > b.location.file ? 1 : a.location.row - b.location.row));
    const results = parsed.map((r): CheckResult => {
      const msg = { msg: `${r.package}.${r.name}` };
      return {
        filename: rename(r.location.file),
        namespace: "",
        successes: r.fail || r.skip ? 0 : 1,
        failures: r.fail ? [msg] : [],
        warnings: [],
        exceptions: [],
        ...(r.skip ? { skipped: [msg] } : {}),
        queries: [{ query: r.name, results: [msg.msg && (r.fail || r.skip) ? msg : { msg: "" }], traces: [], outputs: [], ref: `${r.package}.${r.name}` }],
      };
    });
    if (!o.report) return { results };
    const runFilter = parsed.length && o.namespaces.length ? ["--run", parsed.map((r) => `^${r.package}\\.${r.name}$`).join("|")] : [];
    // conftest's "full" is every trace event: opa's debug level
    const explain = o.report === "full" ? "debug" : o.report;
    const pretty = Bun.spawnSync([...args, "-v", "--explain", explain, ...(o.varValues ? ["--var-values"] : []), ...runFilter], { stdout: "pipe", stderr: "pipe" });
    return { results, report: withFailureLines(rename(pretty.stdout.toString())) };
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

/**
 * Tests that call conftest's own built-ins (parse_config, parse_config_file, parse_combined_config_files),
 * which opa test does not know: the test_ rules are compiled to WASM with those built-ins declared, as
 * `tollgate test` compiles deny rules, and each is evaluated with the host answering them through tollgate's
 * parsers (parse_config_file paths relative to the policy file, as in conftest). A test passes when its rule
 * is defined and not false, as in opa test. opa's trace and report need opa test, so --report is refused here.
 */
async function runWasmTests(o: VerifyOptions): Promise<VerifyRun> {
  if (o.report || o.trace) throw new TollgateError("unsupported", `--${o.report ? "report" : "trace"} needs opa test, which does not know conftest's parse_config built-ins these tests call: run without it`, o.policy.join(", "));
  const policy = await loadCheckPolicy(o.policy, { regoVersion: o.regoVersion, tests: true, ...(o.strict ? { strict: true } : {}), ...(o.capabilities ? { capabilities: o.capabilities } : {}) }, async () => {});
  const allowed = (ns: string) => !o.namespaces.length || o.namespaces.some((p) => globMatch(p, ns));
  const tests = policy.tests.filter((t) => allowed(t.namespace));
  const parse = new ConftestBuiltins(policy.sites);
  const host = hostBuiltins({ now: new Date(), print: () => {} });
  const engine = policy.bundle ? await PolicyEngine.create(policy.bundle, [{ source: "data", data: o.data }], { ...host, ...parse.builtins() }) : undefined;
  const results: CheckResult[] = [];
  for (const t of [...tests].sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : a.row - b.row))) {
    const ref = `data.${t.namespace}.${t.name}`;
    const skip = t.name.startsWith("todo_test_");
    let value: unknown;
    if (!skip && engine) {
      for (let pass = 0; ; pass++) {
        try {
          value = engine.evaluate([...t.namespace.split("."), t.name].join("/"), {});
        } catch (e) {
          // Where the test is, as opa test says it: the evaluator's message alone names no file.
          throw new TollgateError("policy_invalid", `${t.file}:${t.row}: ${ref}: ${asTollgateError(e).message}`);
        }
        if (pass >= 16 || !(await parse.settle())) break;
      }
    }
    const fail = !skip && (value === undefined || value === false);
    const msg = { msg: ref };
    results.push({
      filename: t.file,
      namespace: "",
      successes: fail || skip ? 0 : 1,
      failures: fail ? [msg] : [],
      warnings: [],
      exceptions: [],
      ...(skip ? { skipped: [msg] } : {}),
      queries: [{ query: t.name, results: [fail || skip ? msg : { msg: "" }], traces: [], outputs: [], ref }],
    });
  }
  return { results };
}

/**
 * conftest's report is opa's PrettyReporter with FailureLine on, which `opa test` leaves off: after each failed
 * test's trace, the location and source text of the test-body expression that failed (the last event one
 * level inside the test).
 */
function withFailureLines(report: string): string {
  const lines = report.split("\n");
  const out: string[] = [];
  let failures = false;
  let last: { file: string; row: number } | undefined;
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i]!;
    if (l === "FAILURES") failures = true;
    const ev = /^  (\S+):(\d+)\s+\| \| Fail /.exec(l);
    if (ev) last = { file: ev[1]!, row: Number(ev[2]) };
    out.push(l);
    // the end of one failed test's trace
    if (failures && l.startsWith("  ") && lines[i + 1] === "") {
      if (last) {
        let text = "";
        try {
          text = readFileSync(last.file, "utf8").split("\n")[last.row - 1]?.trim() ?? "";
        } catch {
          // the source is gone: the location alone
        }
        out.push("", `  ${last.file}:${last.row}:`, `    \t${text}`);
      }
      out.push("");
      last = undefined;
    }
  }
  return out.join("\n");
}
