// Built-ins the WASM target leaves to its host (opa-wasm's JavaScript supplies only sprintf, regex.split and
// yaml.*). Each follows OPA's Go implementation (topdown/*.go). Deterministic: time.now_ns is the instant the
// caller gives (--time, or the clock read once when the command starts); randomness and the network are
// refused (http.send only when the caller opts in). A built-in error makes the call undefined, as in OPA
// without --strict-builtin-errors: returning undefined from a host built-in is the WASM ABI's "undefined".
import { createHash, createHmac, timingSafeEqual } from "node:crypto";
import { regoText } from "./builtins.ts";
import type { HostBuiltins } from "./evaluator.ts";

export interface HostOptions {
  /** The evaluation instant (time.now_ns). */
  now: Date;
  /** Permit http.send (synchronous, through a child process). */
  allowHttp?: boolean;
  /** What opa.runtime() returns. */
  runtime?: Record<string, unknown>;
  /** Sink for print(): each call's operands (sets of values, tagged as wasm-values.ts tags them). */
  print?: (operands: unknown[]) => void;
}

/** A JSON number with more digits than a double holds (nanoseconds), sent to WASM as text. */
function bigNumber(n: bigint): ArrayBuffer {
  return new TextEncoder().encode(n.toString()).buffer as ArrayBuffer;
}

const NS = 1_000_000n;

// ---- semver (semver.org 2.0.0, as OPA's internal/semver) ----
const SEMVER = /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$/;

function semverParts(v: unknown): { nums: bigint[]; pre: string[] } | undefined {
  if (typeof v !== "string") return undefined;
  const m = SEMVER.exec(v);
  if (!m) return undefined;
  return { nums: [BigInt(m[1]!), BigInt(m[2]!), BigInt(m[3]!)], pre: m[4] ? m[4].split(".") : [] };
}

export function semverCompare(a: unknown, b: unknown): number | undefined {
  const x = semverParts(a);
  const y = semverParts(b);
  if (!x || !y) return undefined;
  for (let i = 0; i < 3; i++) if (x.nums[i] !== y.nums[i]) return x.nums[i]! < y.nums[i]! ? -1 : 1;
  if (!x.pre.length || !y.pre.length) return x.pre.length === y.pre.length ? 0 : x.pre.length ? -1 : 1;
  for (let i = 0; i < Math.min(x.pre.length, y.pre.length); i++) {
    const p = x.pre[i]!;
    const q = y.pre[i]!;
    if (p === q) continue;
    const pn = /^\d+$/.test(p);
    const qn = /^\d+$/.test(q);
    if (pn && qn) return BigInt(p) < BigInt(q) ? -1 : 1;
    if (pn !== qn) return pn ? -1 : 1;
    return p < q ? -1 : 1;
  }
  return x.pre.length === y.pre.length ? 0 : x.pre.length < y.pre.length ? -1 : 1;
}

// ---- units (topdown/parse_units.go, parse_bytes.go) ----
const UNIT: Record<string, number> = {
  "": 1, m: 1e-3, k: 1e3, K: 1e3, ki: 2 ** 10, Ki: 2 ** 10, M: 1e6, mi: 2 ** 20, Mi: 2 ** 20, g: 1e9, G: 1e9, gi: 2 ** 30, Gi: 2 ** 30,
  t: 1e12, T: 1e12, ti: 2 ** 40, Ti: 2 ** 40, p: 1e15, P: 1e15, pi: 2 ** 50, Pi: 2 ** 50, e: 1e18, E: 1e18, ei: 2 ** 60, Ei: 2 ** 60,
};

