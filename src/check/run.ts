// `tollgate test`: conftest's evaluation semantics (policy/engine.go, runner/test.go) over WASM. For each
// namespace and each input file (each document of a multi-document file), every deny/violation/warn rule is
// queried; a rule whose name an `exception` rule lists is waived (one exception per match, its results not
// counted); a rule definition that produced nothing is a success, so "tests" counts rule definitions.
import { dirname, join, resolve } from "node:path";
import { lstatSync, readdirSync, realpathSync, statSync } from "node:fs";
import { asTollgateError, TollgateError } from "../core/errors.ts";
import type { PolicyEngine } from "../policy/evaluator.ts";
import { regoCompare, regoText } from "../policy/builtins.ts";
import type { CheckPolicy } from "./policy.ts";

export interface Result {
  msg: string;
  loc?: { file?: string; line?: number | string };
  metadata?: Record<string, unknown>;
  outputs?: string[];
}

export interface QueryResult {
  query: string;
  results: Result[];
  traces: string[];
  outputs: string[];
  /** The document the query ran on (for --trace; never serialized). */
  input?: unknown;
  /** What opa evaluates for --trace when `query` is not a query (policy-test names the test alone). */
  ref?: string;
}

export interface CheckResult {
  filename: string;
  namespace: string;
  successes: number;
  skipped?: Result[];
  warnings: Result[];
  failures: Result[];
  exceptions: Result[];
  queries: QueryResult[];
}

export interface PrintSink {
  lines: string[];
}

/** conftest's exit code: 1 when anything failed; with --fail-on-warn, 2 for failures and 1 for warnings. */
export function exitCode(results: readonly CheckResult[], failOnWarn: boolean): number {
  const fail = results.some((r) => r.failures.length > 0);
  if (!failOnWarn) return fail ? 1 : 0;
  return fail ? 2 : results.some((r) => r.warnings.length > 0) ? 1 : 0;
}

/** The rule name an exception lists: `deny_foo` → `foo`, a bare `deny` → "" (conftest's removeRulePrefix). */
export function exceptionName(rule: string): string {
  if (rule === "violation" || rule === "deny" || rule === "warn") return "";
  return rule.replace(/^violation_/, "").replace(/^deny_/, "").replace(/^warn_/, "");
}

/** Go's %q of a string (strconv.Quote), as conftest writes the exception query. */
export function goQuote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (ch === '"' || ch === "\\") out += "\\" + ch;
    else if (c === 10) out += "\\n";
    else if (c === 13) out += "\\r";
    else if (c === 9) out += "\\t";
    else if (c < 0x20 || c === 0x7f) out += "\\x" + c.toString(16).padStart(2, "0");
    else out += ch;
  }
  return out + '"';
}

/** A rule's value as conftest reads it: a set of strings or {msg, …} objects; anything else passes. */
function ruleResults(value: unknown, query: string): Result[] {
  if (!Array.isArray(value) || value.length === 0) return [{ msg: "" }];
  const out: Result[] = [];
  for (const v of [...value].sort(regoCompare)) {
    if (typeof v === "string") out.push({ msg: v, metadata: { query } });
    else if (v !== null && typeof v === "object" && !Array.isArray(v)) {
      const o = v as Record<string, unknown>;
      if (typeof o.msg !== "string") throw new TollgateError("policy_invalid", `${query}: a result object needs a string "msg" field (got ${regoText(v)})`);
      const r: Result = { msg: o.msg, metadata: {} };
      const loc = o._loc;
      if (loc && typeof loc === "object" && !Array.isArray(loc)) {
        const l = loc as Record<string, unknown>;
        const file = typeof l.file === "string" ? l.file : undefined;
        const line = typeof l.line === "number" ? l.line : undefined;
        if (file || line !== undefined) r.loc = { ...(file ? { file } : {}), ...(line !== undefined ? { line } : {}) };
      }
      for (const [k, x] of Object.entries(o)) if (k !== "msg" && k !== "_loc") r.metadata![k] = x;
      r.metadata!.query = query;
      out.push(r);
    }
  }
  return out;
}

