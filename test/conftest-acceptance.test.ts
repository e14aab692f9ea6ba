// conftest's own acceptance cases (acceptance.bats of the pinned conftest, read in place from the Go module cache
// where `go install` put its source): every `conftest test` and `conftest verify` invocation in it is run through
// the real conftest and through tollgate (`test` / `policy-test`), in conftest's source directory, and must give
// the same exit code and output (in a canonical order where conftest ranges over Go maps). Errors: conftest
// exits 1, tollgate 2, and both must say something on stderr.
import { describe, expect, test } from "bun:test";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { tollgate } from "./support/cli.ts";
import { runPeer } from "./support/peers.ts";
import { canonicalOutput } from "./support/conftest-canon.ts";
import { PARSER_NAMES, parserNameFor } from "../src/check/parsers/index.ts";

const VERSION = "v0.69.0";
const MODCACHE = process.env.GOMODCACHE || join(process.env.GOPATH || join(process.env.HOME ?? "/root", "go"), "pkg/mod");
const SRC = join(MODCACHE, `github.com/open-policy-agent/conftest@${VERSION}`);

/** POSIX-shell words of a command line: quotes, and `< file` as stdin. */
function words(line: string): { args: string[]; stdin?: string } {
  const args: string[] = [];
  let stdin: string | undefined;
  const re = /'([^']*)'|"((?:[^"\\]|\\.)*)"|(<)|(\S+)/g;
  let m: RegExpExecArray | null;
  let redirect = false;
  while ((m = re.exec(line))) {
    const w = m[1] ?? m[2]?.replace(/\\(.)/g, "$1") ?? m[4];
    if (m[3]) {
      redirect = true;
      continue;
    }
    if (redirect) {
      stdin = w;
      redirect = false;
    } else args.push(w!);
  }
  return { args, ...(stdin ? { stdin } : {}) };
}

interface Invocation {
  line: number;
  command: "test" | "verify";
  args: string[];
  stdin?: string;
}

function invocations(): Invocation[] {
  if (!existsSync(join(SRC, "acceptance.bats"))) {
    throw new Error(`conftest ${VERSION} source not found at ${SRC}: run 'bash scripts/setup.sh --peers' (go install puts it there)`);
  }
  const out: Invocation[] = [];
  readFileSync(join(SRC, "acceptance.bats"), "utf8").split("\n").forEach((text, i) => {
    const m = /^\s*run \.\/conftest (test|verify) (.*)$/.exec(text);
    if (!m) return;
    const { args, stdin } = words(m[2]!);
    // --update fetches policies over the network; ${TMPDIR} cases build their inputs in the shell script.
    if (args.some((a) => a.startsWith("--update") || a.includes("$"))) return;
    out.push({ line: i + 1, command: m[1] as "test" | "verify", args, ...(stdin ? { stdin } : {}) });
  });
  return out;
}

describe(`conftest ${VERSION} acceptance cases`, () => {
  const cases = existsSync(join(SRC, "acceptance.bats")) ? invocations() : [];
  test("the acceptance cases are there", () => {
    expect(invocations().length).toBeGreaterThan(50);
  });
  for (const c of cases) {
    // An input format tollgate has not implemented yet shows as a todo, never as a pass.
    const forced = c.args[c.args.indexOf("--parser") + 1];
    const formats = c.args.includes("--parser") ? [forced] : c.args.filter((a) => /\.[a-z]+$/.test(a) && !a.endsWith(".rego") && !a.endsWith(".json") || a.endsWith(".json") && !a.includes("capabilities")).map((a) => parserNameFor(a));
    if (c.command === "test" && formats.some((f) => f !== undefined && !PARSER_NAMES.includes(f))) {
      test.todo(`acceptance.bats:${c.line}: conftest test ${c.args.join(" ")} (format not implemented yet)`);
      continue;
    }
    test(`acceptance.bats:${c.line}: conftest ${c.command} ${c.args.join(" ")}${c.stdin ? ` < ${c.stdin}` : ""}`, () => {
      const opts = { cwd: SRC, ...(c.stdin ? { stdin: readFileSync(join(SRC, c.stdin)) } : {}) };
      const ref = runPeer("conftest", [c.command, ...c.args], opts);
      const got = tollgate([c.command === "verify" ? "policy-test" : "test", ...c.args], opts);
      if (ref.code === 1 && ref.stderr.startsWith("Error:")) {
        expect(got.code).toBe(2);
        expect(got.stderr.trim().length).toBeGreaterThan(0);
        expect(got.stderr).not.toContain("    at ");
        return;
      }
      expect(got.code).toBe(ref.code);
      if (got.stderr !== ref.stderr) expect(canonicalOutput(got.stderr, [])).toEqual(canonicalOutput(ref.stderr, []));
      // conftest collects a namespace's rules by ranging over a Go map of its modules (policy/engine.go, Check:
      // `range e.Modules()`), so results from different files come in another order from run to run of conftest
      // itself; tollgate's order is file order, one of those. Ours must equal what some run of the real conftest
      // prints: a few more runs of it settle that (each order here shows up in about 1 run of 4).
      const same = (r: { stdout: string }) => r.stdout === got.stdout || Bun.deepEquals(canonicalOutput(got.stdout, c.args), canonicalOutput(r.stdout, c.args));
      let peer = ref;
      for (let i = 0; i < 12 && !same(peer); i++) peer = runPeer("conftest", [c.command, ...c.args], opts);
      if (!same(peer)) expect(canonicalOutput(got.stdout, c.args)).toEqual(canonicalOutput(ref.stdout, c.args));
    });
  }
});
