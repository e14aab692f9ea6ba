import { beforeAll, describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { TollgateError } from "../src/core/errors.ts";
import { makeVerifyContext, sourceFromBytes, sourceFromText } from "../src/evidence/source.ts";
import type { Check, SourceFile } from "../src/evidence/types.ts";
import { amdTrust } from "../src/evidence/tee/common/roots.ts";
import { parseCertificate, pemCertificates } from "../src/evidence/tee/common/x509.ts";
import { AMD_ROOTS } from "../src/evidence/tee/roots/amd.ts";
import { makeSevSnpKind, sevSnpKind } from "../src/evidence/tee/sev-snp/index.ts";
import { parseSnpReport } from "../src/evidence/tee/sev-snp/report.ts";
import { AMD_OID, verifySnp } from "../src/evidence/tee/sev-snp/verify.ts";
import {
  flipBit,
  makeAmdChain,
  reportBody,
  signedReport,
  signReport,
  type SyntheticAmd,
  syntheticTrust,
  tcbRaw,
  toPem,
} from "./support/amd-chain.ts";
import { fixture, fixtureDescribe } from "./support/fixtures.ts";

let milan: SyntheticAmd;
let turin: SyntheticAmd;
let other: SyntheticAmd; // an unrelated Milan hierarchy: its certificates must not chain to `milan`'s roots

beforeAll(async () => {
  [milan, turin, other] = await Promise.all([makeAmdChain(), makeAmdChain({ product: "turin" }), makeAmdChain()]);
}, 60_000);

async function run(chain: SyntheticAmd, report: Uint8Array | string, certs: { path: string; bytes: Uint8Array | string }[], time?: Date) {
  const kind = makeSevSnpKind({ trust: syntheticTrust(chain) });
  const rf = typeof report === "string" ? sourceFromText("/build/report.txt", report) : sourceFromBytes("/build/report.bin", report);
  const files: SourceFile[] = [rf, ...certs.map((c) => (typeof c.bytes === "string" ? sourceFromText(c.path, c.bytes) : sourceFromBytes(c.path, c.bytes)))];
  expect(kind.detect(rf)).toBe(true);
  const parsed = kind.parse(rf);
  const ctx = makeVerifyContext({ time: time ?? chain.validTime, files });
  const checks = await kind.verify(parsed, rf, ctx);
  const [record] = kind.normalize(parsed, checks, rf, ctx);
  return { checks, record: record!, parsed };
}

function failed(checks: Check[]): Check[] {
  return checks.filter((c) => !c.ok);
}

function expectOnlyFailure(checks: Check[], name: string, code: string, reason: RegExp) {
  const bad = failed(checks);
  expect(bad.length).toBeGreaterThan(0);
  expect(bad[0]!.name).toBe(name);
  expect(bad[0]!.code).toBe(code as never);
  expect(bad[0]!.reason).toMatch(reason);
}

const vcekFile = (c: SyntheticAmd) => ({ path: "/build/vcek.der", bytes: c.vcekDer });

describe("sev-snp: synthetic AMD chain (runs on a plain clone)", () => {
  for (const version of [2, 3, 4, 5] as const) {
    test(`report v${version} signed by a VCEK verifies through ASK to the ARK`, async () => {
      const report = await signedReport(milan, { version, reportData: new Uint8Array(64).fill(0xab) });
      const { checks, record } = await run(milan, report, [vcekFile(milan)]);
      expect(failed(checks)).toEqual([]);
      expect(checks.map((c) => c.name)).toEqual([
        "hardware.report_format", "hardware.endorsement_key", "hardware.product", "hardware.root", "hardware.ask_chain",
        "hardware.vcek_chain", "hardware.cert_validity", "hardware.report_signature", "hardware.tcb", "hardware.chip_id", "hardware.vmpl",
      ]);
      expect(record.kind).toBe("tee-report");
      expect(record.source.format).toBe(`sev-snp-report-v${version}`);
      expect(record.hardware!.status).toBe("verified");
      expect(record.hardware!.root).toBe("amd-milan");
      expect(record.hardware!.reportData).toBe("ab".repeat(64));
      expect(record.hardware!.signer).toBe("vcek");
      expect(record.signature.status).toBe("verified");
      expect(record.signature.signers[0]).toEqual({ type: "hardware", platform: "sev-snp", measurement: record.hardware!.measurement!, root: "amd-milan" });
      expect(record.source.materials).toEqual([{ path: "/build/vcek.der", digest: { sha256: expect.any(String) } }]);
      if (version >= 3) expect(record.hardware!.cpuid).toEqual({ family: 0x19, model: 1, stepping: 1 });
      if (version >= 5) expect(record.hardware!.launchMitVector).toBe("0000000000000003");
      else expect(record.hardware!.launchMitVector).toBeUndefined(); // v4 keeps the v3 layout: 0x1F8 reserved
    });
  }

  test("a VLEK-signed report chains through the ASVK", async () => {
    const report = await signedReport(milan, { signingKey: 1 });
    const { checks, record } = await run(milan, report, [{ path: "/build/vlek.pem", bytes: toPem(milan.vlekDer) }]);
    expect(failed(checks)).toEqual([]);
    expect(record.hardware!.signer).toBe("vlek");
    expect(checks.find((c) => c.name === "hardware.chip_id")!.detail).toEqual({ cspId: "tollgate-test-csp" });
  });

  test("Turin: TCB layout with FMC and an 8-byte hwID", async () => {
    const report = await signedReport(turin, { version: 3 });
    const { checks, record } = await run(turin, report, [vcekFile(turin)]);
    expect(failed(checks)).toEqual([]);
    const reported = (record.hardware!.tcb as { reported: Record<string, number> }).reported;
    expect(reported).toMatchObject({ fmc: 1, bootloader: 9, tee: 0, snp: 21, microcode: 72 });
    expect(record.hardware!.root).toBe("amd-turin");
  });

  test("Genoa: product name without stepping, CPUID family 19h model 11h, report v5", async () => {
    const genoa = await makeAmdChain({ product: "genoa" });
    const { checks, record } = await run(genoa, await signedReport(genoa, { version: 5 }), [vcekFile(genoa)]);
    expect(failed(checks)).toEqual([]);
    expect(record.hardware).toMatchObject({ root: "amd-genoa", product: "genoa", cpuid: { family: 0x19, model: 0x11, stepping: 1 } });
  }, 30_000);

  test("a PEM bundle holding VCEK, ASK and ARK (as KDS serves it) supplies the VCEK; its ASK/ARK are not trusted", async () => {
    const bundle = toPem(milan.vcekDer) + toPem(other.askDer) + toPem(other.arkDer);
    const { checks, record } = await run(milan, await signedReport(milan), [{ path: "/build/cert_chain.pem", bytes: bundle }]);
    expect(failed(checks)).toEqual([]);
    expect(record.source.materials!.map((m) => m.path)).toEqual(["/build/cert_chain.pem"]);
  });

  test("hex and base64 encodings of the same report are read; the VCEK may be PEM", async () => {
    const report = await signedReport(milan);
    const hex = Buffer.from(report).toString("hex").replace(/(.{64})/g, "$1\n");
    const b64 = Buffer.from(report).toString("base64");
    for (const text of [hex, b64]) {
      const { checks, parsed } = await run(milan, text, [{ path: "/build/vcek.pem", bytes: toPem(milan.vcekDer) }]);
      expect(failed(checks)).toEqual([]);
      expect(["hex", "base64"]).toContain(parsed.encoding);
    }
  });

  test("policy bits, VMPL and TCBs are normalized facts (debug is for policy to deny, not a verification failure)", async () => {
    const report = await signedReport(milan, { policy: 0x30000n | (1n << 19n) | (1n << 18n), vmpl: 2 });
    const { checks, record } = await run(milan, report, [vcekFile(milan)]);
    expect(failed(checks)).toEqual([]);
    expect(record.hardware!.debug).toBe(true);
    expect(record.hardware!.policy).toMatchObject({ debug: true, migrateMA: true, smt: true, singleSocket: false, abiMajor: 0 });
    expect(record.hardware!.vmpl).toBe(2);
    expect((record.hardware!.tcb as { reported: { snp: number } }).reported.snp).toBe(8);
  });

  test("a bit flipped in the report body breaks the report signature", async () => {
    const report = flipBit(await signedReport(milan), 0x90); // MEASUREMENT
    const { checks, record } = await run(milan, report, [vcekFile(milan)]);
    expectOnlyFailure(checks, "hardware.report_signature", "signature_failed", /signature over bytes 0x000-0x29F does not verify/);
    expect(record.hardware!.status).toBe("failed");
    expect(record.signature.status).toBe("failed");
    expect(record.signature.signers).toEqual([]);
  });

  test("a bit flipped in R or S breaks the report signature", async () => {
    const good = await signedReport(milan);
    for (const off of [0x2a0, 0x2e8 + 47]) {
      const { checks } = await run(milan, flipBit(good, off), [vcekFile(milan)]);
      expectOnlyFailure(checks, "hardware.report_signature", "signature_failed", /does not verify/);
    }
    const { checks } = await run(milan, flipBit(good, 0x2a0 + 60), [vcekFile(milan)]);
    expectOnlyFailure(checks, "hardware.report_signature", "signature_failed", /non-zero bytes above the 48-byte P-384 scalar/);
  });

  test("a bit flipped in a reserved field or the unsigned tail after S is a report_format failure", async () => {
    const good = await signedReport(milan);
    // 0x330-0x49F is not covered by the signature: only the must-be-zero rule catches it.
    let r = await run(milan, flipBit(good, 0x400), [vcekFile(milan)]);
    expect(failed(r.checks).map((c) => c.name)).toEqual(["hardware.report_format"]);
    expectOnlyFailure(r.checks, "hardware.report_format", "hardware_failed", /^reserved bytes 0x330-0x49F are not zero$/);
    // Signed reserved bytes: the format check names the range, the signature breaks too.
    r = await run(milan, flipBit(good, 0x4c), [vcekFile(milan)]);
    expectOnlyFailure(r.checks, "hardware.report_format", "hardware_failed", /^reserved bytes 0x4C-0x4F are not zero$/);
    expect(failed(r.checks).map((c) => c.name)).toEqual(["hardware.report_format", "hardware.report_signature"]);
    // v2 has no CPUID bytes: 0x188 is reserved there (in v3/v5 it is CPUID_FAM_ID).
    r = await run(milan, flipBit(await signedReport(milan, { version: 2 }), 0x188), [vcekFile(milan)]);
    expectOnlyFailure(r.checks, "hardware.report_format", "hardware_failed", /^reserved bytes 0x188-0x19F are not zero$/);
  });

  test("every single-bit flip anywhere in a v5 report is a parse error or a failed check", async () => {
    const good = await signedReport(milan, { version: 5 });
    const trust = syntheticTrust(milan);
    const vcek = parseCertificate(milan.vcekDer);
    const outcomes = new Map<string, number>();
    for (let i = 0; i < good.length; i++) {
      for (const bit of [0, 7]) {
        let key: string;
        try {
          const { checks } = await verifySnp({ report: parseSnpReport(flipBit(good, i, bit)), endorsement: vcek, time: milan.validTime, trust });
          const bad = failed(checks);
          key = bad.length > 0 ? bad[0]!.name : `VERIFIED at 0x${i.toString(16)} bit ${bit}`;
        } catch (e) {
          if (!(e instanceof TollgateError)) throw e;
          key = `parse:${e.code}`;
        }
        outcomes.set(key, (outcomes.get(key) ?? 0) + 1);
      }
    }
    expect([...outcomes.keys()].filter((k) => k.startsWith("VERIFIED"))).toEqual([]);
    // The unsigned tail is caught only by the must-be-zero rule: 0x330-0x49F is 368 bytes, two bits each.
    expect(outcomes.get("hardware.report_format")).toBeGreaterThanOrEqual(2 * (0x4a0 - 0x330));
  }, 60_000);

  test("a bit flipped in the VCEK's signature breaks the chain", async () => {
    const cert = flipBit(milan.vcekDer, milan.vcekDer.length - 5);
    const { checks } = await run(milan, await signedReport(milan), [{ path: "/build/vcek.der", bytes: cert }]);
    expectOnlyFailure(checks, "hardware.vcek_chain", "chain_broken", /RSA-PSS SHA-384 signature on SEV-VCEK by SEV-Milan does not verify/);
  });

  test("a VCEK whose outer or inner SEQUENCE tag is changed (unsigned framing bytes) is not a certificate", () => {
    for (const [at, tag] of [[0, 0x31], [4, 0x31]] as const) {
      const der = milan.vcekDer.slice();
      der[at] = tag;
      let err: unknown;
      try {
        parseCertificate(der, "vcek.der");
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(TollgateError);
      expect((err as TollgateError).message).toBe("vcek.der is not a valid X.509 certificate: not a Certificate SEQUENCE");
    }
  });

  test("a VCEK from another hierarchy does not chain to the pinned ASK", async () => {
    const report = await signedReport(other);
    const { checks, record } = await run(milan, report, [vcekFile(other)]);
    expectOnlyFailure(checks, "hardware.vcek_chain", "chain_broken", /does not verify.*must chain to the pinned SEV-Milan/);
    // the forensic view still runs the report checks against that VCEK: the report is its, the chain is not
    expect(checks.map((c) => [c.name, c.ok])).toContainEqual(["hardware.report_signature", true]);
    expect(checks.at(-1)!.name).toBe("hardware.vmpl");
    expect(record.hardware!.status).toBe("failed");
    expect(record.hardware!.root).toBeUndefined();
    expect(record.signature.signers).toEqual([]);
  });

  test("a report signed by a different key than the supplied VCEK fails", async () => {
    const report = await signReport(reportBody(milan), other.vcekKey.privateKey);
    const { checks } = await run(milan, report, [vcekFile(milan)]);
    expectOnlyFailure(checks, "hardware.report_signature", "signature_failed", /does not verify with SEV-VCEK/);
  });

  test("REPORTED_TCB must equal the VCEK's TCB extensions", async () => {
    const report = await signedReport(milan, { reportedTcb: tcbRaw("milan", { ...milan.tcb, snp: milan.tcb.snp + 1 }) });
    const { checks } = await run(milan, report, [vcekFile(milan)]);
    expectOnlyFailure(checks, "hardware.tcb", "hardware_failed", /REPORTED_TCB \(bootloader=3 tee=0 snp=9 microcode=115\) differs .* in snp/);
  });

  test("CHIP_ID must equal the VCEK hwID; a masked CHIP_ID cannot be tied to a VCEK", async () => {
    const chip = new Uint8Array(milan.chipId);
    chip[5]! ^= 0x10;
    let r = await run(milan, await signedReport(milan, { chipId: chip }), [vcekFile(milan)]);
    expectOnlyFailure(r.checks, "hardware.chip_id", "hardware_failed", /CHIP_ID [0-9a-f]+ is not the VCEK hwID/);
    r = await run(milan, await signedReport(milan, { maskChipKey: true }), [vcekFile(milan)]);
    expectOnlyFailure(r.checks, "hardware.chip_id", "hardware_failed", /MASK_CHIP_KEY/);
  });

  test("certificates are checked at ctx.time, not the wall clock", async () => {
    const report = await signedReport(milan);
    const { checks } = await run(milan, report, [vcekFile(milan)], new Date("2032-01-01T00:00:00Z"));
    expectOnlyFailure(checks, "hardware.cert_validity", "certificate_invalid", /ARK-Milan expired at 2031-01-01T00:00:00.000Z \(verification time 2032-01-01/);
    const early = await run(milan, report, [vcekFile(milan)], new Date("2023-06-01T00:00:00Z"));
    expectOnlyFailure(early.checks, "hardware.cert_validity", "certificate_invalid", /is not valid before 2024-01-01/);
  });

  test("no VCEK: not_found, naming what to supply", async () => {
    const { checks, record } = await run(milan, await signedReport(milan), []);
    expectOnlyFailure(checks, "hardware.endorsement_key", "not_found", /no VCEK certificate supplied/);
    expect(record.hardware!.status).toBe("failed");
    expect(record.hardware!.reason).toMatch(/^hardware.endorsement_key: no VCEK/);
  });

  test("a truncated VCEK is named as the reason there is no usable endorsement", async () => {
    const { checks } = await run(milan, await signedReport(milan), [{ path: "/build/vcek.der", bytes: milan.vcekDer.subarray(0, 700) }]);
    expectOnlyFailure(checks, "hardware.endorsement_key", "not_found", /^no usable VCEK\/VLEK: \/build\/vcek\.der is not DER: /);
    const pem = toPem(milan.vcekDer).replace("-----END CERTIFICATE-----", "");
    const r = await run(milan, await signedReport(milan), [{ path: "/build/vcek.pem", bytes: pem }]);
    expectOnlyFailure(r.checks, "hardware.endorsement_key", "not_found", /^no usable VCEK\/VLEK: \/build\/vcek\.pem has no complete PEM certificate$/);
  });

  test("a VCEK in another directory is not picked up unless named", async () => {
    const report = await signedReport(milan);
    const far = await run(milan, report, [{ path: "/elsewhere/vcek.der", bytes: milan.vcekDer }]);
    // sourceFromBytes marks files explicit by default: a named file anywhere is used.
    expect(failed(far.checks)).toEqual([]);
    const kind = makeSevSnpKind({ trust: syntheticTrust(milan) });
    const rf = sourceFromBytes("/build/report.bin", report);
    const walked = sourceFromBytes("/elsewhere/vcek.der", milan.vcekDer, false);
    expect(kind.materials!(rf, [rf, walked])).toEqual([]);
    expect(kind.materials!(rf, [rf, sourceFromBytes("/build/vcek.der", milan.vcekDer, false)])).toEqual(["/build/vcek.der"]);
  });

  test("the report's SIGNING_KEY must match the certificate kind", async () => {
    const report = await signedReport(milan, { signingKey: 1 });
    const { checks } = await run(milan, report, [vcekFile(milan)]);
    expectOnlyFailure(checks, "hardware.endorsement_key", "certificate_invalid", /SIGNING_KEY says VLEK but the supplied certificate \(SEV-VCEK\) is a VCEK/);
  });

  test("CPUID product must match the VCEK's product", async () => {
    const report = await signedReport(milan, { cpuid: { family: 0x1a, model: 0x02, stepping: 0 } });
    const { checks } = await run(milan, report, [vcekFile(milan)]);
    expectOnlyFailure(checks, "hardware.product", "hardware_failed", /CPUID says turin but SEV-VCEK is a milan certificate/);
  });

  test("reserved POLICY bits 63:26 and reserved SIGNER_INFO bits 31:5 are report_format failures naming the value", async () => {
    let r = await run(milan, await signedReport(milan, { policy: 0x30000n | (1n << 40n) }), [vcekFile(milan)]);
    expectOnlyFailure(r.checks, "hardware.report_format", "hardware_failed", /^POLICY reserved bits are set \(0x0000010000000000\)$/);
    const body = reportBody(milan);
    body[0x48]! |= 0x20;
    r = await run(milan, await signReport(body, milan.vcekKey.privateKey), [vcekFile(milan)]);
    expectOnlyFailure(r.checks, "hardware.report_format", "hardware_failed", /^signer info reserved bits 31:5 are set \(0x20\)$/);
  });

  test("a CPUID that is no SEV-SNP product fails hardware.product", async () => {
    const { checks } = await run(milan, await signedReport(milan, { cpuid: { family: 0x17, model: 0x31, stepping: 0 } }), [vcekFile(milan)]);
    expectOnlyFailure(checks, "hardware.product", "hardware_failed", /^report CPUID family 0x17 model 0x31 is not a known SEV-SNP product$/);
  });

  test("REPORTED_TCB with a reserved byte set fails hardware.tcb even when every component matches", async () => {
    const reportedTcb = tcbRaw("milan", milan.tcb) | (0x5an << 24n); // byte 3: reserved on Milan/Genoa
    const { checks } = await run(milan, await signedReport(milan, { reportedTcb }), [vcekFile(milan)]);
    expectOnlyFailure(checks, "hardware.tcb", "hardware_failed", /^REPORTED_TCB has reserved bytes set \(0x[0-9a-f]{8}5a[0-9a-f]{6}\)$/);
  });

  test("a VCEK without the hwID extension cannot be tied to the report's chip", async () => {
    const noHwid = await makeAmdChain({ vcekExtensions: { [AMD_OID.hwid]: null } });
    const { checks } = await run(noHwid, await signedReport(noHwid), [vcekFile(noHwid)]);
    expectOnlyFailure(checks, "hardware.chip_id", "hardware_failed", /^SEV-VCEK has no hwID extension \(1\.3\.6\.1\.4\.1\.3704\.1\.4\)$/);
  }, 30_000);

  test("reserved policy bit 17 clear, an unsigned report, and a host VMPL are each caught", async () => {
    let r = await run(milan, await signedReport(milan, { policy: 0x10000n }), [vcekFile(milan)]);
    expectOnlyFailure(r.checks, "hardware.report_format", "hardware_failed", /POLICY bit 17 \(reserved, must be one\) is zero/);
    r = await run(milan, await signedReport(milan, { signingKey: 7 }), [vcekFile(milan)]);
    expect(failed(r.checks)[0]).toMatchObject({ name: "hardware.report_format", code: "hardware_failed" });
    expect(failed(r.checks)[0]!.reason).toMatch(/SIGNING_KEY is 7: the report is unsigned/);
    r = await run(milan, await signedReport(milan, { vmpl: 0xffffffff }), [vcekFile(milan)]);
    expectOnlyFailure(r.checks, "hardware.vmpl", "hardware_failed", /VMPL 4294967295 is not a guest VMPL/);
  });

  test("a VCEK missing an SPL extension cannot vouch for a TCB", async () => {
    const broken = await makeAmdChain({ vcekExtensions: { [AMD_OID.snpSpl]: null } });
    const { checks } = await run(broken, await signedReport(broken), [vcekFile(broken)]);
    expectOnlyFailure(checks, "hardware.tcb", "certificate_invalid", /lacks a valid snp SPL extension \(1\.3\.6\.1\.4\.1\.3704\.1\.3\.3\)/);
  }, 30_000);

  test("parse: truncated, unknown version and unknown algorithm are typed errors", async () => {
    const good = await signedReport(milan);
    expect(() => parseSnpReport(good.subarray(0, 1000))).toThrow(TollgateError);
    try {
      parseSnpReport(good.subarray(0, 1000));
    } catch (e) {
      expect((e as TollgateError).code).toBe("malformed");
      expect((e as TollgateError).message).toMatch(/1000 bytes; an ATTESTATION_REPORT is exactly 1184/);
    }
    const v6 = new Uint8Array(good);
    v6[0] = 6;
    expect(() => parseSnpReport(v6)).toThrow(/^SEV-SNP report version 6 is not supported \(supported: 2, 3, 4, 5\)$/);
    try {
      parseSnpReport(v6);
    } catch (e) {
      expect((e as TollgateError).code).toBe("unsupported");
    }
    const alg = new Uint8Array(good);
    alg[0x34] = 2;
    expect(() => parseSnpReport(alg)).toThrow(/SIGNATURE_ALGO is 2/);
    // a truncated file is still recognized, so the user hears what is wrong with it (raw, hex or base64)
    for (const f of [
      sourceFromBytes("/r/short.bin", good.subarray(0, 1000)),
      sourceFromText("/r/short.hex", Buffer.from(good.subarray(0, 1000)).toString("hex")),
      sourceFromText("/r/short.b64", Buffer.from(good.subarray(0, 1000)).toString("base64")),
    ]) {
      expect(sevSnpKind.detect(f)).toBe(true);
      let err: unknown;
      try {
        sevSnpKind.parse(f);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(TollgateError);
      expect((err as TollgateError).code).toBe("malformed");
      expect((err as TollgateError).path).toBe(f.path);
      expect((err as TollgateError).message).toBe("SEV-SNP report is 1000 bytes; an ATTESTATION_REPORT is exactly 1184");
    }
    // detect never throws and does not claim other files
    expect(sevSnpKind.detect(sourceFromText("/x.json", '{"a":1}'))).toBe(false);
    expect(sevSnpKind.detect(sourceFromBytes("/x.bin", new Uint8Array(1184).fill(0x41)))).toBe(false);
    expect(sevSnpKind.detect(sourceFromText("/x.txt", "hello world\n"))).toBe(false);
    expect(sevSnpKind.detect(sourceFromBytes("/vcek.der", milan.vcekDer))).toBe(false);
  });
});

fixtureDescribe("sev-snp: real reports and VCEKs (shared fixtures)", () => {
  const cases = [
    ["go-sev-guest", "attestation.bin", "vcek.testcer", "01020304050000"],
    ["virtee", "report_milan.hex", "vcek_milan.der", "d447b55d"],
    ["attestation-rs", "test-report.bin", "test-vcek.der", "ec6c52d7"],
  ] as const;
  const at = new Date("2024-06-01T00:00:00Z");
  const load = (dir: string, name: string) => sourceFromBytes(fixture("tee", "sev-snp", dir, name), new Uint8Array(readFileSync(fixture("tee", "sev-snp", dir, name))));

  async function verifyFixture(report: SourceFile, vcek: SourceFile, time = at) {
    expect(sevSnpKind.detect(report)).toBe(true);
    const parsed = sevSnpKind.parse(report);
    const ctx = makeVerifyContext({ time, files: [report, vcek] });
    const checks = await sevSnpKind.verify(parsed, report, ctx);
    return { checks, record: sevSnpKind.normalize(parsed, checks, report, ctx)[0]! };
  }

  for (const [dir, reportName, vcekName, dataPrefix] of cases) {
    test(`${dir}: verifies against the pinned Milan roots`, async () => {
      const { checks, record } = await verifyFixture(load(dir, reportName), load(dir, vcekName));
      expect(failed(checks)).toEqual([]);
      expect(record.hardware).toMatchObject({ platform: "sev-snp", status: "verified", root: "amd-milan", product: "milan", signer: "vcek" });
      expect(record.hardware!.reportData!.startsWith(dataPrefix)).toBe(true);
      expect(sevSnpKind.materials!(load(dir, reportName), [load(dir, reportName), load(dir, vcekName)])).toEqual([fixture("tee", "sev-snp", dir, vcekName)]);
    });
  }

  test("single-bit flips in the real report body, signature and VCEK are each caught", async () => {
    const report = load("go-sev-guest", "attestation.bin");
    const vcek = load("go-sev-guest", "vcek.testcer");
    const body = sourceFromBytes(report.path, flipBit(report.bytes, 0x50)); // REPORT_DATA
    let r = await verifyFixture(body, vcek);
    expectOnlyFailure(r.checks, "hardware.report_signature", "signature_failed", /does not verify/);
    const sig = sourceFromBytes(report.path, flipBit(report.bytes, 0x2e8 + 3)); // S
    r = await verifyFixture(sig, vcek);
    expectOnlyFailure(r.checks, "hardware.report_signature", "signature_failed", /does not verify/);
    const cert = sourceFromBytes(vcek.path, flipBit(vcek.bytes, vcek.bytes.length - 20)); // inside the RSA-PSS signature
    r = await verifyFixture(report, cert);
    expectOnlyFailure(r.checks, "hardware.vcek_chain", "chain_broken", /signature on SEV-VCEK by SEV-Milan does not verify/);
  });

  test("a bit flipped in the real report's unsigned tail (after S) is caught as a reserved-bytes failure", async () => {
    const report = load("go-sev-guest", "attestation.bin");
    const r = await verifyFixture(sourceFromBytes(report.path, flipBit(report.bytes, 0x49f)), load("go-sev-guest", "vcek.testcer"));
    expect(failed(r.checks).map((c) => c.name)).toEqual(["hardware.report_format"]);
    expect(failed(r.checks)[0]!.reason).toBe("reserved bytes 0x330-0x49F are not zero");
  });

  test("before the VCEK was issued, the chain is not valid", async () => {
    const { checks } = await verifyFixture(load("go-sev-guest", "attestation.bin"), load("go-sev-guest", "vcek.testcer"), new Date("2021-01-01T00:00:00Z"));
    expectOnlyFailure(checks, "hardware.cert_validity", "certificate_invalid", /SEV-VCEK is not valid before 2022-09-24/);
  });

  test("a VCEK from another chip fails the signature and the hwID check", async () => {
    const { checks } = await verifyFixture(load("attestation-rs", "test-report.bin"), load("virtee", "vcek_milan.der"));
    const bad = failed(checks);
    expect(bad.map((c) => c.name)).toEqual(["hardware.report_signature", "hardware.chip_id"]);
    expect(bad[1]!.reason).toMatch(/^CHIP_ID c38427a3[0-9a-f]+ is not the VCEK hwID d49554ec/);
  });

  test("the pinned roots are AMD's published certificates", () => {
    for (const product of ["milan", "genoa", "turin"] as const) {
      const dir = fixture("tee", "amd-roots", product);
      const ark = parseCertificate(pemCertificates(readFileSync(`${dir}/ark.pem`, "utf8"))[0]!);
      const ask = parseCertificate(pemCertificates(readFileSync(`${dir}/ask.pem`, "utf8"))[0]!);
      const asvk = parseCertificate(new Uint8Array(readFileSync(`${dir}/asvk.der`)));
      expect(AMD_ROOTS[product].ark.sha256).toBe(ark.sha256);
      expect(AMD_ROOTS[product].ask.sha256).toBe(ask.sha256);
      expect(AMD_ROOTS[product].asvk.sha256).toBe(asvk.sha256);
      const t = amdTrust(product);
      expect(t.ark.subjectCN).toBe(`ARK-${product[0]!.toUpperCase()}${product.slice(1)}`);
    }
  });
});
