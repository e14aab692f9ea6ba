// TDX TCB evaluation from Intel PCS collateral (TCB info v3 + QE identity v2 + the TCB signing chain),
// generated and signed at test time with an Intel-shaped chain. Each way collateral can be wrong is caught
// with the precise reason; each status path (UpToDate, OutOfDate via platform, module or QE, Revoked) is
// computed, not asserted from the input.
import { beforeAll, describe, expect, test } from "bun:test";
import { X509Certificate } from "node:crypto";
import { makeVerifyContext, sourceFromBytes, sourceFromText } from "../src/evidence/source.ts";
import { collectEvidence } from "../src/evidence/collect.ts";
import { makeTdxQuoteKind, verifyTdxQuote, type TdxVerification } from "../src/evidence/tee/tdx/index.ts";
import { convergeTcbStatus } from "../src/evidence/tee/tdx/collateral.ts";
import type { PinnedRoot } from "../src/evidence/tee/common/x509chain.ts";
import type { Check, SourceFile } from "../src/evidence/types.ts";
import { makeCrl, makeTdxChain, makeTdxCollateral, makeTdxQuote, type CollateralOptions, type TdxChain } from "./support/tdx-gen.ts";

const T = "2026-06-01T00:00:00Z";
let chain: TdxChain;
let roots: PinnedRoot[];
let quote: Uint8Array;

beforeAll(async () => {
  chain = await makeTdxChain();
  roots = [{ name: "test-intel-root", der: chain.root.der }];
  quote = (await makeTdxQuote(chain, { version: 4 })).bytes;
});

async function pcsFiles(o: CollateralOptions = {}): Promise<SourceFile[]> {
  const c = await makeTdxCollateral(chain, o);
  return [
    sourceFromText("collateral/tcb_info.json", c.tcbInfoBody),
    sourceFromText("collateral/qe_identity.json", c.qeIdentityBody),
    sourceFromText("collateral/issuer_chain.pem", c.issuerChainPem),
  ];
}

function verifyWith(files: SourceFile[], q = quote, time = T): TdxVerification {
  return verifyTdxQuote(q, makeVerifyContext({ time: new Date(time), files }), { roots });
}

function tcbCheck(v: TdxVerification): Check {
  return v.checks.find((c) => c.name === "hardware.tdx_tcb_status")!;
}

function tcb(v: TdxVerification): Record<string, unknown> {
  return v.hardware.tcb as Record<string, unknown>;
}

function expectTcbFailure(v: TdxVerification, reason: RegExp): void {
  const c = tcbCheck(v);
  expect(c.ok).toBe(false);
  expect(c.code).toBe("hardware_failed");
  expect(c.reason).toMatch(reason);
  expect(v.hardware.status).toBe("failed");
  expect(tcb(v)["status"]).toBe("invalid");
}

