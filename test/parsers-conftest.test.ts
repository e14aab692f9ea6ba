// Differential test of the input-format parsers against the real conftest (v0.69, installed by
// `bash scripts/setup.sh --peers`): every file of test/check-corpus is parsed by `conftest parse` and by
// tollgate's parsers, and the documents must be equal. A directory names the parser (test/check-corpus/*/<parser>/);
// a file whose name conftest maps to another parser is given `--parser`. Files under a `bad/` directory
// are malformed: conftest must fail on them, and tollgate must exit 2 with one line naming the file.
import { describe, expect, test } from "bun:test";
import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative, sep } from "node:path";
import { PARSER_NAMES, parseInput, parserNameFor } from "../src/check/parsers/index.ts";
import { REPO_ROOT } from "./support/fixtures.ts";
import { runPeer } from "./support/peers.ts";
import { tollgate } from "./support/cli.ts";

const CORPUS = join(REPO_ROOT, "test/check-corpus");

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? (n === "protos" || n === "lib" ? [] : walk(p)) : n.endsWith(".md") || n.endsWith(".proto") || n.endsWith(".rego") ? [] : [p];
  });
}

interface Case { file: string; rel: string; parser: string; forced: boolean; bad: boolean }

const cases: Case[] = walk(CORPUS).map((file) => {
  const rel = relative(CORPUS, file);
  const parts = rel.split(sep);
  const parser = parts[1]!;
  return { file, rel, parser, forced: parserNameFor(file) !== parser, bad: parts.includes("bad") };
});

function protoDirs(c: Case): string[] {
  const d = join(CORPUS, c.rel.split(sep).slice(0, 2).join(sep), "protos");
  try {
    return statSync(d).isDirectory() ? [d] : [];
  } catch {
    return [];
  }
}

/** conftest's document for a file: `conftest parse`, or for textproto (whose parse has no --proto-file-dirs)
 * `conftest test` with a policy that denies with the input marshalled. */
function conftestDocument(c: Case): { code: number; doc?: unknown; stderr: string } {
  const dirs = protoDirs(c);
  if (dirs.length) {
    const r = runPeer("conftest", ["test", "--no-color", "-o", "json", "--proto-file-dirs", dirs.join(","), "-p", join(CORPUS, "echo.rego"), ...(c.forced ? ["--parser", c.parser] : []), c.file]);
    // exit 1 with the echoed failure is the document; exit 1 with an error and no output is a parse failure
    if (r.code !== 1 || r.stdout.trim() === "") return { code: r.code === 1 ? 2 : r.code, stderr: r.stderr + r.stdout };
    const out = JSON.parse(r.stdout) as { failures?: { msg: string }[] }[];
    return { code: 0, doc: JSON.parse(out[0]!.failures![0]!.msg), stderr: r.stderr };
  }
  const r = runPeer("conftest", ["parse", ...(c.forced ? ["--parser", c.parser] : []), c.file]);
  return { code: r.code, stderr: r.stderr, ...(r.code === 0 ? { doc: JSON.parse(r.stdout) } : {}) };
}

// A format (or variant) tollgate has not implemented yet shows as a todo, never as a pass.
const NOT_YET = new Set<string>();
const implemented = (c: Case) => PARSER_NAMES.includes(c.parser) && !NOT_YET.has(c.rel);

describe("documents equal conftest's", () => {
  for (const c of cases.filter((c) => !c.bad)) {
    if (!implemented(c)) {
      test.todo(c.rel);
      continue;
    }
    test(c.rel, async () => {
      const want = conftestDocument(c);
      expect(want.stderr).toBe("");
      expect(want.code).toBe(0);
      const bytes = new Uint8Array(await Bun.file(c.file).arrayBuffer());
      const got = await parseInput(bytes, c.file, { ...(c.forced ? { parser: c.parser } : {}), protoFileDirs: protoDirs(c) });
      expect(JSON.parse(JSON.stringify(got))).toEqual(want.doc as never);
    });
  }
});

// goxml2json stops at the first XML syntax error and returns what it read (for these files, ""), so conftest
// passes a broken XML file silently; tollgate refuses it (exit 2), which is the one intended difference.
const LENIENT_IN_CONFTEST = new Set(["xml"]);

describe("malformed inputs: conftest fails, tollgate exits 2 naming the file", () => {
  for (const c of cases.filter((c) => c.bad)) {
    if (!implemented(c)) {
      test.todo(c.rel);
      continue;
    }
    test(c.rel, () => {
      const peer = conftestDocument(c);
      if (LENIENT_IN_CONFTEST.has(c.parser)) expect(peer).toMatchObject({ code: 0, doc: "" });
      else expect(peer.code).not.toBe(0);
      const dirs = protoDirs(c);
      const r = tollgate(["parse", ...(c.forced ? ["--parser", c.parser] : []), ...dirs.flatMap((d) => ["--proto-file-dirs", d]), c.file]);
      expect(r.code).toBe(2);
      expect(r.stdout).toBe("");
      const lines = r.stderr.trim().split("\n");
      expect(lines).toHaveLength(1);
      expect(lines[0]).toContain(`${c.file}: `);
      // the SPDX port says what tools-golang's reader says
      if (c.parser === "spdx") expect(lines[0]).toContain(/\]: (.*), path: /.exec(peer.stderr)![1]!);
      // and the CycloneDX parser what cyclonedx-go says (conftest panics on a BOM it cannot decode)
      const cdx = /panic: (.*)|marshaling JSON error: (.*), path: /.exec(peer.stderr);
      if (c.parser === "cyclonedx" && cdx) expect(lines[0]).toContain((cdx[1] ?? cdx[2])!);
    });
  }
});

test("tollgate parse prints exactly what conftest parse prints", () => {
  const files = ["conftest-examples/yaml/k8s/deployment+service.yaml", "conftest-examples/json/capabilities.json", "conftest-examples/toml/traefik.toml"].map((f) => join(CORPUS, f));
  for (const args of [[files[0]!], files, ["--combine", ...files]]) {
    const want = runPeer("conftest", ["parse", ...args]);
    expect(want.code).toBe(0);
    const got = tollgate(["parse", ...args]);
    expect(got.stderr).toBe("");
    expect(got.stdout).toBe(want.stdout);
  }
});

// conftest v0.69.0 has no Groovy parser (its parser.New list: cue … dotenv; a groovy parser exists only on
// conftest's main branch after v0.69), so a Jenkinsfile or .groovy file is an unknown format in both, and
// --parser groovy is an unknown parser in both.
test("Jenkinsfile and .groovy: not a conftest v0.69 format, refused by both", () => {
  const dir = mkdtempSync(join(tmpdir(), "tollgate-groovy-"));
  try {
    writeFileSync(join(dir, "Jenkinsfile"), "pipeline {\n  agent any\n  stages { stage('Build') { steps { sh 'make' } } }\n}\n");
    writeFileSync(join(dir, "build.groovy"), "def x = 1\n");
    for (const args of [[join(dir, "Jenkinsfile")], [join(dir, "build.groovy")], ["--parser", "groovy", join(dir, "build.groovy")]]) {
      const peer = runPeer("conftest", ["parse", ...args]);
      expect(peer.code).toBe(1);
      expect(peer.stderr).toContain(args[0] === "--parser" ? "unknown parser: groovy" : "unknown parser");
      const r = tollgate(["parse", ...args]);
      expect(r.code).toBe(2);
      expect(r.stdout).toBe("");
      const lines = r.stderr.trim().split("\n");
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(args[0] === "--parser" ? /unknown parser "groovy"/ : /unknown file format/);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
