// The Sigstore client conformance cases in ../shared/fixtures/sigstore/conformance: each behaves as its name
// says (`_fail` = rejected), through the library and through `tollgate sigstore verify-bundle` as a subprocess.
// Plus the CLI protocol itself (usage errors, digests, --trusted-root) against a self-made Sigstore instance.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadPublicKeyPem } from "../src/crypto/keys.ts";
import { publicGoodTrustedRoot } from "../src/sigstore/trusted-root.ts";
import { verifySigstoreBundle } from "../src/sigstore/verify.ts";
import { FIXTURES, REPO_ROOT, fixtureDescribe, haveFixtures } from "./support/fixtures.ts";
import { IN_TOTO_JSON, TEST_IDENTITY, TEST_ISSUER, generateTestKey, makeStatement, makeTestSigstore, sha256hex, type TestSigstore } from "./support/keys.ts";

const CONFORMANCE = join(FIXTURES, "sigstore", "conformance");
const DEFAULT_IDENTITY = "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main";
const DEFAULT_ISSUER = "https://token.actions.githubusercontent.com";
// After every integrated time in the corpus: the library path gets a fixed instant, never the clock.
const LIBRARY_TIME = new Date("2026-06-01T00:00:00Z");

function cli(args: string[]): { code: number; stderr: string; stdout: string } {
  const r = Bun.spawnSync([process.execPath, join(REPO_ROOT, "src/cli/main.ts"), "sigstore", "verify-bundle", ...args], { cwd: REPO_ROOT, stderr: "pipe", stdout: "pipe" });
  return { code: r.exitCode ?? -1, stderr: r.stderr.toString(), stdout: r.stdout.toString() };
}

interface Case {
  name: string;
  dir: string;
  fail: boolean;
  bundle: string;
  artifact: string;
  key?: string;
  trustedRoot?: string;
  identity: string;
  issuer: string;
}

function cases(): Case[] {
  if (!haveFixtures) return [];
  return readdirSync(CONFORMANCE, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => {
    const dir = join(CONFORMANCE, d.name);
    const opt = (f: string) => (existsSync(join(dir, f)) ? join(dir, f) : undefined);
    const c: Case = {
      name: d.name,
      dir,
      fail: d.name.endsWith("_fail"),
      bundle: join(dir, "bundle.sigstore.json"),
      artifact: opt("artifact") ?? join(CONFORMANCE, "a.txt"),
      identity: opt("identity") ? readFileSync(join(dir, "identity"), "utf8").trim() : DEFAULT_IDENTITY,
      issuer: opt("issuer") ? readFileSync(join(dir, "issuer"), "utf8").trim() : DEFAULT_ISSUER,
    };
    if (opt("key.pub")) c.key = opt("key.pub")!;
    if (opt("trusted_root.json")) c.trustedRoot = opt("trusted_root.json")!;
    return c;
  });
}

// Each rejected case's first failed check: rejected for its own reason, not for any reason. (The log entry
// binds the signature and content, so tampering shows first as a tlog body mismatch.)
const FIRST_FAILURE: Record<string, [string, string]> = {
  "invalid-inclusion-proof_fail": ["sigstore.bundle", "malformed"],
  "checkpoint-wrong-roothash_fail": ["transparency.entries", "transparency_failed"],
  "dsse-mismatch-envelope_fail": ["transparency.tlog", "transparency_failed"],
  "dsse-invalid-sig_fail": ["transparency.tlog", "transparency_failed"],
  "signature-mismatch_fail": ["transparency.tlog", "transparency_failed"],
  "wrong-hashedrekord-artifact_fail": ["transparency.tlog", "transparency_failed"],
};

function cliArgs(c: Case, target = c.artifact): string[] {
  const a = ["--bundle", c.bundle];
  if (c.key) a.push("--key", c.key);
  else a.push("--certificate-identity", c.identity, "--certificate-oidc-issuer", c.issuer);
  if (c.trustedRoot) a.push("--trusted-root", c.trustedRoot);
  a.push(target);
  return a;
}

