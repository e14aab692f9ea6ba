// Python-compatible canonical JSON (src/core/canonical-json.ts): exact expectations, tokenizer failure
// modes, chunk-boundary independence, and a cross-check against real python3 when it is installed.
import { describe, expect, test } from "bun:test";
import { spawnSync } from "node:child_process";
import {
  JsonTokenizer,
  TreeBuilder,
  canonicalJsonFromText,
  canonicalNumber,
  canonicalString,
  canonicalize,
  comparePythonStrings,
  parseJsonTree,
  parseJsonTreeBytes,
  MAX_DEPTH,
} from "../src/core/canonical-json.ts";
import { TollgateError } from "../src/core/errors.ts";
import { thrown } from "./support/errors.ts";
import { prng, requirePython } from "./support/ledger-gen.ts";

const havePython = requirePython("the canonical-JSON cross-checks against Python");

/** Python's canonical form of a JSON text (stdin), as tollgate must reproduce it. */
function pythonCanonical(text: string): string {
  const r = spawnSync(
    "python3",
    ["-c", 'import json,sys; sys.stdout.write(json.dumps(json.loads(sys.stdin.read()), sort_keys=True, separators=(",",":"), ensure_ascii=True))'],
    { input: text, encoding: "utf8", maxBuffer: 1 << 28 },
  );
  if (r.status !== 0) throw new Error(`python3 failed: ${r.stderr}`);
  return r.stdout;
}


describe("numbers keep Python's int/float distinction", () => {
  const cases: [string, string][] = [
    ["1.0", "1.0"], ["1", "1"], ["-0", "0"], ["-0.0", "-0.0"], ["0.0", "0.0"], ["1e5", "100000.0"], ["1E5", "100000.0"],
    ["1.50", "1.5"], ["1e16", "1e+16"], ["1e15", "1000000000000000.0"], ["0.0001", "0.0001"], ["0.00001", "1e-05"],
    ["1e-400", "0.0"], ["-1e-400", "-0.0"], ["5e-324", "5e-324"], ["1.7976931348623157e308", "1.7976931348623157e+308"],
    ["0.1e1", "1.0"], ["12345678.9e10", "1.23456789e+17"], ["123456789012345678901234567890", "123456789012345678901234567890"],
    ["0.1", "0.1"], ["2.5e-7", "2.5e-07"], ["1e+2", "100.0"], ["9007199254740993", "9007199254740993"],
    ["9007199254740993.0", "9007199254740992.0"], ["1e22", "1e+22"], ["-123.456e-2", "-1.23456"],
  ];
  for (const [src, want] of cases) test(`${src} → ${want}`, () => expect(canonicalNumber(src)).toBe(want));

  test("a float that overflows a double fails closed (Python would print Infinity)", () => {
    const e = thrown(() => canonicalNumber("1e400"));
    expect(e.code).toBe("unsupported");
    expect(e.message).toContain("overflows a double");
  });
  test("an integer past CPython's 4300-digit limit fails closed", () => {
    const e = thrown(() => canonicalNumber("9".repeat(4301)));
    expect(e.code).toBe("unsupported");
    expect(e.message).toContain("4301 digits");
    expect(canonicalNumber("9".repeat(4300))).toBe("9".repeat(4300));
  });
  test("NaN and Infinity literals are refused with a reason", () => {
    for (const lit of ["NaN", "Infinity", "-Infinity"]) {
      const e = thrown(() => parseJsonTree(`[${lit}]`));
      expect(e.code).toBe("unsupported");
      expect(e.message).toContain("is not JSON");
    }
  });
});

describe("strings: ensure_ascii escaping", () => {
  test("short escapes, other controls, DEL, non-ASCII, astral as surrogate pairs", () => {
    expect(canonicalString('a"b\\c\n\r\t\b\f')).toBe('"a\\"b\\\\c\\n\\r\\t\\b\\f"');
    expect(canonicalString("\u0001\u001f\u007f")).toBe('"\\u0001\\u001f\\u007f"');
    expect(canonicalString("é日")).toBe('"\\u00e9\\u65e5"');
    expect(canonicalString("😀")).toBe('"\\ud83d\\ude00"');
    expect(canonicalString("\ud800x")).toBe('"\\ud800x"'); // lone surrogate kept, lower-case hex
    expect(canonicalString("/")).toBe('"/"');
  });
  test("escaped and literal forms of the same text canonicalize identically", () => {
    expect(canonicalJsonFromText('"caf\\u00e9 \\ud83d\\ude00"')).toBe(canonicalJsonFromText('"café 😀"'));
  });
});