function splitUnit(s: string): [string, string] | undefined {
  const m = /^([0-9]*\.?[0-9]*(?:[eE][+-]?[0-9]+)?)(.*)$/.exec(s.replace(/"/g, "").trim());
  if (!m || m[1] === "" || m[1] === ".") return undefined;
  return [m[1]!, m[2]!.trim()];
}

export function unitsParse(x: unknown): number | undefined {
  if (typeof x !== "string") return undefined;
  if (x.includes(" ")) return undefined; // OPA: spaces are not allowed
  const p = splitUnit(x);
  if (!p) return undefined;
  const [num, unit] = p;
  // "m" is milli; "M" is mega; other units are case-insensitive in OPA only for the binary "i" forms listed.
  const factor = UNIT[unit];
  if (factor === undefined) return undefined;
  return Number(num) * factor;
}

export function unitsParseBytes(x: unknown): number | undefined {
  if (typeof x !== "string") return undefined;
  if (x.includes(" ")) return undefined;
  const p = splitUnit(x);
  if (!p) return undefined;
  const [num, unitIn] = p;
  const unit = unitIn.toLowerCase().replace(/b$/, "");
  const factors: Record<string, number> = { "": 1, k: 1e3, ki: 2 ** 10, m: 1e6, mi: 2 ** 20, g: 1e9, gi: 2 ** 30, t: 1e12, ti: 2 ** 40, p: 1e15, pi: 2 ** 50, e: 1e18, ei: 2 ** 60 };
  const f = factors[unit];
  if (f === undefined) return undefined;
  return Math.floor(Number(num) * f);
}

// ---- time (topdown/time.go; UTC unless a location is given, which needs tz data: only "UTC" and "Local") ----
/** A nanosecond argument. It reaches the host as a double (opa-wasm parses the JSON), exact only to ~256 ns at
 * today's instants, so a value past 2^53 is read to the microsecond — what the rounding cannot have disturbed. */
function nsOf(x: unknown): bigint | undefined {
  const n = typeof x === "number" ? x : Array.isArray(x) && typeof x[0] === "number" ? x[0] : undefined;
  if (n === undefined || !Number.isFinite(n)) return undefined;
  return Math.abs(n) > Number.MAX_SAFE_INTEGER ? BigInt(Math.round(n / 1000)) * 1000n : BigInt(Math.trunc(n));
}

function dateOf(ns: bigint): Date {
  return new Date(Number(ns / NS));
}

const DURATION_UNITS: Record<string, number> = { ns: 1, us: 1e3, "µs": 1e3, "μs": 1e3, ms: 1e6, s: 1e9, m: 60e9, h: 3600e9 };

/** Go's time.ParseDuration. */
export function parseDuration(s: unknown): number | undefined {
  if (typeof s !== "string" || s === "") return undefined;
  let rest = s;
  let sign = 1;
  if (rest[0] === "-" || rest[0] === "+") {
    sign = rest[0] === "-" ? -1 : 1;
    rest = rest.slice(1);
  }
  if (rest === "0") return 0;
  let total = 0;
  while (rest) {
    const m = /^([0-9]*(?:\.[0-9]*)?)(ns|us|µs|μs|ms|s|m|h)/.exec(rest);
    if (!m || m[1] === "" || m[1] === ".") return undefined;
    total += Number(m[1]) * DURATION_UNITS[m[2]!]!;
    rest = rest.slice(m[0].length);
  }
  return sign * Math.round(total);
}

function parseRfc3339Ns(s: unknown): bigint | undefined {
  if (typeof s !== "string") return undefined;
  const m = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?([Zz]|([+-])(\d{2}):(\d{2}))$/.exec(s);
  if (!m) return undefined;
  const ms = Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!);
  if (Number.isNaN(ms)) return undefined;
  const frac = BigInt((m[7] ?? "").padEnd(9, "0") || "0");
  const off = m[9] ? (m[9] === "-" ? -1n : 1n) * (BigInt(+m[10]!) * 3600n + BigInt(+m[11]!) * 60n) * 1_000_000_000n : 0n;
  return BigInt(ms) * NS + frac - off;
}

function rfc3339Nano(ns: bigint): string {
  const ms = ns / NS;
  const d = new Date(Number(ms));
  const frac = ((ns % 1_000_000_000n) + 1_000_000_000n) % 1_000_000_000n;
  const base = d.toISOString().slice(0, 19);
  const f = frac === 0n ? "" : "." + frac.toString().padStart(9, "0").replace(/0+$/, "");
  return `${base}${f}Z`;
}

const WEEKDAYS = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];
const MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"];

