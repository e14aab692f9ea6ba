// Intel TDX quotes: the real v4/v5 quotes from google/go-tdx-guest (fixtures) and synthetic quotes signed at
// test time through a generated Intel-shaped P-256 chain (plain clone). Every tamper is caught by the check it
// targets, with its stable code and a reason naming the problem.
import { describe, expect, test, beforeAll } from "bun:test";
import { readFileSync } from "node:fs";
import { createHash } from "node:crypto";
import { makeVerifyContext, sourceFromBytes, sourceFromText } from "../src/evidence/source.ts";
import { makeTdxQuoteKind, tdxQuoteKind, verifyTdxQuote } from "../src/evidence/tee/tdx/index.ts";
import { parseTdxQuote } from "../src/evidence/tee/tdx/quote.ts";
import { INTEL_SGX_ROOT_CA_PEM, INTEL_SGX_ROOT_CA_SHA256 } from "../src/evidence/tee/roots/intel.ts";
import { pemCertificates, pemToDer, type PinnedRoot } from "../src/evidence/tee/common/x509chain.ts";
import { TollgateError } from "../src/core/errors.ts";
import type { VerifyContext } from "../src/evidence/types.ts";
import { fixture, fixtureDescribe } from "./support/fixtures.ts";
import { check, expectAllOk, expectFailed } from "./support/tee-expect.ts";
import {
  DEFAULT_SGX,
  flipBit,
  flipCertSignature,
  flipCertSubject,
  makeTdxChain,
  makeTdxQuote,
  pemWithTamperedCert,
  type TdxChain,
  type TdxQuoteLayout,
} from "./support/tdx-gen.ts";

const ctxAt = (iso: string, files: Parameters<typeof makeVerifyContext>[0]["files"] = []): VerifyContext =>
  makeVerifyContext({ time: new Date(iso), files });




/** Offsets of a real quote's parts, computed from its own length fields (independently of the parser). */
function layoutOf(b: Uint8Array): { body: number; bodyLen: number; sig: number; ak: number; qeReport: number; qeSig: number; auth: number; pem: number } {
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const v5 = dv.getUint16(0, true) === 5;
  const body = v5 ? 54 : 48;
  const bodyLen = v5 ? dv.getUint32(50, true) : 584;
  const sig = body + bodyLen + 4;
  const qeReport = sig + 128 + 6;
  const authLen = dv.getUint16(qeReport + 384 + 64, true);
  return { body, bodyLen, sig, ak: sig + 64, qeReport, qeSig: qeReport + 384, auth: qeReport + 384 + 64 + 2, pem: qeReport + 384 + 64 + 2 + authLen + 6 };
}

function replacePem(quote: Uint8Array, pemOffset: number, newPem: string): Uint8Array {
  const out = new Uint8Array(quote);
  const enc = new TextEncoder().encode(newPem);
  out.set(enc, pemOffset);
  return out;
}

function pemIn(quote: Uint8Array, pemOffset: number): string {
  const end = new TextDecoder().decode(quote.subarray(pemOffset)).lastIndexOf("-----END CERTIFICATE-----") + 25;
  return new TextDecoder().decode(quote.subarray(pemOffset, pemOffset + end));
}

describe("pinned Intel SGX Root CA", () => {
  test("the constant's DER sha256 is the pinned fingerprint", () => {
    expect(createHash("sha256").update(pemToDer(INTEL_SGX_ROOT_CA_PEM)).digest("hex")).toBe(INTEL_SGX_ROOT_CA_SHA256);
  });
});

