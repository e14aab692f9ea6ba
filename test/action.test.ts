// The GitHub Action run locally the way the runner runs it: action.yml's one step (its env mapping with the
// inputs substituted, its run line through bash) in a workspace, with GITHUB_STEP_SUMMARY, GITHUB_OUTPUT,
// GITHUB_WORKSPACE, GITHUB_ACTION_PATH and RUNNER_TEMP set and no INPUT_* (a composite action gets none).
import { beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse } from "yaml";
import { sarifValidator } from "../src/evidence/dast/sarif.ts";
import { REPO_ROOT } from "./support/fixtures.ts";
import { dsse, newKey, provenanceStatement, sha256, writeKey } from "./support/sign.ts";

const action = parse(readFileSync(join(REPO_ROOT, "action.yml"), "utf8"));
const script = readFileSync(join(REPO_ROOT, "scripts/action.sh"), "utf8");
const step = action.runs.steps.find((s: any) => s.id === "tollgate");
const root = mkdtempSync(join(tmpdir(), "tollgate-action-"));
const workspace = join(root, "workspace");
const runnerTemp = join(root, "runner-temp"); // shared across runs: the binary is built once, as on one runner
let n = 0;

/** GitHub's expression substitution, for the only expressions the step uses: ${{ inputs.NAME }}. */
function substitute(v: string, inputs: Record<string, string>): string {
  return v.replace(/\$\{\{\s*inputs\.([A-Za-z0-9_-]+)\s*\}\}/g, (_, name) => {
    if (!(name in action.inputs)) throw new Error(`action.yml uses undeclared input ${name}`);
    return inputs[name] ?? String(action.inputs[name].default ?? "");
  });
}

function runAction(inputs: Record<string, string>, extraEnv: Record<string, string> = {}) {
  for (const k of Object.keys(inputs)) if (!(k in action.inputs)) throw new Error(`test passes undeclared input ${k}`);
  const d = join(root, `run-${++n}`);
  mkdirSync(d);
  const summary = join(d, "step_summary.md");
  const output = join(d, "github_output");
  writeFileSync(summary, "");
  writeFileSync(output, "");
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? "/usr/bin:/bin",
    HOME: process.env.HOME ?? root,
    GITHUB_ACTIONS: "true",
    GITHUB_WORKSPACE: workspace,
    GITHUB_ACTION_PATH: REPO_ROOT,
    GITHUB_STEP_SUMMARY: summary,
    GITHUB_OUTPUT: output,
    RUNNER_TEMP: runnerTemp,
    ...extraEnv,
  };
  for (const [k, v] of Object.entries(step.env as Record<string, string>)) env[k] = substitute(v, inputs);
  const p = Bun.spawnSync(["bash", "-e", "-c", substitute(step.run, inputs)], { cwd: workspace, env, stdout: "pipe", stderr: "pipe" });
  const outputs: Record<string, string> = Object.fromEntries(
    readFileSync(output, "utf8").split("\n").filter(Boolean).map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]),
  );
  return { code: p.exitCode, stdout: p.stdout.toString(), stderr: p.stderr.toString(), summary: readFileSync(summary, "utf8"), outputs };
}

let digest: string;
beforeAll(() => {
  mkdirSync(join(workspace, "evidence"), { recursive: true });
  mkdirSync(join(workspace, "keys"));
  mkdirSync(runnerTemp);
  const key = newKey("p256");
  writeKey(join(workspace, "keys/release.pub"), key);
  writeKey(join(workspace, "keys/other.pub"), newKey("p256"));
  writeFileSync(join(workspace, "app.tar.gz"), "the release bytes\n");
  digest = sha256("the release bytes\n");
  writeFileSync(join(workspace, "evidence/provenance.json"), JSON.stringify(dsse(provenanceStatement(digest), key)));
  writeFileSync(join(workspace, "evidence.bad.json"), "{ not json");
  mkdirSync(join(workspace, "policy"));
  writeFileSync(join(workspace, "policy/deploy.rego"), 'package main\n\ndeny contains msg if {\n\tinput.replicas < 2\n\tmsg := "at least 2 replicas"\n}\n');
  writeFileSync(join(workspace, "ok.json"), '{"replicas": 3}');
  writeFileSync(join(workspace, "bad.json"), '{"replicas": 1}');
});

