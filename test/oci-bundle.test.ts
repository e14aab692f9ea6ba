// Policy bundles over OCI, both ways with the real tools: `tollgate bundle push` → the real `opa run --server`
// (services type oci) activates it; `oras push` (OPA's documented way) → `tollgate eval|test --policy oci://`;
// push → pull is byte-identical, .signatures.json included, and a signed bundle is verified before use.
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { generateKeyPairSync } from "node:crypto";
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { sha256Hex } from "../src/core/digest.ts";
import { REPO_ROOT } from "./support/fixtures.ts";
import { tollgate } from "./support/cli.ts";
import { opaPath } from "./support/opa.ts";
import { runPeer } from "./support/peers.ts";
import { freePort, startDistribution, tempDir, type RunningRegistry } from "./support/registry.ts";

setDefaultTimeout(60_000);

const dir = tempDir();
let reg: RunningRegistry;
const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
const PRIV = join(dir, "bundle.key");
const PUB = join(dir, "bundle.pub");
const GATE = join(dir, "gate.tar.gz");

beforeAll(async () => {
  reg = await startDistribution();
  writeFileSync(PRIV, privateKey.export({ format: "pem", type: "pkcs8" }));
  writeFileSync(PUB, publicKey.export({ format: "pem", type: "spki" }));
  copyFileSync(join(REPO_ROOT, "bundles/default.tar.gz"), GATE);
  const s = tollgate(["bundle", "sign", GATE, "--signing-key", PRIV, "--signing-alg", "ES256"]);
  expect(s.stderr).toBe("");
});

afterAll(async () => {
  await reg.stop();
});

const EXAMPLE = ["--key", "examples/keys/release.pub", "--artifact", "examples/artifact/acme-api-1.4.2.tar.gz", "--data", "examples/data.yaml", "examples/evidence/"];