/** Go's reference-time layouts, for the elements policies use. */
function goLayoutRegex(layout: string): { re: RegExp; fields: string[] } {
  const tokens: [string, string, string][] = [
    ["2006", "(\\d{4})", "year"], ["01", "(\\d{2})", "month"], ["Jan", "([A-Za-z]{3})", "mon"], ["January", "([A-Za-z]+)", "monthname"],
    ["02", "(\\d{2})", "day"], ["_2", " ?(\\d{1,2})", "day"], ["15", "(\\d{2})", "hour"], ["03", "(\\d{2})", "hour12"], ["04", "(\\d{2})", "minute"],
    ["05", "(\\d{2})", "second"], ["PM", "(AM|PM)", "ampm"], ["Z07:00", "(Z|[+-]\\d{2}:\\d{2})", "tz"], ["-0700", "([+-]\\d{4})", "tz4"],
    ["-07:00", "([+-]\\d{2}:\\d{2})", "tz"], ["MST", "([A-Z]{3,4})", "zone"], [".000000000", "(\\.\\d{9})", "frac"], [".999999999", "(\\.\\d{1,9})?", "frac"],
    [".000000", "(\\.\\d{6})", "frac"], [".000", "(\\.\\d{3})", "frac"], ["Mon", "([A-Za-z]{3})", "wd"], ["Monday", "([A-Za-z]+)", "wd"], ["1", "(\\d{1,2})", "month"], ["2", "(\\d{1,2})", "day"], ["06", "(\\d{2})", "yy"],
  ];
  tokens.sort((a, b) => b[0].length - a[0].length);
  let re = "";
  const fields: string[] = [];
  let i = 0;
  outer: while (i < layout.length) {
    for (const [tok, pat, field] of tokens) {
      if (layout.startsWith(tok, i)) {
        re += pat;
        fields.push(field);
        i += tok.length;
        continue outer;
      }
    }
    re += layout[i]!.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
    i++;
  }
  return { re: new RegExp(`^${re}$`), fields };
}

function parseGoTime(layout: unknown, value: unknown): bigint | undefined {
  if (typeof layout !== "string" || typeof value !== "string") return undefined;
  if (layout === "RFC3339" || layout === "2006-01-02T15:04:05Z07:00") return parseRfc3339Ns(value);
  const { re, fields } = goLayoutRegex(layout);
  const m = re.exec(value);
  if (!m) return undefined;
  let y = 0, mo = 1, d = 1, h = 0, mi = 0, s = 0, frac = 0n, off = 0, pm: boolean | undefined;
  fields.forEach((f, k) => {
    const v = m[k + 1];
    if (v === undefined) return;
    if (f === "year") y = +v;
    else if (f === "yy") y = +v + (+v >= 69 ? 1900 : 2000);
    else if (f === "month") mo = +v;
    else if (f === "mon" || f === "monthname") mo = MONTHS.findIndex((n) => n.toLowerCase().startsWith(v.toLowerCase().slice(0, 3))) + 1;
    else if (f === "day") d = +v;
    else if (f === "hour" || f === "hour12") h = +v;
    else if (f === "minute") mi = +v;
    else if (f === "second") s = +v;
    else if (f === "ampm") pm = v === "PM";
    else if (f === "frac") frac = BigInt(v.slice(1).padEnd(9, "0"));
    else if (f === "tz" && v !== "Z") off = (v[0] === "-" ? -1 : 1) * (+v.slice(1, 3) * 60 + +v.slice(4, 6));
    else if (f === "tz4") off = (v[0] === "-" ? -1 : 1) * (+v.slice(1, 3) * 60 + +v.slice(3, 5));
  });
  if (pm !== undefined) h = (h % 12) + (pm ? 12 : 0);
  const ms = Date.UTC(y, mo - 1, d, h, mi, s) - off * 60_000;
  return Number.isNaN(ms) ? undefined : BigInt(ms) * NS + frac;
}

function formatGoTime(ns: bigint, layout: string): string {
  const d = dateOf(ns);
  const p2 = (n: number) => String(n).padStart(2, "0");
  const frac = (((ns % 1_000_000_000n) + 1_000_000_000n) % 1_000_000_000n).toString().padStart(9, "0");
  const map: Record<string, string> = {
    "2006": String(d.getUTCFullYear()), "01": p2(d.getUTCMonth() + 1), "02": p2(d.getUTCDate()), "15": p2(d.getUTCHours()), "04": p2(d.getUTCMinutes()),
    "05": p2(d.getUTCSeconds()), "Z07:00": "Z", "-07:00": "+00:00", "-0700": "+0000", MST: "UTC", Jan: MONTHS[d.getUTCMonth()]!.slice(0, 3), January: MONTHS[d.getUTCMonth()]!,
    Mon: WEEKDAYS[d.getUTCDay()]!.slice(0, 3), Monday: WEEKDAYS[d.getUTCDay()]!, ".000000000": "." + frac, ".999999999": frac === "000000000" ? "" : "." + frac.replace(/0+$/, ""), ".000": "." + frac.slice(0, 3),
    "03": p2(d.getUTCHours() % 12 || 12), PM: d.getUTCHours() < 12 ? "AM" : "PM", "06": p2(d.getUTCFullYear() % 100), _2: String(d.getUTCDate()).padStart(2, " "),
  };
  const keys = Object.keys(map).sort((a, b) => b.length - a.length);
  let out = "";
  let i = 0;
  outer: while (i < layout.length) {
    for (const k of keys) {
      if (layout.startsWith(k, i)) {
        out += map[k];
        i += k.length;
        continue outer;
      }
    }
    out += layout[i];
    i++;
  }
  return out;
}

