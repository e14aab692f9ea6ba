// Subjects are in-toto DigestSets end to end: --subject in every strong form, --artifact computing what the
// evidence names, the gate binding on any agreeing strong digest and denying on a contradiction, and every
// reporter carrying the set.
import { beforeAll, describe, expect, test } from "bun:test";
import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ArtifactDigests, compareDigestSets, parseSubjectDigest, parseSubjectDigests } from "../src/core/digest-set.ts";
import { TollgateError } from "../src/core/errors.ts";
import { tollgate } from "./support/cli.ts";
import { dsse, newKey, provenanceStatement, writeKey, type TestKey } from "./support/sign.ts";

const BYTES = "the npm tarball bytes\n";
const hex = (alg: string, s: string) => createHash(alg).update(s).digest("hex");
const b64 = (alg: string, s: string) => createHash(alg).update(s).digest("base64");
const S256 = hex("sha256", BYTES);
const S384 = hex("sha384", BYTES);
const S512 = hex("sha512", BYTES);

describe("parseSubjectDigest", () => {
  test("every strong form", () => {
    expect(parseSubjectDigest(`sha256:${S256}`)).toEqual(["sha256", S256]);
    expect(parseSubjectDigest(`sha384:${S384.toUpperCase()}`)).toEqual(["sha384", S384]);
    expect(parseSubjectDigest(`sha512:${S512}`)).toEqual(["sha512", S512]);
    expect(parseSubjectDigest(S256)).toEqual(["sha256", S256]);
    // npm's dist.integrity (Subresource Integrity)
    expect(parseSubjectDigest(`sha512-${b64("sha512", BYTES)}`)).toEqual(["sha512", S512]);
  });

  test("bad values are usage errors naming the value", () => {
    const bad = (v: string, msg: RegExp) => {
      try {
        parseSubjectDigest(v);
        throw new Error("accepted " + v);
      } catch (e) {
        expect(e).toBeInstanceOf(TollgateError);
        expect((e as TollgateError).code).toBe("usage");
        expect((e as Error).message).toMatch(msg);
      }
    };
    bad(`sha512:${S256}`, /not a sha512 digest/);
    bad("sha256:xyz", /not a sha256 digest/);
    bad(`sha512-${b64("sha256", BYTES)}`, /not a sha512 integrity value/);
    bad(`sha256-${S256}`, /not a sha256 integrity value/); // cosign's tag spelling is not an integrity value
    bad(`md5:${"0".repeat(32)}`, /not a subject digest/);
    bad(`gitCommit:${"a".repeat(40)}`, /not a subject digest/);
  });

  test("several values name one artifact; a conflict is a usage error", () => {
    expect(parseSubjectDigests([`sha256:${S256}`, `sha512-${b64("sha512", BYTES)}`])).toEqual({ sha256: S256, sha512: S512 });
    expect(() => parseSubjectDigests([`sha256:${S256}`, `sha256:${"0".repeat(64)}`])).toThrow(/two different sha256 digests/);
  });
});

describe("compareDigestSets", () => {
  test("match, mismatch, contradiction, disjoint; opaque algorithms never count", () => {
    expect(compareDigestSets({ sha512: S512 }, { sha256: S256, sha512: S512 })).toEqual({ result: "match", algorithms: ["sha512"] });
    expect(compareDigestSets({ sha512: "0".repeat(128) }, { sha512: S512 }).result).toBe("mismatch");
    const c = compareDigestSets({ sha256: S256, sha512: "0".repeat(128) }, { sha256: S256, sha512: S512 });
    expect(c).toMatchObject({ result: "mismatch", algorithm: "sha512", contradicts: true });
    expect(compareDigestSets({ sha512: S512 }, { sha256: S256 }).result).toBe("disjoint");
    expect(compareDigestSets({ gitCommit: S256 }, { sha256: S256 }).result).toBe("disjoint");
  });

  test("ArtifactDigests computes only what is asked, from the bytes", () => {
    const a = ArtifactDigests.fromBytes(new TextEncoder().encode(BYTES));
    expect(a.set(["sha256"])).toEqual({ sha256: S256 });
    expect(a.set(["sha512"])).toEqual({ sha256: S256, sha512: S512 });
    const given = ArtifactDigests.fromDigests({ sha512: S512 });
    expect(given.get("sha256")).toBeUndefined();
  });
});

