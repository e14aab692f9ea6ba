// The canonical JSON the decision's input digest is taken over (core/input.ts stableStringify): the text of
// JSON.stringify over a copy with every object's keys inserted in sorted order — written without the copy where
// the value is already in that order — and the nesting meter's short-text answer (core/limits.ts).
import { describe, expect, test } from "bun:test";
import { inputDigest, stableStringify } from "../src/core/input.ts";
import { jsonDepth, jsonNestsDeeperThan } from "../src/core/limits.ts";

/** The reference: the copying form the digest has always been defined by (a "__proto__" member kept a member). */
function reference(v: unknown, indent?: number): string {
  const sk = (x: unknown): unknown => {
    if (Array.isArray(x)) return x.map(sk);
    if (x !== null && typeof x === "object") {
      const o: Record<string, unknown> = {};
      for (const k of Object.keys(x).sort()) {
        const y = (x as Record<string, unknown>)[k];
        if (y !== undefined) Object.defineProperty(o, k, { value: sk(y), enumerable: true, writable: true, configurable: true });
      }
      return o;
    }
    return x;
  };
  return JSON.stringify(sk(v), null, indent);
}

const CASES: [string, unknown][] = [
  ["scalars", [null, 1, -0, 1.5e300, Number.NaN, Number.POSITIVE_INFINITY, "a\u2028\"\\", true, false]],
  ["empty containers", [[], {}, [[]], [{}]]],
  ["undefined, functions and symbols (left out of objects, null in arrays)", { a: undefined, f: () => 1, s: Symbol("x"), arr: [undefined, () => 1, Symbol("y"), null] }],
  ["array-index keys first, in numeric order, then the rest sorted", { b: 1, "10": 1, "9": 2, "01": 3, "-1": 4, "4294967295": 5, "4294967294": 6, "": 7, é: 8, Z: 9, a: { y: 1, x: 2 } }],
  ["already sorted at every level", { a: [1, { b: 2, c: [{ d: 3, e: 4 }] }], f: { g: null } }],
  ["sorted outside, unsorted deep inside", { a: { b: [{ z: 1, y: 2 }] }, c: 1 }],
  ["a __proto__ member (JSON.parse makes it an own key)", JSON.parse('{"__proto__":{"x":1},"a":[1,{"z":1,"y":[{}]}]}')],
  ["a Date and an object with toJSON", { d: new Date(0), n: { toJSON: () => 5 } }],
  ["lone surrogates and astral keys", [[[[{ "\ud800": 1, "\uffff": 2, "\u{1f600}": 3, "\u00ff": 4 }]]]]],
  ["a Map and a typed array (as plain objects of their own keys)", { m: new Map([["a", 1]]), u: new Uint8Array([3, 1, 2]) }],
];

describe("stableStringify", () => {
  for (const [name, value] of CASES) {
    test(`the reference's exact text: ${name}`, () => {
      expect(stableStringify(value)).toBe(reference(value));
      expect(stableStringify(value, 2)).toBe(reference(value, 2));
    });
  }

  test("key order never changes the digest; the value given is never modified", () => {
    const a = { z: { b: 1, a: [{ y: 1, x: 2 }] }, m: 1 };
    const b = { m: 1, z: { a: [{ x: 2, y: 1 }], b: 1 } };
    const before = JSON.stringify(a);
    expect(inputDigest(a)).toBe(inputDigest(b));
    expect(JSON.stringify(a)).toBe(before);
    expect(inputDigest(a)).not.toBe(inputDigest({ ...b, m: 2 }));
  });

  test("a BigInt is refused as JSON.stringify refuses it", () => {
    expect(() => stableStringify({ n: 1n })).toThrow(TypeError);
  });
});

describe("jsonNestsDeeperThan", () => {
  test("text no longer than the cap cannot nest deeper than it, and is not scanned", () => {
    expect(jsonNestsDeeperThan("[".repeat(10), 10)).toBe(false);
    expect(jsonNestsDeeperThan("[".repeat(11), 10)).toBe(true);
    expect(jsonNestsDeeperThan(new TextEncoder().encode(`${"[".repeat(11)}${"]".repeat(11)}`), 10)).toBe(true);
    expect(jsonNestsDeeperThan(`"${"[".repeat(20)}"`, 10)).toBe(false); // brackets in a string do not count
    expect(jsonDepth("[[1],[[2]]]")).toBe(3);
  });
});
