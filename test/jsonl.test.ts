// JSON Lines evidence as the field writes it: `gh attestation download` (one Sigstore bundle per line) and the
// SLSA GitHub generator's `.intoto.jsonl` (one DSSE envelope per line).
import { beforeAll, describe, expect, test } from "bun:test";
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { tollgate } from "./support/cli.ts";
import { REPO_ROOT } from "./support/fixtures.ts";
import { dsse, newKey, provenanceStatement, writeKey, type TestKey } from "./support/sign.ts";

const here = (...p: string[]) => join(REPO_ROOT, "test/fixtures/github", ...p);
const JSONL = here("sigstore-js-2.1.0_with_2_bundles.jsonl");
const TARBALL = here("sigstore-2.1.0.tgz");
const ID = ["--certificate-identity", "https://github.com/sigstore/sigstore-js/.github/workflows/release.yml@refs/heads/main", "--certificate-oidc-issuer", "https://token.actions.githubusercontent.com"];
const T = ["--time", "2023-08-29T16:00:00Z"];
const dir = mkdtempSync(join(tmpdir(), "tollgate-jsonl-"));
const denies = (out: string) => [...new Set([...out.matchAll(/^DENY\s+(\S+):/gm)].map((m) => m[1]))].sort();

describe("gh attestation download JSONL (a real file from cli/cli)", () => {
  test("the tarball is the one the provenance names", () => {
    expect(createHash("sha512").update(readFileSync(TARBALL)).digest("hex")).toStartWith("90f223f992e4c88dd068cd2a5fc57f9d");
  });

  test("each line is a verified record; admitted for the right tarball and workflow identity", () => {
    const i = JSON.parse(tollgate(["inspect", ...T, ...ID, "--artifact", TARBALL, JSONL]).stdout);
    expect(i.evidence.map((e: { kind: string; signature: { status: string } }) => [e.kind, e.signature.status])).toEqual([["slsa-provenance", "verified"], ["slsa-provenance", "verified"]]);
    expect(i.evidence[1].id).toEndWith("#1");
    const r = tollgate(["eval", ...T, ...ID, "--artifact", TARBALL, JSONL]);
    expect(r.code).toBe(0);
    expect(denies(r.stdout)).toEqual([]);
  });

  test("a changed tarball denies", () => {
    const changed = join(dir, "changed.tgz");
    writeFileSync(changed, Buffer.concat([readFileSync(TARBALL), Buffer.from("x")]));
    const r = tollgate(["eval", ...T, ...ID, "--artifact", changed, JSONL]);
    expect(r.code).toBe(1);
    expect(denies(r.stdout)).toEqual(["I1.provenance-required", "I1.subject-digest"]);
  });

  test("another workflow's identity denies", () => {
    const r = tollgate(["eval", ...T, "--certificate-identity", "https://github.com/sigstore/sigstore-js/.github/workflows/release.yml@refs/heads/evil", "--certificate-oidc-issuer", "https://token.actions.githubusercontent.com", "--artifact", TARBALL, JSONL]);
    expect(r.code).toBe(1);
    expect(denies(r.stdout)).toEqual(["I1.provenance-required", "I4.signer-identity"]);
  });

  test("a line that is not JSON is an input error naming the line", () => {
    const bad = join(dir, "bad.jsonl");
    writeFileSync(bad, readFileSync(JSONL, "utf8").split("\n")[0] + "\n{not json\n");
    const i = JSON.parse(tollgate(["inspect", ...T, ...ID, "--artifact", TARBALL, bad]).stdout);
    expect(i.errors).toEqual([{ source: bad, code: "malformed", message: "line 2 is not valid JSON" }]);
    expect(tollgate(["eval", ...T, ...ID, "--artifact", TARBALL, bad]).code).toBe(1);
  });
});

