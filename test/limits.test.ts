// Input limits (src/core/limits.ts): every evidence input — files, directories, stdin, request items, any byte
// stream — is refused at its cap with one line naming the input and the limit (exit 2), before it is buffered
// whole or parsed; every file is parsed once; a RunManifest larger than the in-memory threshold is verified from
// disk in chunks without ever being loaded whole. Speed and memory targets are measured in bench/limits.ts.
import { afterAll, describe, expect, test } from "bun:test";
import { createWriteStream, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TollgateError } from "../src/core/errors.ts";
import { DEFAULT_LIMITS, InputBudget, parseByteSize, readLimited, resolveLimits } from "../src/core/limits.ts";
import { collectEvidence, readEvidencePaths } from "../src/evidence/collect.ts";
import { IN_MEMORY_BYTES, makeVerifyContext, readEvidenceFile, sourceFromText } from "../src/evidence/source.ts";
import type { SourceFile } from "../src/evidence/types.ts";
import { tollgate } from "./support/cli.ts";
import { generateLedgerChunks } from "./support/ledger-gen.ts";

const dir = mkdtempSync(join(tmpdir(), "tollgate-limits-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, content: string | Uint8Array): string {
  const p = join(dir, name);
  writeFileSync(p, content);
  return p;
}

async function thrown(f: () => unknown): Promise<TollgateError> {
  try {
    await f();
  } catch (e) {
    return e as TollgateError;
  }
  throw new Error("did not throw");
}

const STATEMENT = JSON.stringify({ _type: "https://in-toto.io/Statement/v1", subject: [{ name: "a", digest: { sha256: "a".repeat(64) } }], predicateType: "https://example.com/p/v1", predicate: {} });

describe("the CLI refuses at the cap: one line naming the file and the limit, exit 2", () => {
  const oneLine = (r: { code: number; stderr: string; stdout: string }) => {
    expect(r.code).toBe(2);
    const lines = r.stderr.trim().split("\n");
    expect(lines).toHaveLength(1);
    expect(r.stdout).toBe("");
    return lines[0]!;
  };

  test("deep nesting (2 MB of '['), in verify and eval: refused at the JSON nesting cap before any parse", () => {
    const p = file("brackets.json", "[".repeat(2_000_000));
    expect(oneLine(tollgate(["verify", p]))).toBe(`tollgate verify: ${p}: JSON nested more than 1000 levels deep exceeds the JSON nesting limit of 1000 levels (raise it with --max-json-depth)`);
    expect(oneLine(tollgate(["eval", p]))).toStartWith(`tollgate eval: ${p}: JSON nested more than 1000 levels deep exceeds the JSON nesting limit`);
    // the cap is the flag's: 6 levels pass a cap of 6 and fail a cap of 5
    const six = file("six.json", JSON.stringify({ _type: "https://in-toto.io/Statement/v1", subject: [{ name: "a", digest: { sha256: "a".repeat(64) } }], predicateType: "https://example.com/p/v1", predicate: { a: [[[{}]]] } }));
    expect(tollgate(["verify", "--max-json-depth", "6", six]).code).not.toBe(2);
    expect(oneLine(tollgate(["verify", "--max-json-depth", "5", six]))).toContain("exceeds the JSON nesting limit of 5 levels (raise it with --max-json-depth)");
  });

  test("a file over --max-input-bytes is refused by its size (named, with the limit), in a directory too", () => {
    const p = file("big.bin", new Uint8Array(3000));
    expect(oneLine(tollgate(["verify", "--max-input-bytes", "2KiB", p]))).toBe(`tollgate verify: ${p}: 3000 bytes exceeds the per-input size limit of 2 KiB (raise it with --max-input-bytes)`);
    mkdirSync(join(dir, "tree/sub"), { recursive: true });
    writeFileSync(join(dir, "tree/sub/blob.bin"), new Uint8Array(3000));
    expect(oneLine(tollgate(["verify", "--max-input-bytes", "2KiB", join(dir, "tree")]))).toContain(`${join(dir, "tree/sub/blob.bin")}: 3000 bytes exceeds the per-input size limit`);
  });

  test("the total per run: files each under the per-file cap, together over --max-total-bytes", () => {
    mkdirSync(join(dir, "many"), { recursive: true });
    for (const n of ["a", "b", "c"]) writeFileSync(join(dir, "many", `${n}.json`), STATEMENT);
    const size = statSync(join(dir, "many/a.json")).size;
    const line = oneLine(tollgate(["verify", "--max-total-bytes", String(size * 2 + 1), join(dir, "many")]));
    expect(line).toBe(`tollgate verify: ${join(dir, "many/c.json")}: with ${size * 2} bytes already read, its ${size} bytes exceeds the total input size limit of ${size * 2 + 1} bytes (raise it with --max-total-bytes)`);
  });

  test("stdin is counted while it streams and refused at the cap", () => {
    const r = tollgate(["verify", "--max-input-bytes", "1KiB", "-"], { stdin: "x".repeat(5000) });
    expect(oneLine(r)).toBe("tollgate verify: <stdin>: more than 1024 bytes exceeds the per-input size limit of 1 KiB (raise it with --max-input-bytes)");
  });

  test("a JSON Lines line over --max-line-bytes is refused; shorter lines are read", () => {
    const p = file("events.jsonl", `${STATEMENT}\n{"pad":"${"x".repeat(3000)}"\n`);
    expect(oneLine(tollgate(["verify", "--max-line-bytes", "2KiB", p]))).toMatch(/: line 2 \(\d+ characters\) exceeds the JSON Lines line size limit of 2 KiB \(raise it with --max-line-bytes\)$/);
    expect(tollgate(["verify", p]).code).toBe(1); // under the default cap: read, and its bad line reported
  });

  test("files the user names besides evidence keep to the caps too: a data file nesting too deep, a bundle too large", () => {
    const deep = file("deep-data.json", "[".repeat(5000) + "]".repeat(5000));
    expect(oneLine(tollgate(["eval", "--data", deep, join(dir, "six.json")]))).toBe(`tollgate eval: ${deep}: data file nests 5000 levels deep, more than the 1000 levels a data file may`);
    const big = file("big.tar.gz", new Uint8Array(65 * 1024 * 1024));
    expect(oneLine(tollgate(["eval", "--policy", big, "--allow-unsigned", join(dir, "six.json")]))).toBe(`tollgate eval: ${big}: ${65 * 1024 * 1024} bytes exceeds the 64 MiB a file tollgate reads may hold`);
  });

  test("bad limit flags are usage errors", () => {
    expect(oneLine(tollgate(["verify", "--max-input-bytes", "lots", "x"]))).toBe('tollgate verify: --max-input-bytes must be a positive size in bytes (like 67108864, 64MiB or 1GiB), got "lots"');
    expect(oneLine(tollgate(["verify", "--max-json-depth", "0", "x"]))).toBe('tollgate verify: --max-json-depth must be a positive integer, got "0"');
  });
});

describe("the limited reader (one function for every byte source)", () => {
  test("a stream is read until it passes the cap, then left (the rest is never pulled)", async () => {
    let pulled = 0;
    const endless = new ReadableStream<Uint8Array>({
      pull(c) {
        pulled++;
        c.enqueue(new Uint8Array(1024));
      },
    });
    const budget = new InputBudget(resolveLimits({ maxInputBytes: 10 * 1024 }));
    const e = await thrown(() => readLimited("blob sha256:abc", endless, budget));
    expect([e.code, e.oneLine()]).toEqual(["limit_exceeded", "blob sha256:abc: more than 10240 bytes exceeds the per-input size limit of 10 KiB (raise it with --max-input-bytes)"]);
    expect(pulled).toBeLessThan(16);
  });

  test("a declared size over the cap is refused before reading; the total spans every input of a budget", async () => {
    let read = false;
    const body = (async function* () {
      read = true;
      yield new Uint8Array(1);
    })();
    const budget = new InputBudget(resolveLimits({ maxInputBytes: 100, maxTotalBytes: 150 }));
    expect((await thrown(() => readLimited("body", body, budget, 101))).message).toBe("101 bytes exceeds the per-input size limit of 100 bytes (raise it with --max-input-bytes)");
    expect(read).toBe(false);
    const chunk = (n: number) => (async function* () { yield new Uint8Array(n); })();
    expect((await readLimited("one", chunk(100), budget)).length).toBe(100);
    expect((await thrown(() => readLimited("two", chunk(60), budget))).message).toContain("exceeds the total input size limit of 150 bytes");
  });

  test("sizes: plain bytes or binary/decimal units; the total follows a raised per-input cap", () => {
    expect([parseByteSize("67108864", "f"), parseByteSize("64MiB", "f"), parseByteSize("1.5 KiB", "f"), parseByteSize("2M", "f")]).toEqual([67108864, 67108864, 1536, 2_000_000]);
    expect(DEFAULT_LIMITS).toEqual({ maxInputBytes: 64 * 2 ** 20, maxTotalBytes: 256 * 2 ** 20, maxJsonDepth: 1000, maxLineBytes: 16 * 2 ** 20 });
    expect(resolveLimits({ maxInputBytes: 2 ** 30 }).maxTotalBytes).toBe(2 ** 30);
    expect(resolveLimits({ maxInputBytes: 2 ** 30, maxTotalBytes: 2 ** 20 }).maxTotalBytes).toBe(2 ** 20);
  });
});

describe("each file parsed once, the value shared by every detector", () => {
  function countingParses<T>(f: () => T): { result: T; parses: number } {
    const original = JSON.parse;
    let parses = 0;
    JSON.parse = function (...args: Parameters<typeof JSON.parse>) {
      parses++;
      return original.apply(JSON, args);
    } as typeof JSON.parse;
    try {
      return { result: f(), parses };
    } finally {
      JSON.parse = original;
    }
  }

  test("an unrecognized JSON document: one JSON.parse across every kind's detect (there were four)", async () => {
    const f = sourceFromText("x.json", JSON.stringify({ hello: "world", list: [1, 2, 3] }));
    const { parses } = countingParses(() => collectEvidence([f], makeVerifyContext({ time: new Date(0) })));
    expect(parses).toBe(1);
  });

  test("a file that is not one JSON document: each JSON Lines line parsed once (not once per detector)", () => {
    const f = sourceFromText("x.jsonl", '{"a":1}\n{"b":2}\n{"c":');
    const { parses } = countingParses(() => collectEvidence([f], makeVerifyContext({ time: new Date(0) })));
    expect(parses).toBe(4); // the whole text once (not JSON), then each of the three lines once
  });
});

describe("a RunManifest larger than the in-memory threshold is verified from disk in chunks", () => {
  test("detected, scanned and normalized without its bytes ever being loaded", async () => {
    const path = join(dir, "runmanifest.json");
    const w = createWriteStream(path);
    for (const chunk of generateLedgerChunks({ entries: 14_000, seed: 5 })) if (!w.write(chunk)) await new Promise((r) => w.once("drain", r));
    await new Promise<void>((r) => w.end(r));
    const size = statSync(path).size;
    expect(size).toBeGreaterThan(IN_MEMORY_BYTES);
    const real = readEvidenceFile(path, size, true, resolveLimits());
    let loaded = false;
    const guarded = new Proxy(real, {
      get(target, prop) {
        if (prop === "bytes") loaded = true;
        const v = Reflect.get(target, prop, target);
        return typeof v === "function" ? v.bind(target) : v;
      },
    }) as SourceFile;
    const r = await collectEvidence([guarded], makeVerifyContext({ time: new Date(0), files: [guarded] }));
    expect(r.errors).toEqual([]);
    expect(r.records.map((x) => [x.kind, x.integrity.status, (x.facts as { entry_count: number }).entry_count])).toEqual([["runmanifest", "verified", 14_000]]);
    expect(loaded).toBe(false);
    // and through the CLI, where the same file is read by the same reader
    const cli = tollgate(["verify", path]);
    expect([cli.code, cli.stderr]).toEqual([0, ""]);
    expect(cli.stdout).toContain("VERIFIED: 1 evidence");
  });

  test("a file that changes between the reading pass and the scan is an error, not a verdict over other bytes", async () => {
    const path = file("changing.json", "{" + " ".repeat(IN_MEMORY_BYTES + 10) + '"runmanifest_mode":"compact","decision_ledger":{}}');
    const f = readEvidenceFile(path, statSync(path).size, true, resolveLimits());
    writeFileSync(path, "{" + " ".repeat(IN_MEMORY_BYTES + 10) + '"runmanifest_mode":"COMPACT","decision_ledger":{}}');
    expect(() => [...f.chunks()]).toThrow("file changed while it was being read");
  });

  test("readEvidencePaths: every file read under one budget", async () => {
    const e = await thrown(() => readEvidencePaths([join(dir, "many")], undefined, new InputBudget(resolveLimits({ maxTotalBytes: 10 }))));
    expect(e.code).toBe("limit_exceeded");
  });
});