/** How many (exception, listed name) pairs equal `name`: the solutions of `exception[_][_] == name`. */
function exceptionMatches(value: unknown, name: string): number {
  if (!Array.isArray(value)) return 0;
  let n = 0;
  for (const e of value) {
    const names = Array.isArray(e) ? e : e && typeof e === "object" ? Object.values(e) : [];
    for (const x of names) if (x === name) n++;
  }
  return n;
}

export interface CheckContext {
  policy: CheckPolicy;
  engine?: PolicyEngine;
  /** Captures print() output of the current query. */
  prints: PrintSink;
  data: Record<string, unknown>;
  /** Computes what host built-ins could not answer synchronously; true when the query must run again. */
  settle?: () => Promise<boolean>;
}

/**
 * One rule of one namespace on one input: evaluated again while conftest's built-ins had documents to parse
 * (at most 16 passes). An evaluation error names the user's files; `where` prefixes it (policy-test names the
 * test's file, row and rule).
 */
export async function evaluate(ctx: CheckContext, ns: string, rule: string, input: unknown, where?: string): Promise<{ value: unknown; outputs: string[] }> {
  for (let pass = 0; ; pass++) {
    ctx.prints.lines = [];
    let value: unknown;
    try {
      value = ctx.engine!.evaluate([...ns.split("."), rule].join("/"), input);
    } catch (e) {
      // The WASM module's messages name the compiled copies (m0.rego:4:1): the user's files instead.
      const err = asTollgateError(e);
      const message = ctx.policy.userPaths(err.message);
      if (where === undefined) throw new TollgateError(err.code, message, err.path, { cause: e });
      throw new TollgateError("policy_invalid", `${where}: ${message}`, undefined, { cause: e });
    }
    if (pass >= 16 || !ctx.settle || !(await ctx.settle())) return { value, outputs: ctx.prints.lines };
  }
}

/** conftest's Engine.check: one document against one namespace. */
export async function checkDocument(ctx: CheckContext, path: string, doc: unknown, ns: string): Promise<CheckResult> {
  const out: CheckResult = { filename: path, namespace: ns, successes: 0, warnings: [], failures: [], exceptions: [], queries: [] };
  const rules = ctx.policy.rules.get(ns) ?? [];
  const ruleCount = rules.reduce((n, r) => n + r.definitions, 0);
  if (rules.length === 0) return out;
  if (ctx.policy.readsFileInfo) {
    const abs = resolve(path);
    ctx.engine!.setData({ ...ctx.data, conftest: { file: { name: abs.split("/").pop()!, dir: dirname(abs) } } });
  }
  const exc = ctx.policy.exceptions.has(ns) ? await evaluate(ctx, ns, "exception", doc) : { value: undefined, outputs: [] as string[] };
  let successes = 0;
  for (const rule of rules) {
    const exQuery = `data.${ns}.exception[_][_] == ${goQuote(exceptionName(rule.name))}`;
    const n = exceptionMatches(exc.value, exceptionName(rule.name));
    const exceptions: Result[] = Array.from({ length: n }, () => ({ msg: exQuery }));
    const query = `data.${ns}.${rule.name}`;
    const { value, outputs } = await evaluate(ctx, ns, rule.name, doc);
    const results = ruleResults(value, query);
    if (n === 0) {
      for (const r of results) {
        if (r.msg === "") successes++;
        else if (rule.kind === "failure") out.failures.push(r);
        else out.warnings.push(r);
      }
    }
    out.exceptions.push(...exceptions);
    out.queries.push({ query: exQuery, results: n ? exceptions : [], traces: [], outputs: exc.outputs, input: doc }, { query, results, traces: [], outputs, input: doc });
  }
  // One success per rule definition that produced nothing (conftest counts definitions, not distinct names).
  const counted = out.failures.length + out.warnings.length + out.exceptions.length + successes;
  if (counted < ruleCount) successes += ruleCount - counted;
  out.successes = successes;
  return out;
}

