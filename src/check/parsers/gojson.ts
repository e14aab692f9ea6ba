// Go's json.MarshalIndent, which `conftest parse` prints with: object keys sorted (Go maps), <, > and &
// escaped as \u003c \u003e \u0026 (and U+2028/U+2029), empty containers as [] and {}. A Map keeps its order
// (a Go struct's fields, such as --combine's {path, contents}).
function str(s: string): string {
  return JSON.stringify(s).replace(/[<>&\u2028\u2029]/g, (c) => "\\u" + c.charCodeAt(0).toString(16).padStart(4, "0"));
}

export function goMarshalIndent(v: unknown, indent: string, prefix = ""): string {
  if (v === null || v === undefined) return "null";
  if (typeof v === "string") return str(v);
  if (typeof v === "number" || typeof v === "boolean") return JSON.stringify(v);
  const inner = prefix + indent;
  if (Array.isArray(v)) {
    if (v.length === 0) return "[]";
    return "[\n" + v.map((x) => inner + goMarshalIndent(x, indent, inner)).join(",\n") + "\n" + prefix + "]";
  }
  const entries: [string, unknown][] = v instanceof Map
    ? [...v.entries()]
    : Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  if (entries.length === 0) return "{}";
  return "{\n" + entries.map(([k, x]) => `${inner}${str(k)}: ${goMarshalIndent(x, indent, inner)}`).join(",\n") + "\n" + prefix + "}";
}
