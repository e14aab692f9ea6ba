// tollgate test --update: policies pulled from an OCI registry (the real distribution registry on loopback)
// as pushed by the real `conftest push`, into the first -p directory, then tested; compared with
// `conftest test --update` on the same artifact. Non-OCI sources and unsafe artifacts are refused in one line.
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { RegistryClient } from "../src/evidence/oci/client.ts";
import { parseOciReference } from "../src/evidence/oci/reference.ts";
import { tollgate } from "./support/cli.ts";
import { runPeer } from "./support/peers.ts";
import { startDistribution, tempDir, type RunningRegistry } from "./support/registry.ts";

setDefaultTimeout(60_000);

const dir = tempDir("tollgate-update-");
let reg: RunningRegistry;
const POLICY = 'package main\n\nimport rego.v1\n\ndeny contains msg if {\n\tinput.kind == "Pod"\n\tnot input.spec.securityContext.runAsNonRoot\n\tmsg := sprintf("pod %s runs as root", [input.metadata.name])\n}\n';
const POD = "kind: Pod\nmetadata:\n  name: web\n";

beforeAll(async () => {
  reg = await startDistribution();
  mkdirSync(join(dir, "src/policy"), { recursive: true });
  writeFileSync(join(dir, "src/policy/pod.rego"), POLICY);
  writeFileSync(join(dir, "src/policy/extra.json"), '{"allowed": ["nginx"]}');
  writeFileSync(join(dir, "pod.yaml"), POD);
  const push = runPeer("conftest", ["push", `${reg.host}/policies:v1`, "-p", "policy", "-d", "policy"], { cwd: join(dir, "src") });
  expect(push.code).toBe(0);
});

afterAll(async () => {
  await reg.stop();
});

let n = 0;
const fresh = () => join(dir, `dst${n++}`);

describe("--update from an OCI registry", () => {
  for (const form of ["oci://HOST/policies:v1", "HOST/policies:v1"]) {
    test(`${form}: the same files and the same result as conftest test --update`, () => {
      const url = form.replace("HOST", reg.host);
      const a = fresh();
      const b = fresh();
      const want = runPeer("conftest", ["test", "--no-color", "--update", url, "-p", a, "pod.yaml"], { cwd: dir });
      const got = tollgate(["test", "--no-color", "--update", url, "-p", b, "pod.yaml"], { cwd: dir });
      expect(want.stdout).toContain("pod web runs as root");
      expect({ code: got.code, stdout: got.stdout, stderr: got.stderr }).toEqual({ code: want.code, stdout: want.stdout, stderr: "" });
      for (const f of ["policy/pod.rego", "policy/extra.json"]) expect(readFileSync(join(b, f), "utf8")).toBe(readFileSync(join(a, f), "utf8"));
      expect(readFileSync(join(b, "policy/pod.rego"), "utf8")).toBe(POLICY);
    });
  }

  test("localhost is read as 127.0.0.1, and running again overwrites the files (as conftest)", () => {
    const d = fresh();
    const url = `oci://${reg.host.replace("127.0.0.1", "localhost")}/policies:v1`;
    expect(tollgate(["test", "--no-color", "--update", url, "-p", d, "pod.yaml"], { cwd: dir }).code).toBe(1);
    writeFileSync(join(d, "policy/pod.rego"), "package stale\n");
    expect(tollgate(["test", "--no-color", "--update", url, "-p", d, "pod.yaml"], { cwd: dir }).code).toBe(1);
    expect(readFileSync(join(d, "policy/pod.rego"), "utf8")).toBe(POLICY);
  });

  test("two URLs, the second missing: one line, exit 2, and not even the first one's files written", () => {
    const d = fresh();
    const r = tollgate(["test", "--update", `oci://${reg.host}/policies:v1`, "--update", `oci://${reg.host}/policies:nosuch`, "-p", d, "pod.yaml"], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(existsSync(d)).toBe(false);
  });

  test("a tag that does not exist: one line, exit 2, nothing written", () => {
    const d = fresh();
    const r = tollgate(["test", "--update", `oci://${reg.host}/policies:nosuch`, "-p", d, "pod.yaml"], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.stderr).toContain("404");
    expect(existsSync(d)).toBe(false);
  });

  test("a file named as the URL's last element is not overwritten (conftest's rule)", () => {
    const d = fresh();
    mkdirSync(d);
    writeFileSync(join(d, "policies:v1"), "mine");
    const r = tollgate(["test", "--update", `oci://${reg.host}/policies:v1`, "-p", d, "pod.yaml"], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("refusing to overwrite");
    expect(readFileSync(join(d, "policies:v1"), "utf8")).toBe("mine");
  });

  test("a layer whose title leaves the policy directory is refused before anything is written", async () => {
    const client = new RegistryClient({});
    const ref = parseOciReference(`oci://${reg.host}/evil:v1`, "tag");
    const enc = new TextEncoder();
    const cfg = await client.pushBlob(ref, enc.encode("{}"));
    const good = await client.pushBlob(ref, enc.encode(POLICY));
    const bad = await client.pushBlob(ref, enc.encode("package x\n"));
    const layer = (d: { digest: string; size: number }, title: string) => ({ mediaType: "application/vnd.cncf.openpolicyagent.policy.layer.v1+rego", ...d, annotations: { "org.opencontainers.image.title": title } });
    const manifest = { schemaVersion: 2, mediaType: "application/vnd.oci.image.manifest.v1+json", config: { mediaType: "application/vnd.unknown.config.v1+json", ...cfg }, layers: [layer(good, "ok.rego"), layer(bad, "../escaped.rego")] };
    await client.putManifest(ref, "v1", enc.encode(JSON.stringify(manifest)), "application/vnd.oci.image.manifest.v1+json");
    const d = fresh();
    const r = tollgate(["test", "--update", `oci://${reg.host}/evil:v1`, "-p", d, "pod.yaml"], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('layer title "../escaped.rego" leaves the policy directory');
    expect(existsSync(join(d, "ok.rego"))).toBe(false);
    expect(existsSync(join(dir, "escaped.rego"))).toBe(false);
  });

  for (const url of ["https://example.invalid/policy.rego", "git::https://example.invalid/policies.git", "github.com/org/policies"]) {
    test(`not an OCI source (${url}): a clear refusal, no download`, () => {
      const r = tollgate(["test", "--update", url, "-p", fresh(), "pod.yaml"], { cwd: dir });
      expect(r.code).toBe(2);
      expect(r.stdout).toBe("");
      expect(r.stderr.trim()).toBe(`tollgate test: ${url}: --update downloads policies from OCI registries only (oci://HOST/REPO:TAG, or HOST:PORT/REPO:TAG); fetch http, git or s3 sources yourself and pass -p`);
    });
  }
});