function timeArg(x: unknown): { ns: bigint; layout?: string } | undefined {
  const ns = nsOf(x);
  if (ns === undefined) return undefined;
  if (Array.isArray(x) && x.length >= 2 && typeof x[1] === "string" && x[1] !== "UTC" && x[1] !== "" && x[1] !== "Local") return undefined; // named zones need tz data
  return { ns, ...(Array.isArray(x) && typeof x[2] === "string" ? { layout: x[2] } : {}) };
}

const NAMED_LAYOUTS: Record<string, string> = {
  ANSIC: "Mon Jan _2 15:04:05 2006", RFC822: "02 Jan 06 15:04 MST", RFC1123: "Mon, 02 Jan 2006 15:04:05 MST", RFC3339: "2006-01-02T15:04:05Z07:00",
  RFC3339Nano: "2006-01-02T15:04:05.999999999Z07:00", Kitchen: "3:04PM", DateTime: "2006-01-02 15:04:05", DateOnly: "2006-01-02", TimeOnly: "15:04:05",
};

// ---- net (topdown/cidr.go) ----
function parseIp(s: string): { bytes: number[]; v6: boolean } | undefined {
  if (/^\d+\.\d+\.\d+\.\d+$/.test(s)) {
    const b = s.split(".").map(Number);
    return b.every((x) => x >= 0 && x <= 255) ? { bytes: b, v6: false } : undefined;
  }
  if (!s.includes(":")) return undefined;
  let head = s;
  let tail4: number[] = [];
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(s);
  if (v4) {
    const p = parseIp(v4[1]!);
    if (!p) return undefined;
    tail4 = p.bytes;
    head = s.slice(0, -v4[1]!.length) + "0:0";
  }
  const parts = head.split("::");
  if (parts.length > 2) return undefined;
  const groups = (x: string) => (x ? x.split(":") : []);
  const l = groups(parts[0]!);
  const r = parts.length === 2 ? groups(parts[1]!) : [];
  const fill = 8 - l.length - r.length;
  if (fill < 0 || (parts.length === 1 && fill !== 0)) return undefined;
  const all = [...l, ...Array(parts.length === 2 ? fill : 0).fill("0"), ...r];
  if (all.length !== 8 || !all.every((g) => /^[0-9a-fA-F]{1,4}$/.test(g))) return undefined;
  const bytes = all.flatMap((g) => [parseInt(g, 16) >> 8, parseInt(g, 16) & 255]);
  if (tail4.length) bytes.splice(12, 4, ...tail4);
  return { bytes, v6: true };
}

function parseCidr(s: unknown): { bytes: number[]; bits: number; v6: boolean } | undefined {
  if (typeof s !== "string") return undefined;
  const [ip, len, ...rest] = s.split("/");
  if (rest.length || len === undefined || !/^\d+$/.test(len)) return undefined;
  const p = parseIp(ip!);
  if (!p) return undefined;
  const bits = +len;
  if (bits > p.bytes.length * 8) return undefined;
  return { bytes: p.bytes, bits, v6: p.v6 };
}

/** A CIDR or a bare address (as a full-length prefix). */
function cidrOrIp(s: unknown) {
  if (typeof s !== "string") return undefined;
  if (s.includes("/")) return parseCidr(s);
  const p = parseIp(s);
  return p ? { bytes: p.bytes, bits: p.bytes.length * 8, v6: p.v6 } : undefined;
}

