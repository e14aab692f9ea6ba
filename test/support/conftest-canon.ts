// Canonical forms of conftest's outputs, for comparing tollgate's with conftest's where conftest's order is Go map
// order (files, modules, namespaces, parallel tests): JSON and SARIF documents sorted, other formats as sorted
// lines. Everything else — every line, every count, every byte of each line — must be equal.

function sortedLines(text: string): string[] {
  return text.split("\n").sort();
}

const key = (x: unknown) => JSON.stringify(x);
const byKey = (a: unknown, b: unknown) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0);

function canonicalJson(text: string): unknown {
  const v = JSON.parse(text) as Record<string, unknown>[] | null;
  if (!Array.isArray(v)) return v;
  for (const r of v) for (const k of ["warnings", "failures", "exceptions", "skipped"]) if (Array.isArray(r[k])) (r[k] as unknown[]).sort(byKey);
  return v.sort(byKey);
}

function canonicalSarif(text: string): unknown {
  const v = JSON.parse(text) as { runs: { tool: { driver: { version?: string; rules?: { id: string }[] } }; results?: { ruleIndex?: number }[] }[] };
  for (const run of v.runs) {
    delete run.tool.driver.version; // conftest's build ("dev") against tollgate's version
    for (const r of run.results ?? []) delete r.ruleIndex;
    run.tool.driver.rules?.sort(byKey);
    run.results?.sort(byKey);
  }
  return v;
}

function canonicalJunit(text: string): string[] {
  // go.version is the Go runtime conftest was built with; tollgate names its own version there.
  return sortedLines(text.replace(/<property name="[^"]*\.version" value="[^"]*"><\/property>/g, "<property/>"));
}

export function outputFormat(args: readonly string[]): string {
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === "-o" || a === "--output") return args[i + 1]!;
    if (a.startsWith("--output=")) return a.slice(9);
    if (a.startsWith("-o") && a.length > 2) return a.slice(2);
  }
  return "stdout";
}

export function canonicalOutput(text: string, args: readonly string[]): unknown {
  const f = outputFormat(args);
  if (args.includes("--report")) return sortedLines(text.replace(/\((\d+(\.\d+)?(ns|µs|ms|s))\)/g, "(T)"));
  if (f === "json") return canonicalJson(text);
  if (f === "sarif") return canonicalSarif(text);
  if (f === "junit") return canonicalJunit(text);
  return sortedLines(text);
}
