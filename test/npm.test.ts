// npm: publish attestations (bare Sigstore bundles and the registry's attestations response) and npm
// provenance (SLSA v1), on real registry artifacts, bound by sha512 and pinned by key or identity.
import { beforeAll, describe, expect, test } from "bun:test";
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { tollgate } from "./support/cli.ts";
import { fixture, fixtureDescribe, REPO_ROOT } from "./support/fixtures.ts";

const here = (...p: string[]) => join(REPO_ROOT, "test/fixtures/npm", ...p);
const TARBALL = here("sigstore-1.0.0.tgz");
const GV = here("gundam-visor-1.0.1.attestations.json");
const NPM_KEY = here("npm-registry-SHA256-jl3bwswu.pub");
const GV_SHA512 = "8d9d7972f676516c75014aa074e11ae604d98f0b64ec6725a61e2838ff3dab162118fa71433fb31e1550d30bd0dec9d086ce032b94457b583900c507acf39c40";
const GV_IDENTITY = ["--certificate-identity", "https://github.com/ramonpetgrave64/gundam-visor/.github/workflows/npm-publish.yml@refs/tags/v1.0.1", "--certificate-oidc-issuer", "https://token.actions.githubusercontent.com"];
const GV_TIME = ["--time", "2024-06-04T00:00:00Z"];
const BRIAN = ["--certificate-identity", "brian@dehamer.com", "--certificate-oidc-issuer", "https://github.com/login/oauth"];
const SIG_TIME = ["--time", "2023-07-12T16:00:00Z"];
const dir = mkdtempSync(join(tmpdir(), "tollgate-npm-"));
const rules = (out: string) => [...new Set([...out.matchAll(/^(?:DENY|WARN)\s+(\S+):/gm)].map((m) => m[1]))].sort();
const denies = (out: string) => [...new Set([...out.matchAll(/^DENY\s+(\S+):/gm)].map((m) => m[1]))].sort();
let requireNpm: string;
let publishGate: string;

beforeAll(() => {
  requireNpm = join(dir, "require-npm.json");
  writeFileSync(requireNpm, JSON.stringify({ required_evidence: ["npm-publish"] }));
  // sigstore@1.0.0 was published without provenance: a gate that admits on npm's publish attestation alone
  publishGate = join(dir, "npm-publish-gate.json");
  writeFileSync(publishGate, JSON.stringify({ provenance_required: false, required_evidence: ["npm-publish"] }));
});

describe("the committed tarball is the one npm published", () => {
  test("its sha512 is sigstore@1.0.0's dist.integrity", () => {
    const bytes = readFileSync(TARBALL);
    expect(createHash("sha512").update(bytes).digest("hex")).toStartWith("7bea9f6e7ff37f5fab0b36bf061200fff03099fd");
  });
});

fixtureDescribe("npm publish attestations of sigstore@1.0.0 (bare bundles v0.1, v0.2, v0.3)", () => {
  const bundles = ["bundleV01-dsse-with-proof", "bundleV02-dsse", "bundleV03-dsse"].map((b) => fixture("npm", `sigstore-1.0.0.publish.${b}.sigstore.json`));

  for (const b of bundles) {
    test(`${b.split("/").pop()}: --artifact sigstore-1.0.0.tgz binds by sha512; a changed tarball denies`, () => {
      const i = JSON.parse(tollgate(["inspect", ...SIG_TIME, ...BRIAN, "--artifact", TARBALL, b]).stdout);
      expect(i.evidence[0].kind).toBe("npm-publish");
      expect(i.evidence[0].signature.status).toBe("verified");
      expect(i.evidence[0].facts).toMatchObject({ name: "sigstore", version: "1.0.0", purl: "pkg:npm/sigstore@1.0.0", purl_matches: true });
      expect(Object.keys(i.context.subject.digest).sort()).toEqual(["sha256", "sha512"]);
      const ok = tollgate(["eval", ...SIG_TIME, ...BRIAN, "--data", publishGate, "--artifact", TARBALL, b]);
      expect(ok.stderr).toBe("");
      expect(ok.code).toBe(0);
      // the default gate still requires SLSA provenance, and nothing else is wrong
      const dflt = tollgate(["eval", ...SIG_TIME, ...BRIAN, "--data", requireNpm, "--artifact", TARBALL, b]);
      expect(denies(dflt.stdout)).toEqual(["I1.provenance-required"]);

      const changed = join(dir, "changed.tgz");
      writeFileSync(changed, Buffer.concat([readFileSync(TARBALL), Buffer.from([0])]));
      const bad = tollgate(["eval", ...SIG_TIME, ...BRIAN, "--data", publishGate, "--artifact", changed, b]);
      expect(bad.code).toBe(1);
      expect(denies(bad.stdout)).toEqual(["gate.required-evidence", "npm.publish-subject"]);
      expect(bad.stdout).toContain("sha512:7bea9f6e");
    });
  }

  test("--subject with npm's dist.integrity (sha512-<base64>) binds too", () => {
    const integrity = "sha512-" + createHash("sha512").update(readFileSync(TARBALL)).digest("base64");
    const r = tollgate(["eval", ...SIG_TIME, ...BRIAN, "--data", publishGate, "--subject", integrity, bundles[2]!]);
    expect(r.code).toBe(0);
  });

  test("a wrong identity denies the publish attestation as untrusted", () => {
    const r = tollgate(["eval", ...SIG_TIME, "--certificate-identity", "mallory@example.com", "--certificate-oidc-issuer", "https://github.com/login/oauth", "--data", publishGate, "--artifact", TARBALL, bundles[2]!]);
    expect(r.code).toBe(1);
    expect(denies(r.stdout)).toEqual(["gate.required-evidence", "npm.publish-signer"]);
    expect(r.stdout).toContain("brian@dehamer.com (issuer https://github.com/login/oauth), which is not a trusted signer");
  });

  test("the same bundle inside a registry attestations response behaves the same", () => {
    const resp = join(dir, "sigstore-1.0.0.attestations.json");
    writeFileSync(resp, JSON.stringify({ attestations: [{ predicateType: "https://github.com/npm/attestation/tree/main/specs/publish/v0.1", bundle: JSON.parse(readFileSync(bundles[2]!, "utf8")) }] }));
    const r = tollgate(["eval", ...SIG_TIME, ...BRIAN, "--data", publishGate, "--artifact", TARBALL, resp]);
    expect(r.code).toBe(0);
    const i = JSON.parse(tollgate(["inspect", ...SIG_TIME, ...BRIAN, "--artifact", TARBALL, resp]).stdout);
    expect(i.evidence[0].source.format).toBe("npm-attestations/sigstore-bundle-v0.3");
  });
});