describe("TDX collateral: verified and evaluated", () => {
  test("PCS response bodies + issuer chain: UpToDate, with the TCB info's metadata", async () => {
    const v = verifyWith(await pcsFiles());
    expect(v.checks.filter((c) => !c.ok)).toEqual([]);
    expect(v.hardware.status).toBe("verified");
    expect(tcb(v)).toMatchObject({
      status: "UpToDate",
      platformStatus: "UpToDate",
      qeStatus: "UpToDate",
      moduleStatus: "UpToDate",
      moduleIdentity: "TDX_03",
      evaluated: true,
      tcbEvaluationDataNumber: 17,
      tcbInfoNextUpdate: "2026-07-01T00:00:00Z",
      advisoryIds: [],
    });
  });

  test("dcap-qvl QuoteCollateralV3 JSON gives the same evaluation", async () => {
    const c = await makeTdxCollateral(chain);
    const v = verifyWith([sourceFromText("quote_collateral.json", c.dcapQvlJson)]);
    expect(v.hardware.status).toBe("verified");
    expect(tcb(v)["status"]).toBe("UpToDate");
  });

  test("a pretty-printed PCS body still verifies (the signed bytes are the compact serialization)", async () => {
    const c = await makeTdxCollateral(chain);
    const pretty = JSON.stringify(JSON.parse(c.tcbInfoBody), null, 2);
    const v = verifyWith([sourceFromText("tcb.json", pretty), sourceFromText("qe.json", c.qeIdentityBody), sourceFromText("chain.pem", c.issuerChainPem)]);
    expect(tcb(v)["status"]).toBe("UpToDate");
  });

  test("a URL-encoded issuer chain header value is accepted", async () => {
    const c = await makeTdxCollateral(chain);
    const v = verifyWith([
      sourceFromText("tcb.json", c.tcbInfoBody),
      sourceFromText("qe.json", c.qeIdentityBody),
      sourceFromText("chain.txt", encodeURIComponent(c.issuerChainPem)),
    ]);
    expect(tcb(v)["status"]).toBe("UpToDate");
  });

  test("a platform below the first level matches the next one: OutOfDate with its advisories", async () => {
    const q = (await makeTdxQuote(chain, { teeTcbSvn: new Uint8Array([3, 3, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]) })).bytes;
    const v = verifyWith(await pcsFiles(), q);
    expect(v.hardware.status).toBe("verified");
    expect(tcb(v)).toMatchObject({ status: "OutOfDate", platformStatus: "OutOfDate", advisoryIds: ["INTEL-SA-00837"] });
  });

  test("a TDX module ISVSVN below the identity's UpToDate level makes the whole TCB OutOfDate", async () => {
    // TEE_TCB_SVN[1] = 3 (module major version): bytes 0 and 1 are the module's, judged by its identity
    // TDX_03, not by the platform levels (Intel QVL isTdxTcbHigherOrEqual). So ISVSVN 2 < the first level's
    // component 0 = 3 does not push the platform down to the OutOfDate level.
    const q = (await makeTdxQuote(chain, { teeTcbSvn: new Uint8Array([2, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3]) })).bytes;
    const v = verifyWith(await pcsFiles(), q);
    expect(tcb(v)).toMatchObject({ status: "OutOfDate", platformStatus: "UpToDate", moduleStatus: "OutOfDate", moduleIdentity: "TDX_03", advisoryIds: ["INTEL-SA-01111"] });
    // …while with module version 0 all 16 bytes are compared: component 0 = 2 < 3 selects the second level.
    const base = (await makeTdxQuote(chain, { teeTcbSvn: new Uint8Array([2, 0, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3]) })).bytes;
    expect(tcb(verifyWith(await pcsFiles(), base))).toMatchObject({ status: "OutOfDate", platformStatus: "OutOfDate", advisoryIds: ["INTEL-SA-00837"] });
  });

  test("a non-zero module version without its TDX_<version> identity in the TCB info fails (QVL: TDX module mismatch)", async () => {
    const q = (await makeTdxQuote(chain, { teeTcbSvn: new Uint8Array([3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3]) })).bytes;
    expectTcbFailure(verifyWith(await pcsFiles({ moduleIdentities: [] }), q), /^TCB info has no TDX module identity TDX_03 \(TEE_TCB_SVN\[1\] = 3\)$/);
  });

  test("an OutOfDate QE with a ConfigurationNeeded platform converges to OutOfDateConfigurationNeeded", async () => {
    const levels = [{ sgx: [4, 4, 2, 2, 4, 1, 0, 5, 0, 0, 0, 0, 0, 0, 0, 0], pcesvn: 13, tdx: [3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3], status: "ConfigurationNeeded" }];
    const v = verifyWith(await pcsFiles({ levels, qeLevels: [{ isvsvn: 9, status: "UpToDate" }, { isvsvn: 5, status: "OutOfDate", advisoryIDs: ["INTEL-SA-00615"] }] }));
    expect(tcb(v)).toMatchObject({ status: "OutOfDateConfigurationNeeded", platformStatus: "ConfigurationNeeded", qeStatus: "OutOfDate", advisoryIds: ["INTEL-SA-00615"] });
    expect(convergeTcbStatus("SWHardeningNeeded", "OutOfDate")).toBe("OutOfDate");
    expect(convergeTcbStatus("OutOfDate", "UpToDate")).toBe("OutOfDate");
  });

  test("module version 0 uses the base tdxModule and no identity", async () => {
    const q = (await makeTdxQuote(chain, { teeTcbSvn: new Uint8Array([3, 0, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3]) })).bytes;
    const levels = [{ sgx: [4, 4, 2, 2, 4, 1, 0, 5, 0, 0, 0, 0, 0, 0, 0, 0], pcesvn: 13, tdx: [3, 0, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3], status: "UpToDate" }];
    const v = verifyWith(await pcsFiles({ levels }), q);
    expect(tcb(v)["status"]).toBe("UpToDate");
    expect(tcb(v)["moduleIdentity"]).toBeUndefined();
  });

  test("a Revoked TCB fails the check", async () => {
    const levels = [{ sgx: [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], pcesvn: 0, tdx: [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], status: "Revoked" }];
    const v = verifyWith(await pcsFiles({ levels }));
    const c = tcbCheck(v);
    expect(c.ok).toBe(false);
    expect(c.reason).toBe("TCB status is Revoked");
    expect(v.hardware.status).toBe("failed");
  });
});