function sarifOf(r: ReturnType<typeof runAction>) {
  expect(r.outputs["sarif-file"]).toBeTruthy();
  const doc = JSON.parse(readFileSync(String(r.outputs["sarif-file"]), "utf8"));
  const validate = sarifValidator();
  expect(validate(doc) ? [] : validate.errors).toEqual([]);
  return doc;
}

describe("action.yml", () => {
  test("is a composite action whose inputs are exactly what scripts/action.sh reads", () => {
    expect(action.runs.using).toBe("composite");
    expect(step.shell).toBe("bash");
    expect(step.run).toContain("scripts/action.sh");
    const declared = Object.keys(action.inputs).sort();
    for (const k of ["evidence", "policy", "artifact", "subject", "key", "certificate-identity", "certificate-oidc-issuer", "fail-on-warn", "mode"]) expect(declared).toContain(k);
    // Every input is mapped to TOLLGATE_INPUT_<NAME> and the script reads each of those variables, no others.
    const mapped = Object.entries(step.env as Record<string, string>).map(([k, v]) => [k, /inputs\.([a-z-]+)/.exec(v)![1]!] as [string, string]);
    expect(mapped.map(([, i]) => i).sort()).toEqual(declared);
    for (const [k, i] of mapped) expect(k).toBe("TOLLGATE_INPUT_" + i.toUpperCase().replace(/-/g, "_"));
    const read = [...new Set([...script.matchAll(/TOLLGATE_INPUT_[A-Z_]+/g)].map((m) => m[0]))].sort();
    expect(read.filter((v) => v !== "TOLLGATE_INPUT_TIME")).toEqual(mapped.map(([k]) => k).sort());
    expect(action.inputs.evidence.required).toBe(true);
    expect(Object.keys(action.outputs).sort()).toEqual(["decision", "sarif-file"]);
    for (const o of Object.values(action.outputs) as any[]) expect(o.value).toMatch(/^\$\{\{ steps\.tollgate\.outputs\.(decision|sarif-file) \}\}$/);
  });

  test("admit: builds the binary into RUNNER_TEMP, exit 0, summary, decision=admit and a SARIF file", () => {
    const r = runAction({ evidence: "evidence", artifact: "app.tar.gz", key: "keys/release.pub" });
    expect(r.stderr).not.toContain("::error");
    expect(r.code).toBe(0);
    expect(existsSync(join(runnerTemp, "tollgate-action/tollgate")) || existsSync(join(REPO_ROOT, "dist/tollgate"))).toBe(true);
    expect(r.outputs.decision).toBe("admit");
    expect(r.summary).toStartWith("## tollgate: ✅ admit");
    expect(r.summary).toContain("`I1.builder-id`");
    expect(r.outputs["sarif-file"]).toBe(join(runnerTemp, "tollgate.sarif"));
    const doc = sarifOf(r);
    expect(doc.runs[0].properties.allow).toBe(true);
    expect(doc.runs[0].results[0].locations[0].physicalLocation.artifactLocation).toEqual({ uri: "evidence/provenance.json", uriBaseId: "%SRCROOT%" });
  }, 180_000);

  test("deny: exit 1, decision=deny, every SARIF result has a location (relative to the workspace)", () => {
    const r = runAction({ evidence: "evidence\n", subject: `sha256:${"0".repeat(64)}`, key: "keys/other.pub\nkeys/release.pub", "sarif-file": "out/gate.sarif" });
    expect(r.code).toBe(1);
    expect(r.outputs.decision).toBe("deny");
    expect(r.summary).toContain("deny");
    expect(r.summary).toContain("I1.subject-digest");
    expect(r.outputs["sarif-file"]).toBe("out/gate.sarif");
    const doc = JSON.parse(readFileSync(join(workspace, "out/gate.sarif"), "utf8"));
    expect(doc.runs[0].properties.allow).toBe(false);
    expect(doc.runs[0].results.length).toBeGreaterThan(0);
    for (const x of doc.runs[0].results) {
      const at = x.locations[0].physicalLocation.artifactLocation;
      expect(at.uriBaseId).toBe("%SRCROOT%");
      expect(at.uri).not.toMatch(/^[a-z][a-z0-9+.-]*:/i); // a path in the workspace, not a URI of its own
    }
  }, 60_000);

  test("fail-on-warn: an admit with warnings exits 1", () => {
    const r = runAction({ evidence: "evidence", subject: `sha256:${digest}`, key: "keys/release.pub", "fail-on-warn": "true" });
    expect(r.code).toBe(1);
    expect(sarifOf(r).runs[0].results.every((x: any) => x.level === "warning")).toBe(true);
  }, 60_000);

  test("could not evaluate: exit 2, decision=error, the reason in the summary, no SARIF file", () => {
    const r = runAction({ evidence: "evidence", subject: `sha256:${digest}`, key: "keys/missing.pub" });
    expect(r.code).toBe(2);
    expect(r.outputs).toEqual({ "sarif-file": "", decision: "error" });
    expect(r.stderr).toContain("keys/missing.pub: public key not found");
    expect(r.summary).toContain("could not evaluate (exit 2)");
    expect(r.summary).toContain("keys/missing.pub: public key not found");
  }, 60_000);

  test("bad inputs: one ::error line each, exit 2", () => {
    const cases: [Record<string, string>, string][] = [
      [{ evidence: "evidence", "certificate-identity": "a\nb", "certificate-oidc-issuer": "https://token.actions.githubusercontent.com" }, "certificate-identity has 2 line(s) but certificate-oidc-issuer has 1: they pair line by line"],
      [{ evidence: " \n" }, "input evidence is empty (one path per line)"],
      [{ evidence: "evidence", mode: "verify" }, "input mode must be eval or test, not 'verify'"],
      [{ evidence: "evidence", "fail-on-warn": "yes" }, "input fail-on-warn must be true or false, not 'yes'"],
      [{ evidence: "ok.json", mode: "test", key: "keys/release.pub" }, "mode test (conftest-style) takes evidence, policy and fail-on-warn only; artifact, subject, key and certificate-* are for mode eval"],
    ];
    for (const [inputs, msg] of cases) {
      const r = runAction(inputs);
      expect(r.code).toBe(2);
      expect(r.stderr.trim().split("\n")).toEqual([`::error title=tollgate action::${msg}`]);
      expect(r.outputs.decision).toBe("error");
    }
    const noOutput = Bun.spawnSync(["bash", join(REPO_ROOT, "scripts/action.sh")], { env: { PATH: process.env.PATH! }, stderr: "pipe" });
    expect(noOutput.exitCode).toBe(2);
    expect(noOutput.stderr.toString().trim()).toBe("::error title=tollgate action::GITHUB_OUTPUT is not set (run inside GitHub Actions or set it)");
  }, 60_000);

  test("mode test: conftest-style policy checks, pass and fail", () => {
    const ok = runAction({ evidence: "ok.json", mode: "test", policy: "policy" });
    expect(ok.code).toBe(0);
    expect(ok.outputs.decision).toBe("admit");
    expect(ok.summary).toStartWith("## tollgate test: admit");
    sarifOf(ok);
    const bad = runAction({ evidence: "ok.json\nbad.json", mode: "test", policy: "policy" });
    expect(bad.code).toBe(1);
    expect(bad.outputs.decision).toBe("deny");
    expect(bad.summary).toContain("at least 2 replicas");
    const doc = sarifOf(bad);
    expect(JSON.stringify(doc)).toContain("at least 2 replicas");
  }, 60_000);
});