describe("keys sort by code point, not UTF-16 unit", () => {
  test("astral (U+1F600) sorts after U+FFFF; a lone surrogate sorts before U+E000", () => {
    const keys = ["\uffff", "😀", "\ue000", "\ud800", "a", "Z", "\u00e9"];
    expect([...keys].sort(comparePythonStrings)).toEqual(["Z", "a", "\u00e9", "\ud800", "\ue000", "\uffff", "😀"]);
    // JS's default order puts the astral key before U+E000 (its high surrogate is 0xD83D).
    expect([...keys].sort()).not.toEqual([...keys].sort(comparePythonStrings));
  });
  test("a lone high surrogate followed by a BMP char sorts before the same surrogate in a pair", () => {
    expect(comparePythonStrings("\ud83dA", "\ud83d\ude00")).toBeLessThan(0);
    expect(comparePythonStrings("ab", "abc")).toBeLessThan(0);
    expect(comparePythonStrings("x", "x")).toBe(0);
    // Both lone: the next character decides.
    expect(comparePythonStrings("\ud800\u0000", "\ud800\u65e5")).toBeLessThan(0);
    expect(comparePythonStrings("\ud800\u65e5", "\ud800\u0000")).toBeGreaterThan(0);
  });
  test("canonicalize sorts nested objects and keeps array order", () => {
    expect(canonicalJsonFromText('{"b": [3, 1.0, {"z": null, "a": true}], "a": "x"}')).toBe('{"a":"x","b":[3,1.0,{"a":true,"z":null}]}');
    expect(canonicalize({ b: 1, a: [1.5, "é"] })).toBe('{"a":[1.5,"\\u00e9"],"b":1}');
  });
});

describe("tokenizer failure modes (fail closed with a reason)", () => {
  const bad: [string, string, string][] = [
    ['{"a":1,}', "malformed", "expected a string key but found '}'"],
    ["[1,]", "malformed", "unexpected character ']'"],
    ['{"a" 1}', "malformed", "expected ':'"],
    ['"abc', "malformed", "unexpected end of input"],
    ['"a\u0001b"', "malformed", "unescaped control character U+0001"],
    ['"\\x"', "malformed", 'invalid escape "\\x"'],
    ['"\\u12G4"', "malformed", "invalid \\u escape"],
    ["01", "malformed", "invalid number 01"],
    ["1.", "malformed", "invalid number 1."],
    ["{} {}", "malformed", "unexpected data after the top-level value"],
    ['{"a":1,"a":2}', "malformed", 'duplicate key "a"'],
    ["tru", "malformed", "unexpected"],
    ["", "malformed", "unexpected end of input"],
    ["\ufeff{}", "malformed", "byte order mark"],
  ];
  for (const [text, code, msg] of bad) {
    test(JSON.stringify(text), () => {
      const e = thrown(() => parseJsonTree(text));
      expect(e.code).toBe(code as TollgateError["code"]);
      expect(e.message).toContain(msg);
    });
  }
  test("nesting deeper than MAX_DEPTH", () => {
    const e = thrown(() => parseJsonTree("[".repeat(MAX_DEPTH + 1) + "]".repeat(MAX_DEPTH + 1)));
    expect(e.message).toContain(`nesting deeper than ${MAX_DEPTH}`);
  });
  test("invalid UTF-8 bytes and a UTF-8 BOM in byte input", () => {
    const tok = () => new JsonTokenizer(new TreeBuilder());
    expect(thrown(() => tok().feedBytes(new Uint8Array([0x22, 0xff, 0x22]))).message).toContain("invalid UTF-8");
    expect(thrown(() => tok().feedBytes(new Uint8Array([0xef, 0xbb, 0xbf, 0x7b, 0x7d]))).message).toContain("byte order mark");
    const t = tok();
    t.feedBytes(new Uint8Array([0x22, 0xc3])); // first byte of é, then the input ends
    expect(thrown(() => t.end()).message).toContain("truncated multi-byte");
    // parseJsonTreeBytes: the whole-document form strict readers use.
    expect(canonicalize(parseJsonTreeBytes(new TextEncoder().encode('{"b":1.0,"a":"\u00e9"}')))).toBe('{"a":"\\u00e9","b":1.0}');
    expect(thrown(() => parseJsonTreeBytes(new Uint8Array([0xef, 0xbb, 0xbf, 0x7b, 0x7d]))).message).toContain("byte order mark");
    expect(thrown(() => parseJsonTreeBytes(new Uint8Array([0x22, 0xff, 0x22]))).message).toContain("invalid UTF-8");
  });
});