describe("eval with DigestSet subjects", () => {
  const dir = mkdtempSync(join(tmpdir(), "tollgate-digestset-"));
  const T = ["--time", "2026-06-01T00:00:00Z"];
  let key: TestKey;
  let keyFile: string;
  let artifact: string;
  let changed: string;
  const write = (name: string, content: unknown) => {
    const p = join(dir, name);
    mkdirSync(join(p, ".."), { recursive: true });
    writeFileSync(p, typeof content === "string" ? content : JSON.stringify(content));
    return p;
  };
  const withSubject = (digest: Record<string, string>) => {
    const st = provenanceStatement(S256);
    st.subject = [{ name: "pkg:npm/example@1.0.0", digest } as never];
    return st;
  };
  let sha512Only: string;

  beforeAll(() => {
    key = newKey("p256");
    keyFile = writeKey(join(dir, "k.pub"), key);
    artifact = write("example-1.0.0.tgz", BYTES);
    changed = write("changed.tgz", BYTES + "x");
    sha512Only = write("sha512/prov.json", dsse(withSubject({ sha512: S512 }), key));
  });

  test("a sha512-only subject binds --artifact (sha512 computed because the evidence names it)", () => {
    const r = tollgate(["eval", ...T, "--key", keyFile, "--artifact", artifact, "--output", "json", sha512Only]);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.subject.digest).toEqual({ sha256: S256, sha512: S512 });
  });

  test("a changed artifact denies", () => {
    const r = tollgate(["eval", ...T, "--key", keyFile, "--artifact", changed, sha512Only]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain("I1.subject-digest");
    expect(r.stdout).toContain(`sha512:${S512}`);
  });

  test("--subject sha512-<base64> (npm integrity) and sha512:<hex> bind", () => {
    expect(tollgate(["eval", ...T, "--key", keyFile, "--subject", `sha512-${b64("sha512", BYTES)}`, sha512Only]).code).toBe(0);
    expect(tollgate(["eval", ...T, "--key", keyFile, "--subject", `sha512:${S512}`, sha512Only]).code).toBe(0);
  });

  test("--subject sha256 only against a sha512-only subject: deny, saying nothing could be compared", () => {
    const r = tollgate(["eval", ...T, "--key", keyFile, "--subject", `sha256:${S256}`, sha512Only]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain("no algorithm in common");
  });

  test("sha384 subjects bind", () => {
    const p = write("sha384/prov.json", dsse(withSubject({ sha384: S384 }), key));
    expect(tollgate(["eval", ...T, "--key", keyFile, "--artifact", artifact, p]).code).toBe(0);
    expect(tollgate(["eval", ...T, "--key", keyFile, "--subject", `sha384:${S384}`, p]).code).toBe(0);
  });

  test("a sha256 match with a contradicting sha512 denies", () => {
    const p = write("contra/prov.json", dsse(withSubject({ sha256: S256, sha512: "0".repeat(128) }), key));
    const r = tollgate(["eval", ...T, "--key", keyFile, "--artifact", artifact, p]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/I1\.subject-digest: .*contradicts/);
  });

  test("upper-case hex in a statement still binds (strong digests are normalized)", () => {
    const p = write("upper/prov.json", dsse(withSubject({ sha512: S512.toUpperCase() }), key));
    const r = tollgate(["inspect", ...T, "--key", keyFile, "--artifact", artifact, p]);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).evidence[0].statement.subject[0].digest).toEqual({ sha512: S512 });
    expect(tollgate(["eval", ...T, "--key", keyFile, "--artifact", artifact, p]).code).toBe(0);
  });

  test("opaque algorithms are kept as facts and never bind", () => {
    const p = write("opaque/prov.json", dsse(withSubject({ gitCommit: "a".repeat(40), gce_image_id: "8970095005306000053" }), key));
    const i = tollgate(["inspect", ...T, "--key", keyFile, "--artifact", artifact, p]);
    expect(JSON.parse(i.stdout).evidence[0].statement.subject[0].digest).toEqual({ gitCommit: "a".repeat(40), gce_image_id: "8970095005306000053" });
    const r = tollgate(["eval", ...T, "--key", keyFile, "--artifact", artifact, p]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain("I1.subject-digest");
  });

  test("inspect and every reporter carry the digest set", () => {
    const i = JSON.parse(tollgate(["inspect", ...T, "--key", keyFile, "--artifact", artifact, sha512Only]).stdout);
    expect(i.context.subject).toEqual({ name: "example-1.0.0.tgz", digest: { sha256: S256, sha512: S512 } });
    const base = ["eval", ...T, "--key", keyFile, "--artifact", artifact, sha512Only, "--output"];
    expect(tollgate([...base, "text"]).stdout).toContain(`subject: example-1.0.0.tgz sha256:${S256} sha512:${S512}`);
    expect(tollgate([...base, "markdown"]).stdout).toContain(`sha512:${S512}`);
    expect(tollgate([...base, "tap"]).stdout).toContain(`# subject: example-1.0.0.tgz sha256:${S256} sha512:${S512}`);
    expect(tollgate([...base, "github"]).stdout).toContain(`sha512:${S512}`);
    expect(tollgate([...base, "junit"]).stdout).toContain(`<property name="subject.sha512" value="${S512}"/>`);
    expect(JSON.parse(tollgate([...base, "sarif"]).stdout).runs[0].properties.subject.digest.sha512).toBe(S512);
  });

  test("bad --subject: one line, exit 2", () => {
    const r = tollgate(["eval", ...T, "--key", keyFile, "--subject", "sha512-notbase64!", sha512Only]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.stderr).toContain("not a subject digest");
  });
});
