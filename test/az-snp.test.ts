import { beforeAll, describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { TollgateError } from "../src/core/errors.ts";
import { makeVerifyContext, sourceFromText } from "../src/evidence/source.ts";
import type { Check } from "../src/evidence/types.ts";
import { azSnpKind, makeAzSnpKind } from "../src/evidence/tee/az-snp/index.ts";
import { flipBit, makeAmdChain, makeAzSnpEvidence, type SyntheticAmd, syntheticTrust } from "./support/amd-chain.ts";
import { fixture, fixtureDescribe } from "./support/fixtures.ts";

let chain: SyntheticAmd;
beforeAll(async () => {
  chain = await makeAmdChain();
}, 60_000);

async function run(evidence: unknown, kind = makeAzSnpKind({ trust: syntheticTrust(chain) }), time?: Date) {
  const f = sourceFromText("/vm/evidence.json", JSON.stringify(evidence));
  expect(kind.detect(f)).toBe(true);
  const parsed = kind.parse(f);
  const ctx = makeVerifyContext({ time: time ?? chain.validTime, files: [f] });
  const checks = await kind.verify(parsed, f, ctx);
  return { checks, record: kind.normalize(parsed, checks, f, ctx)[0]! };
}

const failed = (checks: Check[]) => checks.filter((c) => !c.ok);
function expectFirstFailure(checks: Check[], name: string, code: string, reason: RegExp) {
  const bad = failed(checks);
  expect(bad.length).toBeGreaterThan(0);
  expect({ name: bad[0]!.name, code: bad[0]!.code }).toEqual({ name, code: code as never });
  expect(bad[0]!.reason).toMatch(reason);
}

const flipHex = (hex: string, byte: number) => {
  const b = Buffer.from(hex, "hex");
  b[byte]! ^= 1;
  return b.toString("hex");
};

describe("az-snp: synthetic HCL report + vTPM quote (runs on a plain clone)", () => {
  test("verifies end to end; reportData is the quote's extraData", async () => {
    const extra = new Uint8Array(32).fill(0x3c);
    const { evidence } = await makeAzSnpEvidence(chain, { extraData: extra });
    const { checks, record } = await run(evidence);
    expect(failed(checks)).toEqual([]);
    expect(checks.slice(-5).map((c) => c.name)).toEqual(["hardware.hcl_binding", "hardware.ak_key", "hardware.quote_signature", "hardware.quote_format", "hardware.pcr_digest"]);
    expect(record.hardware).toMatchObject({ platform: "az-snp", status: "verified", root: "amd-milan", reportData: "3c".repeat(32) });
    expect(record.hardware!.snpReportData).toMatch(/^[0-9a-f]{64}0{64}$/);
    expect((record.hardware!.pcrs as Record<string, string>)["3"]).toBe("03".repeat(32));
    expect(record.signature.signers[0]).toMatchObject({ type: "hardware", platform: "az-snp" });
  });

  test("only the PCRs the signed quote selects become facts: unselected values are unattested", async () => {
    const { evidence } = await makeAzSnpEvidence(chain, { selected: [0, 1, 7] });
    const { checks, record } = await run(evidence);
    expect(failed(checks)).toEqual([]);
    expect(evidence.tpm_quote.pcrs.length).toBe(24);
    expect(record.hardware!.pcrSelection).toEqual([0, 1, 7]);
    expect(record.hardware!.pcrs).toEqual({ "0": "00".repeat(32), "1": "01".repeat(32), "7": "07".repeat(32) });
  });

  test("an SNP report requested below VMPL 0 cannot vouch for the vTPM key (the guest OS could have bound its own)", async () => {
    const { evidence } = await makeAzSnpEvidence(chain, { report: { vmpl: 2 } });
    const { checks, record } = await run(evidence);
    expect(failed(checks).map((c) => c.name)).toEqual(["hardware.hcl_vmpl"]);
    expectFirstFailure(checks, "hardware.hcl_vmpl", "hardware_failed", /^the HCL report's SNP report was requested at VMPL 2; only a VMPL 0 report \(the paravisor's\) vouches for the vTPM attestation key$/);
    expect(record.hardware!.status).toBe("failed");
  });

  test("an HCL report whose data hash type is not SHA-256 fails the HCL binding, naming the type", async () => {
    const { evidence, hcl } = await makeAzSnpEvidence(chain);
    const tampered = new Uint8Array(hcl);
    new DataView(tampered.buffer).setUint32(0x4cc, 2, true); // IGVM_REQUEST_DATA hash type (unsigned header)
    const { checks } = await run({ ...evidence, hcl_report: Buffer.from(tampered).toString("base64url") });
    expect(failed(checks).map((c) => c.name)).toEqual(["hardware.hcl_binding"]);
    expectFirstFailure(checks, "hardware.hcl_binding", "binding_failed", /^HCL report data hash type 2 is not SHA-256 \(1\)$/);
  });

  test("runtime data without an HCLAkPub RSA key fails hardware.ak_key with what is missing", async () => {
    const cases: [unknown, RegExp][] = [
      [{ "vm-configuration": {} }, /^HCL runtime data has no `keys` array$/],
      [{ keys: [{ kid: "other", kty: "RSA", n: "AQAB", e: "AQAB" }] }, /^HCL runtime data has no key with kid "HCLAkPub"$/],
      [{ keys: [{ kid: "HCLAkPub", kty: "EC", crv: "P-256" }] }, /^HCLAkPub is not an RSA JWK with n and e$/],
    ];
    for (const [json, reason] of cases) {
      const { evidence } = await makeAzSnpEvidence(chain, { runtimeData: new TextEncoder().encode(JSON.stringify(json)) });
      const { checks } = await run(evidence);
      expect(failed(checks).map((c) => c.name)).toEqual(["hardware.ak_key"]);
      expectFirstFailure(checks, "hardware.ak_key", "hardware_failed", reason);
    }
  });

  test("a signed TPMS_ATTEST that is not a quote, or digests a non-SHA-256 bank, is caught after the signature", async () => {
    const az = await makeAzSnpEvidence(chain);
    const resign = async (msg: Uint8Array) => ({
      ...az.evidence,
      tpm_quote: {
        ...az.evidence.tpm_quote,
        message: Buffer.from(msg).toString("hex"),
        signature: Buffer.from(new Uint8Array(await crypto.subtle.sign("RSASSA-PKCS1-v1_5", az.akKey.privateKey, new Uint8Array(msg)))).toString("hex"),
      },
    });
    const certify = new Uint8Array(az.message);
    certify[5] = 0x17; // TPM_ST_ATTEST_CERTIFY instead of 0x8018
    let r = await run(await resign(certify));
    expectFirstFailure(r.checks, "hardware.quote_format", "malformed", /^TPMS_ATTEST magic 0xff544347 \/ type 0x8017 is not a TPM-generated quote \(0xff544347 \/ 0x8018\)$/);
    const sha1Bank = new Uint8Array(az.message);
    const bankAt = sha1Bank.length - 2 - 32 - 4 - 2; // …hashAlg(2) sizeofSelect(1) bitmap(3) pcrDigest size(2) + 32
    expect(sha1Bank[bankAt]).toBe(0x00);
    expect(sha1Bank[bankAt + 1]).toBe(0x0b);
    sha1Bank[bankAt + 1] = 0x04; // TPM_ALG_SHA1
    r = await run(await resign(sha1Bank));
    expectFirstFailure(r.checks, "hardware.pcr_digest", "digest_mismatch", /^PCR bank 0x4 is not SHA-256$/);
  });

  test("a bit flipped in the quote message breaks the quote signature", async () => {
    const { evidence } = await makeAzSnpEvidence(chain);
    evidence.tpm_quote.message = flipHex(evidence.tpm_quote.message, 50); // inside extraData
    const { checks } = await run(evidence);
    expectFirstFailure(checks, "hardware.quote_signature", "signature_failed", /TPM2 quote signature \(RSASSA-PKCS1-v1_5 SHA-256\) does not verify with the HCLAkPub/);
  });

  test("a bit flipped in the quote signature is caught", async () => {
    const { evidence } = await makeAzSnpEvidence(chain);
    evidence.tpm_quote.signature = flipHex(evidence.tpm_quote.signature, 10);
    const { checks } = await run(evidence);
    expectFirstFailure(checks, "hardware.quote_signature", "signature_failed", /does not verify/);
  });

  test("a quote signed by another vTPM's key does not verify with this HCL report's HCLAkPub", async () => {
    const mine = await makeAzSnpEvidence(chain);
    const theirs = await makeAzSnpEvidence(chain);
    const { checks } = await run({ ...mine.evidence, tpm_quote: theirs.evidence.tpm_quote });
    expectFirstFailure(checks, "hardware.quote_signature", "signature_failed", /does not verify with the HCLAkPub attestation key/);
  });

  test("a PCR value that differs from what the quote digested is caught", async () => {
    const { evidence } = await makeAzSnpEvidence(chain);
    evidence.tpm_quote.pcrs[7] = flipHex(evidence.tpm_quote.pcrs[7]!, 0);
    const { checks } = await run(evidence);
    expectFirstFailure(checks, "hardware.pcr_digest", "digest_mismatch", /quote pcrDigest [0-9a-f]{64} is not sha256 of the supplied PCR values/);
  });

  test("missing PCR values for a selected index are named", async () => {
    const { evidence } = await makeAzSnpEvidence(chain);
    evidence.tpm_quote.pcrs = evidence.tpm_quote.pcrs.slice(0, 10);
    const { checks } = await run(evidence);
    expectFirstFailure(checks, "hardware.pcr_digest", "digest_mismatch", /selects PCR 10 but only 10 PCR values were supplied/);
  });

  test("runtime data that is not what REPORT_DATA hashes breaks the HCL binding (and the SNP signature does not care)", async () => {
    const { evidence, hcl } = await makeAzSnpEvidence(chain);
    const tampered = flipBit(hcl, 0x4d4 + 3); // inside the runtime JSON text ("keys" → "kdys")
    evidence.hcl_report = Buffer.from(tampered).toString("base64url");
    const { checks } = await run(evidence);
    expectFirstFailure(checks, "hardware.hcl_binding", "binding_failed", /REPORT_DATA\[0\.\.32\] [0-9a-f]{64} is not sha256 of the HCL runtime data/);
  });

  test("a bit flipped in the SNP report inside the HCL report breaks the report signature", async () => {
    const { evidence, hcl } = await makeAzSnpEvidence(chain);
    evidence.hcl_report = Buffer.from(flipBit(hcl, 0x20 + 0x90)).toString("base64url");
    const { checks } = await run(evidence);
    expectFirstFailure(checks, "hardware.report_signature", "signature_failed", /does not verify/);
  });

  test("a VCEK from another hierarchy breaks the chain", async () => {
    const stranger = await makeAmdChain();
    const { evidence } = await makeAzSnpEvidence(stranger);
    const { checks } = await run(evidence);
    expectFirstFailure(checks, "hardware.vcek_chain", "chain_broken", /does not verify/);
  }, 30_000);

  test("runtime data without HCLAkPub cannot vouch for a quote", async () => {
    const { evidence } = await makeAzSnpEvidence(chain, { runtimeData: new TextEncoder().encode('{"keys":[{"kid":"other","kty":"RSA","n":"AQ","e":"AQAB"}]}') });
    const { checks } = await run(evidence);
    expectFirstFailure(checks, "hardware.ak_key", "hardware_failed", /no key with kid "HCLAkPub"/);
  });

  test("malformed evidence is a typed parse error naming the field", async () => {
    const { evidence } = await makeAzSnpEvidence(chain);
    const cases: [unknown, string, RegExp][] = [
      [{ ...evidence, hcl_report: "!!" }, "malformed", /hcl_report is not valid base64/],
      [{ ...evidence, hcl_report: Buffer.from("HCLX").toString("base64url") }, "malformed", /HCL report is 3 bytes|HCL report is 4 bytes/],
      [{ ...evidence, version: 2 }, "unsupported", /version 2 is not supported/],
      [{ ...evidence, tpm_quote: { ...evidence.tpm_quote, pcrs: ["abcd"] } }, "malformed", /tpm_quote\.pcrs\[0\] is 2 bytes/],
      [{ ...evidence, tpm_quote: { ...evidence.tpm_quote, message: "abc" } }, "malformed", /tpm_quote\.message has an odd number of hex digits/],
    ];
    for (const [value, code, reason] of cases) {
      const f = sourceFromText("/vm/bad.json", JSON.stringify(value));
      let err: unknown;
      try {
        azSnpKind.parse(f);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(TollgateError);
      expect((err as TollgateError).code).toBe(code as never);
      expect((err as TollgateError).message).toMatch(reason);
      expect((err as TollgateError).path).toBe("/vm/bad.json");
    }
    // a truncated quote message is a failed check (the signature is over it), not an exception
    const short = { ...evidence, tpm_quote: { ...evidence.tpm_quote, message: evidence.tpm_quote.message.slice(0, 40) } };
    const { checks } = await run(short);
    const fmt = checks.find((c) => c.name === "hardware.quote_format")!;
    expect(fmt).toMatchObject({ ok: false, code: "malformed" });
    expect(fmt.reason).toBe("TPM quote message is truncated at qualifiedSigner (offset 8, 20 bytes)");
  });
});

fixtureDescribe("az-snp: the real Azure Milan evidence (shared fixture)", () => {
  const load = () => JSON.parse(readFileSync(fixture("tee", "az-snp", "evidence-v1.json"), "utf8")) as { platform: string; evidence: Record<string, unknown> & { tpm_quote: { message: string; signature: string; pcrs: string[] } } };
  const at = new Date("2025-06-01T00:00:00Z");

  test("verifies against the pinned Milan roots; extraData is the bound value", async () => {
    const { checks, record } = await run(load().evidence, azSnpKind, at);
    expect(failed(checks)).toEqual([]);
    expect(record.hardware).toMatchObject({ platform: "az-snp", status: "verified", root: "amd-milan", product: "milan", version: 2 });
    expect(Buffer.from(record.hardware!.reportData!, "hex").toString()).toBe("challenge");
  });

  test("single-bit flips in the quote, its signature, a PCR and the VCEK are each caught", async () => {
    let ev = load().evidence;
    ev.tpm_quote.message = flipHex(ev.tpm_quote.message, 60);
    expectFirstFailure((await run(ev, azSnpKind, at)).checks, "hardware.quote_signature", "signature_failed", /does not verify/);
    ev = load().evidence;
    ev.tpm_quote.signature = flipHex(ev.tpm_quote.signature, 0);
    expectFirstFailure((await run(ev, azSnpKind, at)).checks, "hardware.quote_signature", "signature_failed", /does not verify/);
    ev = load().evidence;
    ev.tpm_quote.pcrs[0] = flipHex(ev.tpm_quote.pcrs[0]!, 31);
    expectFirstFailure((await run(ev, azSnpKind, at)).checks, "hardware.pcr_digest", "digest_mismatch", /is not sha256 of the supplied PCR values/);
    ev = load().evidence;
    const vcek = Buffer.from(ev.vcek as string, "base64url");
    vcek[vcek.length - 3]! ^= 1;
    ev.vcek = vcek.toString("base64url");
    expectFirstFailure((await run(ev, azSnpKind, at)).checks, "hardware.vcek_chain", "chain_broken", /signature on SEV-VCEK by SEV-Milan does not verify/);
    ev = load().evidence;
    const hcl = Buffer.from(ev.hcl_report as string, "base64url");
    hcl[0x20 + 0x50]! ^= 1; // SNP REPORT_DATA: both the SNP signature and the HCL binding break
    ev.hcl_report = hcl.toString("base64url");
    const r = await run(ev, azSnpKind, at);
    expect(failed(r.checks).map((c) => c.name)).toEqual(["hardware.report_signature", "hardware.hcl_binding"]);
  });

  test("after the VCEK expired (2030-05-02) the evidence no longer verifies", async () => {
    const { checks } = await run(load().evidence, azSnpKind, new Date("2030-06-01T00:00:00Z"));
    expectFirstFailure(checks, "hardware.cert_validity", "certificate_invalid", /SEV-VCEK expired at 2030-05-02/);
  });
});
