// conftest's output formats for `test` (output/*.go in conftest v0.69): the same lines, the same JSON shape,
// the same counting. Each renderer takes the check results and returns the text for stdout.
import { relative, isAbsolute } from "node:path";
import pkg from "../../package.json" with { type: "json" };
import { goMarshalIndent } from "./parsers/gojson.ts";
import { goQuote, type CheckResult, type Result } from "./run.ts";

export const OUTPUTS = ["stdout", "json", "tap", "table", "junit", "github", "azuredevops", "sarif"] as const;
export type OutputFormat = (typeof OUTPUTS)[number];

export interface OutputOptions {
  noColor: boolean;
  suppressExceptions?: boolean;
  showSkipped?: boolean;
  junitHideMessage?: boolean;
  /** Exit code SARIF records (conftest's, without --fail-on-warn). */
  sarifExitCode?: number;
}

const COLORS = { red: 31, yellow: 33, cyan: 36, green: 32, blue: 34 } as const;
const paint = (on: boolean, text: string, c: keyof typeof COLORS) => (on ? `\u001b[${COLORS[c]}m${text}\u001b[0m` : text);
const plural = (word: string, n: number) => (n === 1 ? word : word + "s");

function totals(results: readonly CheckResult[]) {
  let failures = 0;
  let warnings = 0;
  let exceptions = 0;
  let successes = 0;
  let skipped = 0;
  for (const r of results) {
    failures += r.failures.length;
    warnings += r.warnings.length;
    exceptions += r.exceptions.length;
    skipped += r.skipped?.length ?? 0;
    successes += r.successes;
  }
  return { failures, warnings, exceptions, successes, skipped, tests: failures + warnings + exceptions + successes + skipped };
}

function summaryLine(results: readonly CheckResult[], showSkipped = false): string {
  const t = totals(results);
  return (
    `${t.tests} ${plural("test", t.tests)}, ${t.successes} passed, ${t.warnings} ${plural("warning", t.warnings)}, ` +
    `${t.failures} ${plural("failure", t.failures)}, ${t.exceptions} ${plural("exception", t.exceptions)}` +
    (showSkipped ? `, ${t.skipped} skipped` : "")
  );
}

const indicator = (r: CheckResult) => (r.filename === "-" ? "-" : `- ${r.filename}`);
const nsLabel = (r: CheckResult) => (r.namespace === "-" ? "-" : `- ${r.namespace} -`);

/** print() output first (PRNT), then WARN/FAIL/EXCP lines, then the summary (output/standard.go). */
export function renderStandard(results: readonly CheckResult[], o: OutputOptions): string {
  const color = !o.noColor;
  let out = "";
  for (const r of results) for (const q of r.queries) for (const t of q.outputs) out += `${paint(color, "PRNT ", "blue")}  ${t}\n`;
  for (const r of results) {
    for (const w of r.warnings) out += `${paint(color, "WARN", "yellow")} ${indicator(r)} ${nsLabel(r)} ${w.msg}\n`;
    for (const f of r.failures) out += `${paint(color, "FAIL", "red")} ${indicator(r)} ${nsLabel(r)} ${f.msg}\n`;
    if (!o.suppressExceptions) for (const e of r.exceptions) out += `${paint(color, "EXCP", "cyan")} ${indicator(r)} ${nsLabel(r)} ${e.msg}\n`;
  }
  const t = totals(results);
  const c = t.failures ? "red" : t.warnings ? "yellow" : t.exceptions ? "cyan" : "green";
  return out + "\n" + paint(color, summaryLine(results, o.showSkipped), c) + "\n";
}

/** --trace: per query, a header and its trace lines (conftest writes this to stderr). */
export function renderTrace(results: readonly CheckResult[], o: OutputOptions): string {
  const color = !o.noColor;
  let out = "";
  for (const r of results) {
    for (const q of r.queries) {
      const passed = q.results.every((x) => x.msg === "");
      out += paint(color, `file: ${r.filename} | query: ${q.query}`, passed ? "green" : "red") + "\n";
      for (const t of q.traces) out += `${paint(color, "TRAC ", "blue")}  ${t}\n`;
    }
  }
  return out;
}

/** A Go struct: fields in declaration order, `omitempty` ones dropped when empty. */
function struct(fields: [string, unknown, boolean?][]): Map<string, unknown> {
  const m = new Map<string, unknown>();
  for (const [k, v, omitEmpty] of fields) {
    if (omitEmpty && (v === undefined || (Array.isArray(v) && v.length === 0) || (v && typeof v === "object" && !Array.isArray(v) && !(v instanceof Map) && Object.keys(v).length === 0))) continue;
    m.set(k, v);
  }
  return m;
}