const toBig = (b: number[]) => b.reduce((n, x) => (n << 8n) | BigInt(x), 0n);
function range(c: { bytes: number[]; bits: number }): [bigint, bigint] {
  const total = BigInt(c.bytes.length * 8);
  const host = total - BigInt(c.bits);
  const start = (toBig(c.bytes) >> host) << host;
  return [start, start + (1n << host) - 1n];
}
function cidrContains(a: unknown, b: unknown): boolean | undefined {
  const x = parseCidr(a);
  const y = cidrOrIp(b);
  if (!x || !y) return undefined;
  if (x.bytes.length !== y.bytes.length) return false;
  const [s1, e1] = range(x);
  const [s2, e2] = range(y);
  return s2 >= s1 && e2 <= e1;
}
function ipText(n: bigint, v6: boolean): string {
  if (!v6) return [24n, 16n, 8n, 0n].map((s) => String((n >> s) & 255n)).join(".");
  const groups: string[] = [];
  for (let i = 7; i >= 0; i--) groups.push(((n >> BigInt(i * 16)) & 0xffffn).toString(16));
  // Go's shortest form: the longest run (≥2) of zero groups becomes ::
  let best = -1, len = 0;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== "0") { i++; continue; }
    let j = i;
    while (j < 8 && groups[j] === "0") j++;
    if (j - i > len && j - i >= 2) { best = i; len = j - i; }
    i = j;
  }
  if (best < 0) return groups.join(":");
  return groups.slice(0, best).join(":") + "::" + groups.slice(best + len).join(":");
}

// ---- regex helpers (Go RE2 syntax is close to JavaScript's for the patterns policies use) ----
function re(pattern: unknown, flags = ""): RegExp | undefined {
  if (typeof pattern !== "string") return undefined;
  try {
    let p = pattern;
    let f = flags;
    const inline = /^\(\?([imsU]+)\)/.exec(p);
    if (inline) {
      p = p.slice(inline[0].length);
      for (const c of inline[1]!) if (c !== "U" && !f.includes(c)) f += c;
    }
    return new RegExp(p, f);
  } catch {
    return undefined;
  }
}

/** Go's regexp.ReplaceAllString template: $1, ${name}. */
function goReplace(s: string, r: RegExp, repl: string): string {
  return s.replace(new RegExp(r.source, r.flags.includes("g") ? r.flags : r.flags + "g"), (...m) => {
    const groups = m.slice(1, -2) as (string | undefined)[];
    const named = typeof m[m.length - 1] === "object" ? (m[m.length - 1] as Record<string, string>) : {};
    return repl.replace(/\$(\$|\{([A-Za-z0-9_]+)\}|([A-Za-z0-9_]+))/g, (_t, all: string, braced?: string, bare?: string) => {
      if (all === "$") return "$";
      const name = braced ?? bare!;
      if (/^\d+$/.test(name)) return name === "0" ? (m[0] as string) : (groups[+name - 1] ?? "");
      return named?.[name] ?? "";
    });
  });
}

function hashHex(alg: string, s: unknown): string | undefined {
  return typeof s === "string" ? createHash(alg).update(s, "utf8").digest("hex") : undefined;
}
function hmacHex(alg: string, s: unknown, k: unknown): string | undefined {
  return typeof s === "string" && typeof k === "string" ? createHmac(alg, k).update(s, "utf8").digest("hex") : undefined;
}

function b64urlDecode(s: string): string {
  return Buffer.from(s.replace(/-/g, "+").replace(/_/g, "/"), "base64").toString("utf8");
}

