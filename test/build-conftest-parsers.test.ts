// scripts/build-conftest-parsers.sh --check on a copy of the script, its Go sources and the committed modules:
// another Go release that makes the same bytes passes; bytes that differ under another release are one line
// naming both releases ("needs goX, found goY"), not a bare "differs"; no go at all is one line too.
import { afterAll, describe, expect, test } from "bun:test";
import { appendFileSync, cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { REPO_ROOT } from "./support/fixtures.ts";

const go = Bun.which("go");
const found = go ? Bun.spawnSync([go, "env", "GOVERSION"], { cwd: join(REPO_ROOT, "scripts/conftest-parsers") }).stdout.toString().trim() : "";
const committed = readFileSync(join(REPO_ROOT, "src/check/parsers/wasm/GO_VERSION"), "utf8").trim();
if (!go) console.warn("skipped scripts/build-conftest-parsers.sh --check with a Go release: no go on PATH");
const withGo = go ? describe : describe.skip;

const roots: string[] = [];
afterAll(() => {
  for (const r of roots) rmSync(r, { recursive: true, force: true });
});

/** A tree holding what the script reads (11 MB of modules), with GO_VERSION naming `release`. */
function tree(release: string): string {
  const root = mkdtempSync(join(tmpdir(), "tollgate-bcp-"));
  roots.push(root);
  mkdirSync(join(root, "scripts"), { recursive: true });
  cpSync(join(REPO_ROOT, "scripts/build-conftest-parsers.sh"), join(root, "scripts/build-conftest-parsers.sh"));
  cpSync(join(REPO_ROOT, "scripts/conftest-parsers"), join(root, "scripts/conftest-parsers"), { recursive: true });
  cpSync(join(REPO_ROOT, "src/check/parsers/wasm"), join(root, "src/check/parsers/wasm"), { recursive: true });
  writeFileSync(join(root, "src/check/parsers/wasm/GO_VERSION"), release + "\n");
  return root;
}

function check(root: string) {
  const p = Bun.spawnSync(["bash", join(root, "scripts/build-conftest-parsers.sh"), "--check"], { stdout: "pipe", stderr: "pipe" });
  return { code: p.exitCode, stdout: p.stdout.toString(), stderr: p.stderr.toString() };
}

// A release no one builds with: GO_VERSION naming it stands for modules committed by another Go.
const OTHER = "go1.0.1";

describe("build-conftest-parsers.sh --check", () => {
  test("no go on PATH: one line naming the release it needs", () => {
    const root = tree(committed);
    const bin = join(root, "bin");
    mkdirSync(bin);
    for (const tool of ["dirname", "grep", "head"]) symlinkSync(Bun.which(tool)!, join(bin, tool));
    const p = Bun.spawnSync([Bun.which("bash")!, join(root, "scripts/build-conftest-parsers.sh"), "--check"], { stdout: "pipe", stderr: "pipe", env: { PATH: bin } });
    expect([p.exitCode, p.stderr.toString()]).toEqual([1, `build-conftest-parsers: needs ${committed}, found no go on PATH\n`]);
  });

  withGo("with a Go release", () => {
    test("bytes that differ under another release: needs X, found Y, on one line", () => {
      const root = tree(OTHER);
      appendFileSync(join(root, "src/check/parsers/wasm/cue.wasm.gz"), "x"); // what another release's build would hold
      const r = check(root);
      expect(r.code).toBe(1);
      expect(r.stderr).toBe(
        `build-conftest-parsers: needs ${OTHER}, found ${found}: cue.wasm.gz differs, and the modules' bytes depend on the Go release (run it with GOTOOLCHAIN=${OTHER}, or rebuild with ${found} and commit)\n`,
      );
    }, 300_000);

    // Only where this Go makes the committed bytes (the release GO_VERSION names; the real --check fails otherwise).
    (found === committed ? test : test.skip)("another release that makes the same bytes passes, and says so", () => {
      const root = tree(OTHER);
      const r = check(root);
      expect([r.code, r.stderr]).toEqual([0, ""]);
      expect(r.stdout).toBe(`conftest parsers: ${join(root, "src/check/parsers/wasm")} matches its build (${found} makes the same bytes as ${OTHER}, which GO_VERSION names)\n`);
    }, 300_000);
  });
});
