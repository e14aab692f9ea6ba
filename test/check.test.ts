// `tollgate test` (conftest semantics) and bundle verification before evaluation, through the real CLI.
import { beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { generateKeyPairSync } from "node:crypto";
import { signBundleArchive } from "../src/policy/signing.ts";
import { REPO_ROOT } from "./support/fixtures.ts";
import { tollgate } from "./support/cli.ts";
import { opaPath, runOpa } from "./support/opa.ts";
import { dsse, newKey, provenanceStatement, sha256, writeKey } from "./support/sign.ts";

const dir = mkdtempSync(join(tmpdir(), "tollgate-check-"));
const w = (name: string, text: string) => {
  const p = join(dir, name);
  mkdirSync(join(p, ".."), { recursive: true });
  writeFileSync(p, text);
  return p;
};

const K8S = `package main

deny contains msg if {
  input.kind == "Deployment"
  not input.spec.template.spec.securityContext.runAsNonRoot
  msg := sprintf("Deployment %s must set runAsNonRoot", [input.metadata.name])
}

warn_labels contains msg if {
  not input.metadata.labels.app
  msg := sprintf("%s %s has no app label", [input.kind, input.metadata.name])
}

violation contains {"msg": sprintf("image %s uses :latest", [c.image]), "image": c.image} if {
  some c in input.spec.template.spec.containers
  endswith(c.image, ":latest")
}
`;

const GOOD = `apiVersion: apps/v1
kind: Deployment
metadata: {name: api, labels: {app: api}}
spec:
  template:
    spec:
      securityContext: {runAsNonRoot: true}
      containers: [{image: "registry/api@sha256:${"a".repeat(64)}"}]
`;

const BAD = `kind: Deployment
metadata: {name: web}
spec:
  template:
    spec:
      containers: [{image: "nginx:latest"}]
---
kind: Service
metadata: {name: web, labels: {app: web}}
`;

let policyDir: string;
beforeAll(() => {
  policyDir = join(dir, "policy");
  w("policy/k8s.rego", K8S);
  w("policy/k8s_test.rego", "package main_test\n\ntest_nothing if true\n");
  w("good.yaml", GOOD);
  w("bad.yaml", BAD);
});

describe("tollgate test", () => {
  test("passing file: exit 0 and a conftest summary", () => {
    const r = tollgate(["test", "--no-color", "-p", policyDir, join(dir, "good.yaml")]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe("3 tests, 3 passed, 0 warnings, 0 failures, 0 exceptions");
  });

  test("failures and warnings across a multi-document YAML: exit 1", () => {
    const r = tollgate(["test", "--no-color", "-p", policyDir, join(dir, "bad.yaml")]);
    expect(r.code).toBe(1);
    const bad = join(dir, "bad.yaml");
    expect(r.stdout).toContain(`FAIL - ${bad} - main - Deployment web must set runAsNonRoot`);
    expect(r.stdout).toContain(`FAIL - ${bad} - main - image nginx:latest uses :latest`);
    expect(r.stdout).toContain(`WARN - ${bad} - main - Deployment web has no app label`);
    expect(r.stdout).toContain("6 tests, 3 passed, 1 warning, 2 failures, 0 exceptions");
  });

  test("--fail-on-warn", () => {
    const onlyWarn = w("warn.yaml", GOOD.replace("labels: {app: api}", "labels: {}"));
    expect(tollgate(["test", "-p", policyDir, onlyWarn]).code).toBe(0);
    expect(tollgate(["test", "-p", policyDir, "--fail-on-warn", onlyWarn]).code).toBe(1);
  });

  test("json output keeps structured messages' metadata", () => {
    const j = JSON.parse(tollgate(["test", "-p", policyDir, "-o", "json", join(dir, "bad.yaml")]).stdout);
    expect(j).toHaveLength(1);
    expect(j[0].failures).toHaveLength(2);
    expect(j[0].failures.find((r: { msg: string }) => r.msg.startsWith("image")).metadata).toEqual({ image: "nginx:latest", query: "data.main.violation" });
  });

  test("a namespace with no rules runs no tests (as conftest)", () => {
    const r = tollgate(["test", "--no-color", "-p", policyDir, "-n", "k8s", join(dir, "good.yaml")]);
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe("0 tests, 0 passed, 0 warnings, 0 failures, 0 exceptions");
  });

  test("malformed input file: exit 2, one line naming it", () => {
    const bad = w("broken.yaml", "kind: [unclosed\n");
    const r = tollgate(["test", "-p", policyDir, bad]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toMatch(new RegExp(`^tollgate test: ${bad}: not valid YAML`));
  });

  test("Rego that does not compile: exit 2 naming the opa error", () => {
    w("broken-policy/p.rego", "package main\n\ndeny contains msg if {\n");
    const r = tollgate(["test", "-p", join(dir, "broken-policy"), join(dir, "good.yaml")]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toBe(`tollgate test: ${join(dir, "broken-policy/p.rego")}:4:0: rego_parse_error: unexpected eof token`);
  });

  test("a type error names file:line:col and opa's message (opa writes it to stdout), on one line", () => {
    w("typed-policy/p.rego", 'package main\n\ndeny contains msg if {\n  msg := 1 + "a"\n}\n');
    const r = tollgate(["test", "-p", join(dir, "typed-policy"), join(dir, "good.yaml")]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr.trim()).toBe(
      `tollgate test: ${join(dir, "typed-policy/p.rego")}:4:10: rego_type_error: plus: invalid argument(s); have: (number, string, ???); want: (x: number, y: number, z: number)`,
    );
  });

  test("an evaluation error (a conflict) names the user's file and line, not the copy opa build compiled", () => {
    w("conflict-policy/a.rego", 'package main\n\ndeny contains "x" if f(1) == 1\n');
    w("conflict-policy/b.rego", "package main\n\nf(x) := 1\n\nf(x) := 2\n");
    const r = tollgate(["test", "-p", join(dir, "conflict-policy"), join(dir, "good.yaml")]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`tollgate test: ${join(dir, "conflict-policy")}: policy evaluation failed at main/deny: ${join(dir, "conflict-policy/b.rego")}:5:1: var assignment conflict\n`);
  });

  test("$OPA as a path relative to the working directory: the policy compiles (opa build runs in its own directory)", () => {
    // opa build runs with its temporary directory as cwd (so messages name m0.rego, …): a relative $OPA must still
    // be the one the user named, not bin/opa under that directory.
    const work = join(dir, "relative-opa");
    mkdirSync(join(work, "bin"), { recursive: true });
    symlinkSync(opaPath(), join(work, "bin/opa"));
    const env = { OPA: "bin/opa", XDG_CACHE_HOME: join(work, "cache") };
    const r = tollgate(["test", "--no-color", "-p", policyDir, join(dir, "bad.yaml")], { cwd: work, env });
    expect([r.code, r.stderr]).toEqual([1, ""]);
    expect(r.stdout).toContain("6 tests, 3 passed, 1 warning, 2 failures, 0 exceptions");
    // A type error is found by opa build and then located by opa check, both in that directory.
    const typed = w("relative-opa/typed/p.rego", 'package main\n\ndeny contains msg if {\n  msg := 1 + "a"\n}\n');
    const t = tollgate(["test", "-p", join(work, "typed"), join(dir, "good.yaml")], { cwd: work, env });
    expect([t.code, t.stderr.trim()]).toEqual([2, `tollgate test: ${typed}:4:10: rego_type_error: plus: invalid argument(s); have: (number, string, ???); want: (x: number, y: number, z: number)`]);
  });

  test("a relative $TMPDIR: the policy compiles (opa build runs inside its temporary directory)", () => {
    // opa build's cwd is its temporary directory and its output path is in it: both must be the same directory.
    const work = join(dir, "relative-tmp");
    mkdirSync(join(work, "tmp"), { recursive: true });
    const r = tollgate(["test", "--no-color", "-p", policyDir, join(dir, "bad.yaml")], { cwd: work, env: { TMPDIR: "tmp", XDG_CACHE_HOME: join(work, "cache") } });
    expect([r.code, r.stderr]).toEqual([1, ""]);
    expect(r.stdout).toContain("6 tests, 3 passed, 1 warning, 2 failures, 0 exceptions");
  });

  test("-p with .. in it (a policy beside the working directory)", () => {
    mkdirSync(join(dir, "work"), { recursive: true });
    const r = tollgate(["test", "--no-color", "-p", "../policy", "../good.yaml"], { cwd: join(dir, "work") });
    expect(r.stderr).toBe("");
    expect(r.stdout.trim()).toBe("3 tests, 3 passed, 0 warnings, 0 failures, 0 exceptions");
  });

  test("without opa: a Rego directory is one line saying how to get opa; a built bundle needs no opa", () => {
    const home = mkdtempSync(join(tmpdir(), "tollgate-noopa-"));
    const env = { PATH: "/usr/bin:/bin", HOME: home, GOPATH: "", GOBIN: "", OPA: "" };
    const r = tollgate(["test", "-p", policyDir, join(dir, "good.yaml")], { env });
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.stderr).toContain("compiling Rego needs opa: run `bash scripts/setup.sh` or `go install github.com/open-policy-agent/opa@");
    const bundle = join(dir, "noopa.tar.gz");
    expect(runOpa(["build", "-t", "wasm", "-e", "main/deny", "-e", "main/violation", "-o", bundle, policyDir]).code).toBe(0);
    const b = tollgate(["test", "--no-color", "-p", bundle, "--allow-unsigned", join(dir, "bad.yaml")], { env });
    expect(b.stderr).toBe("");
    expect(b.code).toBe(1);
    expect(b.stdout).toContain("2 failures");
  });
});

describe("bundles are verified before a byte is evaluated", () => {
  let bundle: string;
  let signed: string;
  let pub: string;
  let otherPub: string;
  beforeAll(async () => {
    bundle = join(dir, "k8s.tar.gz");
    const r = runOpa(["build", "-t", "wasm", "-e", "main/deny", "-e", "main/warn_labels", "-e", "main/violation", "-o", bundle, policyDir]);
    if (r.code !== 0) throw new Error(r.stderr);
    const kp = generateKeyPairSync("rsa", { modulusLength: 2048 });
    pub = w("bundle.pub", kp.publicKey.export({ type: "spki", format: "pem" }).toString());
    otherPub = w("other.pub", generateKeyPairSync("rsa", { modulusLength: 2048 }).publicKey.export({ type: "spki", format: "pem" }).toString());
    const s = await signBundleArchive(new Uint8Array(readFileSync(bundle)), bundle, { key: kp.privateKey });
    signed = join(dir, "k8s-signed.tar.gz");
    writeFileSync(signed, s.bytes);
  });

  test("signed bundle with its key: evaluated", () => {
    const r = tollgate(["test", "-p", signed, "--verification-key", pub, join(dir, "bad.yaml")]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain("2 failures");
  });

  test("wrong verification key: refused before evaluation, exit 2", () => {
    const r = tollgate(["test", "-p", signed, "--verification-key", otherPub, join(dir, "bad.yaml")]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr).toContain("bundle rejected");
  });

  test("unsigned bundle: refused unless --allow-unsigned", () => {
    const refused = tollgate(["test", "-p", bundle, join(dir, "bad.yaml")]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain("refusing to evaluate an unverified bundle");
    const withKey = tollgate(["test", "-p", bundle, "--verification-key", pub, join(dir, "bad.yaml")]);
    expect(withKey.code).toBe(2);
    expect(tollgate(["test", "-p", bundle, "--allow-unsigned", join(dir, "bad.yaml")]).code).toBe(1);
  });

  test("a changed byte in a signed bundle's policy is refused by eval", async () => {
    // Re-pack the signed bundle with one file altered; the signature still lists the old hash.
    const { readArchive, writeArchive } = await import("../src/policy/signing.ts");
    const entries = await readArchive(new Uint8Array(readFileSync(signed)), signed);
    const data = entries.find((e) => e.name.endsWith("data.json"))!;
    data.bytes = new TextEncoder().encode('{"tampered":true}');
    const tampered = join(dir, "tampered.tar.gz");
    writeFileSync(tampered, await writeArchive(entries));
    const key = newKey("p256");
    const d = sha256("x");
    const ev = w("ev/p.json", JSON.stringify(dsse(provenanceStatement(d), key)));
    const r = tollgate(["eval", "--policy", tampered, "--verification-key", pub, "--key", writeKey(join(dir, "k.pub"), key), "--subject", `sha256:${d}`, ev]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/tampered\.tar\.gz: bundle rejected: .*data\.json/);
  });

  test("one --verification-key verifies whatever key id the signer named (as opa build does)", async () => {
    const kp = generateKeyPairSync("ec", { namedCurve: "P-256" });
    const s = await signBundleArchive(new Uint8Array(readFileSync(bundle)), bundle, { key: kp.privateKey, keyId: "release-2026" });
    const p = w("k8s-kid.tar.gz", "");
    writeFileSync(p, s.bytes);
    const pubFile = w("ec.pub", kp.publicKey.export({ type: "spki", format: "pem" }).toString());
    expect(tollgate(["test", "-p", p, "--verification-key", pubFile, join(dir, "good.yaml")]).code).toBe(0);
  });

  test("HS256: a shared secret with --signing-alg HS256; the wrong secret is refused", async () => {
    const { createSecretKey } = await import("node:crypto");
    const secret = "correct horse battery staple";
    const s = await signBundleArchive(new Uint8Array(readFileSync(bundle)), bundle, { key: createSecretKey(Buffer.from(secret)), algorithm: "HS256" });
    const p = w("k8s-hs.tar.gz", "");
    writeFileSync(p, s.bytes);
    expect(tollgate(["test", "-p", p, "--verification-key", w("secret", secret), "--signing-alg", "HS256", join(dir, "good.yaml")]).code).toBe(0);
    const wrong = tollgate(["test", "-p", p, "--verification-key", w("wrong-secret", "not it"), "--signing-alg", "HS256", join(dir, "good.yaml")]);
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toContain("bundle rejected");
    expect(tollgate(["test", "-p", p, "--verification-key", w("secret2", secret), "--signing-alg", "HS999", join(dir, "good.yaml")]).stderr).toContain("--signing-alg must be one of");
  });

  test("eval with the embedded bundle needs no verification flags (pinned by digest)", () => {
    const ex = (p: string) => join(REPO_ROOT, "examples", p);
    const r = tollgate(["eval", "--key", ex("keys/release.pub"), "--artifact", ex("artifact/acme-api-1.4.2.tar.gz"), "--data", ex("data.yaml"), ex("evidence")]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^ADMIT: 0 denied, .* bundle embedded:default /m);
  });
});