describe("chunk boundaries do not change the result", () => {
  const text = '{"k\\u00e9y": [1.0, -0, 1e5, "a\\"b\\\\c\\ud83d\\ude00", true, false, null, {"n": 12345678901234567890}], "z": "日本 😀", "e": []}';
  const whole = canonicalJsonFromText(text);
  for (const size of [1, 2, 3, 5, 7, 64]) {
    test(`bytes fed ${size} at a time`, () => {
      const bytes = new TextEncoder().encode(text);
      const b = new TreeBuilder();
      const t = new JsonTokenizer(b);
      for (let i = 0; i < bytes.length; i += size) t.feedBytes(bytes.subarray(i, i + size));
      t.end();
      expect(canonicalize(b.root)).toBe(whole);
    });
  }
  test("a number split at the very end is completed by end()", () => {
    const b = new TreeBuilder();
    const t = new JsonTokenizer(b);
    t.feed("12");
    t.feed("3.50");
    t.end();
    expect(canonicalize(b.root)).toBe("123.5");
  });
});

describe.if(havePython)("cross-check with python3's json module", () => {
  test("numbers: hand-picked edge cases and 3000 random doubles in several spellings", () => {
    const rnd = prng(42);
    const srcs = ["1.0", "1", "-0", "-0.0", "1e5", "1.50", "1e16", "1e15", "0.0001", "0.00001", "1e-400", "5e-324",
      "2.2250738585072014e-308", "2.2250738585072011e-308", "0.1000000000000000055511151231257827021181583404541015625",
      "1.00000000000000011102230246251565404236316680908203125", "9007199254740993.0", "123456789012345678901234567890.5",
      "4.35679e-10", "1e-7", "1E-7", "0e0", "-0e-5", "100e-2", "7.0e+0"];
    const view = new DataView(new ArrayBuffer(8));
    for (let i = 0; i < 1000; i++) {
      view.setUint32(0, Math.floor(rnd() * 2 ** 32));
      view.setUint32(4, Math.floor(rnd() * 2 ** 32));
      const x = view.getFloat64(0);
      if (!Number.isFinite(x)) continue;
      srcs.push(String(x).includes(".") || String(x).includes("e") ? String(x) : `${x}.0`);
      srcs.push(x.toExponential(Math.floor(rnd() * 20)));
      srcs.push((rnd() * 10 ** Math.floor(rnd() * 30 - 10)).toPrecision(1 + Math.floor(rnd() * 21)).replace("e", "E"));
    }
    // Long decimal strings (more than 20 significant digits: rounding must still be exact).
    for (let i = 0; i < 200; i++) {
      let d = String(1 + Math.floor(rnd() * 9));
      for (let j = 0; j < 30; j++) d += Math.floor(rnd() * 10);
      const intDigits = 1 + (i % 20);
      srcs.push(`${d.slice(0, intDigits)}.${d.slice(intDigits)}e${Math.floor(rnd() * (600 - intDigits)) - 300}`);
    }
    const text = "[" + srcs.join(",") + "]";
    expect(canonicalJsonFromText(text)).toBe(pythonCanonical(text));
  });

  test("strings and keys: controls, DEL, quotes, non-ASCII, astral, lone surrogates", () => {
    const rnd = prng(7);
    const alphabet = ["a", "Z", "\"", "\\", "/", "\n", "\t", "\u0000", "\u001f", "\u007f", "\u0080", "é", "日", "\ud800", "\udfff",
      "\ue000", "\uffff", "😀", "𝄞", " ", "~"];
    const obj: Record<string, string> = {};
    for (let i = 0; i < 400; i++) {
      let k = "";
      let v = "";
      const n = 1 + Math.floor(rnd() * 6);
      for (let j = 0; j < n; j++) k += alphabet[Math.floor(rnd() * alphabet.length)];
      for (let j = 0; j < 12; j++) v += alphabet[Math.floor(rnd() * alphabet.length)];
      obj[k] = v;
    }
    const text = JSON.stringify(obj); // escapes lone surrogates, so the text is valid UTF-8
    expect(canonicalJsonFromText(text)).toBe(pythonCanonical(text));
    // The same document with non-ASCII written raw (UTF-8) rather than escaped.
    const raw = JSON.stringify(Object.fromEntries(Object.entries(obj).filter(([k, v]) => !/[\ud800-\udfff]/.test(k + v) || /😀|𝄞/.test(k + v))));
    expect(canonicalJsonFromText(raw)).toBe(pythonCanonical(raw));
  });
});