fixtureDescribe("TDX fixtures (go-tdx-guest)", () => {
  test("the pinned root equals the published Intel SGX Root CA file", () => {
    const der = pemToDer(readFileSync(fixture("tee/tdx/intel-sgx-root-ca.pem"), "utf8"));
    expect(Buffer.from(der).equals(Buffer.from(pemToDer(INTEL_SGX_ROOT_CA_PEM)))).toBe(true);
  });

  const cases = [
    { file: "tdx_prod_quote_SPR_E4.dat", time: "2024-01-01T00:00:00Z", version: 4, layout: "TD10" },
    { file: "quote_v5_sample.dat", time: "2026-06-01T00:00:00Z", version: 5, layout: "TD15" },
  ] as const;

  for (const c of cases) {
    describe(c.file, () => {
      const bytes = () => new Uint8Array(readFileSync(fixture("tee/tdx", c.file)));

      test("verifies at a time its certificates are valid, with facts read from the right offsets", () => {
        const b = bytes();
        const v = verifyTdxQuote(b, ctxAt(c.time));
        expectAllOk(v);
        const L = layoutOf(b);
        const hexAt = (off: number, n: number) => Buffer.from(b.subarray(L.body + off, L.body + off + n)).toString("hex");
        expect(v.hardware.platform).toBe("tdx");
        expect(v.hardware.root).toBe("intel-sgx-root");
        expect(v.hardware["quoteVersion"]).toBe(c.version);
        expect(v.hardware["bodyLayout"]).toBe(c.layout);
        expect(v.hardware.measurement).toBe(hexAt(136, 48)); // MRTD
        expect(v.hardware.reportData).toBe(hexAt(520, 64));
        expect(v.hardware["rtmrs"]).toEqual([0, 1, 2, 3].map((i) => hexAt(328 + 48 * i, 48)));
        expect(v.hardware["mrSeam"]).toBe(hexAt(16, 48));
        expect((v.hardware.tcb as Record<string, unknown>)["teeTcbSvn"]).toBe(hexAt(0, 16));
        expect((v.hardware.tcb as Record<string, unknown>)["teeTcbSvnComponents"]).toEqual([...b.subarray(L.body, L.body + 16)]);
        expect((v.hardware.tcb as Record<string, unknown>)["status"]).toBe("unchecked");
        expect((v.hardware.tcb as Record<string, unknown>)["fmspc"]).toMatch(/^[0-9a-f]{12}$/);
        expect(v.hardware["debug"]).toBe((b[L.body + 120]! & 1) === 1);
        expect(v.hardware["septVeDisable"]).toBe((b[L.body + 123]! & 0x10) !== 0);
        expect(check(v, "hardware.tdx_tcb_status").detail).toMatchObject({ status: "unchecked" });
      });

      test("certificates outside their validity fail the PCK chain with the instant and window", () => {
        const v = verifyTdxQuote(bytes(), ctxAt("2017-01-01T00:00:00Z"));
        expectFailed(v, "hardware.tdx_pck_chain", "certificate_invalid", /PCK leaf certificate .* is not valid at 2017-01-01T00:00:00\.000Z \(valid /);
      });

      test("a bit flip in the TD report body breaks the quote signature", () => {
        const b = bytes();
        const L = layoutOf(b);
        const v = verifyTdxQuote(flipBit(b, L.body + 136), ctxAt(c.time)); // MRTD
        expectFailed(v, "hardware.tdx_quote_signature", "signature_failed", /quote signature does not verify over the quote header and TD report body/);
        expect(check(v, "hardware.tdx_pck_chain").ok).toBe(true);
      });

      test("a bit flip in the header breaks the quote signature", () => {
        const b = bytes();
        const v = verifyTdxQuote(flipBit(b, 30), ctxAt(c.time)); // header user data
        expectFailed(v, "hardware.tdx_quote_signature", "signature_failed", /does not verify/);
      });

      test("a bit flip in the quote signature is caught", () => {
        const b = bytes();
        const v = verifyTdxQuote(flipBit(b, layoutOf(b).sig + 40), ctxAt(c.time));
        expectFailed(v, "hardware.tdx_quote_signature", "signature_failed", /does not verify/);
      });

      test("a bit flip in the attestation key breaks the signature and the QE binding", () => {
        const b = bytes();
        const v = verifyTdxQuote(flipBit(b, layoutOf(b).ak + 63), ctxAt(c.time));
        expect(check(v, "hardware.tdx_quote_signature").ok).toBe(false);
        expectFailed(v, "hardware.tdx_qe_report_data", "binding_failed", /QE report data\[0\.\.32\] [0-9a-f]{64} is not sha256\(attestation key ‖ QE auth data\)/);
      });

      test("a bit flip in the QE report breaks its PCK signature", () => {
        const b = bytes();
        const v = verifyTdxQuote(flipBit(b, layoutOf(b).qeReport + 64), ctxAt(c.time)); // MRENCLAVE
        expectFailed(v, "hardware.tdx_qe_report_signature", "signature_failed", /QE report signature does not verify with the PCK leaf certificate's key/);
      });

      test("a bit flip in the QE report signature is caught", () => {
        const b = bytes();
        const v = verifyTdxQuote(flipBit(b, layoutOf(b).qeSig + 10), ctxAt(c.time));
        expectFailed(v, "hardware.tdx_qe_report_signature", "signature_failed", /QE report signature does not verify/);
      });

      test("a bit flip in the QE auth data breaks the QE report binding", () => {
        const b = bytes();
        const v = verifyTdxQuote(flipBit(b, layoutOf(b).auth), ctxAt(c.time));
        expectFailed(v, "hardware.tdx_qe_report_data", "binding_failed", /is not sha256\(attestation key ‖ QE auth data\)/);
        expect(check(v, "hardware.tdx_quote_signature").ok).toBe(true);
      });

      test("a tampered PCK leaf subject breaks the leaf's signature", () => {
        const b = bytes();
        const L = layoutOf(b);
        const pem = pemWithTamperedCert(pemIn(b, L.pem), 0, (d) => flipCertSubject(d, "Intel SGX PCK Certificate"));
        const v = verifyTdxQuote(replacePem(b, L.pem, pem), ctxAt(c.time));
        expectFailed(v, "hardware.tdx_pck_chain", "chain_broken", /PCK leaf certificate signature does not verify with the PCK intermediate CA key/);
      });

      test("a bit flip in the PCK intermediate's signature is caught", () => {
        const b = bytes();
        const L = layoutOf(b);
        const v = verifyTdxQuote(replacePem(b, L.pem, pemWithTamperedCert(pemIn(b, L.pem), 1, flipCertSignature)), ctxAt(c.time));
        expectFailed(v, "hardware.tdx_pck_chain", "chain_broken", /PCK intermediate CA certificate signature does not verify with the root key/);
      });

      test("a bit flip in the chain's root makes it not the pinned root", () => {
        const b = bytes();
        const L = layoutOf(b);
        const v = verifyTdxQuote(replacePem(b, L.pem, pemWithTamperedCert(pemIn(b, L.pem), 2, flipCertSignature)), ctxAt(c.time));
        expectFailed(v, "hardware.tdx_pck_chain", "chain_broken", /chain root "CN=Intel SGX Root CA.*" \(sha256 [0-9a-f]{64}\) is not the pinned root intel-sgx-root/);
      });

      test("a truncated quote is a parse failure naming the missing field", () => {
        const b = bytes();
        const v = verifyTdxQuote(b.subarray(0, layoutOf(b).sig + 10), ctxAt(c.time));
        expectFailed(v, "hardware.tdx_quote_parse", "malformed", /TDX quote: truncated: signature data needs \d+ bytes/);
        expect(() => parseTdxQuote(b.subarray(0, 100))).toThrow(TollgateError);
      });

      test("the evidence kind detects, parses and normalizes the raw file and its base64 text", async () => {
        const b = bytes();
        for (const file of [sourceFromBytes(c.file, b), sourceFromText(`${c.file}.b64`, Buffer.from(b).toString("base64"))]) {
          expect(tdxQuoteKind.detect(file)).toBe(true);
          const parsed = tdxQuoteKind.parse(file);
          const ctx = ctxAt(c.time, [file]);
          const checks = await tdxQuoteKind.verify(parsed, file, ctx);
          const [rec] = tdxQuoteKind.normalize(parsed, checks, file, ctx);
          expect(rec!.kind).toBe("tee-report");
          expect(rec!.source.format).toBe(`tdx-quote-v${c.version}${file.path.endsWith(".b64") ? "+base64" : ""}`);
          expect(rec!.signature.status).toBe("verified");
          expect(rec!.signature.signers).toEqual([{ type: "hardware", platform: "tdx", measurement: rec!.hardware!.measurement!, root: "intel-sgx-root" }]);
          expect(rec!.facts["mrTd"]).toBe(rec!.hardware!.measurement);
          expect(rec!.checks.map((x) => x.name)).toEqual([
            "hardware.tdx_quote_signature",
            "hardware.tdx_pck_chain",
            "hardware.tdx_qe_report_signature",
            "hardware.tdx_qe_report_data",
            "hardware.tdx_pck_extensions",
            "hardware.tdx_tcb_status",
          ]);
        }
      });

      test("incomplete collateral (TCB info without QE identity or issuer chain) fails the TCB check, naming what is missing", () => {
        const tcbInfo = sourceFromText("tcb_info.json", JSON.stringify({ tcbInfo: { id: "TDX", version: 3 }, signature: "00" }));
        const v = verifyTdxQuote(bytes(), ctxAt(c.time, [tcbInfo]));
        expectFailed(v, "hardware.tdx_tcb_status", "hardware_failed", /TCB info collateral \(tcb_info\.json\) is supplied without the TD_QE identity/);
        expect((v.hardware.tcb as Record<string, unknown>)["status"]).toBe("invalid");
        expect(tdxQuoteKind.materials!(sourceFromBytes(c.file, bytes()), [tcbInfo])).toEqual(["tcb_info.json"]);
      });
    });
  }
});

describe("TDX synthetic quotes (chains generated at test time)", () => {
  const T = "2026-06-01T00:00:00Z";
  let chain: TdxChain;
  let roots: PinnedRoot[];
  let v4: TdxQuoteLayout;
  const verify = (b: Uint8Array, time = T, r: readonly PinnedRoot[] = roots) => verifyTdxQuote(b, ctxAt(time), { roots: r });

  beforeAll(async () => {
    chain = await makeTdxChain();
    roots = [{ name: "test-intel-root", der: chain.root.der }];
    v4 = await makeTdxQuote(chain, { version: 4 });
  });

  test("v4 quote verifies against the synthetic root, with facts from the body", () => {
    const v = verify(v4.bytes);
    expectAllOk(v);
    expect(v.hardware.root).toBe("test-intel-root");
    expect(v.hardware.measurement).toBe("5a".repeat(48));
    expect(v.hardware.reportData).toBe("77".repeat(64));
    expect(v.hardware["debug"]).toBe(false);
    expect(v.hardware["pck"]).toMatchObject({ ca: "platform" });
    expect((v.hardware.tcb as Record<string, unknown>)["fmspc"]).toBe("00906ed50000");
    expect((v.hardware.tcb as Record<string, unknown>)["pckPceSvn"]).toBe(13);
  });

  test("v5 quotes with TD 1.0 and TD 1.5 bodies verify; TD 1.5 adds TEE_TCB_SVN_2 and MRSERVICETD", async () => {
    const td10 = await makeTdxQuote(chain, { version: 5, bodyType: 2 });
    const td15 = await makeTdxQuote(chain, { version: 5, bodyType: 3 });
    const a = verify(td10.bytes);
    const b = verify(td15.bytes);
    expectAllOk(a);
    expectAllOk(b);
    expect(a.hardware["bodyLayout"]).toBe("TD10");
    expect(b.hardware["bodyLayout"]).toBe("TD15");
    expect(b.hardware["mrServiceTd"]).toBe("00".repeat(48));
    expect((b.hardware.tcb as Record<string, unknown>)["teeTcbSvn2"]).toBe("0d".repeat(16));
    // The TD 1.5 fields are covered by the signature.
    expectFailed(verify(flipBit(td15.bytes, td15.bodyOffset + 600)), "hardware.tdx_quote_signature", "signature_failed", /does not verify/);
    // The v5 body descriptor must name a TD report body of the right size.
    expectFailed(verify(flipBit(td15.bytes, 48)), "hardware.tdx_quote_parse", "malformed", /v5 body type 2 with size 648 is not a TD report/);
  });

  test("the debug TD attribute is reported", async () => {
    const q = await makeTdxQuote(chain, { tdAttributes: new Uint8Array([1, 0, 0, 0, 0, 0, 0, 0]) });
    const v = verify(q.bytes);
    expectAllOk(v);
    expect(v.hardware["debug"]).toBe(true);
    expect(v.hardware["tdAttributes"]).toBe("0100000000000000");
    expect(v.hardware["septVeDisable"]).toBe(false);
    const sept = await makeTdxQuote(chain, { tdAttributes: new Uint8Array([0, 0, 0, 0x10, 0, 0, 0, 0]) });
    expect(verify(sept.bytes).hardware).toMatchObject({ debug: false, septVeDisable: true });
  });

  test("the PCK Processor CA is accepted and recorded", async () => {
    const c2 = await makeTdxChain({ caName: "Intel SGX PCK Processor CA" });
    const q = await makeTdxQuote(c2);
    const v = verifyTdxQuote(q.bytes, ctxAt(T), { roots: [{ name: "r", der: c2.root.der }] });
    expectAllOk(v);
    expect(v.hardware["pck"]).toMatchObject({ ca: "processor" });
  });

  test("a synthetic chain is refused against the real pinned Intel root", () => {
    const v = verifyTdxQuote(v4.bytes, ctxAt(T)); // no options: the pinned root
    expectFailed(v, "hardware.tdx_pck_chain", "chain_broken", /is not the pinned root intel-sgx-root \(sha256 44a0196b/);
  });

  test("single-bit flips in body, signature, attestation key, QE report, QE signature and auth data", () => {
    expectFailed(verify(flipBit(v4.bytes, v4.bodyOffset + 520)), "hardware.tdx_quote_signature", "signature_failed", /does not verify/);
    expectFailed(verify(flipBit(v4.bytes, v4.signatureOffset)), "hardware.tdx_quote_signature", "signature_failed", /does not verify/);
    expectFailed(verify(flipBit(v4.bytes, v4.attestationKeyOffset + 5)), "hardware.tdx_qe_report_data", "binding_failed", /is not sha256/);
    expectFailed(verify(flipBit(v4.bytes, v4.qeReportOffset + 128)), "hardware.tdx_qe_report_signature", "signature_failed", /QE report signature does not verify/);
    expectFailed(verify(flipBit(v4.bytes, v4.qeReportSignatureOffset + 63)), "hardware.tdx_qe_report_signature", "signature_failed", /QE report signature does not verify/);
    expectFailed(verify(flipBit(v4.bytes, v4.qeAuthDataOffset + 31)), "hardware.tdx_qe_report_data", "binding_failed", /is not sha256/);
  });

  test("single-bit flips in each chain element", () => {
    const pem = chain.pem;
    const at = (i: number, f: (d: Uint8Array) => Uint8Array) => replacePem(v4.bytes, v4.pemOffset, pemWithTamperedCert(pem, i, f));
    expectFailed(verify(at(0, (d) => flipCertSubject(d, "Intel SGX PCK Certificate"))), "hardware.tdx_pck_chain", "chain_broken", /PCK leaf certificate signature does not verify with the PCK intermediate CA key/);
    expectFailed(verify(at(0, flipCertSignature)), "hardware.tdx_pck_chain", "chain_broken", /PCK leaf certificate signature does not verify/);
    expectFailed(verify(at(1, flipCertSignature)), "hardware.tdx_pck_chain", "chain_broken", /PCK intermediate CA certificate signature does not verify with the root key/);
    expectFailed(verify(at(2, flipCertSignature)), "hardware.tdx_pck_chain", "chain_broken", /is not the pinned root test-intel-root/);
  });

  test("a QE report signed by another key than the PCK leaf fails", async () => {
    const other = await makeTdxChain();
    const q = await makeTdxQuote(chain, { qeSigningKey: other.leaf.keys.privateKey });
    expectFailed(verify(q.bytes), "hardware.tdx_qe_report_signature", "signature_failed", /PCK leaf certificate's key/);
  });

  test("QE report data whose upper half is not zero fails the binding", async () => {
    const q = await makeTdxQuote(chain, { qeReportDataTail: new Uint8Array(32).fill(1) });
    expectFailed(verify(q.bytes), "hardware.tdx_qe_report_data", "binding_failed", /QE report data\[32\.\.64\] is not all zero/);
  });

  test("an expired PCK leaf and a not-yet-valid one fail at ctx.time", async () => {
    const c2 = await makeTdxChain({ leafNotAfter: new Date("2025-01-01T00:00:00Z") });
    const q = await makeTdxQuote(c2);
    const r = [{ name: "r", der: c2.root.der }];
    expectFailed(verifyTdxQuote(q.bytes, ctxAt(T), { roots: r }), "hardware.tdx_pck_chain", "certificate_invalid", /PCK leaf certificate .* is not valid at 2026-06-01T00:00:00\.000Z \(valid 2024-01-01T00:00:00\.000Z to 2025-01-01T00:00:00\.000Z\)/);
    expectAllOk(verifyTdxQuote(q.bytes, ctxAt("2024-06-01T00:00:00Z"), { roots: r }));
    expectFailed(verifyTdxQuote(q.bytes, ctxAt("2023-06-01T00:00:00Z"), { roots: r }), "hardware.tdx_pck_chain", "certificate_invalid", /is not valid at 2023-06-01/);
  });

  test("a chain missing a certificate or with a wrong leaf name fails", async () => {
    const two = chain.leaf.pem + "\n" + chain.root.pem + "\n";
    const q = await makeTdxQuote(chain, { pem: two });
    expectFailed(verify(q.bytes), "hardware.tdx_pck_chain", "chain_broken", /has 2 PEM certificate\(s\); expected 3/);
    const c2 = await makeTdxChain({ leafCn: "Not A PCK" });
    const q2 = await makeTdxQuote(c2);
    expectFailed(verifyTdxQuote(q2.bytes, ctxAt(T), { roots: [{ name: "r", der: c2.root.der }] }), "hardware.tdx_pck_chain", "certificate_invalid", /PCK leaf common name is "Not A PCK"/);
  });

  test("a PCK leaf without SGX extensions fails the extensions check", async () => {
    const c2 = await makeTdxChain({ sgx: null });
    const q = await makeTdxQuote(c2);
    expectFailed(verifyTdxQuote(q.bytes, ctxAt(T), { roots: [{ name: "r", der: c2.root.der }] }), "hardware.tdx_pck_extensions", "certificate_invalid", /no SGX extensions/);
  });

  test("a PCK leaf whose SGX extension lacks the FMSPC fails the extensions check, naming it", async () => {
    const c2 = await makeTdxChain({ sgx: { ...DEFAULT_SGX, omitFmspc: true } });
    const q = await makeTdxQuote(c2);
    expectFailed(
      verifyTdxQuote(q.bytes, ctxAt(T), { roots: [{ name: "r", der: c2.root.der }] }),
      "hardware.tdx_pck_extensions",
      "certificate_invalid",
      /^PCK leaf SGX extensions are malformed: SGX extension lacks the FMSPC or PCE-ID octet string$/,
    );
  });

  test("malformed quotes: wrong version, TEE type, body type, certification data type, truncation", () => {
    const b = v4.bytes;
    const set = (off: number, val: number) => {
      const c = new Uint8Array(b);
      c[off] = val;
      return c;
    };
    expect(() => parseTdxQuote(set(0, 3))).toThrow(/unsupported quote version 3/);
    expect(() => parseTdxQuote(set(4, 0x00))).toThrow(/TEE type 0x0 is not TDX/);
    expect(() => parseTdxQuote(set(2, 3))).toThrow(/attestation key type 3 is not 2/);
    expect(() => parseTdxQuote(set(v4.signatureOffset + 128, 7))).toThrow(/certification data type 7 is not 6/);
    expect(() => parseTdxQuote(b.subarray(0, b.length - 10))).toThrow(/truncated/);
    const v = verifyTdxQuote(b.subarray(0, 40), ctxAt(T));
    expectFailed(v, "hardware.tdx_quote_parse", "malformed", /truncated: header user data needs 20 bytes at offset 28, only 12 left/);
    try {
      parseTdxQuote(set(0, 3));
    } catch (e) {
      expect((e as TollgateError).code).toBe("malformed");
    }
  });

  test("detect: JSON, random bytes and other text are not TDX quotes; parse names the file", () => {
    expect(tdxQuoteKind.detect(sourceFromText("x.json", '{"a":1}'))).toBe(false);
    expect(tdxQuoteKind.detect(sourceFromBytes("r.bin", new Uint8Array(2000).fill(7)))).toBe(false);
    expect(tdxQuoteKind.detect(sourceFromText("q.hex", Buffer.from(v4.bytes).toString("hex")))).toBe(true);
    const kind = makeTdxQuoteKind({ roots });
    const bad = sourceFromBytes("bad.dat", v4.bytes.subarray(0, 600));
    expect(kind.detect(bad)).toBe(true);
    try {
      kind.parse(bad);
      throw new Error("parse accepted a truncated quote");
    } catch (e) {
      expect(e).toBeInstanceOf(TollgateError);
      expect((e as TollgateError).code).toBe("malformed");
      expect((e as TollgateError).path).toBe("bad.dat");
    }
  });

  test("a failed quote normalizes to a failed signature with no signer", async () => {
    const kind = makeTdxQuoteKind({ roots });
    const file = sourceFromBytes("q.dat", flipBit(v4.bytes, v4.bodyOffset));
    const parsed = kind.parse(file);
    const ctx = ctxAt(T, [file]);
    const checks = await kind.verify(parsed, file, ctx);
    const [rec] = kind.normalize(parsed, checks, file, ctx);
    expect(rec!.signature.status).toBe("failed");
    expect(rec!.signature.signers).toEqual([]);
    expect(rec!.signature.reason).toMatch(/^hardware\.tdx_quote_signature: TDX quote signature does not verify/);
    expect(rec!.hardware!.status).toBe("failed");
  });
});

describe("TDX: every single-bit flip is caught or changes nothing verified", () => {
  test("flip bit 1 of every byte of a synthetic v5 quote", async () => {
    const chain = await makeTdxChain();
    const r = [{ name: "r", der: chain.root.der }];
    const q = (await makeTdxQuote(chain, { version: 5, bodyType: 3 })).bytes;
    const ctx = ctxAt("2026-06-01T00:00:00Z");
    const base = parseTdxQuote(q);
    const same = (a: Uint8Array, b: Uint8Array) => Buffer.from(a).equals(Buffer.from(b));
    const ders = (p: string) => pemCertificates(p).map((d) => Buffer.from(d).toString("hex")).join(",");
    let caught = 0;
    let benign = 0;
    for (let i = 0; i < q.length; i++) {
      const v = verifyTdxQuote(flipBit(q, i, 1), ctx, { roots: r });
      if (v.hardware.status === "failed") {
        caught++;
        continue;
      }
      // Verified despite the flip: it must have changed no byte any check relies on (e.g. PEM line breaks).
      const m = parseTdxQuote(flipBit(q, i, 1));
      expect(same(m.signedRegion, base.signedRegion) && same(m.signature, base.signature) && same(m.attestationKey, base.attestationKey)).toBe(true);
      expect(same(m.qeReportBytes, base.qeReportBytes) && same(m.qeReportSignature, base.qeReportSignature) && same(m.qeAuthData, base.qeAuthData)).toBe(true);
      expect(ders(m.pckChainPem)).toBe(ders(base.pckChainPem));
      benign++;
    }
    expect(caught + benign).toBe(q.length);
    expect(caught).toBeGreaterThan(q.length * 0.95);
  }, 60_000);
});
