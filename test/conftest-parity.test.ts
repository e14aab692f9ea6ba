// Differential tests: every case runs through the real conftest (v0.69, a pinned peer) and `tollgate test`
// on the corpus in test/conftest-corpus, and fails on any difference in exit code or output. Where conftest's
// order is not defined (it ranges over Go maps: files, modules, namespaces), both outputs are compared in a
// canonical order; everything else is compared byte for byte. conftest exits 1 on an error; tollgate exits 2
// ("could not evaluate") and both must name the same problem.
import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import { REPO_ROOT } from "./support/fixtures.ts";
import { tollgate } from "./support/cli.ts";
import { runPeer } from "./support/peers.ts";
import { canonicalOutput } from "./support/conftest-canon.ts";

const CORPUS = join(REPO_ROOT, "test/conftest-corpus");
const TIME = "2026-06-01T00:00:00Z";

interface Case {
  name: string;
  /** conftest's subcommand: test (tollgate test) or verify (tollgate policy-test). */
  command?: "test" | "verify";
  args: string[];
  cwd?: string;
  stdin?: string;
  env?: Record<string, string>;
  /** An error case: both must fail and both messages must contain this. */
  error?: string;
}

const C = (name: string, args: string[], extra: Partial<Case> = {}): Case => ({ name, args, ...extra });

