// SEV-SNP chain revocation from a supplied AMD CRL (ARK-signed, RSASSA-PSS SHA-384 salt 48), generated at test
// time with a synthetic hierarchy; the real fixtures must still verify (revocation unchecked without a CRL).
import { beforeAll, describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { TollgateError } from "../src/core/errors.ts";
import { collectEvidence } from "../src/evidence/collect.ts";
import { makeVerifyContext, sourceFromBytes, sourceFromText } from "../src/evidence/source.ts";
import type { Check, SourceFile } from "../src/evidence/types.ts";
import { amdTrust } from "../src/evidence/tee/common/roots.ts";
import { parseCertificate, parseCertificateList } from "../src/evidence/tee/common/x509.ts";
import { makeSevSnpKind, sevSnpKind } from "../src/evidence/tee/sev-snp/index.ts";
import { makeAmdChain, makeAmdCrl, signedReport, type SyntheticAmd, syntheticTrust } from "./support/amd-chain.ts";
import { fixture, fixtureDescribe } from "./support/fixtures.ts";

let milan: SyntheticAmd;
let turin: SyntheticAmd;
let other: SyntheticAmd; // an unrelated Milan hierarchy: same names, different ARK key

beforeAll(async () => {
  [milan, turin, other] = await Promise.all([makeAmdChain(), makeAmdChain({ product: "turin" }), makeAmdChain()]);
}, 60_000);

type Extra = { path: string; bytes: Uint8Array | string; explicit?: boolean };

async function run(chain: SyntheticAmd, extra: Extra[], o: { time?: Date; vlek?: boolean } = {}) {
  const kind = makeSevSnpKind({ trust: syntheticTrust(chain) });
  const report = await signedReport(chain, o.vlek ? { signingKey: 1 } : {});
  const rf = sourceFromBytes("/build/report.bin", report);
  const cert: Extra = { path: o.vlek ? "/build/vlek.der" : "/build/vcek.der", bytes: o.vlek ? chain.vlekDer : chain.vcekDer };
  const files: SourceFile[] = [rf, ...[cert, ...extra].map((c) => (typeof c.bytes === "string" ? sourceFromText(c.path, c.bytes, c.explicit) : sourceFromBytes(c.path, c.bytes, c.explicit)))];
  const parsed = kind.parse(rf);
  const ctx = makeVerifyContext({ time: o.time ?? chain.validTime, files });
  const checks = await kind.verify(parsed, rf, ctx);
  const [record] = kind.normalize(parsed, checks, rf, ctx);
  return { checks, record: record!, materials: kind.materials!(rf, files) };
}

function failed(checks: Check[]): Check[] {
  return checks.filter((c) => !c.ok);
}

/** The revocation check is the one and only failure, with this code and reason. */
function expectRevocationFailure(checks: Check[], code: string, reason: RegExp) {
  const bad = failed(checks);
  expect(bad.map((c) => c.name)).toEqual(["hardware.revocation"]);
  expect(bad[0]!.code).toBe(code as never);
  expect(bad[0]!.reason).toMatch(reason);
}

const crlFile = (der: Uint8Array): Extra => ({ path: "/build/crl.der", bytes: der });

describe("sev-snp revocation: supplied AMD CRL", () => {
  test("no CRL: no revocation check, hardware.revocation is unchecked and the report still verifies", async () => {
    const { checks, record } = await run(milan, []);
    expect(failed(checks)).toEqual([]);
    expect(checks.find((c) => c.name === "hardware.revocation")).toBeUndefined();
    expect(record.hardware!.revocation).toBe("unchecked");
    expect(record.hardware!.status).toBe("verified");
  });

  test("a current ARK-signed CRL not listing the chain: checked, after cert_validity, and a material of the report", async () => {
    const crl = await makeAmdCrl(milan, { revoked: ["7777"] });
    const { checks, record, materials } = await run(milan, [crlFile(crl.der)]);
    expect(failed(checks)).toEqual([]);
    const names = checks.map((c) => c.name);
    expect(names.indexOf("hardware.revocation")).toBe(names.indexOf("hardware.cert_validity") + 1);
    const check = checks.find((c) => c.name === "hardware.revocation")!;
    expect(check.detail).toMatchObject({ status: "checked", crl: "/build/crl.der", revokedCount: 1 });
    expect(record.hardware!.revocation).toBe("checked");
    expect(record.signature.status).toBe("verified");
    expect(record.source.materials!.map((m) => m.path)).toEqual(["/build/vcek.der", "/build/crl.der"]);
    expect(materials).toEqual(["/build/vcek.der", "/build/crl.der"]);
  });

  test("a PEM CRL is read the same way, under the RFC 7468 label (X509 CRL) or the legacy one (CRL)", async () => {
    const crl = await makeAmdCrl(milan, { revoked: ["010001"] });
    expect(crl.pem).toStartWith("-----BEGIN CRL-----\n");
    const rfc7468 = crl.pem.replace(/-----(BEGIN|END) CRL-----/g, "-----$1 X509 CRL-----");
    for (const pem of [crl.pem, `notes\n${rfc7468}\n`]) {
      const { checks, record } = await run(milan, [{ path: "/build/crl.pem", bytes: pem }]);
      expectRevocationFailure(checks, "certificate_invalid", /^SEV-Milan \(serial 010001\) is revoked by \/build\/crl\.pem since /);
      expect(record.hardware!.revocation).toBe("failed");
    }
  });

  test("a revoked ASK fails, naming the certificate and its serial", async () => {
    const crl = await makeAmdCrl(milan, { revoked: ["7777", "010001"] });
    const { checks, record } = await run(milan, [crlFile(crl.der)]);
    expectRevocationFailure(checks, "certificate_invalid", /^SEV-Milan \(serial 010001\) is revoked by \/build\/crl\.der since /);
    expect(record.hardware!.revocation).toBe("failed");
    expect(record.hardware!.status).toBe("failed");
    expect(record.signature.status).toBe("failed");
  });

  test("a revoked ASVK fails a VLEK-signed report; the ASK's listing does not touch it", async () => {
    const asvk = await makeAmdCrl(milan, { revoked: ["010002"] });
    const r = await run(milan, [crlFile(asvk.der)], { vlek: true });
    expectRevocationFailure(r.checks, "certificate_invalid", /^SEV-VLEK-Milan \(serial 010002\) is revoked by \/build\/crl\.der/);
    const ask = await makeAmdCrl(milan, { revoked: ["010001"] });
    const ok = await run(milan, [crlFile(ask.der)], { vlek: true });
    expect(failed(ok.checks)).toEqual([]);
  });

  test("a VCEK serial listed in the CRL fails too (serials compare as unsigned integers)", async () => {
    // The VCEK's serial has its high bit set, so DER carries a leading 00 byte; the CRL is given it without.
    const serial = parseCertificate(milan.vcekDer).serialHex.replace(/^00/, "");
    const crl = await makeAmdCrl(milan, { revoked: [serial] });
    const { checks } = await run(milan, [crlFile(crl.der)]);
    expectRevocationFailure(checks, "certificate_invalid", new RegExp(`^SEV-VCEK \\(serial ${serial}\\) is revoked by /build/crl\\.der since `));
  });

  test("an expired CRL (nextUpdate before ctx.time) fails", async () => {
    const crl = await makeAmdCrl(milan, { thisUpdate: new Date("2025-01-01T00:00:00Z"), nextUpdate: new Date("2025-02-01T00:00:00Z") });
    const { checks } = await run(milan, [crlFile(crl.der)], { time: new Date("2025-03-01T00:00:00Z") });
    expectRevocationFailure(checks, "certificate_invalid",
      /^CRL \/build\/crl\.der expired: nextUpdate 2025-02-01T00:00:00\.000Z is before the verification time 2025-03-01T00:00:00\.000Z$/);
    // The same CRL at a time inside its window is fine: validity is judged at ctx.time, not the wall clock.
    const inside = await run(milan, [crlFile(crl.der)], { time: new Date("2025-01-15T00:00:00Z") });
    expect(failed(inside.checks)).toEqual([]);
  });

  test("a CRL not yet valid (thisUpdate after ctx.time) fails", async () => {
    const crl = await makeAmdCrl(milan, { thisUpdate: new Date("2027-01-01T00:00:00Z"), nextUpdate: new Date("2027-02-01T00:00:00Z") });
    const { checks } = await run(milan, [crlFile(crl.der)], { time: new Date("2026-06-01T00:00:00Z") });
    expectRevocationFailure(checks, "certificate_invalid",
      /^CRL \/build\/crl\.der is not yet valid: thisUpdate 2027-01-01T00:00:00\.000Z is after the verification time 2026-06-01T00:00:00\.000Z$/);
  });

  test("a CRL under the ARK's name signed by another key fails, even when it lists nothing", async () => {
    const crl = await makeAmdCrl(milan, { signingKey: other.arkKey.privateKey });
    const { checks, record } = await run(milan, [crlFile(crl.der)]);
    expectRevocationFailure(checks, "signature_failed",
      /^CRL \/build\/crl\.der is not signed by the pinned ARK-Milan: RSA-PSS SHA-384 signature on CRL \/build\/crl\.der by ARK-Milan does not verify$/);
    expect(record.hardware!.revocation).toBe("failed");
  });

  test("a bit flipped in the CRL's revoked list breaks its signature", async () => {
    const crl = await makeAmdCrl(milan, { revoked: ["010001"] });
    // Turn the listed ASK serial 010001 into 010000 so the entry no longer matches: the signature must catch it.
    const der = Uint8Array.from(crl.der);
    const at = Buffer.from(der).indexOf(Buffer.from([0x02, 0x03, 0x01, 0x00, 0x01]));
    expect(at).toBeGreaterThan(0);
    der[at + 4] = 0x00;
    const { checks } = await run(milan, [crlFile(der)]);
    expectRevocationFailure(checks, "signature_failed", /^CRL \/build\/crl\.der is not signed by the pinned ARK-Milan: RSA-PSS SHA-384 signature/);
  });

  test("only another product's CRL supplied: not_found, naming the ARK wanted and the issuers given", async () => {
    const crl = await makeAmdCrl(turin);
    const { checks } = await run(milan, [crlFile(crl.der)]);
    expectRevocationFailure(checks, "not_found", /^no CRL issued by ARK-Milan among the supplied CRLs \(issuers: ARK-Turin\)$/);
  });

  test("with several CRLs for the product, the newest is used", async () => {
    const old = await makeAmdCrl(milan, { revoked: ["010001"], thisUpdate: new Date(milan.validTime.getTime() - 10 * 86_400_000) });
    const fresh = await makeAmdCrl(milan);
    const { checks } = await run(milan, [crlFile(old.der), { path: "/build/crl-new.der", bytes: fresh.der }]);
    expect(failed(checks)).toEqual([]);
    expect(checks.find((c) => c.name === "hardware.revocation")!.detail).toMatchObject({ crl: "/build/crl-new.der" });
  });

  test("a CRL in another directory is not picked up unless named", async () => {
    const crl = await makeAmdCrl(milan, { revoked: ["010001"] });
    const found = await run(milan, [{ path: "/elsewhere/crl.der", bytes: crl.der, explicit: false }]);
    expect(failed(found.checks)).toEqual([]);
    expect(found.record.hardware!.revocation).toBe("unchecked");
    expect(found.materials).toEqual(["/build/vcek.der"]);
    const named = await run(milan, [{ path: "/elsewhere/crl.der", bytes: crl.der, explicit: true }]);
    expectRevocationFailure(named.checks, "certificate_invalid", /^SEV-Milan \(serial 010001\) is revoked by \/elsewhere\/crl\.der/);
  });

  test("parseCertificateList: a CRL without nextUpdate parses; a certificate or garbage is malformed", async () => {
    const crl = await makeAmdCrl(milan, { nextUpdate: null, revoked: ["80", "010001"] });
    const parsed = parseCertificateList(crl.der, "crl.der");
    expect(parsed.nextUpdate).toBeUndefined();
    expect(parsed.issuerCN).toBe("ARK-Milan");
    expect([...parsed.revoked.keys()]).toEqual(["80", "010001"]); // DER 00 80 compares as the unsigned serial 80
    expect(parsed.signatureAlgorithm).toEqual({ kind: "rsa-pss", hash: "SHA-384", mgfHash: "SHA-384", saltLength: 48, trailer: 1 });
    const asCert = (() => {
      try {
        parseCertificateList(milan.vcekDer, "vcek.der");
      } catch (e) {
        return e;
      }
    })();
    expect(asCert).toBeInstanceOf(TollgateError);
    expect((asCert as TollgateError).code).toBe("malformed");
    expect((asCert as TollgateError).message).toMatch(/^vcek\.der is not a valid X\.509 CRL: TBSCertList lacks its signature algorithm, issuer or thisUpdate$/);
  });
});

describe("sev-snp revocation: a supplied CRL that cannot be read", () => {
  test("a garbled or truncated PEM CRL fails hardware.revocation naming the file (never ignored) and is a material", async () => {
    const pem = (await makeAmdCrl(milan)).pem;
    const garbled = await run(milan, [{ path: "/build/milan.crl", bytes: "-----BEGIN X509 CRL-----\nMIIBAAAA\n-----END X509 CRL-----\n" }]);
    expectRevocationFailure(garbled.checks, "malformed", /^CRL \/build\/milan\.crl is not (DER|a valid X\.509 CRL): /);
    expect(garbled.record.hardware!.revocation).toBe("failed");
    expect(garbled.materials).toEqual(["/build/vcek.der", "/build/milan.crl"]);
    const truncated = await run(milan, [{ path: "/build/milan.crl", bytes: pem.slice(0, pem.length / 2) }]);
    expectRevocationFailure(truncated.checks, "malformed", /^CRL \/build\/milan\.crl has no complete PEM CRL block$/);
    // A PEM certificate or any other DER beside the report is not taken for a CRL.
    const unrelated = await run(milan, [{ path: "/build/other.der", bytes: turin.vcekDer }]);
    expect(failed(unrelated.checks)).toEqual([]);
  });
});

describe("sev-snp revocation through the collect pipeline", () => {
  test("with the registered kinds, the CRL files (DER and PEM) are materials: no errors, nothing skipped, no other kind claims them", async () => {
    const crl = await makeAmdCrl(milan);
    const files = [
      sourceFromBytes("vm/report.bin", await signedReport(milan)),
      sourceFromBytes("vm/vcek.der", milan.vcekDer),
      sourceFromBytes("vm/milan.crl", crl.der),
      sourceFromText("vm/milan-crl.pem", crl.pem),
    ];
    const ctx = makeVerifyContext({ time: milan.validTime, files });
    const res = await collectEvidence(files, ctx);
    expect(res.errors).toEqual([]);
    expect(res.skipped).toEqual([]);
    expect(res.materials).toEqual(["vm/milan-crl.pem", "vm/milan.crl", "vm/vcek.der"]);
    expect(res.records.map((r) => [r.kind, r.hardware?.platform])).toEqual([["tee-report", "sev-snp"]]);
    // The registered kind pins AMD's real ARK: neither the synthetic VCEK nor the synthetic CRL verifies through it.
    expect(res.records[0]!.hardware!.status).toBe("failed");
    const bad = failed(res.records[0]!.checks!).map((c) => c.name);
    expect(bad).toContain("hardware.vcek_chain");
    expect(bad).toContain("hardware.revocation");
    const own = await collectEvidence(files, ctx, [makeSevSnpKind({ trust: syntheticTrust(milan) })]);
    expect(own.errors).toEqual([]);
    expect(own.records[0]!.hardware).toMatchObject({ status: "verified", revocation: "checked" });
  });
});

fixtureDescribe("sev-snp revocation: real reports and VCEKs (shared fixtures)", () => {
  const cases = [
    ["go-sev-guest", "attestation.bin", "vcek.testcer"],
    ["virtee", "report_milan.hex", "vcek_milan.der"],
    ["attestation-rs", "test-report.bin", "test-vcek.der"],
  ] as const;
  const at = new Date("2024-06-01T00:00:00Z");
  const load = (dir: string, name: string) => sourceFromBytes(fixture("tee", "sev-snp", dir, name), new Uint8Array(readFileSync(fixture("tee", "sev-snp", dir, name))));

  async function verifyReal(files: SourceFile[]) {
    const report = files[0]!;
    const parsed = sevSnpKind.parse(report);
    const ctx = makeVerifyContext({ time: at, files });
    const checks = await sevSnpKind.verify(parsed, report, ctx);
    return { checks, record: sevSnpKind.normalize(parsed, checks, report, ctx)[0]! };
  }

  for (const [dir, reportName, vcekName] of cases) {
    test(`${dir}: still verifies against the pinned Milan roots, revocation unchecked without a CRL`, async () => {
      const { checks, record } = await verifyReal([load(dir, reportName), load(dir, vcekName)]);
      expect(failed(checks)).toEqual([]);
      expect(record.hardware).toMatchObject({ status: "verified", root: "amd-milan", revocation: "unchecked" });
    });
  }

  test("a forged CRL under the real ARK-Milan's exact name, beside a real report, is refused by the pinned ARK-Milan", async () => {
    const crl = await makeAmdCrl(milan, { issuerDer: amdTrust("milan").ark.subjectDer });
    const dir = fixture("tee", "sev-snp", "go-sev-guest");
    const { checks, record } = await verifyReal([load("go-sev-guest", "attestation.bin"), load("go-sev-guest", "vcek.testcer"), sourceFromBytes(`${dir}/milan.crl`, crl.der)]);
    const bad = failed(checks);
    expect(bad.map((c) => c.name)).toEqual(["hardware.revocation"]);
    expect(bad[0]!.code).toBe("signature_failed");
    expect(bad[0]!.reason).toMatch(/is not signed by the pinned ARK-Milan: RSA-PSS SHA-384 signature on CRL .*milan\.crl by ARK-Milan does not verify$/);
    expect(record.hardware!.revocation).toBe("failed");
    // The same forgery under a differently encoded "ARK-Milan" name is refused on the name.
    const renamed = await verifyReal([load("go-sev-guest", "attestation.bin"), load("go-sev-guest", "vcek.testcer"), sourceFromBytes(`${dir}/milan.crl`, (await makeAmdCrl(milan)).der)]);
    const why = failed(renamed.checks);
    expect(why.map((c) => [c.name, c.code])).toEqual([["hardware.revocation", "signature_failed"]]);
    expect(why[0]!.reason).toMatch(/^CRL .*milan\.crl is not signed by the pinned ARK-Milan: CRL .*milan\.crl issuer name \(ARK-Milan\) is not byte-identical to ARK-Milan's subject name$/);
  });
});