describe("a real npm registry attestations response (gundam-visor@1.0.1: publish + SLSA provenance v1)", () => {
  const base = [...GV_TIME, "--key", NPM_KEY, ...GV_IDENTITY];

  test("admitted with npm's registry key and the publishing workflow's identity, bound by sha512", () => {
    const r = tollgate(["eval", ...base, "--data", requireNpm, "--subject", `sha512:${GV_SHA512}`, GV]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(rules(r.stdout)).toEqual(["I1.builder-id"]);
    const i = JSON.parse(tollgate(["inspect", ...base, "--subject", `sha512:${GV_SHA512}`, GV]).stdout);
    expect(i.evidence.map((e: { kind: string }) => e.kind)).toEqual(["npm-publish", "slsa-provenance"]);
    expect(i.evidence[0].signature.signers[0]).toMatchObject({ type: "key", keyid: "SHA256:jl3bwswu80PjjokCgh0o2w5c2U4LhQAE57gj9cz1kzA" });
  });

  test("another artifact denies both", () => {
    const r = tollgate(["eval", ...base, "--data", requireNpm, "--subject", `sha512:${"0".repeat(128)}`, GV]);
    expect(r.code).toBe(1);
    expect(denies(r.stdout)).toEqual(["I1.provenance-required", "I1.subject-digest", "gate.required-evidence", "npm.publish-subject"]);
  });

  test("a wrong workflow identity denies the provenance; no --key leaves the publish attestation unverified", () => {
    const wrong = tollgate(["eval", ...GV_TIME, "--key", NPM_KEY, "--certificate-identity", "https://github.com/ramonpetgrave64/gundam-visor/.github/workflows/other.yml@refs/tags/v1.0.1", "--certificate-oidc-issuer", "https://token.actions.githubusercontent.com", "--subject", `sha512:${GV_SHA512}`, GV]);
    expect(wrong.code).toBe(1);
    expect(denies(wrong.stdout)).toEqual(["I1.provenance-required", "I4.signer-identity"]);
    const noKey = tollgate(["eval", ...GV_TIME, ...GV_IDENTITY, "--subject", `sha512:${GV_SHA512}`, GV]);
    expect(noKey.code).toBe(1);
    expect(denies(noKey.stdout)).toEqual(["npm.publish-signature"]);
    expect(noKey.stdout).toContain("no --key was given");
  });

  test("a response entry whose listed predicateType is not its statement's is bad input (exit 2, one line)", () => {
    const doc = JSON.parse(readFileSync(GV, "utf8"));
    doc.attestations[0].predicateType = "https://slsa.dev/provenance/v1";
    const p = join(dir, "mislabelled.json");
    writeFileSync(p, JSON.stringify(doc));
    const r = tollgate(["inspect", ...base, p]);
    expect(r.code).toBe(0); // inspect shows the input error; eval denies on it
    expect(JSON.parse(r.stdout).errors[0].message).toContain("attestations[0] lists predicateType https://slsa.dev/provenance/v1 but its statement's is https://github.com/npm/attestation/tree/main/specs/publish/v0.1");
    const e = tollgate(["eval", ...base, "--subject", `sha512:${GV_SHA512}`, p]);
    expect(e.code).toBe(1);
    expect(e.stdout).toContain("input.error");
  });

  test("a response entry without a bundle is named", () => {
    const doc = JSON.parse(readFileSync(GV, "utf8"));
    delete doc.attestations[1].bundle;
    const p = join(dir, "nobundle.json");
    writeFileSync(p, JSON.stringify(doc));
    const r = JSON.parse(tollgate(["inspect", ...base, p]).stdout);
    expect(r.errors[0]).toMatchObject({ source: p, code: "schema_invalid" });
    expect(r.errors[0].message).toContain("attestations[1] is not {predicateType, bundle: <Sigstore bundle>}");
  });
});