describe("tollgate bundle push / pull", () => {
  test("push then pull gives back the same bytes, signature kept; eval --policy oci:// verifies it first", () => {
    const ref = `oci://${reg.host}/acme/gate:v1`;
    const push = tollgate(["bundle", "push", GATE, ref]);
    expect(push.stderr).toBe("");
    expect(push.code).toBe(0);
    expect(push.stdout.trim()).toMatch(new RegExp(`^oci://${reg.host}/acme/gate@sha256:[0-9a-f]{64}$`));
    const out = join(dir, "pulled.tar.gz");
    expect(tollgate(["bundle", "pull", ref, "-o", out]).code).toBe(0);
    expect(sha256Hex(readFileSync(out))).toBe(sha256Hex(readFileSync(GATE)));
    expect(tollgate(["bundle", "verify", out, "--verification-key", PUB]).code).toBe(0);

    const ok = tollgate(["eval", "--policy", ref, "--verification-key", PUB, ...EXAMPLE]);
    expect(ok.stderr).toBe("");
    expect(ok.code).toBe(0);
    // Pinned by digest too.
    expect(tollgate(["eval", "--policy", push.stdout.trim(), "--verification-key", PUB, ...EXAMPLE]).code).toBe(0);
    const unverified = tollgate(["eval", "--policy", ref, ...EXAMPLE]);
    expect(unverified.code).toBe(2);
    expect(unverified.stderr).toContain("refusing to evaluate an unverified bundle");
  });

  test("a bundle signed by another key is rejected before evaluation", () => {
    const other = generateKeyPairSync("ec", { namedCurve: "P-256" }).publicKey;
    const otherPub = join(dir, "other.pub");
    writeFileSync(otherPub, other.export({ format: "pem", type: "spki" }));
    const ref = `oci://${reg.host}/acme/gate:v2`;
    expect(tollgate(["bundle", "push", GATE, ref]).code).toBe(0);
    const r = tollgate(["eval", "--policy", ref, "--verification-key", otherPub, ...EXAMPLE]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("bundle rejected");
  });

  test("pull of a tag that is not there, and push of a file that is not a bundle, are one-line errors", () => {
    const r = tollgate(["bundle", "pull", `oci://${reg.host}/acme/gate:nope`, "-o", join(dir, "x.tar.gz")]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("not found in the registry (404)");
    writeFileSync(join(dir, "junk.tar.gz"), "not a bundle");
    const p = tollgate(["bundle", "push", join(dir, "junk.tar.gz"), `oci://${reg.host}/acme/gate:junk`]);
    expect(p.code).toBe(2);
    expect(p.stderr.trim().split("\n")).toHaveLength(1);
  });
});

describe("interoperability with the real opa and oras", () => {
  test("a bundle pushed with the real oras loads in tollgate eval and tollgate test", () => {
    const work = tempDir();
    copyFileSync(GATE, join(work, "bundle.tar.gz"));
    writeFileSync(join(work, "config.json"), "{}");
    const ref = `${reg.host}/acme/oras-gate:v1`;
    const r = runPeer("oras", ["push", "--plain-http", ref, "--config", "config.json:application/vnd.oci.image.config.v1+json", "bundle.tar.gz:application/vnd.oci.image.layer.v1.tar+gzip"], { cwd: work });
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const ev = tollgate(["eval", "--policy", `oci://${ref}`, "--verification-key", PUB, ...EXAMPLE]);
    expect(ev.stderr).toBe("");
    expect(ev.code).toBe(0);

    // conftest-style: a main/deny bundle built by tollgate, pushed by oras, used by tollgate test.
    mkdirSync(join(work, "policy"));
    writeFileSync(join(work, "policy/main.rego"), 'package main\n\ndeny contains msg if {\n\tinput.kind == "Pod"\n\tmsg := "pods are not allowed"\n}\n');
    expect(tollgate(["bundle", "build", join(work, "policy"), "-o", join(work, "checks.tar.gz"), "-e", "main/deny"]).code).toBe(0);
    expect(runPeer("oras", ["push", "--plain-http", `${reg.host}/acme/checks:v1`, "--config", "config.json:application/vnd.oci.image.config.v1+json", "checks.tar.gz:application/vnd.oci.image.layer.v1.tar+gzip"], { cwd: work }).code).toBe(0);
    writeFileSync(join(work, "pod.yaml"), "kind: Pod\nmetadata: {name: x}\n");
    const t = tollgate(["test", "--policy", `oci://${reg.host}/acme/checks:v1`, "--allow-unsigned", join(work, "pod.yaml")]);
    expect(t.stdout).toContain("pods are not allowed");
    expect(t.code).toBe(1);
  });

  test("the real opa run --server activates a signed bundle tollgate pushed (services type oci)", async () => {
    const work = tempDir();
    writeFileSync(join(work, "demo.rego"), "package demo\n\nallow if input.user == data.allowed_user\n");
    writeFileSync(join(work, "data.json"), JSON.stringify({ allowed_user: "alice" }));
    const built = Bun.spawnSync([opaPath(), "build", "-b", ".", "-o", "opa.tar.gz", "--revision", "oci-1"], { cwd: work, stderr: "pipe" });
    expect(built.exitCode).toBe(0);
    expect(tollgate(["bundle", "sign", join(work, "opa.tar.gz"), "--signing-key", PRIV, "--signing-alg", "ES256", "--key-id", "release"]).code).toBe(0);
    const resource = `${reg.host}/acme/opa-bundle:v1`;
    expect(tollgate(["bundle", "push", join(work, "opa.tar.gz"), `oci://${resource}`]).code).toBe(0);
    const port = await freePort();
    const pem = readFileSync(PUB, "utf8").trim().split("\n").map((l) => `      ${l}`).join("\n");
    writeFileSync(join(work, "opa.yaml"), `services:
  reg:
    url: http://${reg.host}
    type: oci
bundles:
  demo:
    service: reg
    resource: ${resource}
    persist: false
    polling:
      min_delay_seconds: 1
      max_delay_seconds: 2
    signing:
      keyid: release
keys:
  release:
    algorithm: ES256
    key: |
${pem}
`);
    const opa = Bun.spawn([opaPath(), "run", "--server", "--addr", `127.0.0.1:${port}`, "--config-file", join(work, "opa.yaml")], { cwd: work, stdout: "ignore", stderr: "pipe" });
    let log = "";
    void (async () => {
      for await (const c of opa.stderr as ReadableStream<Uint8Array>) log += new TextDecoder().decode(c);
    })();
    try {
      let revision: unknown;
      for (let i = 0; i < 200 && revision !== "oci-1"; i++) {
        await Bun.sleep(100);
        try {
          revision = ((await (await fetch(`http://127.0.0.1:${port}/v1/data/system/bundles/demo/manifest/revision`)).json()) as { result?: unknown }).result;
        } catch {
          // not listening yet
        }
      }
      expect(revision, log).toBe("oci-1");
      const allow = (await (await fetch(`http://127.0.0.1:${port}/v1/data/demo/allow`, { method: "POST", body: JSON.stringify({ input: { user: "alice" } }) })).json()) as { result?: unknown };
      expect(allow.result).toBe(true);
    } finally {
      opa.kill();
      await opa.exited;
    }
  });
});