function jsonResult(r: Result): Map<string, unknown> {
  const loc = r.loc ? struct([["file", r.loc.file, true], ["line", r.loc.line, true]]) : undefined;
  return struct([["msg", r.msg], ["loc", loc, true], ["metadata", r.metadata, true], ["outputs", r.outputs, true]]);
}

/** `[{filename, namespace, successes, warnings?, failures?, exceptions?}]`, tab-indented as conftest writes it. */
export function renderJson(results: readonly CheckResult[]): string {
  const doc = results.map((r) =>
    struct([
      ["filename", r.filename === "-" ? "" : r.filename],
      ["namespace", r.namespace],
      ["successes", r.successes],
      ["skipped", r.skipped?.map(jsonResult), true],
      ["warnings", r.warnings.map(jsonResult), true],
      ["failures", r.failures.map(jsonResult), true],
      ["exceptions", r.exceptions.map(jsonResult), true],
    ]),
  );
  return goMarshalIndent(results.length ? doc : null, "\t") + "\n";
}

export function renderTap(results: readonly CheckResult[]): string {
  let out = "";
  for (const r of results) {
    const total = r.successes + r.failures.length + r.warnings.length + r.exceptions.length + (r.skipped?.length ?? 0);
    if (total === 0) return out; // conftest stops at the first file with no tests
    let n = 1;
    out += `1..${total}\n`;
    for (const f of r.failures) out += `not ok ${n++} ${indicator(r)} ${nsLabel(r)} ${f.msg}\n`;
    if (r.warnings.length) {
      out += "# warnings\n";
      for (const w of r.warnings) out += `not ok ${n++} ${indicator(r)} ${nsLabel(r)} ${w.msg}\n`;
    }
    if (r.exceptions.length) {
      out += "# exceptions\n";
      for (const e of r.exceptions) out += `ok ${n++} ${indicator(r)} ${nsLabel(r)} ${e.msg}\n`;
    }
    if (r.skipped?.length) {
      out += "# skip\n";
      for (const s of r.skipped) out += `ok ${n++} ${indicator(r)} ${nsLabel(r)} ${s.msg}\n`;
    }
    if (r.successes > 0) {
      out += "# successes\n";
      for (let i = 0; i < r.successes; i++) out += `ok ${n++} ${indicator(r)} ${nsLabel(r)} SUCCESS\n`;
    }
  }
  return out;
}

/** GitHub workflow commands (output/github.go). */
export function renderGithub(results: readonly CheckResult[]): string {
  let out = "";
  const loc = (level: string, file: string, line: string | number, msg: string) => (out += `::${level} file=${file},line=${line}::${msg}\n`);
  const locs = (level: string, file: string, r: Result, msg: string) => {
    if (!r.loc) return loc(level, file, 1, msg);
    const line = r.loc.line ?? "";
    if ((r.loc.file ?? "") === file) return loc(level, file, line, msg);
    const f = r.loc.file && isAbsolute(r.loc.file) ? relative(process.cwd(), r.loc.file) : (r.loc.file ?? "");
    loc(level, f, line, msg);
    loc(level, file, 1, `(ORIGINATING FROM ${f} L${line}) ${msg}`);
  };
  for (const r of results) {
    const n = r.successes + r.failures.length + r.warnings.length + r.exceptions.length + (r.skipped?.length ?? 0);
    out += `::group::Testing ${goQuote(r.filename)} against ${n} policies in namespace ${goQuote(r.namespace)}\n`;
    for (const f of r.failures) locs("error", r.filename, f, f.msg);
    for (const w of r.warnings) locs("warning", r.filename, w, w.msg);
    for (const e of r.exceptions) locs("notice", r.filename, e, e.msg);
    for (const s of r.skipped ?? []) locs("notice", r.filename, s, `Test was skipped: ${s.msg}`);
    loc("notice", r.filename, 1, `Number of successful checks: ${r.successes}`);
    out += "::endgroup::\n";
  }
  return out + summaryLine(results) + "\n";
}

/** Azure DevOps logging commands (output/azuredevops.go). */
export function renderAzure(results: readonly CheckResult[]): string {
  let out = "";
  for (const r of results) {
    const n = r.successes + r.failures.length + r.warnings.length + r.exceptions.length + (r.skipped?.length ?? 0);
    out += `##[section]Testing '${r.filename}' against ${n} policies in namespace '${r.namespace}'\n##[group]See conftest results\n`;
    for (const f of r.failures) out += `##vso[task.logissue type=error] file=${r.filename} --> ${f.msg}\n`;
    for (const w of r.warnings) out += `##vso[task.logissue type=warning] file=${r.filename} --> ${w.msg}\n`;
    for (const e of r.exceptions) out += `##vso[task.logissue type=warning] file=${r.filename} --> ${e.msg}\n`;
    for (const s of r.skipped ?? []) out += `skipped file=${r.filename} ${s.msg}\n`;
    if (r.successes > 0) out += `success file=${r.filename} ${r.successes}\n`;
    out += "##[endgroup]\n";
  }
  return out + summaryLine(results) + "\n";
}

