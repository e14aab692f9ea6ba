// The single binary (scripts/build-binary.sh): built once here, then run through the CLI's main paths — eval,
// verify, inspect, test, ledger, contract, serve — from a directory with no checkout and no node_modules, its
// output compared byte for byte with the source run of the same command. A module the bundler could not see
// (a dynamic require, a path resolved at run time) fails here as a missing module or a different answer.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BUN, CLI, servedUrl, type CliResult } from "./support/cli.ts";
import { REPO_ROOT, fixture, fixtureDescribe } from "./support/fixtures.ts";
import { generateLedger } from "./support/ledger-gen.ts";
import { opaPath } from "./support/opa.ts";

const dir = mkdtempSync(join(tmpdir(), "tollgate-binary-"));
const BIN = join(dir, "bin", "tollgate");
const ex = (p: string) => join(REPO_ROOT, "examples", p);
const TIME = "2026-11-23T00:00:00Z";
const RELEASE = ["--time", TIME, "--key", ex("keys/release.pub"), "--artifact", ex("artifact/acme-api-1.4.2.tar.gz"), "--data", ex("data.yaml")];
const SLOW = 60_000;
// opa for `tollgate test -p DIR` (compiling Rego is opa's job in both runs); nothing else from the checkout.
const env = { ...process.env, TOLLGATE_DEBUG: "", NO_COLOR: "1", OPA: opaPath() };