/** conftest's Engine.Check for one file: a file holding several documents (an array) is checked per document. */
export async function checkFile(ctx: CheckContext, path: string, config: unknown, ns: string): Promise<CheckResult> {
  if (!Array.isArray(config)) return checkDocument(ctx, path, config, ns);
  const agg: CheckResult = { filename: path, namespace: ns, successes: 0, warnings: [], failures: [], exceptions: [], queries: [] };
  for (const doc of config) {
    const r = await checkDocument(ctx, path, doc, ns);
    agg.successes += r.successes;
    agg.failures.push(...r.failures);
    agg.warnings.push(...r.warnings);
    agg.exceptions.push(...r.exceptions);
    agg.queries.push(...r.queries);
  }
  return agg;
}

/** `--combine`: one input, `[{path, contents}]`, one entry per document, checked as "Combined". */
export function combine(configs: readonly { path: string; config: unknown }[]): { path: string; contents: unknown }[] {
  const all = configs.flatMap(({ path, config }) => (Array.isArray(config) ? config.map((contents) => ({ path, contents })) : [{ path, contents: config }]));
  return all.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0)); // conftest sorts by path
}

/** Go's path.Match over a namespace (`*` spans dots, since a namespace has no slash). */
export function globMatch(pattern: string, name: string): boolean {
  let re = "";
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === "*") re += "[^/]*";
    else if (c === "?") re += "[^/]";
    else if (c === "[") {
      const end = pattern.indexOf("]", i + 1);
      if (end < 0) throw new TollgateError("usage", `--namespace ${pattern}: syntax error in pattern`);
      let cls = pattern.slice(i + 1, end);
      if (cls.startsWith("^")) cls = "^" + cls.slice(1);
      re += `[${cls.replace(/\\/g, "\\\\")}]`;
      i = end;
    } else if (c === "\\") re += "\\" + (pattern[++i] ?? "\\");
    else re += c.replace(/[.+^${}()|\]\\]/g, "\\$&");
  }
  return new RegExp(`^${re}$`).test(name);
}

/** The namespaces to test: every one, those a glob selects (in load order), or the names as given. */
export function selectNamespaces(available: readonly string[], patterns: readonly string[], all: boolean): string[] {
  if (all) return [...available];
  if (!patterns.some((p) => /[*?[]/.test(p))) return [...patterns];
  return available.filter((ns) => patterns.some((p) => globMatch(p, ns)));
}

/**
 * conftest's file list: `-` is stdin, a directory is walked (lexical order, symlinked directories followed
 * once) for files whose format is known, `--ignore` (a regular expression) drops walked paths.
 */
export function expandInputs(args: readonly string[], ignore: string | undefined, supported: (path: string) => boolean): string[] {
  let ignoreRe: RegExp | undefined;
  if (ignore) {
    try {
      ignoreRe = new RegExp(ignore);
    } catch (e) {
      throw new TollgateError("usage", `--ignore is not a valid regular expression: ${(e as Error).message}`);
    }
  }
  const files: string[] = [];
  const visited = new Set<string>();
  const walk = (dir: string) => {
    if (visited.has(dir)) return;
    visited.add(dir);
    for (const e of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const p = join(dir, e.name);
      if (e.isDirectory()) {
        walk(p);
        continue;
      }
      if (ignoreRe?.test(p)) continue;
      if (e.isSymbolicLink()) {
        let real: string;
        try {
          real = realpathSync(p);
        } catch {
          throw new TollgateError("unreadable", "broken symbolic link", p);
        }
        if (statSync(real).isDirectory()) walk(real);
        else if (supported(real)) files.push(real);
        continue;
      }
      if (supported(p)) files.push(p);
    }
  };
  for (const a of args) {
    if (a === "") continue;
    if (a === "-") {
      files.push("-");
      continue;
    }
    let st;
    try {
      st = lstatSync(a).isSymbolicLink() ? statSync(a) : lstatSync(a);
    } catch {
      throw new TollgateError("not_found", "input not found", a);
    }
    if (st.isDirectory()) walk(a.replace(/\/+$/, "") || "/");
    else files.push(a);
  }
  if (files.length === 0) throw new TollgateError("not_found", "no files found");
  return [...new Set(files)];
}