/** encoding/xml's escaping of attribute values and character data. */
function xmlEscape(s: string): string {
  return s.replace(/[&<>"'\t\n\r]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&#34;", "'": "&#39;", "\t": "&#x9;", "\n": "&#xA;", "\r": "&#xD;" })[c]!);
}

/** JUnit XML as go-junit-report writes it: one testsuite per namespace (`conftest.<ns>`). */
export function renderJunit(results: readonly CheckResult[], o: OutputOptions): string {
  type Case = { name: string; fail?: string; skip?: string };
  const suites = new Map<string, Case[]>();
  const name = (file: string, msg: string) => (o.junitHideMessage || msg === "" ? file : `${file} - ${msg.split("\n")[0]}`);
  for (const r of results) {
    const cases = suites.get(r.namespace) ?? [];
    suites.set(r.namespace, cases);
    for (const w of r.warnings) cases.push({ name: name(r.filename, w.msg), fail: w.msg });
    for (const f of r.failures) cases.push({ name: name(r.filename, f.msg), fail: f.msg });
    for (const s of r.skipped ?? []) cases.push({ name: name(r.filename, s.msg), skip: s.msg });
    for (let i = 0; i < r.successes; i++) cases.push({ name: name(r.filename, "") });
  }
  let out = '<?xml version="1.0" encoding="UTF-8"?>\n<testsuites>';
  for (const [ns, cases] of suites) {
    const suite = `conftest.${ns}`;
    const failures = cases.filter((c) => c.fail !== undefined).length;
    out += `\n\t<testsuite tests="${cases.length}" failures="${failures}" time="0.000" name="${xmlEscape(suite)}">`;
    out += `\n\t\t<properties>\n\t\t\t<property name="tollgate.version" value="${pkg.version}"></property>\n\t\t</properties>`;
    for (const c of cases) {
      out += `\n\t\t<testcase classname="${xmlEscape(suite)}" name="${xmlEscape(c.name)}" time="0.000">`;
      if (c.skip !== undefined) out += `\n\t\t\t<skipped message="${xmlEscape(c.skip)}"></skipped>`;
      if (c.fail !== undefined) out += `\n\t\t\t<failure message="Failed" type="">${xmlEscape(c.fail)}</failure>`;
      out += c.skip === undefined && c.fail === undefined ? "</testcase>" : "\n\t\t</testcase>";
    }
    out += "\n\t</testsuite>";
  }
  return out + (suites.size ? "\n" : "") + "</testsuites>\n";
}

export function render(format: OutputFormat, results: readonly CheckResult[], o: OutputOptions): string {
  switch (format) {
    case "json":
      return renderJson(results);
    case "tap":
      return renderTap(results);
    case "github":
      return renderGithub(results);
    case "azuredevops":
      return renderAzure(results);
    case "junit":
      return renderJunit(results, o);
    case "table":
      return renderTable(results);
    case "sarif":
      return renderSarif(results, o.sarifExitCode ?? 0);
    default:
      return renderStandard(results, o);
  }
}

/** Display width of a string in a terminal: East Asian wide and fullwidth characters take two columns. */
function displayWidth(s: string): number {
  let w = 0;
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (c < 0x20 || (c >= 0x300 && c < 0x370)) continue;
    w += (c >= 0x1100 && c <= 0x115f) || (c >= 0x2e80 && c <= 0xa4cf) || (c >= 0xac00 && c <= 0xd7a3) || (c >= 0xf900 && c <= 0xfaff) || (c >= 0xfe30 && c <= 0xfe4f) || (c >= 0xff00 && c <= 0xff60) || (c >= 0xffe0 && c <= 0xffe6) || (c >= 0x1f300 && c <= 0x1faff) || (c >= 0x20000 && c <= 0x3fffd) ? 2 : 1;
  }
  return w;
}

