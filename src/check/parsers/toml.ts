// TOML (conftest parser/toml: BurntSushi/toml into interface{}). Library: smol-toml (TOML 1.0, spec-complete,
// well kept). Datetimes become the strings Go's time.Time marshals to (RFC 3339, fraction trimmed); local
// dates, times and datetimes carry no zone in TOML and BurntSushi gives them a zone at offset 0, so they
// print with "Z" as conftest prints them.
import { parse, TomlDate } from "smol-toml";
import { malformed, text, type Parser } from "./types.ts";

// A JS Date keeps milliseconds; Go keeps nanoseconds. The authored fractions longer than three digits are
// read from the source, keyed by their millisecond form, to print them in full.
const LONG_FRACTION = /(?:(\d{4}-\d{2}-\d{2})[Tt ])?(\d{2}:\d{2}:\d{2})\.(\d{4,})([Zz]|[+-]\d{2}:\d{2})?/g;

function longFractions(src: string): Map<string, string> {
  const m = new Map<string, string>();
  for (const x of src.matchAll(LONG_FRACTION)) m.set(`${x[1] ?? ""}|${x[2]}|${x[3]!.slice(0, 3)}`, x[3]!);
  return m;
}

function goTime(d: TomlDate, long: Map<string, string>): string {
  const iso = d.toISOString();
  const m = /^(?:(\d{4}-\d{2}-\d{2}))?[T ]?(?:(\d{2}:\d{2}:\d{2})(?:\.(\d+))?)?(Z|[+-]\d{2}:\d{2})?$/i.exec(iso);
  if (!m) return iso;
  const date = m[1] ?? "0000-01-01";
  const time = m[2] ?? "00:00:00";
  const ms = m[3] ?? "";
  const frac = (long.get(`${m[1] ?? ""}|${time}|${ms.padEnd(3, "0").slice(0, 3)}`) ?? ms).replace(/0+$/, "");
  const zone = !m[4] || m[4].toUpperCase() === "Z" || m[4] === "+00:00" || m[4] === "-00:00" ? "Z" : m[4];
  return `${date}T${time}${frac ? "." + frac : ""}${zone}`;
}

function jsonable(v: unknown, long: Map<string, string>): unknown {
  if (v instanceof TomlDate) return goTime(v, long);
  if (typeof v === "bigint") return Number(v);
  if (Array.isArray(v)) return v.map((x) => jsonable(x, long));
  if (v && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, jsonable(x, long)]));
  return v;
}

export const toml: Parser = {
  name: "toml",
  parse(bytes, ctx) {
    let doc: unknown;
    const src = text(bytes);
    try {
      doc = parse(src, { integersAsBigInt: "asNeeded" });
    } catch (e) {
      throw malformed(ctx, "TOML", (e as Error).message, e);
    }
    return jsonable(doc, longFractions(src));
  },
};
