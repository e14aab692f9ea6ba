// Builtins whose opa-wasm JavaScript implementation disagrees with OPA. A policy must decide the same in
// tollgate as in `opa eval`, so these follow OPA's Go implementation.
//
// sprintf: opa-wasm formats with sprintf-js, which has no %q, prints %v of null as an error ("unexpected
// placeholder") and formats numbers its own way. OPA (topdown/strings.go) turns each argument into a Go value —
// integral numbers to int, other numbers to float64, strings to string, anything else to its Rego text — and
// calls fmt.Sprintf. This is that, for the verbs and flags Rego policies use.
// opa-wasm's own builtin table (the module its opa.js requires). The package's exports map hides the file, so it is
// named by its path: a literal the bundler follows, resolving to the very module opa.js loads.
import { FAST_BUILTINS, setMembers } from "./wasm-values.ts";
import opaWasmBuiltins from "../../node_modules/@open-policy-agent/opa-wasm/src/builtins/index.js";

/** OPA's ordering of values (ast.Compare), so a set's members come out in the order opa prints them. */
export function regoCompare(a: unknown, b: unknown): number {
  const rank = (v: unknown) => (v === null || v === undefined ? 0 : typeof v === "boolean" ? 1 : typeof v === "number" ? 2 : typeof v === "string" ? 3 : Array.isArray(v) ? 6 : 7);
  const ra = rank(a);
  const rb = rank(b);
  if (ra !== rb) return ra - rb;
  switch (ra) {
    case 1:
    case 2:
      return a === b ? 0 : (a as number) < (b as number) ? -1 : 1;
    case 3:
      return a === b ? 0 : Buffer.compare(Buffer.from(a as string), Buffer.from(b as string));
    case 6: {
      const x = a as unknown[];
      const y = b as unknown[];
      for (let i = 0; i < Math.min(x.length, y.length); i++) {
        const c = regoCompare(x[i], y[i]);
        if (c) return c;
      }
      return x.length - y.length;
    }
    case 7: {
      const x = a as Record<string, unknown>;
      const y = b as Record<string, unknown>;
      const kx = Object.keys(x).sort((p, q) => regoCompare(p, q));
      const ky = Object.keys(y).sort((p, q) => regoCompare(p, q));
      for (let i = 0; i < Math.min(kx.length, ky.length); i++) {
        const c = regoCompare(kx[i], ky[i]) || regoCompare(x[kx[i]!], y[ky[i]!]);
        if (c) return c;
      }
      return kx.length - ky.length;
    }
  }
  return 0;
}


type GoValue = { kind: "int"; v: bigint } | { kind: "float"; v: number } | { kind: "string"; v: string };

/** OPA's conversion of a sprintf argument (after JSON round-trip through WASM). */
function toGo(x: unknown): GoValue {
  if (typeof x === "number") return Number.isInteger(x) && Number.isSafeInteger(x) ? { kind: "int", v: BigInt(x) } : { kind: "float", v: x };
  if (typeof x === "string") return { kind: "string", v: x };
  return { kind: "string", v: regoText(x) };
}

/** Rego's String() of a value: JSON-like, with ", " and ": " separators. Sets are those wasm-values.ts tagged
 * (elsewhere they arrive from WASM as arrays). */
export function regoText(x: unknown): string {
  if (x === null || x === undefined) return "null";
  if (typeof x === "string") return JSON.stringify(x);
  if (typeof x === "number") return String(x); // Rego prints a number as its JSON text
  if (typeof x === "boolean") return String(x);
  if (Array.isArray(x)) return `[${x.map(regoText).join(", ")}]`;
  const members = setMembers(x);
  if (members) return members.length ? `{${[...members].sort(regoCompare).map(regoText).join(", ")}}` : "set()";
  const entries = Object.keys(x as object).sort().map((k) => `${JSON.stringify(k)}: ${regoText((x as Record<string, unknown>)[k])}`);
  return `{${entries.join(", ")}}`;
}

