// The input-format parsers (src/check/parsers): format choice by name and extension as conftest's
// NewFromPath, unknown formats as errors, and each parser's document and errors. The documents are compared
// with the real conftest's in test/parsers-conftest.test.ts.
import { describe, expect, test } from "bun:test";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { TollgateError } from "../src/core/errors.ts";
import { documentsOf, isSupported, parseInput, parserNameFor } from "../src/check/parsers/index.ts";
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

describe("CUE, Jsonnet and HOCON: conftest's own parsers as WebAssembly", () => {
  for (const [file, src, want] of [["app.cue", "a: 1", { a: 1 }], ["lib.jsonnet", "{ a: 1 }", { a: 1 }], ["app.hocon", "x { a = 1 }", { x: { a: 1 } }]] as const) {
    test(file, async () => {
      expect(await parseInput(enc(src), file)).toEqual(want);
    });
  }
  test("a panic in go-akka/configuration is one malformed line, and the module keeps working after it", async () => {
    const e = await failure(parseInput(enc("a = 1"), "top.hocon"));
    expect(e.code).toBe("malformed");
    expect(e.oneLine()).toBe("top.hocon: not valid HOCON: panic: runtime error: invalid memory address or nil pointer dereference");
    expect(await parseInput(enc("x { d = 30s, l = [1, 2] }"), "ok.hocon")).toEqual({ x: { d: "30s", l: "[1,2]" } });
  });
  test("a CUE value that is not concrete is conftest's error, never a document", async () => {
    const e = await failure(parseInput(enc("port: int & >0"), "p.cue"));
    expect(e.code).toBe("malformed");
    expect(e.oneLine()).toBe('p.cue: not valid CUE: marshal json: cue: marshal error: port: cannot convert incomplete value "&(>0, int)" to JSON');
  });
  test("Jsonnet imports resolve from the file's directory; .libsonnet is not a conftest extension", async () => {
    const file = "test/check-corpus/own/jsonnet/service.jsonnet";
    const doc = (await parseInput(new Uint8Array(await Bun.file(file).arrayBuffer()), file)) as Record<string, unknown>;
    expect(doc.banner).toBe("hello from importstr");
    expect(parserNameFor("lib/common.libsonnet")).toBeUndefined();
  });
});

describe("directory walks and CycloneDX XML edge cases", () => {
  test("directory walks include them (conftest's FileSupported), so they are never skipped silently", () => {
    expect(isSupported("x/app.cue")).toBe(true);
    expect(isSupported("x/notes.txt")).toBe(false);
  });
  test("CycloneDX XML: a BOM that cyclonedx-go cannot decode is one line naming the file", async () => {
    const e = await failure(parseInput(enc('<?xml version="1.0"?><sbom/>'), "bom.xml", { parser: "cyclonedx" }));
    expect(e.code).toBe("malformed");
    // conftest itself panics on it (cyclonedx-go's decoder): said as such, in one line, exit 2 instead of a crash
    expect(e.oneLine()).toBe("bom.xml: not valid CycloneDX: panic: expected element type <bom> but have <sbom>");
  });
  test("CycloneDX JSON: a specVersion cyclonedx-go does not know is refused, as conftest refuses it", async () => {
    const e = await failure(parseInput(enc('{"bomFormat":"CycloneDX","specVersion":"9.9","version":1}'), "bom.json", { parser: "cyclonedx" }));
    expect(e.code).toBe("malformed");
    expect(e.oneLine()).toContain("bom.json: not valid CycloneDX: ");
    expect(e.oneLine()).toContain("invalid specification version");
  });
  test("CycloneDX XML: cyclonedx-go's JSON shape (Go's zero values for the JSON-only fields, legacy tools as a list)", async () => {
    const doc = await parseInput(enc('<bom xmlns="http://cyclonedx.org/schema/bom/1.4" version="3"><metadata><tools><tool><name>t</name><hashes/></tool></tools></metadata><components/></bom>'), "bom.xml", { parser: "cyclonedx" });
    expect(doc).toEqual({ bomFormat: "", specVersion: "SpecVersion(0)", version: 3, metadata: { tools: [{ name: "t" }] } });
  });
});

// Snippets are read and checked, but tools-golang files them where json.Marshal does not look (File.Snippets is
// json:"-"), so the document conftest gives a policy has none; test/parsers-conftest.test.ts compares whole
// documents and the refusals with conftest's.
describe("SPDX snippets", () => {
  const head = "SPDXVersion: SPDX-2.3\nDataLicense: CC0-1.0\nSPDXID: SPDXRef-DOCUMENT\nDocumentName: x\nDocumentNamespace: https://x\nCreator: Tool: t\nCreated: 2024-01-01T00:00:00Z\nFileName: a.c\nSPDXID: SPDXRef-a\n";
  test("a file's snippets parse and leave the document as without them", async () => {
    const withSnippet = await parseInput(enc(head + "SnippetSPDXID: SPDXRef-s\nSnippetByteRange: 1:20\nSnippetName: n\n"), "x.spdx");
    expect(withSnippet).toEqual(await parseInput(enc(head), "x.spdx"));
    expect(JSON.stringify(withSnippet)).not.toContain("SPDXRef-s");
  });
  test("a bad range is one line naming the file", async () => {
    const e = await failure(parseInput(enc(head + "SnippetSPDXID: SPDXRef-s\nSnippetLineRange: 1:x\n"), "x.spdx"));
    expect(e.code).toBe("malformed");
    expect(e.oneLine()).toBe('x.spdx: not valid SPDX tag-value: strconv.Atoi: parsing "x": invalid syntax');
  });
});

describe("textproto needs its schemas", () => {
  test("without --proto-file-dirs: a usage error naming the file", async () => {
    const e = await failure(parseInput(enc("# proto-message: a.B\nx: 1\n"), "m.textproto"));
    expect(e.code).toBe("usage");
    expect(e.oneLine()).toContain("m.textproto: textproto needs the message's .proto files");
  });
});

describe("tollgate parse --combine and several files", () => {
  test("several files: an object keyed by path; --combine: [{path, contents}] per document", () => {
    const dir = mkdtempSync(join(tmpdir(), "tollgate-parse-"));
    writeFileSync(join(dir, "a.json"), '{"x":1}');
    writeFileSync(join(dir, "m.yaml"), "a: 1\n---\nb: 2\n");
    const several = tollgate(["parse", "a.json", "m.yaml"], { cwd: dir });
    expect(several.code).toBe(0);
    expect(JSON.parse(several.stdout)).toEqual({ "a.json": { x: 1 }, "m.yaml": [{ a: 1 }, { b: 2 }] });
    const combined = tollgate(["parse", "--combine", "a.json", "m.yaml"], { cwd: dir });
    expect(combined.code).toBe(0);
    expect(combined.stdout).toStartWith('[\n\t{\n\t\t"path": "a.json",\n\t\t"contents": {');
    expect(JSON.parse(combined.stdout)).toEqual([{ path: "a.json", contents: { x: 1 } }, { path: "m.yaml", contents: { a: 1 } }, { path: "m.yaml", contents: { b: 2 } }]);
  });
  test("malformed file among several: exit 2, nothing printed, one line naming it", () => {
    const dir = mkdtempSync(join(tmpdir(), "tollgate-parse-"));
    writeFileSync(join(dir, "ok.json"), "{}");
    writeFileSync(join(dir, "bad.toml"), "a = \n");
    const r = tollgate(["parse", "ok.json", "bad.toml"], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr.trim().split("\n")).toEqual([expect.stringContaining("bad.toml: not valid TOML: ")]);
  });
});