/** Go's url.QueryEscape. */
function queryEscape(s: string): string {
  return encodeURIComponent(s).replace(/%20/g, "+").replace(/[!'()*]/g, (c) => "%" + c.charCodeAt(0).toString(16).toUpperCase());
}

function refused(name: string, why: string): () => never {
  return () => {
    throw new Error(`${name} is not available to policies in tollgate: ${why}`);
  };
}

/** Synchronous http.send (opt-in): a child Bun process performs the request. */
function httpSend(req: unknown): unknown {
  const r = (req ?? {}) as Record<string, unknown>;
  const script = `const r=JSON.parse(process.argv[1]);const res=await fetch(r.url,{method:(r.method||"GET").toUpperCase(),headers:r.headers||{},body:r.raw_body??(r.body!==undefined?JSON.stringify(r.body):undefined),redirect:r.enable_redirect?"follow":"manual"});const t=await res.text();const h={};res.headers.forEach((v,k)=>{(h[k]??=[]).push(v)});let body=null;try{body=JSON.parse(t)}catch{}process.stdout.write(JSON.stringify({status:res.status+" "+res.statusText,status_code:res.status,body,raw_body:t,headers:h}))`;
  // BUN_BE_BUN: inside a compiled tollgate binary, the executable runs as bun.
  const p = Bun.spawnSync([process.execPath, "-e", script, JSON.stringify(r)], { stdout: "pipe", stderr: "pipe", env: { ...process.env, BUN_BE_BUN: "1" } });
  if (p.exitCode !== 0) throw new Error(`http.send ${String(r.url)}: ${p.stderr.toString().trim().split("\n").pop()}`);
  return JSON.parse(p.stdout.toString());
}

/** The host built-ins, bound to one evaluation context. */
export function hostBuiltins(o: HostOptions): HostBuiltins {
  const nowNs = BigInt(o.now.getTime()) * NS;
  const undef = undefined;
  const b: HostBuiltins = {
    "time.now_ns": () => bigNumber(nowNs),
    "time.parse_rfc3339_ns": (s) => {
      const n = parseRfc3339Ns(s);
      return n === undefined ? undef : bigNumber(n);
    },
    "time.parse_ns": (layout, value) => {
      const n = parseGoTime(typeof layout === "string" ? (NAMED_LAYOUTS[layout] ?? layout) : layout, value);
      return n === undefined ? undef : bigNumber(n);
    },
    "time.parse_duration_ns": (s) => parseDuration(s),
    "time.date": (x) => {
      const t = timeArg(x);
      if (!t) return undef;
      const d = dateOf(t.ns);
      return [d.getUTCFullYear(), d.getUTCMonth() + 1, d.getUTCDate()];
    },
    "time.clock": (x) => {
      const t = timeArg(x);
      if (!t) return undef;
      const d = dateOf(t.ns);
      return [d.getUTCHours(), d.getUTCMinutes(), d.getUTCSeconds()];
    },
    "time.weekday": (x) => {
      const t = timeArg(x);
      return t ? WEEKDAYS[dateOf(t.ns).getUTCDay()] : undef;
    },
    "time.add_date": (x, y, m, d) => {
      const ns = nsOf(x);
      if (ns === undefined || typeof y !== "number" || typeof m !== "number" || typeof d !== "number") return undef;
      const t = dateOf(ns);
      const ms = Date.UTC(t.getUTCFullYear() + y, t.getUTCMonth() + m, t.getUTCDate() + d, t.getUTCHours(), t.getUTCMinutes(), t.getUTCSeconds(), t.getUTCMilliseconds());
      return bigNumber(BigInt(ms) * NS + (ns % NS));
    },
    "time.diff": (a, c) => {
      const x = timeArg(a);
      const y = timeArg(c);
      if (!x || !y) return undef;
      const [p, q] = x.ns > y.ns ? [dateOf(y.ns), dateOf(x.ns)] : [dateOf(x.ns), dateOf(y.ns)];
      let yr = q.getUTCFullYear() - p.getUTCFullYear();
      let mo = q.getUTCMonth() - p.getUTCMonth();
      let dd = q.getUTCDate() - p.getUTCDate();
      let hh = q.getUTCHours() - p.getUTCHours();
      let mi = q.getUTCMinutes() - p.getUTCMinutes();
      let ss = q.getUTCSeconds() - p.getUTCSeconds();
      if (ss < 0) { ss += 60; mi--; }
      if (mi < 0) { mi += 60; hh--; }
      if (hh < 0) { hh += 24; dd--; }
      // Go (OPA's time.diff): borrow the days of the earlier instant's month
      if (dd < 0) { dd += 32 - new Date(Date.UTC(p.getUTCFullYear(), p.getUTCMonth(), 32)).getUTCDate(); mo--; }
      if (mo < 0) { mo += 12; yr--; }
      return [yr, mo, dd, hh, mi, ss];
    },
    "time.format": (x) => {
      const t = timeArg(x);
      if (!t) return undef;
      return t.layout ? formatGoTime(t.ns, NAMED_LAYOUTS[t.layout] ?? t.layout) : rfc3339Nano(t.ns);
    },
    "semver.compare": (a, c) => semverCompare(a, c),
    "semver.is_valid": (a) => semverParts(a) !== undefined,
    "units.parse": (x) => unitsParse(x),
    "units.parse_bytes": (x) => unitsParseBytes(x),
    "io.jwt.decode": (t) => {
      if (typeof t !== "string") return undef;
      const parts = t.split(".");
      if (parts.length !== 3) return undef;
      try {
        const header = JSON.parse(b64urlDecode(parts[0]!));
        const payload = JSON.parse(b64urlDecode(parts[1]!));
        return [header, payload, Buffer.from(parts[2]!, "base64url").toString("hex")];
      } catch {
        return undef;
      }
    },
    "io.jwt.verify_hs256": (t, secret) => {
      if (typeof t !== "string" || typeof secret !== "string") return undef;
      const parts = t.split(".");
      if (parts.length !== 3) return undef;
      const mac = createHmac("sha256", secret).update(`${parts[0]}.${parts[1]}`).digest();
      const sig = Buffer.from(parts[2]!, "base64url");
      return sig.length === mac.length && timingSafeEqual(sig, mac);
    },
    "regex.find_n": (p, s, n) => {
      const r = re(p, "g");
      if (!r || typeof s !== "string" || typeof n !== "number") return undef;
      const all = [...s.matchAll(r)].map((m) => m[0]);
      return n < 0 ? all : all.slice(0, n);
    },
    "regex.replace": (s, p, v) => {
      const r = re(p, "g");
      return r && typeof s === "string" && typeof v === "string" ? goReplace(s, r, v) : undef;
    },
    "regex.template_match": (tpl, s, start, end) => {
      if (typeof tpl !== "string" || typeof s !== "string" || typeof start !== "string" || typeof end !== "string") return undef;
      let out = "";
      let i = 0;
      while (i < tpl.length) {
        const a = tpl.indexOf(start, i);
        if (a < 0) { out += tpl.slice(i).replace(/[.*+?^${}()|[\]\\]/g, "\\$&"); break; }
        const z = tpl.indexOf(end, a + start.length);
        if (z < 0) return undef;
        out += tpl.slice(i, a).replace(/[.*+?^${}()|[\]\\]/g, "\\$&") + "(?:" + tpl.slice(a + start.length, z) + ")";
        i = z + end.length;
      }
      const r = re(`^${out}$`);
      return r ? r.test(s) : undef;
    },
    "net.cidr_contains": (a, c) => cidrContains(a, c),
    "net.cidr_is_valid": (a) => parseCidr(a) !== undefined,
    "net.cidr_intersects": (a, c) => {
      const x = parseCidr(a);
      const y = parseCidr(c);
      if (!x || !y) return undef;
      if (x.bytes.length !== y.bytes.length) return false;
      const [s1, e1] = range(x);
      const [s2, e2] = range(y);
      return s1 <= e2 && s2 <= e1;
    },
    "net.cidr_expand": (a) => {
      const c = parseCidr(a);
      if (!c) return undef;
      const [s, e] = range(c);
      if (e - s > 65535n) return undef; // OPA would produce it; tollgate bounds the set it materializes
      const out: string[] = [];
      for (let n = s; n <= e; n++) out.push(ipText(n, c.v6));
      return out;
    },
    "net.cidr_contains_matches": (cidrs, addrs) => {
      const items = (x: unknown): [unknown, string][] =>
        typeof x === "string" ? [[x, x]] : Array.isArray(x) ? x.map((v, i) => [i, Array.isArray(v) ? String(v[0]) : String(v)]) : x && typeof x === "object" ? Object.entries(x).map(([k, v]) => [k, Array.isArray(v) ? String(v[0]) : String(v)]) : [];
      const out: [unknown, unknown][] = [];
      for (const [ck, c] of items(cidrs)) for (const [ak, a] of items(addrs)) if (cidrContains(c, a)) out.push([ck, ak]);
      return out;
    },
    "crypto.sha256": (s) => hashHex("sha256", s),
    "crypto.sha1": (s) => hashHex("sha1", s),
    "crypto.md5": (s) => hashHex("md5", s),
    "crypto.hmac.sha256": (s, k) => hmacHex("sha256", s, k),
    "crypto.hmac.sha512": (s, k) => hmacHex("sha512", s, k),
    "crypto.hmac.sha1": (s, k) => hmacHex("sha1", s, k),
    "crypto.hmac.md5": (s, k) => hmacHex("md5", s, k),
    "crypto.hmac.equal": (a, c) => (typeof a === "string" && typeof c === "string" ? a.length === c.length && timingSafeEqual(Buffer.from(a), Buffer.from(c)) : undef),
    "hex.encode": (s) => (typeof s === "string" ? Buffer.from(s, "utf8").toString("hex") : undef),
    "hex.decode": (s) => (typeof s === "string" && /^([0-9a-fA-F]{2})*$/.test(s) ? Buffer.from(s, "hex").toString("utf8") : undef),
    "base64url.encode_no_pad": (s) => (typeof s === "string" ? Buffer.from(s, "utf8").toString("base64url") : undef),
    "urlquery.encode": (s) => (typeof s === "string" ? queryEscape(s) : undef),
    "urlquery.decode": (s) => {
      if (typeof s !== "string") return undef;
      try {
        return decodeURIComponent(s.replace(/\+/g, " "));
      } catch {
        return undef;
      }
    },
    "urlquery.encode_object": (o) => {
      if (!o || typeof o !== "object" || Array.isArray(o)) return undef;
      const parts: string[] = [];
      for (const k of Object.keys(o).sort()) {
        const v = (o as Record<string, unknown>)[k];
        for (const x of Array.isArray(v) ? v : [v]) parts.push(`${queryEscape(k)}=${queryEscape(String(x))}`);
      }
      return parts.join("&");
    },
    "urlquery.decode_object": (s) => {
      if (typeof s !== "string") return undef;
      const out: Record<string, string[]> = {};
      for (const [k, v] of new URLSearchParams(s)) (out[k] ??= []).push(v);
      return out;
    },
    indexof_n: (s, sub) => {
      if (typeof s !== "string" || typeof sub !== "string") return undef;
      const cps = [...s];
      const subs = [...sub];
      const out: number[] = [];
      for (let i = 0; i + subs.length <= cps.length; i++) if (cps.slice(i, i + subs.length).join("") === sub) out.push(i);
      return out;
    },
    "strings.any_prefix_match": (s, p) => {
      const xs = typeof s === "string" ? [s] : Array.isArray(s) ? s : undefined;
      const ps = typeof p === "string" ? [p] : Array.isArray(p) ? p : undefined;
      return xs && ps ? xs.some((x) => ps.some((q) => String(x).startsWith(String(q)))) : undef;
    },
    "strings.any_suffix_match": (s, p) => {
      const xs = typeof s === "string" ? [s] : Array.isArray(s) ? s : undefined;
      const ps = typeof p === "string" ? [p] : Array.isArray(p) ? p : undefined;
      return xs && ps ? xs.some((x) => ps.some((q) => String(x).endsWith(String(q)))) : undef;
    },
    "strings.count": (s, sub) => {
      if (typeof s !== "string" || typeof sub !== "string") return undef;
      if (sub === "") return [...s].length + 1;
      return s.split(sub).length - 1;
    },
    "object.subset": (sup, sub) => subset(sup, sub),
    "numbers.range_step": (a, z, step) => {
      if (typeof a !== "number" || typeof z !== "number" || typeof step !== "number" || step <= 0) return undef;
      const out: number[] = [];
      if (a <= z) for (let i = a; i <= z; i += step) out.push(i);
      else for (let i = a; i >= z; i -= step) out.push(i);
      return out;
    },
    "glob.quote_meta": (s) => (typeof s === "string" ? s.replace(/[*?\\[\]{}]/g, "\\$&") : undef),
    trace: () => true,
    "opa.runtime": () => o.runtime ?? {},
    "internal.print": (operands) => {
      o.print?.(Array.isArray(operands) ? operands : []);
      return true;
    },
    "http.send": o.allowHttp ? httpSend : refused("http.send", "policies may not reach the network (pass --allow-http-send to permit it)"),
    "net.lookup_ip_addr": refused("net.lookup_ip_addr", "policies may not reach the network"),
    "rand.intn": refused("rand.intn", "a decision must not depend on randomness"),
    "uuid.rfc4122": refused("uuid.rfc4122", "a decision must not depend on randomness"),
  };
  return b;
}

function subset(sup: unknown, sub: unknown): boolean {
  if (Array.isArray(sup) && Array.isArray(sub)) {
    // arrays: sub is a contiguous slice of sup (OPA); sets arrive as arrays too and are covered by membership
    if (sub.length === 0) return true;
    for (let i = 0; i + sub.length <= sup.length; i++) if (sub.every((x, j) => regoText(x) === regoText(sup[i + j]))) return true;
    return sub.every((x) => sup.some((y) => regoText(x) === regoText(y)));
  }
  if (sup && sub && typeof sup === "object" && typeof sub === "object" && !Array.isArray(sup) && !Array.isArray(sub)) {
    const a = sup as Record<string, unknown>;
    return Object.entries(sub as Record<string, unknown>).every(([k, v]) => k in a && (v && typeof v === "object" && a[k] && typeof a[k] === "object" ? subset(a[k], v) : regoText(a[k]) === regoText(v)));
  }
  return false;
}

/** The host built-ins tollgate supplies, for the README and `--help`. */
export const HOST_BUILTIN_NAMES = Object.keys(hostBuiltins({ now: new Date(0) })).filter((n) => n !== "internal.print");