/** Go's %v of a float64: strconv.FormatFloat(f, 'g', -1, 64) — shortest digits, exponent form (e+07, e-05)
 * when the exponent is < -4 or >= 6 (strconv uses precision 6 for that decision when printing shortest). */
function goFloatV(f: number): string {
  if (Number.isNaN(f)) return "NaN";
  if (!Number.isFinite(f)) return f > 0 ? "+Inf" : "-Inf";
  const exp = f === 0 ? 0 : Math.floor(Math.log10(Math.abs(f)));
  if (exp < -4 || exp >= 6) {
    const [m, e] = f.toExponential().split("e") as [string, string];
    const n = Number(e);
    return `${m}e${n < 0 ? "-" : "+"}${String(Math.abs(n)).padStart(2, "0")}`;
  }
  return String(f);
}

/** strconv.IsPrint: Latin-1 by its table, above that letters, marks, numbers, punctuation and symbols. */
const GO_GRAPHIC = /^[\p{L}\p{M}\p{N}\p{P}\p{S}]$/u;
function goPrintable(c: number, ch: string): boolean {
  if (c <= 0xff) return (c >= 0x20 && c <= 0x7e) || (c >= 0xa1 && c !== 0xad);
  return GO_GRAPHIC.test(ch);
}

/** strconv.Quote */
function goQuote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (ch === '"') out += '\\"';
    else if (ch === "\\") out += "\\\\";
    else if (goPrintable(c, ch)) out += ch;
    else if (c === 7) out += "\\a";
    else if (c === 8) out += "\\b";
    else if (c === 12) out += "\\f";
    else if (c === 10) out += "\\n";
    else if (c === 13) out += "\\r";
    else if (c === 9) out += "\\t";
    else if (c === 11) out += "\\v";
    else if (c < 0x20 || c === 0x7f) out += "\\x" + c.toString(16).padStart(2, "0");
    else if (c < 0x10000) out += "\\u" + c.toString(16).padStart(4, "0");
    else out += "\\U" + c.toString(16).padStart(8, "0");
  }
  return out + '"';
}

function goTypeName(v: GoValue): string {
  return v.kind === "int" ? "int64" : v.kind === "float" ? "float64" : "string"; // OPA passes int64
}

function goValueText(v: GoValue): string {
  return v.kind === "int" ? v.v.toString() : v.kind === "float" ? goFloatV(v.v) : v.v;
}

function pad(s: string, width: number | undefined, flags: string, numeric: boolean): string {
  if (width === undefined || s.length >= width) return s;
  if (flags.includes("-")) return s + " ".repeat(width - s.length);
  if (flags.includes("0") && numeric) {
    const sign = /^[+-]/.test(s) ? s[0]! : "";
    return sign + "0".repeat(width - s.length) + s.slice(sign.length);
  }
  return " ".repeat(width - s.length) + s;
}

function signed(s: string, negative: boolean, flags: string): string {
  if (negative) return s;
  return flags.includes("+") ? "+" + s : flags.includes(" ") ? " " + s : s;
}

