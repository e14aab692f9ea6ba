// The input-format parsers (src/check/parsers): format choice by name and extension as conftest's
// NewFromPath, unknown formats as errors, and each parser's document and errors. The documents are compared
// with the real conftest's in test/parsers-conftest.test.ts.
import { describe, expect, test } from "bun:test";
import { TollgateError } from "../src/core/errors.ts";
import { documentsOf, parseInput, parserNameFor } from "../src/check/parsers/index.ts";
import { tollgate } from "./support/cli.ts";

const enc = (s: string) => new TextEncoder().encode(s);
async function failure(p: Promise<unknown>): Promise<TollgateError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof TollgateError) return e;
    throw e;
  }
  throw new Error("expected a TollgateError");
}

describe("format by file name and extension (conftest NewFromPath)", () => {
  const cases: [string, string | undefined][] = [
    ["Dockerfile", "dockerfile"], ["dockerfile.debug", "dockerfile"], ["dev.Dockerfile", "dockerfile"],
    ["a.yml", "yaml"], ["a.YAML", "yaml"], ["main.tf", "hcl2"], ["x.tfvars", "hcl2"], ["x.hcl", "hcl2"],
    [".gitignore", "ignore"], ["sub/.dockerignore", "ignore"], [".env", "dotenv"], [".env.prod", "dotenv"],
    ["prod.env", "dotenv"], ["nginx.conf", "nginx"], ["other.conf", undefined], ["a.textproto", "textproto"],
    ["a.textpb", "textproto"], ["a.json", "json"], ["a.jsonc", "jsonc"], ["a.toml", "toml"], ["a.hcl1", "hcl1"],
    ["a.cue", "cue"], ["a.edn", "edn"], ["a.vcl", "vcl"], ["a.xml", "xml"], ["a.ini", "ini"], ["a.hocon", "hocon"],
    ["a.properties", "properties"], ["a.jsonnet", "jsonnet"], ["a.spdx", "spdx"], ["Jenkinsfile", undefined],
    ["README", undefined], ["a.txt", undefined], ["-", "yaml"],
  ];
  for (const [path, name] of cases) test(`${path} → ${name ?? "unknown"}`, () => expect(parserNameFor(path)).toBe(name));
});

describe("unknown formats are errors, never a pass", () => {
  test("no extension", async () => {
    const e = await failure(parseInput(enc("x"), "README"));
    expect(e.code).toBe("unsupported");
    expect(e.oneLine()).toStartWith("README: unknown file format (no extension)");
  });
  test("unknown extension", async () => {
    const e = await failure(parseInput(enc("x"), "notes.txt"));
    expect(e.code).toBe("unsupported");
    expect(e.oneLine()).toContain('notes.txt: unknown file format ".txt"');
  });
  test("unknown --parser", async () => {
    const e = await failure(parseInput(enc("x"), "a.json", { parser: "nope" }));
    expect(e.code).toBe("usage");
    expect(e.message).toContain('unknown parser "nope"');
  });
});

describe("json", () => {
  test("document, BOM stripped", async () => {
    expect(await parseInput(enc('\ufeff{"a":[1,"x",null,true]}'), "a.json")).toEqual({ a: [1, "x", null, true] });
  });
  test("malformed", async () => {
    const e = await failure(parseInput(enc('{"a":'), "bad.json"));
    expect(e.code).toBe("malformed");
    expect(e.oneLine()).toStartWith("bad.json: not valid JSON: ");
  });
});

describe("yaml", () => {
  test("YAML 1.1 scalars as go-yaml v2: yes/on booleans, octal, timestamps stay strings", async () => {
    const doc = await parseInput(enc("a: yes\nb: off\nc: 0755\nd: 2001-12-14\ne: 1:30\nf: ~\n"), "a.yaml");
    expect(doc).toEqual({ a: true, b: false, c: 493, d: "2001-12-14", e: "1:30", f: null });
  });
  test("multi-document: a list, empty parts null", async () => {
    const doc = await parseInput(enc("a: 1\n---\nb: 2\n---\n"), "m.yaml");
    expect(doc).toEqual([{ a: 1 }, { b: 2 }, null]);
    expect(documentsOf(doc)).toHaveLength(3);
  });
  test("one document is not a list", async () => {
    expect(await parseInput(enc("---\na: 1\n"), "s.yaml")).toEqual({ a: 1 });
  });
  test("malformed", async () => {
    const e = await failure(parseInput(enc("a: [\n"), "bad.yaml"));
    expect(e.code).toBe("malformed");
    expect(e.oneLine()).toStartWith("bad.yaml: not valid YAML: ");
  });
});

describe("tollgate parse", () => {
  test("stdin with --parser", () => {
    const r = tollgate(["parse", "--parser", "json", "-"], { stdin: '{"b":1,"a":"<"}' });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('{\n  "a": "\\u003c",\n  "b": 1\n}\n');
  });
  test("unknown format: exit 2, one line naming the file", () => {
    const r = tollgate(["parse", "README.md"]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.stderr).toContain('README.md: unknown file format ".md"');
  });
});
