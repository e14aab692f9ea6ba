// wasm-values.ts's writeValue lays a JS value out as the module's own value; it must be what the module's JSON
// parser builds from JSON.stringify(value): the module's JSON dump of both is compared byte for byte (the dump walks
// every object's buckets in order, so bucket counts, hashing and chain order all show), and the gate decides the
// same through it as through the evaluator's JSON path, on the example release and on denying inputs.
import { beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { GATE_ENTRYPOINT, loadDefaultBundle } from "../src/policy/default-bundle.ts";
import { PolicyEngine } from "../src/policy/evaluator.ts";
import { loadDataFile, prepareEvidence } from "../src/gate/run.ts";
import { evaluateValue, writeValue, type ModuleState } from "../src/policy/wasm-values.ts";

const ROOT = join(import.meta.dir, "..");
const ex = (p: string) => join(ROOT, "examples", p);

let engine: PolicyEngine;
let m: ModuleState;
let entrypoint: number;
let examples: { name: string; input: unknown }[] = [];
const dec = new TextDecoder();
const enc = new TextEncoder();

beforeAll(async () => {
  const data = await loadDataFile(ex("data.yaml"));
  engine = await PolicyEngine.create(await loadDefaultBundle(), [{ source: "data.yaml", data }]);
  // The loaded module as opa-wasm keeps it (the same fields the evaluator's single-call path reads).
  const p = (engine as unknown as { byEntrypoint: Map<string, Record<string, unknown>> }).byEntrypoint.get(GATE_ENTRYPOINT)! as {
    wasmInstance: WebAssembly.Instance;
    mem: WebAssembly.Memory;
    dataAddr: number;
    dataHeapPtr: number;
    entrypoints: Record<string, number>;
  };
  m = { exports: p.wasmInstance.exports as ModuleState["exports"], memory: p.mem, dataAddr: p.dataAddr, heapStart: p.dataHeapPtr };
  entrypoint = p.entrypoints[GATE_ENTRYPOINT]!;
  const base = { time: new Date("2026-11-23T00:00:00Z"), subject: "4fadfddc8647253e1e7aa1d3f467b7ab3b28ab9a9a627f6cc9da0f426d4e4c58", data };
  examples = [
    { name: "the example release (admits)", input: (await prepareEvidence([ex("evidence")], { ...base, keyFiles: [ex("keys/release.pub")] })).input },
    { name: "no trusted key (denies)", input: (await prepareEvidence([ex("evidence")], { ...base, keyFiles: [] })).input },
    { name: "another subject (denies)", input: (await prepareEvidence([ex("evidence")], { ...base, subject: "00".repeat(32), keyFiles: [ex("keys/release.pub")] })).input },
  ];
});

const cstring = (at: number) => {
  const u8 = new Uint8Array(m.memory.buffer);
  return dec.decode(u8.subarray(at, u8.indexOf(0, at)));
};

/** The module's JSON dump of what its parser makes of JSON.stringify(v), and of writeValue's layout of v. */
function dumps(v: unknown): [string, string | undefined] {
  const ex = m.exports;
  const at = (m.heapStart + 7) & ~7;
  ex.opa_heap_ptr_set!(at);
  const text = enc.encode(JSON.stringify(v));
  const buf = ex.opa_malloc!(text.length);
  new Uint8Array(m.memory.buffer).set(text, buf);
  const parsed = cstring(ex.opa_json_dump!(ex.opa_json_parse!(buf, text.length)));
  const laid = writeValue(m.memory, at, v);
  if (!laid) return [parsed, undefined];
  ex.opa_heap_ptr_set!(laid.end);
  return [parsed, cstring(ex.opa_json_dump!(laid.addr))];
}

const keys = (n: number, f: (i: number) => string = (i) => `k${i}`) => Object.fromEntries(Array.from({ length: n }, (_, i) => [f(i), i]));

const VALUES: [string, unknown][] = [
  ["null", null],
  ["true", true],
  ["false", false],
  ["a string", "top"],
  ["an empty string", ""],
  ["numbers", [0, -0, 7, -7, 3.5, 0.1, 1e21, 1e-7, 2 ** 53 + 2, Number.MAX_VALUE, Number.MIN_VALUE]],
  ["non-finite numbers (null, as JSON.stringify writes them)", [NaN, Infinity, -Infinity]],
  ["an empty object and array", { o: {}, a: [] }],
  ["nested arrays", [[[]], [[1, [2, [3]]]]]],
  ["unicode strings and keys", { "é": "ü", "日本": "語", "emoji 🎉": "𝄞", "": "", "a\u0000b": "\u0000", "quote\"\\": "tab\t\nnl" }],
  ["keys ordered by bytes, not UTF-16 (U+FFFD vs an astral character)", { "\uFFFD": 1, "\u{1F600}": 2, "Z": 3, "a": 4, "é": 5 }],
  ["long strings (written by Buffer#write) and short ones (byte by byte)", { short: "abc", long: "x".repeat(5000), longUnicode: "é".repeat(3000), mixed: "a".repeat(30) + "日本" }],
  ...[0, 1, 5, 6, 11, 12, 22, 23, 44, 45, 200, 1000].map((n): [string, unknown] => [`an object of ${n} keys (bucket growth)`, keys(n)]),
  ["integer-like keys (JS enumerates them first, in numeric order)", { b: 1, "10": 2, "2": 3, a: 4, "01": 5, "4294967295": 6 }],
  ["keys that collide in small tables", keys(40, (i) => String.fromCharCode(97 + (i % 26)).repeat(1 + Math.floor(i / 26)))],
  ["undefined, functions and symbols dropped from objects, null in arrays", { a: undefined, f: () => 1, s: Symbol("x"), kept: 1, arr: [undefined, () => 1, Symbol("y"), 2] }],
  ["toJSON (a Date)", { when: new Date("2026-11-23T00:00:00Z"), custom: { toJSON: () => ({ replaced: true }) } }],
  ["an object without a prototype", Object.assign(Object.create(null), { b: 1, a: [true] })],
  ["a deep value", JSON.parse("[".repeat(500) + "1" + "]".repeat(500))],
];

describe("writeValue: the module's own layout of a JS value", () => {
  for (const [name, v] of VALUES) {
    test(`${name}: the same dump as the module's parser's value`, () => {
      const [parsed, laid] = dumps(v);
      expect(laid).toBeDefined();
      expect(laid).toBe(parsed);
    });
  }

  test("the example inputs: the same dump", () => {
    for (const { input } of examples) {
      const [parsed, laid] = dumps(input);
      expect(parsed.length).toBeGreaterThan(1000);
      expect(laid).toBe(parsed);
    }
  });

  test("values JSON.stringify refuses or the module's parser cannot take are not laid out", () => {
    const at = (m.heapStart + 7) & ~7;
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic.self = cyclic;
    expect(writeValue(m.memory, at, { big: 1n })).toBeUndefined();
    expect(writeValue(m.memory, at, { lone: "a\ud800b" })).toBeUndefined();
    expect(writeValue(m.memory, at, { ["key\udc00"]: 1 })).toBeUndefined();
    expect(writeValue(m.memory, at, { lone: "x".repeat(40) + "\ud800" })).toBeUndefined();
    expect(writeValue(m.memory, at, cyclic)).toBeUndefined();
    expect(writeValue(m.memory, at, [new String("boxed")])).toBeUndefined();
    expect(writeValue(m.memory, at, undefined)).toBeUndefined();
    expect(() => writeValue(m.memory, at + 1, {})).toThrow("8-aligned");
  });

  test("a layout that runs past the end of the memory grows it", () => {
    const size = m.memory.buffer.byteLength;
    const v = { blob: "y".repeat(100_000), list: Array.from({ length: 2000 }, (_, i) => ({ i })) };
    const [parsed] = dumps(v);
    const at = (m.memory.buffer.byteLength - 64) & ~7; // 64 bytes before the end: the layout must grow the memory
    const laid = writeValue(m.memory, at, v)!;
    expect(m.memory.buffer.byteLength).toBeGreaterThan(Math.max(size, laid.end - 1));
    m.exports.opa_heap_ptr_set!(laid.end);
    expect(cstring(m.exports.opa_json_dump!(laid.addr))).toBe(parsed);
  });
});

describe("evaluateValue: the gate decides the same as through the JSON path", () => {
  test("on the example release and on denying inputs", () => {
    for (const { name, input } of examples) {
      const viaJson = engine.evaluate(GATE_ENTRYPOINT, input) as { deny: unknown[] };
      const text = evaluateValue(m, entrypoint, input);
      expect(text).toBeDefined();
      expect(`${name}: ${JSON.stringify(JSON.parse(text!)[0].result)}`).toBe(`${name}: ${JSON.stringify(viaJson)}`);
    }
    expect((engine.evaluate(GATE_ENTRYPOINT, examples[1]!.input) as { deny: unknown[] }).deny.length).toBeGreaterThan(0);
  });

  test("repeated evaluations reuse the same memory (the heap starts over above the data each time)", () => {
    const first = evaluateValue(m, entrypoint, examples[0]!.input);
    const size = m.memory.buffer.byteLength;
    for (let i = 0; i < 200; i++) expect(evaluateValue(m, entrypoint, examples[i % 3]!.input)).toBeDefined();
    expect(evaluateValue(m, entrypoint, examples[0]!.input)).toBe(first!);
    expect(m.memory.buffer.byteLength).toBe(size);
  });

  test("an input it cannot lay out is handed back (undefined): the caller takes the JSON path", () => {
    expect(evaluateValue(m, entrypoint, { context: { note: "\ud800" } })).toBeUndefined();
  });
});