fixtureDescribe("Sigstore conformance: bundle-verify cases", () => {
  const all = cases();
  test("the corpus is there", () => {
    expect(all.length).toBeGreaterThanOrEqual(12);
    expect(all.filter((c) => c.fail).length).toBeGreaterThanOrEqual(7);
  });

  for (const c of all) {
    test(`${c.name}: library ${c.fail ? "rejects" : "verifies"}`, async () => {
      let keys;
      try {
        keys = c.key ? [loadPublicKeyPem(c.key)] : [];
      } catch (e) {
        // managed-key-wrong-key_fail ships a key that is not a point on P-256: refused at load time.
        expect(c.fail).toBe(true);
        expect((e as { code: string }).code).toBe("malformed");
        return;
      }
      const r = await verifySigstoreBundle(JSON.parse(readFileSync(c.bundle, "utf8")), {
        trustedRoot: publicGoodTrustedRoot(),
        keys,
        now: LIBRARY_TIME,
        artifact: { bytes: new Uint8Array(readFileSync(c.artifact)) },
        requireTransparency: true,
        ...(c.key ? {} : { identity: { identity: c.identity, issuer: c.issuer } }),
      });
      const failed = r.checks.filter((k) => !k.ok);
      if (c.fail) {
        expect(r.ok).toBe(false);
        expect([c.name, failed[0]?.name, failed[0]?.code]).toEqual([c.name, ...(FIRST_FAILURE[c.name] ?? ["(add this case to FIRST_FAILURE)", ""])]);
        expect(failed[0]!.reason!.length).toBeGreaterThan(5);
      } else {
        expect(failed).toEqual([]);
        expect(r.ok).toBe(true);
        expect(r.signer?.type).toBe(c.key ? "key" : "keyless");
      }
    });

    test(`${c.name}: CLI exits ${c.fail ? 1 : 0}`, () => {
      const r = cli(cliArgs(c));
      expect(r.code).toBe(c.fail ? 1 : 0);
      const lines = r.stderr.trim().split("\n");
      expect(lines.length).toBe(1);
      expect(lines[0]).toStartWith(c.fail ? "rejected: " : "verified: ");
    });
  }

  test("specific failure reasons name the problem", async () => {
    const reason = (name: string) => cli(cliArgs(cases().find((c) => c.name === name)!)).stderr;
    expect(reason("checkpoint-wrong-roothash_fail")).toContain("checkpoint size 75610772 differs from the inclusion proof's treeSize");
    expect(reason("invalid-inclusion-proof_fail")).toContain("inclusionProof.checkpoint");
    expect(reason("dsse-invalid-sig_fail")).toContain("signature mismatch");
    expect(reason("managed-key-wrong-key_fail")).toContain("key.pub: invalid SPKI public key");
  });

  test("a message-signature bundle verifies against the artifact's digest", () => {
    for (const name of ["happy-path-v0.1", "happy-path-v0.3", "managed-key-happy-path"]) {
      const c = cases().find((x) => x.name === name)!;
      expect(cli(cliArgs(c, `sha256:${sha256hex(readFileSync(c.artifact))}`)).code).toBe(0);
    }
    for (const name of ["signature-mismatch_fail", "wrong-hashedrekord-artifact_fail"]) {
      const c = cases().find((x) => x.name === name)!;
      expect(cli(cliArgs(c, `sha256:${sha256hex(readFileSync(c.artifact))}`)).code).toBe(1);
    }
  });

  test("--trusted-root with the public-good root file behaves like the embedded default", () => {
    const c = cases().find((x) => x.name === "happy-path-v0.2")!;
    const root = join(FIXTURES, "sigstore", "trusted-root-public-good.json");
    expect(cli([...cliArgs(c).slice(0, -1), "--trusted-root", root, c.artifact]).code).toBe(0);
    const bad = cases().find((x) => x.name === "signature-mismatch_fail")!;
    expect(cli([...cliArgs(bad).slice(0, -1), "--trusted-root", root, bad.artifact]).code).toBe(1);
  });

  test("a trusted root with an open-ended start is refused (exit 2)", () => {
    const c = cases().find((x) => x.name === "happy-path-v0.2")!;
    const root = JSON.parse(readFileSync(join(FIXTURES, "sigstore", "trusted-root-public-good.json"), "utf8"));
    delete root.certificateAuthorities[1].validFor.start;
    const dir = mkdtempSync(join(tmpdir(), "tollgate-root-"));
    try {
      writeFileSync(join(dir, "root.json"), JSON.stringify(root));
      const r = cli([...cliArgs(c).slice(0, -1), "--trusted-root", join(dir, "root.json"), c.artifact]);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain("root.json: trusted root: certificateAuthorities[1].validFor.start is missing");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("a DSSE bundle's FILE_OR_DIGEST may be the subject digest", () => {
    const c = cases().find((x) => x.name === "happy-path-intoto-in-dsse-v3")!;
    const digest = `sha256:${sha256hex(readFileSync(c.artifact))}`;
    expect(cli(cliArgs(c, digest)).code).toBe(0);
    const r = cli(cliArgs(c, `sha256:${"ab".repeat(32)}`));
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("binding.artifact: no statement subject has sha256:abab");
  });

  test("the wrong identity or issuer is rejected (exit 1)", () => {
    const c = cases().find((x) => x.name === "happy-path-v0.3")!;
    let r = cli(["--bundle", c.bundle, "--certificate-identity", DEFAULT_IDENTITY.replace("main", "dev"), "--certificate-oidc-issuer", DEFAULT_ISSUER, c.artifact]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("signature.identity");
    // A prefix is not the identity: the match is exact.
    r = cli(["--bundle", c.bundle, "--certificate-identity", "https://github.com/sigstore-conformance/", "--certificate-oidc-issuer", DEFAULT_ISSUER, c.artifact]);
    expect(r.code).toBe(1);
    // ...unless a regexp is asked for explicitly.
    r = cli(["--bundle", c.bundle, "--certificate-identity-regexp", "^https://github\\.com/sigstore-conformance/", "--certificate-oidc-issuer", DEFAULT_ISSUER, c.artifact]);
    expect(r.code).toBe(0);
    r = cli(["--bundle", c.bundle, "--certificate-identity-regexp", "^https://github\\.com/other/", "--certificate-oidc-issuer", DEFAULT_ISSUER, c.artifact]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("expected to match /^https://github\\.com/other//");
    r = cli(["--bundle", c.bundle, "--certificate-identity", DEFAULT_IDENTITY, "--certificate-oidc-issuer", "https://accounts.google.com", c.artifact]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("identity_mismatch");
  });
});

describe("tollgate sigstore verify-bundle: protocol", () => {
  let dir: string;
  let sig: TestSigstore;
  const artifact = new TextEncoder().encode("cli artifact\n");
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "tollgate-conf-"));
    sig = await makeTestSigstore();
    writeFileSync(join(dir, "root.json"), JSON.stringify(sig.trustedRoot));
    writeFileSync(join(dir, "artifact"), artifact);
    const stmt = JSON.stringify(makeStatement([{ name: "artifact", sha256: sha256hex(artifact) }]));
    writeFileSync(join(dir, "keyless.json"), JSON.stringify(await sig.keyless({ content: { message: artifact }, integratedTime: 1_700_000_000 })));
    writeFileSync(join(dir, "dsse.json"), JSON.stringify(await sig.keyless({ content: { dsse: { payloadType: IN_TOTO_JSON, payload: stmt } }, integratedTime: 1_700_000_000 })));
    const key = generateTestKey("p384");
    writeFileSync(join(dir, "key.pub"), key.pem);
    writeFileSync(join(dir, "wrong.pub"), generateTestKey("p384").pem);
    writeFileSync(join(dir, "managed.json"), JSON.stringify(await sig.managed({ content: { message: artifact }, key })));
    writeFileSync(join(dir, "future.json"), JSON.stringify(await sig.keyless({ content: { message: artifact }, integratedTime: 4_000_000_000 })));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const keyless = (bundle: string, target: string, extra: string[] = []) =>
    cli(["--bundle", join(dir, bundle), "--certificate-identity", TEST_IDENTITY, "--certificate-oidc-issuer", TEST_ISSUER, "--trusted-root", join(dir, "root.json"), ...extra, target]);

  test("keyless with --trusted-root verifies (exit 0)", () => {
    const r = keyless("keyless.json", join(dir, "artifact"));
    expect(r.stderr).toContain(`verified: ${join(dir, "keyless.json")} (sigstore-bundle-v0.3) signed by ${TEST_IDENTITY}`);
    expect(r.code).toBe(0);
  });

  test("a root whose log key is open-ended (\"end\": null) verifies; one whose closed window ended before the entry is rejected", () => {
    const root = JSON.parse(JSON.stringify(sig.trustedRoot)) as { tlogs: { publicKey: { validFor: unknown } }[] };
    root.tlogs[0]!.publicKey.validFor = { start: "2020-01-01T00:00:00Z", end: null };
    writeFileSync(join(dir, "open-root.json"), JSON.stringify(root));
    const base = ["--bundle", join(dir, "keyless.json"), "--certificate-identity", TEST_IDENTITY, "--certificate-oidc-issuer", TEST_ISSUER];
    expect(cli([...base, "--trusted-root", join(dir, "open-root.json"), join(dir, "artifact")]).code).toBe(0);
    root.tlogs[0]!.publicKey.validFor = { start: "2020-01-01T00:00:00Z", end: new Date(1_700_000_000_000).toISOString() };
    writeFileSync(join(dir, "closed-root.json"), JSON.stringify(root));
    expect(cli([...base, "--trusted-root", join(dir, "closed-root.json"), join(dir, "artifact")]).code).toBe(0);
    root.tlogs[0]!.publicKey.validFor = { start: "2020-01-01T00:00:00Z", end: new Date(1_699_999_999_000).toISOString() };
    writeFileSync(join(dir, "ended-root.json"), JSON.stringify(root));
    expect(cli([...base, "--trusted-root", join(dir, "ended-root.json"), join(dir, "artifact")]).code).toBe(1);
  });

  test("--staging with a --trusted-root uses that root", () => {
    expect(keyless("keyless.json", join(dir, "artifact"), ["--staging"]).code).toBe(0);
  });

  test("DSSE bundle: the artifact file or its digest", () => {
    expect(keyless("dsse.json", join(dir, "artifact")).code).toBe(0);
    expect(keyless("dsse.json", `sha256:${sha256hex(artifact)}`).code).toBe(0);
    expect(keyless("dsse.json", `sha256:${"0".repeat(64)}`).code).toBe(1);
  });

  test("the same bundle against the public-good root is rejected", () => {
    const r = cli(["--bundle", join(dir, "keyless.json"), "--certificate-identity", TEST_IDENTITY, "--certificate-oidc-issuer", TEST_ISSUER, join(dir, "artifact")]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("is not a log of the trusted root");
  });

  test("a log time in the future of the current instant is rejected", () => {
    const r = keyless("future.json", join(dir, "artifact"));
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("is after the verification time");
  });

  test("managed P-384 key: right key 0, wrong key 1", () => {
    const base = ["--bundle", join(dir, "managed.json"), "--trusted-root", join(dir, "root.json")];
    expect(cli([...base, "--key", join(dir, "key.pub"), join(dir, "artifact")]).code).toBe(0);
    const r = cli([...base, "--key", join(dir, "wrong.pub"), join(dir, "artifact")]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("no_trusted_key");
  });

  test("usage errors and unreadable inputs exit 2 with one line", () => {
    const two = (args: string[], want: string) => {
      const r = cli(args);
      expect(r.code).toBe(2);
      expect(r.stderr.trim().split("\n")).toHaveLength(1);
      expect(r.stderr).toContain(want);
    };
    two(["--staging", "--bundle", join(dir, "keyless.json"), "--certificate-identity", TEST_IDENTITY, "--certificate-oidc-issuer", TEST_ISSUER, join(dir, "artifact")],
      "no Sigstore staging trusted root is available offline");
    two(["--bundle", join(dir, "keyless.json"), join(dir, "artifact")], "give --key PATH_TO_KEY, or --certificate-identity");
    two(["--bundle", join(dir, "keyless.json"), "--certificate-identity", TEST_IDENTITY, join(dir, "artifact")], "--certificate-oidc-issuer URL is required");
    two(["--bundle", join(dir, "managed.json"), "--key", join(dir, "key.pub"), "--certificate-identity", "x", "--certificate-oidc-issuer", "y", join(dir, "artifact")], "not both");
    two(["--certificate-identity", TEST_IDENTITY, "--certificate-oidc-issuer", TEST_ISSUER, join(dir, "artifact")], "--bundle FILE is required");
    two(["--bundle", join(dir, "missing.json"), "--key", join(dir, "key.pub"), join(dir, "artifact")], "missing.json: bundle not found");
    two(["--bundle", join(dir, "managed.json"), "--key", join(dir, "missing.pub"), join(dir, "artifact")], "missing.pub: public key not found");
    two(["--bundle", join(dir, "managed.json"), "--key", join(dir, "key.pub"), join(dir, "nope")], "nope: artifact not found");
    two(["--bundle", join(dir, "managed.json"), "--key", join(dir, "key.pub")], "give exactly one FILE_OR_DIGEST");
    two(["--bundle", join(dir, "managed.json"), "--key", join(dir, "key.pub"), "--bogus", join(dir, "artifact")], "bogus");
    two(["--bundle", join(dir, "keyless.json"), "--certificate-identity-regexp", "(", "--certificate-oidc-issuer", TEST_ISSUER, "--trusted-root", join(dir, "root.json"), join(dir, "artifact")],
      "--certificate-identity-regexp: Invalid regular expression");
  });

  test("a bundle that is not JSON is rejected (exit 1)", () => {
    writeFileSync(join(dir, "junk.json"), "{ not json");
    const r = cli(["--bundle", join(dir, "junk.json"), "--key", join(dir, "key.pub"), join(dir, "artifact")]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("junk.json: not JSON");
  });
});