function formatOne(verb: string, flagsIn: string, width: number | undefined, prec: number | undefined, v: GoValue): string {
  // Under %v, '+' and '#' select Go's struct/syntax forms (plusV, sharpV), not a sign or alternate form.
  const flags = verb === "v" ? flagsIn.replace(/[+#]/g, "") : flagsIn;
  const bad = () => `%!${verb}(${goTypeName(v)}=${goValueText(v)})`;
  switch (verb) {
    case "v":
      if (v.kind === "string") return pad(prec !== undefined ? v.v.slice(0, prec) : v.v, width, flags, false);
      if (v.kind === "int") return pad(signed(v.v.toString(), v.v < 0n, flags), width, flags, true);
      return pad(signed(goFloatV(v.v), v.v < 0, flags), width, flags, true);
    case "s":
      return v.kind === "string" ? pad(prec !== undefined ? [...v.v].slice(0, prec).join("") : v.v, width, flags, false) : bad();
    case "q":
      return v.kind === "string" ? pad(goQuote(v.v), width, flags, false) : v.kind === "int" ? pad(goQuote(String.fromCodePoint(Number(v.v))).replace(/^"|"$/g, "'"), width, flags, false) : bad();
    case "d":
      return v.kind === "int" ? pad(signed(v.v.toString(), v.v < 0n, flags), width, flags, true) : bad();
    case "x":
    case "X": {
      let s: string;
      if (v.kind === "int") s = (v.v < 0n ? "-" : "") + (v.v < 0n ? -v.v : v.v).toString(16);
      else if (v.kind === "string") s = Buffer.from(v.v, "utf8").toString("hex");
      else return bad();
      if (verb === "X") s = s.toUpperCase();
      return pad(s, width, flags, v.kind === "int");
    }
    case "f":
    case "F":
    case "e":
    case "g": {
      const f = v.kind === "float" ? v.v : v.kind === "int" ? Number(v.v) : NaN;
      if (v.kind === "string" || v.kind === "int") return bad();
      const s = verb === "e" ? goExp(f, prec ?? 6) : verb === "g" ? (prec === undefined ? goFloatV(f) : String(Number(f.toPrecision(prec)))) : f.toFixed(prec ?? 6);
      return pad(signed(s, f < 0, flags), width, flags, true);
    }
    case "t": // OPA hands booleans to Go as their text, a string: %t never applies
      return bad();
    default:
      return `%!${verb}(${goTypeName(v)}=${goValueText(v)})`;
  }
}

function goExp(f: number, prec: number): string {
  const [m, e] = f.toExponential(prec).split("e") as [string, string];
  const n = Number(e);
  return `${m}e${n < 0 ? "-" : "+"}${String(Math.abs(n)).padStart(2, "0")}`;
}

const VERB = /%([-+# 0]*)(\d+)?(?:\.(\d*))?([a-zA-Z%])/g;

/** OPA's sprintf(format, values): Go fmt.Sprintf over OPA's argument conversion. */
export function opaSprintf(format: string, values: unknown): string {
  const args = (Array.isArray(values) ? values : []).map(toGo);
  let i = 0;
  let out = format.replace(VERB, (_m, flags: string, w?: string, p?: string, verb?: string) => {
    if (verb === "%") return "%";
    const width = w !== undefined ? Number(w) : undefined;
    const prec = p !== undefined ? Number(p || "0") : undefined;
    if (i >= args.length) return `%!${verb}(MISSING)`;
    return formatOne(verb!, flags, width, prec, args[i++]!);
  });
  if (i < args.length) out += `%!(EXTRA ${args.slice(i).map((a) => `${goTypeName(a)}=${goValueText(a)}`).join(", ")})`;
  return out;
}

let installed = false;

/** Built-ins opa-wasm's JavaScript side implements (regex.split, sprintf, yaml.*). */
export function jsBuiltinNames(): Set<string> {
  return new Set(Object.keys(opaWasmBuiltins as Record<string, unknown>));
}

/**
 * Replace opa-wasm's builtin implementations in its own (module-level) table. opa-wasm looks builtins up in
 * that table before any custom builtins, so overriding through loadPolicy's customBuiltins is not possible.
 */
export function installOpaCompatibleBuiltins(): void {
  if (installed) return;
  (opaWasmBuiltins as Record<string, unknown>).sprintf = opaSprintf;
  // Strings and numbers are read from the module's memory and the message written back as a string value
  // (wasm-values.ts); the same opaSprintf formats them. Sets, objects, booleans, null and nested arrays still
  // arrive through the JSON path, which keeps sets as sets.
  FAST_BUILTINS.set("sprintf", (format, values) =>
    typeof format === "string" && Array.isArray(values) && (opaWasmBuiltins as Record<string, unknown>).sprintf === opaSprintf ? opaSprintf(format, values) : undefined,
  );
  installed = true;
}