describe("SLSA GitHub generator .intoto.jsonl (DSSE envelopes, one per line), keyed at test time", () => {
  let key: TestKey;
  let keyFile: string;
  let otherKeyFile: string;
  let jsonl: string;
  const a = "first artifact\n";
  const b = "second artifact\n";
  const sha = (s: string) => createHash("sha256").update(s).digest("hex");

  beforeAll(() => {
    key = newKey("p256");
    keyFile = writeKey(join(dir, "k.pub"), key);
    otherKeyFile = writeKey(join(dir, "other.pub"), newKey("p256"));
    // the generator's multi-subject statement: every artifact of the build is a subject
    const st = provenanceStatement(sha(a));
    st.subject = [{ name: "a.bin", digest: { sha256: sha(a) } }, { name: "b.bin", digest: { sha256: sha(b) } }];
    jsonl = join(dir, "build.intoto.jsonl");
    // two lines (the generator appends one envelope per signing), each over every subject
    writeFileSync(jsonl, JSON.stringify(dsse(st, key)) + "\n" + JSON.stringify(dsse(st, key)) + "\n");
    writeFileSync(join(dir, "a.bin"), a);
    writeFileSync(join(dir, "b.bin"), b);
  });

  test("each artifact of the build is admitted with the right key; another artifact or key denies", () => {
    expect(tollgate(["eval", "--key", keyFile, "--artifact", join(dir, "a.bin"), jsonl]).code).toBe(0);
    expect(tollgate(["eval", "--key", keyFile, "--artifact", join(dir, "b.bin"), jsonl]).code).toBe(0);
    const other = join(dir, "c.bin");
    writeFileSync(other, "third\n");
    const r = tollgate(["eval", "--key", keyFile, "--artifact", other, jsonl]);
    expect(r.code).toBe(1);
    expect(denies(r.stdout)).toContain("I1.subject-digest");
    const k = tollgate(["eval", "--key", otherKeyFile, "--artifact", join(dir, "a.bin"), jsonl]);
    expect(k.code).toBe(1);
    expect(denies(k.stdout)).toContain("I1.provenance-signature");
  });

  test("the generator's keyless form (a Fulcio cert beside each signature, no log entry) says why it cannot verify offline", () => {
    // The shape slsa-framework/slsa-verifier's testdata (*.intoto.jsonl) carries: signatures[{keyid: "", sig, cert: PEM}].
    const lines = readFileSync(jsonl, "utf8").trim().split("\n").map((l) => JSON.parse(l));
    for (const env of lines) env.signatures = env.signatures.map((s: { sig: string }) => ({ keyid: "", sig: s.sig, cert: "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n" }));
    const keyless = join(dir, "keyless.intoto.jsonl");
    writeFileSync(keyless, lines.map((l) => JSON.stringify(l)).join("\n") + "\n");
    const r = tollgate(["eval", "--artifact", join(dir, "a.bin"), keyless]);
    expect(r.code).toBe(1);
    expect(denies(r.stdout)).toContain("I1.provenance-signature");
    expect(r.stdout).toContain("carries a Fulcio certificate but no transparency-log entry");
  });
});

describe("a real SLSA GitHub generator .intoto.jsonl (slsa-verifier testdata)", () => {
  const real = join(REPO_ROOT, "test/fixtures/slsa-github-generator/annotated-tag.intoto.jsonl");
  test("read as provenance (v0.1 statement, two subjects), denied: keyless without a log entry, and v0.2", () => {
    const i = JSON.parse(tollgate(["inspect", "--subject", "sha256:482ce8c8f7e867da3a3c05a9aee637703e17470ed1cf882a9e5b405e8f82619d", real]).stdout);
    expect(i.errors).toEqual([]);
    expect(i.evidence[0]).toMatchObject({ kind: "slsa-provenance", statement: { _type: "https://in-toto.io/Statement/v0.1", predicateType: "https://slsa.dev/provenance/v0.2" } });
    expect(i.evidence[0].statement.subject.map((s: { name: string }) => s.name)).toEqual(["artifact1", "artifact2"]);
    expect(i.evidence[0].signature.reason).toContain("carries a Fulcio certificate but no transparency-log entry");
    const r = tollgate(["eval", "--subject", "sha256:482ce8c8f7e867da3a3c05a9aee637703e17470ed1cf882a9e5b405e8f82619d", real]);
    expect(r.code).toBe(1);
    expect(denies(r.stdout)).toEqual(["I1.provenance-predicate", "I1.provenance-required"]);
    expect(i.evidence[0].signature.status).toBe("failed");
  });
});