describe("TDX collateral: every way it can be wrong", () => {
  test("a tampered TCB info body fails its signature", async () => {
    const c = await makeTdxCollateral(chain);
    const tampered = c.tcbInfoBody.replace('"tcbStatus":"OutOfDate"', '"tcbStatus":"UpToDate"');
    expect(tampered).not.toBe(c.tcbInfoBody);
    const v = verifyWith([sourceFromText("tcb.json", tampered), sourceFromText("qe.json", c.qeIdentityBody), sourceFromText("chain.pem", c.issuerChainPem)]);
    expectTcbFailure(v, /TCB info signature does not verify with the "Intel SGX TCB Signing" key over the TCB info body \(tcb\.json\)/);
  });

  test("a tampered QE identity fails its signature", async () => {
    const c = await makeTdxCollateral(chain);
    const tampered = c.qeIdentityBody.replace('"isvprodid":2', '"isvprodid":3');
    const v = verifyWith([sourceFromText("tcb.json", c.tcbInfoBody), sourceFromText("qe.json", tampered), sourceFromText("chain.pem", c.issuerChainPem)]);
    expectTcbFailure(v, /QE identity signature does not verify/);
  });

  test("a signing chain to another root is refused", async () => {
    const other = await makeTdxChain();
    const c = await makeTdxCollateral(other);
    const v = verifyWith([sourceFromText("tcb.json", c.tcbInfoBody), sourceFromText("qe.json", c.qeIdentityBody), sourceFromText("chain.pem", c.issuerChainPem)]);
    expectTcbFailure(v, /TCB info issuer chain: chain root .* is not the pinned root test-intel-root/);
  });

  test("a signer that is not the Intel SGX TCB Signing certificate is refused", async () => {
    const c = await makeTdxCollateral(chain, { signerName: "Intel SGX PCK Certificate" });
    const v = verifyWith([sourceFromText("tcb.json", c.tcbInfoBody), sourceFromText("qe.json", c.qeIdentityBody), sourceFromText("chain.pem", c.issuerChainPem)]);
    // Without a TCB-signing PEM among the files, the chain is missing altogether.
    expectTcbFailure(v, /TCB info \(tcb\.json\) is supplied without its issuer chain/);
    const d = JSON.parse((await makeTdxCollateral(chain, { signerName: "Intel SGX PCK Certificate" })).dcapQvlJson);
    const v2 = verifyWith([sourceFromText("qc.json", JSON.stringify(d))]);
    expectTcbFailure(v2, /TCB info signing certificate is "Intel SGX PCK Certificate", not "Intel SGX TCB Signing"/);
  });

  test("expired and not-yet-issued collateral is refused at ctx.time", async () => {
    const files = await pcsFiles({ issueDate: "2026-01-01T00:00:00Z", nextUpdate: "2026-02-01T00:00:00Z" });
    expectTcbFailure(verifyWith(files), /TCB info expired: nextUpdate 2026-02-01T00:00:00Z is before the verification time 2026-06-01T00:00:00\.000Z/);
    const future = await pcsFiles({ issueDate: "2026-09-01T00:00:00Z", nextUpdate: "2026-10-01T00:00:00Z" });
    expectTcbFailure(verifyWith(future), /TCB info issueDate 2026-09-01T00:00:00Z is after the verification time/);
  });

  test("TCB info for another FMSPC is refused; among several, the platform's own is used", async () => {
    expectTcbFailure(verifyWith(await pcsFiles({ fmspc: "00606a000000" })), /no TCB info for the PCK certificate's FMSPC 00906ed50000 among the supplied collateral \(FMSPC 00606a000000\)/);
    const other = (await pcsFiles({ fmspc: "00606a000000" }))[0]!;
    const own = await pcsFiles();
    const v = verifyWith([sourceFromText("other_tcb.json", other.text()!), ...own]);
    expect(tcb(v)["status"]).toBe("UpToDate");
  });

  test("no matching platform level is refused with the platform's SVNs", async () => {
    const levels = [{ sgx: [9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9], pcesvn: 13, tdx: [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], status: "UpToDate" }];
    expectTcbFailure(verifyWith(await pcsFiles({ levels })), /no TCB level in the TCB info matches the platform \(PCK CPUSVN components 4,4,2,2,4,1,0,5,0,0,0,0,0,0,0,0, PCESVN 13, TEE_TCB_SVN 03030303030303030303030303030303\)/);
  });

  test("a missing module identity, a wrong module signer and a wrong QE signer are refused", async () => {
    expectTcbFailure(verifyWith(await pcsFiles({ moduleIdentities: [{ id: "TDX_01", levels: [{ isvsvn: 1, status: "UpToDate" }] }] })), /TCB info has no TDX module identity TDX_03 \(TEE_TCB_SVN\[1\] = 3\)/);
    expectTcbFailure(
      verifyWith(await pcsFiles({ moduleIdentities: [{ id: "TDX_03", mrsigner: "ab".repeat(48), levels: [{ isvsvn: 1, status: "UpToDate" }] }] })),
      /MRSIGNERSEAM 0{96} is not the TDX module mrsigner (AB){48} in the TCB info/,
    );
    expectTcbFailure(verifyWith(await pcsFiles({ qeMrsigner: "CD".repeat(32) })), /QE MRSIGNER (DC){32} is not the QE identity's (CD){32}/);
    expectTcbFailure(verifyWith(await pcsFiles({ qeLevels: [{ isvsvn: 8, status: "UpToDate" }] })), /QE ISVSVN 7 is below every QE identity TCB level/);
  });

  test("QE identity without TCB info is refused", async () => {
    const c = await makeTdxCollateral(chain);
    expectTcbFailure(verifyWith([sourceFromText("qe.json", c.qeIdentityBody), sourceFromText("chain.pem", c.issuerChainPem)]), /QE identity collateral \(qe\.json\) is supplied without the TDX TCB info/);
  });

  test("the kind names every collateral file as a material, and the record carries the evaluated status", async () => {
    const files = await pcsFiles();
    const q = sourceFromText("quote.b64", Buffer.from(quote).toString("base64"));
    const kind = makeTdxQuoteKind({ roots });
    expect(kind.materials!(q, [q, ...files])).toEqual(files.map((f) => f.path));
    const ctx = makeVerifyContext({ time: new Date(T), files: [q, ...files] });
    const parsed = kind.parse(q);
    const [rec] = kind.normalize(parsed, await kind.verify(parsed, q, ctx), q, ctx);
    expect(rec!.signature.status).toBe("verified");
    expect(rec!.facts["tcbStatus"]).toBe("UpToDate");
    expect((rec!.hardware!.tcb as Record<string, unknown>)["status"]).toBe("UpToDate");
  });
});

describe("TDX through the collect pipeline", () => {
  test("with the registered kinds, collateral files are materials (no errors, nothing skipped) and no other kind claims them", async () => {
    const crls = [sourceFromBytes("crl/root.crl", (await makeCrl(chain.root)).der), sourceFromText("crl/pck.pem", (await makeCrl(chain.intermediate)).pem)];
    const files = [sourceFromText("td/quote.b64", Buffer.from(quote).toString("base64")), ...(await pcsFiles()), ...crls];
    const ctx = makeVerifyContext({ time: new Date(T), files });
    const res = await collectEvidence(files, ctx);
    expect(res.errors).toEqual([]);
    expect(res.skipped).toEqual([]);
    expect(res.materials).toEqual(files.slice(1).map((f) => f.path).sort());
    expect(res.records.map((r) => [r.kind, r.hardware?.platform])).toEqual([["tee-report", "tdx"]]);
    // The registered kind pins Intel's real root: a synthetic chain never verifies through it.
    expect(res.records[0]!.hardware!.status).toBe("failed");
    const own = await collectEvidence(files, ctx, [makeTdxQuoteKind({ roots })]);
    expect(own.records[0]!.hardware!.status).toBe("verified");
    expect((own.records[0]!.hardware!.tcb as Record<string, unknown>)["status"]).toBe("UpToDate");
    expect(own.records[0]!.hardware!["revocation"]).toBe("checked");
  });
});

describe("TDX PCK chain revocation (Intel CRLs)", () => {
  const crlFiles = async (o: { rootRevokes?: boolean; pckRevokes?: boolean; pckNextUpdate?: Date; forge?: boolean } = {}) => {
    const rootCrl = await makeCrl(chain.root, { revoked: o.rootRevokes ? [chain.intermediate] : [] });
    const pckCrl = await makeCrl(chain.intermediate, {
      revoked: o.pckRevokes ? [chain.leaf] : [],
      ...(o.pckNextUpdate ? { nextUpdate: o.pckNextUpdate } : {}),
      ...(o.forge ? { signingKey: chain.leaf.keys.privateKey } : {}),
    });
    return [sourceFromBytes("crl/root.crl", rootCrl.der), sourceFromText("crl/pck.pem", pckCrl.pem)];
  };
  const revocation = (v: TdxVerification) => v.checks.find((c) => c.name === "hardware.tdx_revocation");

  test("without CRLs revocation is reported unchecked and no check runs", () => {
    const v = verifyWith([]);
    expect(revocation(v)).toBeUndefined();
    expect(v.hardware["revocation"]).toBe("unchecked");
  });

  test("current CRLs that list neither certificate: checked (DER and PEM inputs)", async () => {
    const v = verifyWith(await crlFiles());
    expect(revocation(v)).toMatchObject({ ok: true, detail: { rootCaCrl: "crl/root.crl", pckCrl: "crl/pck.pem" } });
    expect(v.hardware.status).toBe("verified");
    expect(v.hardware["revocation"]).toBe("checked");
  });

  test("a revoked PCK leaf and a revoked PCK intermediate are caught, naming the serial and the CRL", async () => {
    const leafSerial = new X509Certificate(chain.leaf.der).serialNumber;
    const a = verifyWith(await crlFiles({ pckRevokes: true }));
    expect(revocation(a)).toMatchObject({ ok: false, code: "certificate_invalid", reason: `the PCK leaf certificate (serial ${leafSerial}) is revoked by crl/pck.pem` });
    expect(a.hardware.status).toBe("failed");
    expect(a.hardware["revocation"]).toBe("failed");
    const b = verifyWith(await crlFiles({ rootRevokes: true }));
    expect(revocation(b)!.reason).toMatch(/^the PCK intermediate CA \(serial [0-9A-F]+\) is revoked by crl\/root\.crl$/);
  });

  test("a forged, an expired, and a missing CRL are refused", async () => {
    expect(revocation(verifyWith(await crlFiles({ forge: true })))!.reason).toBe('CRL crl/pck.pem ("Intel SGX PCK Platform CA") is not signed by the PCK intermediate CA key');
    expect(revocation(verifyWith(await crlFiles({ pckNextUpdate: new Date("2026-05-15T00:00:00Z") })))!.reason).toBe(
      "CRL crl/pck.pem expired: nextUpdate 2026-05-15T00:00:00.000Z is before the verification time 2026-06-01T00:00:00.000Z",
    );
    const [rootOnly] = await crlFiles();
    expect(revocation(verifyWith([rootOnly!]))!.reason).toBe('no PCK CRL (issuer "Intel SGX PCK Platform CA") among the supplied CRLs');
  });

  test("a supplied CRL that cannot be read fails the revocation check naming the file (never ignored), and is a material", async () => {
    const garbled = sourceFromText("crl/pck.pem", "-----BEGIN X509 CRL-----\nMIIBAAAA\n-----END X509 CRL-----\n");
    const [rootCrl] = await crlFiles();
    const v = verifyWith([rootCrl!, garbled]);
    expect(revocation(v)).toMatchObject({ ok: false, code: "certificate_invalid", detail: { crls: ["crl/root.crl", "crl/pck.pem"] } });
    expect(revocation(v)!.reason).toMatch(/^CRL crl\/pck\.pem is not (DER|a valid X\.509 CRL): /);
    expect(v.hardware["revocation"]).toBe("failed");
    const pem = (await makeCrl(chain.intermediate)).pem;
    const truncated = sourceFromText("crl/pck.pem", pem.slice(0, pem.length / 2));
    expect(revocation(verifyWith([rootCrl!, truncated]))!.reason).toBe("CRL crl/pck.pem has no complete PEM CRL block");
    const c = JSON.parse((await makeTdxCollateral(chain)).dcapQvlJson) as Record<string, unknown>;
    c["pck_crl"] = "not a crl";
    expect(revocation(verifyWith([rootCrl!, sourceFromText("qc.json", JSON.stringify(c))]))!.reason).toBe("CRL qc.json#pck_crl is neither PEM nor hex DER");
    // A DER file that is not a CRL (a certificate, anything else) is not taken for one.
    expect(revocation(verifyWith([sourceFromBytes("leaf.der", chain.leaf.der)]))).toBeUndefined();
    const q = sourceFromBytes("q.dat", quote);
    expect(makeTdxQuoteKind({ roots }).materials!(q, [q, garbled])).toEqual(["crl/pck.pem"]);
  });

  test("CRLs inside dcap-qvl collateral JSON (hex DER) are used, and CRL files are materials", async () => {
    const c = JSON.parse((await makeTdxCollateral(chain)).dcapQvlJson) as Record<string, unknown>;
    c["root_ca_crl"] = Buffer.from((await makeCrl(chain.root)).der).toString("hex");
    c["pck_crl"] = Buffer.from((await makeCrl(chain.intermediate, { revoked: [chain.leaf] })).der).toString("hex");
    const f = sourceFromText("qc.json", JSON.stringify(c));
    const v = verifyWith([f]);
    expect(revocation(v)!.reason).toMatch(/is revoked by qc\.json#pck_crl$/);
    const files = await crlFiles();
    const q = sourceFromBytes("q.dat", quote);
    expect(makeTdxQuoteKind({ roots }).materials!(q, [q, ...files, f])).toEqual(["qc.json", "crl/root.crl", "crl/pck.pem"]);
  });
});
