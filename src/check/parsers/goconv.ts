// Go's strconv.ParseFloat and strconv.ParseBool, which conftest's INI and HOCON parsers use to turn a value
// string into a number or a boolean (anything else stays a string).

const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const HEX = /^[+-]?0[xX](_?[0-9a-fA-F])*(\.[0-9a-fA-F_]*)?[pP][+-]?\d+$/;
const SPECIAL = /^[+-]?(inf|infinity|nan)$/i;

/** The float64 ParseFloat yields without error, or undefined (syntax error, or out of range). */
export function goParseFloat(s: string): number | undefined {
  if (SPECIAL.test(s)) return /nan/i.test(s) ? NaN : s.startsWith("-") ? -Infinity : Infinity;
  let v: number;
  if (DECIMAL.test(s)) v = Number(s);
  else if (HEX.test(s)) {
    const m = /^([+-]?)0[xX]([0-9a-fA-F_]*)(?:\.([0-9a-fA-F_]*))?[pP]([+-]?\d+)$/.exec(s)!;
    const int = m[2]!.replace(/_/g, ""), frac = (m[3] ?? "").replace(/_/g, "");
    if (!int && !frac) return undefined;
    v = (parseInt(int || "0", 16) + (frac ? parseInt(frac, 16) / 16 ** frac.length : 0)) * 2 ** Number(m[4]);
    if (m[1] === "-") v = -v;
  } else return undefined;
  return Number.isFinite(v) ? v : undefined; // ErrRange
}

const BOOLS: Record<string, boolean> = { "1": true, t: true, T: true, TRUE: true, true: true, True: true, "0": false, f: false, F: false, FALSE: false, false: false, False: false };

export function goParseBool(s: string): boolean | undefined {
  return Object.hasOwn(BOOLS, s) ? BOOLS[s] : undefined;
}

/** conftest's convertType for INI and HOCON values: a number if ParseFloat takes it, a boolean if ParseBool does, else the string. */
export function numberBoolOrString(s: string): number | boolean | string {
  return goParseFloat(s) ?? goParseBool(s) ?? s;
}
