// `tollgate test`: conftest semantics over any JSON/YAML configuration. Each document of each file is
// evaluated against every deny/violation/warn rule of the chosen namespaces; a rule with results fails (or
// warns), a rule without passes.
import YAML from "yaml";
import { TollgateError } from "../core/errors.ts";
import type { PolicyEngine } from "../policy/evaluator.ts";
import { rulesOf, type CheckRule } from "./policy.ts";
import { readUserFile } from "../core/read.ts";

export interface CheckInput {
  path: string;
  /** Documents of the file (a YAML stream may hold several). */
  documents: unknown[];
}

export interface CheckResult {
  path: string;
  namespace: string;
  rule: string;
  kind: "failure" | "warning";
  msg: string;
  metadata?: Record<string, unknown>;
}

export interface CheckSummary {
  tests: number;
  passed: number;
  warnings: number;
  failures: number;
  results: CheckResult[];
}

/** JSON, or YAML (multi-document). A file that is neither is a TollgateError naming it. */
export async function readCheckInput(path: string, stdin?: () => Promise<string>): Promise<CheckInput> {
  const text = path === "-" && stdin ? await stdin() : new TextDecoder().decode(await readUserFile(path, "file"));
  const t = text.trimStart();
  if (t.startsWith("{") || t.startsWith("[")) {
    try {
      return { path, documents: [JSON.parse(text)] };
    } catch {
      // fall through: YAML flow style is also valid YAML
    }
  }
  const docs = YAML.parseAllDocuments(text);
  const documents: unknown[] = [];
  for (const d of docs) {
    if (d.errors.length) throw new TollgateError("malformed", `not valid JSON or YAML: ${d.errors[0]!.message.split("\n")[0]}`, path);
    const v = d.toJS();
    if (v !== null && v !== undefined) documents.push(v);
  }
  return { path, documents };
}

export function selectRules(engine: PolicyEngine, namespaces: readonly string[], all: boolean): CheckRule[] {
  const rules = rulesOf(engine.entrypoints);
  return all ? rules : rules.filter((r) => namespaces.includes(r.namespace));
}

function messages(value: unknown): { msg: string; metadata?: Record<string, unknown> }[] {
  if (value === undefined || value === null) return [];
  const items = Array.isArray(value) ? value : typeof value === "string" || typeof value === "object" ? [value] : value === true ? ["rule is true"] : [];
  return items.map((m) => {
    if (typeof m === "string") return { msg: m };
    if (m && typeof m === "object" && typeof (m as { msg?: unknown }).msg === "string") {
      const { msg, ...rest } = m as { msg: string };
      return Object.keys(rest).length ? { msg, metadata: rest } : { msg };
    }
    return { msg: JSON.stringify(m) };
  });
}

export function runChecks(engine: PolicyEngine, rules: readonly CheckRule[], inputs: readonly CheckInput[], combine: boolean): CheckSummary {
  const sum: CheckSummary = { tests: 0, passed: 0, warnings: 0, failures: 0, results: [] };
  const units: { path: string; doc: unknown }[] = combine
    ? [{ path: "combined", doc: inputs.map((i) => ({ path: i.path, contents: i.documents.length === 1 ? i.documents[0] : i.documents })) }]
    : inputs.flatMap((i) => i.documents.map((doc) => ({ path: i.path, doc })));
  for (const u of units) {
    for (const r of rules) {
      sum.tests++;
      const found = messages(engine.evaluate(r.entrypoint, u.doc));
      if (found.length === 0) {
        sum.passed++;
        continue;
      }
      const kind = r.kind === "warn" ? "warning" : "failure";
      for (const m of found) {
        if (kind === "warning") sum.warnings++;
        else sum.failures++;
        sum.results.push({ path: u.path, namespace: r.namespace, rule: r.entrypoint.split("/").pop()!, kind, ...m });
      }
    }
  }
  return sum;
}

export function renderCheckText(s: CheckSummary): string {
  const lines = s.results.map((r) => `${r.kind === "failure" ? "FAIL" : "WARN"} - ${r.path} - ${r.namespace} - ${r.msg}`);
  lines.push("", `${s.tests} tests, ${s.passed} passed, ${s.warnings} warnings, ${s.failures} failures, 0 exceptions`);
  return lines.join("\n") + "\n";
}