beforeAll(() => {
  const b = Bun.spawnSync(["bash", join(REPO_ROOT, "scripts/build-binary.sh"), "-o", BIN], { cwd: REPO_ROOT, stdout: "pipe", stderr: "pipe" });
  if (b.exitCode !== 0) throw new Error(`build-binary.sh failed: ${b.stderr.toString()}`);
}, 300_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function run(cmd: string[], cwd: string, stdin?: string): CliResult {
  const p = Bun.spawnSync(cmd, { cwd, env, stdin: stdin === undefined ? "ignore" : new Blob([stdin]), stdout: "pipe", stderr: "pipe" });
  return { code: p.exitCode ?? -1, stdout: p.stdout.toString(), stderr: p.stderr.toString() };
}

/** The same command from source (in the checkout) and from the binary (in an empty directory). */
function both(args: string[], stdin?: string): { src: CliResult; bin: CliResult } {
  const empty = join(dir, "cwd");
  mkdirSync(empty, { recursive: true });
  return { src: run([BUN, CLI, ...args], REPO_ROOT, stdin), bin: run([BIN, ...args], empty, stdin) };
}

function same(args: string[], code: number, stdin?: string): CliResult {
  const { src, bin } = both(args, stdin);
  expect(src.code).toBe(code);
  expect(bin.stderr).toBe(src.stderr);
  expect(bin.stdout).toBe(src.stdout);
  expect(bin.code).toBe(code);
  return bin;
}

describe("the binary answers as the source does", () => {
  test("eval -o json admits the example release", () => {
    const r = same(["eval", ...RELEASE, "-o", "json", ex("evidence")], 0);
    expect(JSON.parse(r.stdout).allow).toBe(true);
  }, SLOW);

  test("eval -o json denies the example release for another subject", () => {
    const args = ["eval", "--time", TIME, "--key", ex("keys/release.pub"), "--subject", `sha256:${"0".repeat(64)}`, "-o", "json", ex("evidence")];
    expect(JSON.parse(same(args, 1).stdout).allow).toBe(false);
  }, SLOW);

  test("eval reads evidence from stdin and reports in every format the same", async () => {
    const stdin = await Bun.file(ex("evidence/provenance.intoto.json")).text();
    for (const o of ["sarif", "junit", "markdown"]) same(["eval", ...RELEASE, "-o", o, "-"], 1, stdin);
  }, SLOW);

  test("verify and inspect -o json", () => {
    same(["verify", "--time", TIME, "--key", ex("keys/release.pub"), "-o", "json", ex("evidence")], 0);
    same(["inspect", ...RELEASE, ex("evidence")], 0);
  }, SLOW);

  test("bad input: the same one-line error and exit 2", () => {
    const r = same(["eval", "--key", join(dir, "absent.pub"), ex("evidence")], 2);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    same(["eval", "--bogus"], 2);
  }, SLOW);

  test("test -o json: conftest-style rules over YAML with a Rego directory", () => {
    const p = join(dir, "policy");
    mkdirSync(p, { recursive: true });
    writeFileSync(join(p, "main.rego"), `package main\n\ndeny contains msg if {\n  input.kind == "Deployment"\n  not input.spec.template.spec.securityContext.runAsNonRoot\n  msg := "containers must not run as root"\n}\n\nwarn contains msg if {\n  not input.metadata.labels.app\n  msg := "no app label"\n}\n`);
    writeFileSync(join(dir, "deploy.yaml"), "kind: Deployment\nmetadata:\n  name: api\nspec:\n  template:\n    spec: {}\n");
    const r = same(["test", "-p", p, "-o", "json", join(dir, "deploy.yaml")], 1);
    expect(r.stdout).toContain("containers must not run as root");
  }, SLOW);

  test("parse: CUE, Jsonnet and HOCON through conftest's own parsers, embedded in the binary", () => {
    const own = (f: string) => join(REPO_ROOT, "test/check-corpus/own", f);
    for (const f of ["cue/definitions.cue", "hocon/app.hocon", "jsonnet/service.jsonnet"]) {
      const r = same(["parse", own(f)], 0);
      expect(r.stdout.length).toBeGreaterThan(2);
    }
  }, SLOW);

  test("ledger verify -o json: a sound ledger and a tampered one", () => {
    const good = join(dir, "runmanifest.json");
    const text = generateLedger({ entries: 50, seed: 7, nonAscii: true });
    writeFileSync(good, text);
    same(["ledger", "verify", "-o", "json", good], 0);
    const bad = join(dir, "tampered.json");
    writeFileSync(bad, text.replace('"seq": 17', '"seq": 71'));
    same(["ledger", "verify", "-o", "json", bad], 1);
  }, SLOW);

  test("serve (two threads): /v1/data, /v1/admission and /ready answer byte for byte as the source's", async () => {
    const cfg = join(dir, "serve.yaml");
    // Two threads: the worker entry must be in the binary too.
    writeFileSync(cfg, `addr: "127.0.0.1:0"\nworkers: 2\n`);
    const input = JSON.parse(run([BUN, CLI, "inspect", ...RELEASE, ex("evidence")], REPO_ROOT).stdout);
    const start = async (cmd: string[], cwd: string) => {
      const proc = Bun.spawn([...cmd, "serve", "--config", cfg], { cwd, env, stdout: "pipe", stderr: "pipe" });
      const url = await servedUrl(proc, 30_000);
      return { proc, url };
    };
    const servers = [await start([BUN, CLI], REPO_ROOT), await start([BIN], join(dir, "cwd"))];
    try {
      const answers = [];
      for (const s of servers) {
        expect(s.url).toBeDefined();
        const threads = new Set<number>();
        for (let i = 0; i < 40 && threads.size < 2; i++) threads.add(((await (await fetch(`${s.url}/health`, { headers: { Connection: "close" } })).json()) as { thread: number }).thread);
        expect(threads.size).toBe(2);
        const data = await fetch(`${s.url}/v1/data/tollgate/gate/decision`, { method: "POST", body: JSON.stringify({ input }) });
        const review = { apiVersion: "admission.k8s.io/v1", kind: "AdmissionReview", request: { uid: "u-1", kind: { group: "", version: "v1", kind: "Pod" }, object: { spec: { containers: [{ name: "a", image: "acme/api:1" }] } } } };
        const adm = await fetch(`${s.url}/v1/admission`, { method: "POST", body: JSON.stringify(review) });
        const { activated_at: _, ...bundle } = ((await (await fetch(`${s.url}/ready`)).json()) as { bundle: Record<string, unknown> }).bundle;
        answers.push({ data: [data.status, await data.text()], adm: [adm.status, await adm.text()], bundle });
      }
      expect(JSON.parse(answers[0]!.data[1] as string).result.allow).toBe(true);
      expect(answers[1]).toEqual(answers[0]!);
    } finally {
      for (const s of servers) s.proc.kill("SIGTERM");
    }
    for (const s of servers) expect(await s.proc.exited).toBe(0);
  }, SLOW);
});

fixtureDescribe("the binary on the real corpus (every evidence kind's lazily loaded parsers)", () => {
  test("verify -o json: DAST, OTel, invarlock, npm Sigstore bundles, PyPI attestations, TEE reports", () => {
    const paths = ["dast", "otel", "invarlock", "npm", "pypi", "tee/sev-snp/go-sev-guest", "tee/tdx", "tee/az-snp"].map((p) => fixture(p));
    const { src, bin } = both(["verify", "--time", TIME, "-o", "json", ...paths]);
    expect(src.stdout.length).toBeGreaterThan(1000);
    expect(bin.stderr).toBe(src.stderr);
    expect(bin.stdout).toBe(src.stdout);
    expect(bin.code).toBe(src.code);
  }, SLOW);

  test("contract check -o json: an ODCS v3 contract in YAML", () => {
    const contracts = readdirSync(fixture("odcs"), { recursive: true }).map(String).filter((f) => f.endsWith(".yaml"));
    expect(contracts.length).toBeGreaterThan(0);
    const event = join(dir, "event.json");
    writeFileSync(event, JSON.stringify({ event_id: "e1", pipeline: "p", passed: true }));
    for (const c of contracts.slice(0, 3)) {
      const { src, bin } = both(["contract", "check", "-o", "json", event, fixture("odcs", c)]);
      expect(bin.stdout).toBe(src.stdout);
      expect(bin.stderr).toBe(src.stderr);
      expect(bin.code).toBe(src.code);
    }
  }, SLOW);
});