/** olekukonko/tablewriter v1's default table: box-drawing borders, centered upper-case header, a row line per message line. */
export function renderTable(results: readonly CheckResult[]): string {
  const rows: string[][] = [];
  for (const r of results) {
    for (let i = 0; i < r.successes; i++) rows.push(["success", r.filename, r.namespace, "SUCCESS"]);
    for (const e of r.exceptions) rows.push(["exception", r.filename, r.namespace, e.msg]);
    for (const w of r.warnings) rows.push(["warning", r.filename, r.namespace, w.msg]);
    for (const s of r.skipped ?? []) rows.push(["skipped", r.filename, r.namespace, s.msg]);
    for (const f of r.failures) rows.push(["failure", r.filename, r.namespace, f.msg]);
  }
  if (rows.length === 0) return "";
  const header = ["RESULT", "FILE", "NAMESPACE", "MESSAGE"];
  const widths = header.map((h, i) => Math.max(displayWidth(h), ...rows.flatMap((r) => r[i]!.split("\n").map(displayWidth))));
  const line = (l: string, m: string, r: string) => l + widths.map((w) => "─".repeat(w + 2)).join(m) + r + "\n";
  const left = (t: string, w: number) => " " + t + " ".repeat(w - displayWidth(t)) + " ";
  const center = (t: string, w: number) => {
    const pad = w - displayWidth(t);
    return " " + " ".repeat(Math.floor(pad / 2)) + t + " ".repeat(pad - Math.floor(pad / 2)) + " ";
  };
  let out = line("┌", "┬", "┐");
  out += "│" + header.map((h, i) => center(h, widths[i]!)).join("│") + "│\n";
  out += line("├", "┼", "┤");
  for (const r of rows) {
    const cells = r.map((c) => c.split("\n"));
    const height = Math.max(...cells.map((c) => c.length));
    for (let k = 0; k < height; k++) out += "│" + cells.map((c, i) => left(c[k] ?? "", widths[i]!)).join("│") + "│\n";
  }
  return out + line("└", "┴", "┘");
}

const SARIF_SCHEMA = "https://raw.githubusercontent.com/oasis-tcs/sarif-spec/main/sarif-2.1/schema/sarif-schema-2.1.0.json";
const SARIF_DESC: Record<string, string> = { success: "Policy was satisfied successfully", skip: "Policy check was skipped", allow: "Policy exception", warn: "Policy warning", deny: "Policy violation" };

/** SARIF 2.1.0 as conftest writes it (go-sarif, compact): one rule per namespace/kind, one result per message. */
export function renderSarif(results: readonly CheckResult[], exitCode: number): string {
  const rules: Map<string, unknown>[] = [];
  const index = new Map<string, number>();
  const out: Map<string, unknown>[] = [];
  const add = (r: Result, ns: string, type: string, level: string, file: string) => {
    const id = `${ns}/${type}`;
    let idx = index.get(id);
    if (idx === undefined) {
      idx = rules.length;
      index.set(id, idx);
      rules.push(struct([["id", id], ["shortDescription", struct([["text", SARIF_DESC[type]!]])], ["properties", r.metadata, true]]));
    }
    const physical = r.loc
      ? struct([["artifactLocation", struct([["uri", (r.loc.file ?? "").replace(/\\/g, "/")]])], ["region", struct([["startLine", Number(r.loc.line ?? 0)], ["endLine", Number(r.loc.line ?? 0)]])]])
      : struct([["artifactLocation", struct([["uri", file.replace(/\\/g, "/")]])]]);
    out.push(struct([["ruleId", id], ["ruleIndex", idx], ["level", level], ["message", struct([["text", r.msg]])], ["locations", [struct([["physicalLocation", physical]])]]]));
  };
  for (const r of results) {
    for (const f of r.failures) add(f, r.namespace, "deny", "error", r.filename);
    for (const w of r.warnings) add(w, r.namespace, "warn", "warning", r.filename);
    let ok = r.successes > 0;
    for (const e of r.exceptions) {
      add(e, r.namespace, "allow", "note", r.filename);
      ok = true;
    }
    if (r.failures.length || r.warnings.length) continue;
    const type = ok ? "success" : "skip";
    add({ msg: SARIF_DESC[type]!, metadata: { description: SARIF_DESC[type]! } }, r.namespace, type, "none", r.filename);
  }
  const fail = results.some((r) => r.failures.length);
  const warn = results.some((r) => r.warnings.length);
  const doc = struct([
    ["version", "2.1.0"],
    ["$schema", SARIF_SCHEMA],
    [
      "runs",
      [
        struct([
          ["tool", struct([["driver", struct([["informationUri", "https://github.com/open-policy-agent/conftest"], ["name", "conftest"], ["rules", rules, true], ["version", pkg.version]])]])],
          ["invocations", [struct([["executionSuccessful", true], ["exitCode", exitCode], ["exitCodeDescription", fail ? "Policy violations found" : warn ? "Policy warnings found" : "No policy violations found"]])]],
          ["results", out],
        ]),
      ],
    ],
  ]);
  return goCompact(doc);
}

/** Go's json.Marshal: compact, HTML-safe, map keys sorted (a Map keeps its struct order). */
function goCompact(v: unknown): string {
  if (v === null || v === undefined || typeof v !== "object") return goMarshalIndent(v, "");
  if (Array.isArray(v)) return "[" + v.map(goCompact).join(",") + "]";
  const entries: [string, unknown][] = v instanceof Map ? [...v.entries()] : Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return "{" + entries.map(([k, x]) => goMarshalIndent(k, "") + ":" + goCompact(x)).join(",") + "}";
}
