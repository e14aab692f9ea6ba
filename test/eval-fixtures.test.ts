// The gate over real Sigstore bundles from the conformance suite (keyless, public-good root embedded).
import { expect, test } from "bun:test";
import { fixture, fixtureDescribe } from "./support/fixtures.ts";
import { tollgate } from "./support/cli.ts";

const ID = "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main";
const ISSUER = "https://token.actions.githubusercontent.com";
const T = ["--time", "2026-11-23T00:00:00Z"];

fixtureDescribe("eval on real keyless SLSA provenance (conformance happy-path-intoto-in-dsse-v3)", () => {
  const bundle = () => fixture("sigstore/conformance/happy-path-intoto-in-dsse-v3/bundle.sigstore.json");
  const artifact = () => fixture("sigstore/conformance/a.txt");

  test("exact identity and issuer: admit, with transparency verified", () => {
    const r = tollgate(["eval", ...T, "--certificate-identity", ID, "--certificate-oidc-issuer", ISSUER, "--artifact", artifact(), "-o", "json", bundle()]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.allow).toBe(true);
    expect(j.warn.map((w: { rule: string }) => w.rule)).not.toContain("I1.transparency-log");
  });

  test("identity without its ref (a prefix) is not trusted: deny I4.signer-identity naming the signer", () => {
    const r = tollgate(["eval", ...T, "--certificate-identity", ID.replace(/@refs\/heads\/main$/, ""), "--certificate-oidc-issuer", ISSUER, "--artifact", artifact(), bundle()]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(`I4.signer-identity: provenance signed by ${ID} (issuer ${ISSUER})`);
  });

  test("right identity, wrong issuer: deny", () => {
    const r = tollgate(["eval", ...T, "--certificate-identity", ID, "--certificate-oidc-issuer", "https://accounts.google.com", "--artifact", artifact(), bundle()]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain("I4.signer-identity");
  });

  test("another artifact: deny I1.subject-digest", () => {
    const r = tollgate(["eval", ...T, "--certificate-identity", ID, "--certificate-oidc-issuer", ISSUER, "--subject", "sha256:" + "1".repeat(64), bundle()]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain("I1.subject-digest");
  });

  test("a bundle whose DSSE signature is broken: deny with the verification reason", () => {
    const bad = fixture("sigstore/conformance/dsse-invalid-sig_fail/bundle.sigstore.json");
    const r = tollgate(["eval", ...T, "--certificate-identity", ID, "--certificate-oidc-issuer", ISSUER, "--artifact", artifact(), bad]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain("DENY  I1.provenance-signature: provenance signature did not verify: tlog entry signature mismatch");
    expect(r.stdout).toContain("DENY  I1.transparency-log: transparency log entry did not verify: tlog entry signature mismatch");
  });
});

fixtureDescribe("a Nitro document is checked at its own timestamp unless --time is given", () => {
  const doc = () => fixture("tee/nitro/attestation.bin");

  test("no --time: the certificates are checked when the document was made (2022-07-14)", () => {
    const r = tollgate(["verify", doc()]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("ok    hardware.nitro_chain");
  });

  test("--time after the enclave certificate expired: certificate_invalid naming its validity", () => {
    const r = tollgate(["verify", "--time", "2026-11-23T00:00:00Z", doc()]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/FAIL  hardware\.nitro_chain: .*is not valid at 2026-11-23T00:00:00\.000Z \(valid 2022-07-14T20:46:04\.000Z to 2022-07-14T23:46:07\.000Z\) \[certificate_invalid\]/);
  });
});

fixtureDescribe("a trusted root that cannot be loaded fails verification (no fallback to the public-good root)", () => {
  test("the happy-path bundle is not verified when the configured root loader throws", async () => {
    const { collectEvidence } = await import("../src/evidence/collect.ts");
    const { makeVerifyContext, sourceFromBytes } = await import("../src/evidence/source.ts");
    const path = fixture("sigstore/conformance/happy-path-intoto-in-dsse-v3/bundle.sigstore.json");
    const file = sourceFromBytes(path, new Uint8Array(await Bun.file(path).arrayBuffer()));
    const broken = makeVerifyContext({ time: new Date("2026-11-23T00:00:00Z"), files: [file], trustedRoot: () => { throw new Error("private root is unreadable"); } });
    const { records } = await collectEvidence([file], broken);
    expect(records[0]!.signature.status).toBe("failed");
    expect(records[0]!.checks.find((c) => !c.ok)?.reason).toContain("private root is unreadable");
    // and with no root named, the embedded public-good root is the default
    const dflt = makeVerifyContext({ time: new Date("2026-11-23T00:00:00Z"), files: [file] });
    expect((await collectEvidence([file], dflt)).records[0]!.signature.status).toBe("verified");
  });
});