export const CASES: Case[] = [
  C("multi-document YAML and JSON, print, exceptions", ["--no-color", "a.yaml", "b.json"]),
  C("colors by default", ["a.yaml"]),
  C("passing input", ["--no-color", "inputs/svc.yaml"]),
  C("a JSON array is one document per element", ["--no-color", "array.json"]),
  C("json output", ["-o", "json", "a.yaml", "b.json"]),
  C("tap output", ["-o", "tap", "a.yaml", "b.json"]),
  C("table output", ["-o", "table", "a.yaml", "b.json"]),
  C("junit output", ["-o", "junit", "a.yaml", "b.json"]),
  C("junit without messages", ["-o", "junit", "--junit-hide-message", "a.yaml"]),
  C("github output", ["-o", "github", "a.yaml", "b.json"]),
  C("azuredevops output", ["-o", "azuredevops", "a.yaml", "b.json"]),
  C("sarif output", ["-o", "sarif", "a.yaml", "b.json"]),
  C("sarif output, passing", ["-o", "sarif", "inputs/svc.yaml"]),
  C("a namespace", ["--no-color", "-p", "policy-k8s", "-n", "k8s", "inputs"]),
  C("repeated namespaces", ["--no-color", "-p", "policy-k8s", "-n", "k8s", "-n", "k8s.sub", "inputs/nested/deploy.json", "inputs/svc.yaml"]),
  C("comma-separated namespaces", ["--no-color", "-p", "policy-k8s", "--namespace", "k8s,k8s.sub", "inputs/svc.yaml"]),
  C("namespace glob", ["--no-color", "-p", "policy-k8s", "-n", "k8s.*", "inputs/svc.yaml"]),
  C("namespace glob matching everything", ["-o", "json", "-p", "policy-k8s", "-n", "*", "inputs/svc.yaml"]),
  C("a namespace that does not exist", ["--no-color", "-p", "policy-k8s", "-n", "nosuch", "inputs/svc.yaml"]),
  C("default namespace absent from the policy", ["--no-color", "-p", "policy-k8s", "inputs/svc.yaml"]),
  C("all namespaces", ["-o", "json", "-p", "policy-k8s", "--all-namespaces", "inputs/svc.yaml", "inputs/nested/deploy.json"]),
  C("repeated -p, a .rego file given directly", ["--no-color", "-p", "policy/main.rego", "-p", "policy-k8s", "--all-namespaces", "a.yaml"]),
  C("comma-separated -p", ["--no-color", "-p", "policy-k8s,policy-loc", "--all-namespaces", "b.json"]),
  C("directory input walked, unknown files skipped", ["-o", "json", "-p", "policy-k8s", "--all-namespaces", "inputs"]),
  C("--ignore", ["--no-color", "-p", "policy-k8s", "--all-namespaces", "--ignore", "skip|\\.json$", "inputs"]),
  C("--combine", ["--no-color", "-p", "policy-combine", "--combine", "a.yaml", "b.json", "array.json"]),
  C("--combine json", ["-o", "json", "-p", "policy-combine", "--combine", "a.yaml", "inputs/svc.yaml"]),
  C("--fail-on-warn with failures", ["--no-color", "--fail-on-warn", "a.yaml"]),
  C("--fail-on-warn with warnings only", ["--no-color", "--fail-on-warn", "-p", "policy-k8s", "-n", "k8s", "a.yaml"]),
  C("warnings only, no --fail-on-warn", ["--no-color", "-p", "policy-k8s", "-n", "k8s", "a.yaml"]),
  C("--no-fail", ["--no-color", "--no-fail", "a.yaml"]),
  C("--quiet passing", ["--quiet", "inputs/svc.yaml"]),
  C("--quiet failing", ["--quiet", "--no-color", "a.yaml"]),
  C("--quiet --no-fail failing", ["--quiet", "--no-fail", "--no-color", "a.yaml"]),
  C("--suppress-exceptions", ["--no-color", "--suppress-exceptions", "a.yaml"]),
  C("-d directory (mounted by path) and file", ["--no-color", "-p", "policy-data", "-d", "data", "inputs/svc.yaml", "inputs/nested/deploy.json"]),
  C("-d a single file", ["--no-color", "-p", "policy-data", "-d", "data/settings.json", "-d", "data/allowed/kinds.yaml", "inputs/svc.yaml"]),
  C("--rego-version v0", ["--no-color", "-p", "policy-v0", "--rego-version", "v0", "a.yaml", "inputs/svc.yaml"]),
  C("v0 policy under v1 is an error", ["--no-color", "-p", "policy-v0", "a.yaml"], { error: "policy-v0/v0.rego:3" }),
  C("data.conftest.file", ["--no-color", "-p", "policy-fileinfo", "a.yaml", "b.json"]),
  C("_loc and metadata, json", ["-o", "json", "-p", "policy-loc", "b.json"]),
  C("_loc, github", ["-o", "github", "-p", "policy-loc", "b.json"]),
  C("_loc, sarif", ["-o", "sarif", "-p", "policy-loc", "b.json"]),
  C("print()", ["--no-color", "-p", "policy-print", "inputs/svc.yaml"]),
  C("built-ins the WASM target lacks, failing", ["--no-color", "-p", "policy-builtins", "builtins.yaml"]),
  C("built-ins the WASM target lacks, passing", ["--no-color", "-p", "policy-builtins", "builtins-ok.yaml"]),
  C("stdin", ["--no-color", "-"], { stdin: "kind: Deployment\nmetadata: {name: stdin-dep}\n" }),
  C("stdin json output", ["-o", "json", "-"], { stdin: "kind: Deployment\nmetadata: {name: stdin-dep}\n" }),
  C("--parser yaml on a .txt file", ["--no-color", "--parser", "yaml", "plain.txt"]),
  C("-p ../policy from a subdirectory", ["--no-color", "-p", "../policy", "../a.yaml"], { cwd: "sub" }),
  C("config file (conftest.yaml)", ["--no-color", "svc.yaml"], { cwd: "cfg" }),
  C("a flag overrides the config file", ["--no-color", "-n", "k8s", "svc.yaml"], { cwd: "cfg" }),
  C("environment (CONFTEST_NAMESPACE)", ["--no-color", "-p", "policy-k8s", "inputs/svc.yaml"], { env: { CONFTEST_NAMESPACE: "k8s.sub" } }),
  C("a boolean deny rule (deny if, no contains) passes, as in conftest", ["--no-color", "-p", "policy-errors/bool-if", "a.yaml"]),
  C("type error", ["-p", "policy-errors/type", "a.yaml"], { error: "policy-errors/type/p.rego:4" }),
  C("parse error", ["-p", "policy-errors/parse", "a.yaml"], { error: "policy-errors/parse/p.rego:5" }),
  C("--strict", ["-p", "policy-errors/strict", "--strict", "a.yaml"], { error: "policy-errors/strict/p.rego:3" }),
  C("without --strict the same policy runs", ["--no-color", "-p", "policy-errors/strict", "a.yaml"]),
  C("--capabilities", ["-p", "policy-caps", "--capabilities", "policy-caps/caps.json", "a.yaml"], { error: "undefined function upper" }),
  C("missing policy directory", ["-p", "nosuch", "a.yaml"], { error: "nosuch" }),
  C("missing input", ["nosuch.yaml"], { error: "nosuch.yaml" }),
  C("input of unknown format", ["bad.unknownformat"], { error: "bad.unknownformat" }),
  C("invalid --rego-version", ["--rego-version", "v2", "a.yaml"], { error: "v2" }),
  // CUE, Jsonnet (imports relative to the file) and HOCON inputs, passing and failing
  C("CUE, Jsonnet and HOCON inputs passing", ["--no-color", "-p", "../policy-formats", "ok.cue", "ok.jsonnet", "ok.hocon"], { cwd: "formats" }),
  C("CUE input failing", ["--no-color", "-p", "../policy-formats", "bad.cue"], { cwd: "formats" }),
  C("Jsonnet input failing (a top-level array is one document per element)", ["--no-color", "-p", "../policy-formats", "bad.jsonnet"], { cwd: "formats" }),
  C("HOCON input failing", ["--no-color", "-p", "../policy-formats", "bad.hocon"], { cwd: "formats" }),
  C("CUE, Jsonnet and HOCON, json output", ["-o", "json", "-p", "../policy-formats", "bad.cue", "bad.jsonnet", "bad.hocon", "ok.cue"], { cwd: "formats" }),
  C("a .libsonnet forced with --parser jsonnet", ["--no-color", "-p", "../policy-formats", "--parser", "jsonnet", "lib/deploy.libsonnet", "ok.jsonnet"], { cwd: "formats" }),
  C("CUE conflicting values", ["-p", "../policy-formats", "bad/broken.cue"], { cwd: "formats", error: "conflicting values 2 and 1" }),
  C("Jsonnet missing import", ["-p", "../policy-formats", "bad/broken.jsonnet"], { cwd: "formats", error: 'couldn\'t open import "nosuch.libsonnet"' }),
  // conftest verify ↔ tollgate policy-test
  C("verify: passing, failing and skipped tests", ["--no-color"], { command: "verify" }),
  C("verify: json", ["-o", "json"], { command: "verify" }),
  C("verify: tap", ["-o", "tap"], { command: "verify" }),
  C("verify: junit", ["-o", "junit"], { command: "verify" }),
  C("verify: a namespace", ["--no-color", "-n", "main"], { command: "verify" }),
  C("verify: a namespace glob matching nothing", ["--no-color", "-n", "k8s*"], { command: "verify" }),
  C("verify: a policy without tests", ["--no-color", "-p", "policy-k8s"], { command: "verify" }),
  C("verify: --quiet with a failing test", ["--quiet", "--no-color"], { command: "verify" }),
  C("verify: a type error", ["-p", "policy-errors/type"], { command: "verify", error: "policy-errors/type/p.rego:4" }),
  // test_ rules calling conftest's parse_config, parse_config_file and parse_combined_config_files
  C("verify: conftest's parse_config built-ins", ["--no-color", "-p", "policy-parse-config"], { command: "verify" }),
  C("verify: conftest's parse_config built-ins, json", ["-o", "json", "-p", "policy-parse-config"], { command: "verify" }),
  C("verify: conftest's parse_config built-ins, tap", ["-o", "tap", "-p", "policy-parse-config"], { command: "verify" }),
  C("verify: conftest's parse_config built-ins, junit", ["-o", "junit", "-p", "policy-parse-config"], { command: "verify" }),
  C("verify: conftest's parse_config built-ins, from another directory", ["--no-color", "-p", "../policy-parse-config"], { command: "verify", cwd: "sub" }),
  C("verify: conftest's parse_config built-ins, a namespace with no tests", ["--no-color", "-p", "policy-parse-config", "-n", "other"], { command: "verify" }),
];

describe("tollgate test against the real conftest", () => {
  for (const c of CASES) {
    test(c.name, () => {
      const cwd = join(CORPUS, c.cwd ?? "");
      const env = { NO_COLOR: "", ...c.env };
      const opts = { cwd, env, ...(c.stdin !== undefined ? { stdin: c.stdin } : {}) };
      const ref = runPeer("conftest", [c.command ?? "test", ...c.args], opts);
      const got = tollgate(c.command === "verify" ? ["policy-test", ...c.args] : ["test", "--time", TIME, ...c.args], opts);
      if (c.error !== undefined) {
        expect(ref.code).toBe(1);
        expect(ref.stderr).toContain(c.error);
        expect(got.code).toBe(2);
        expect(got.stderr).toContain(c.error);
        expect(got.stderr).not.toContain("    at "); // one clear line, never a stack trace
        expect(got.stdout).toBe("");
        return;
      }
      expect(ref.stderr).toBe("");
      expect({ code: got.code, stderr: got.stderr }).toEqual({ code: ref.code, stderr: "" });
      if (got.stdout !== ref.stdout) expect(canonicalOutput(got.stdout, c.args)).toEqual(canonicalOutput(ref.stdout, c.args));
    });
  }
});
