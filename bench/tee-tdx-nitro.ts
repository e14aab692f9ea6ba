#!/usr/bin/env bun
// Hardware reports verified per second for Intel TDX (v4, v5) and AWS Nitro, against the floor: the raw
// signature verifications of the same keys, done with node:crypto on pre-parsed keys in the same process.
//   TDX floor:   quote signature (attestation key, P-256) + QE report signature (PCK leaf) + the two chain
//                signatures (leaf ← PCK CA ← root): 4 ECDSA P-256/SHA-256 verifications.
//   Nitro floor: COSE ES384 signature (enclave key) + one P-384/SHA-384 signature per chain link.
// The ratio full/floor is what parsing, DER/PEM/CBOR decoding, name checks and fact building cost on top.
// Uses the real fixtures when ../shared is present, otherwise synthetic reports generated here.
//   bun bench/tee-tdx-nitro.ts [seconds-per-case]
import { X509Certificate, createPublicKey, verify as cryptoVerify, type KeyObject } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { makeVerifyContext, sourceFromText } from "../src/evidence/source.ts";
import type { SourceFile } from "../src/evidence/types.ts";
import { verifyTdxQuote, parseTdxQuote } from "../src/evidence/tee/tdx/index.ts";
import { verifyNitroDocument, parseNitroDocument } from "../src/evidence/tee/nitro/index.ts";
import { sigStructure } from "../src/evidence/tee/nitro/document.ts";
import { pemCertificates, type PinnedRoot } from "../src/evidence/tee/common/x509chain.ts";

const SECONDS = Number(process.argv[2] ?? 2);
const FIXTURES = resolve(process.env.TOLLGATE_SHARED ?? join(import.meta.dir, "../../shared"), "fixtures/tee");
const haveFixtures = existsSync(FIXTURES);

function rate(fn: () => unknown): number {
  for (let i = 0; i < 50; i++) fn();
  let n = 0;
  const t0 = performance.now();
  const end = t0 + SECONDS * 1000;
  while (performance.now() < end) {
    for (let i = 0; i < 20; i++) fn();
    n += 20;
  }
  return n / ((performance.now() - t0) / 1000);
}

function must(ok: boolean, what: string): void {
  if (!ok) throw new Error(`bench setup: ${what} did not verify`);
}

interface Row {
  platform: string;
  full: number;
  floor: number;
  sigs: number;
}
const rows: Row[] = [];

interface Collateral {
  files: SourceFile[];
  /** The four extra verifications collateral costs, done raw. */
  floor: () => boolean;
}

function p1363(key: KeyObject, hash: string, data: Uint8Array, sig: Uint8Array): boolean {
  return cryptoVerify(hash, data, { key, dsaEncoding: "ieee-p1363" }, sig);
}

/** The X.509 signature check of `cert` by `issuer`, as raw as node:crypto allows on parsed certificates. */
function certSig(cert: X509Certificate, issuer: X509Certificate): () => boolean {
  const key = issuer.publicKey;
  return () => cert.verify(key);
}

async function tdxCase(name: string, bytes: Uint8Array, time: Date, roots?: PinnedRoot[], collateral?: Collateral): Promise<void> {
  const ctx = makeVerifyContext({ time, files: collateral?.files ?? [] });
  const opts = roots ? { roots } : {};
  const v = verifyTdxQuote(bytes, ctx, opts);
  must(v.hardware.status === "verified", name);
  if (collateral) must((v.hardware.tcb as Record<string, unknown>)["evaluated"] === true, `${name} TCB evaluation`);
  const q = parseTdxQuote(bytes);
  const ak = createPublicKey({
    key: { kty: "EC", crv: "P-256", x: Buffer.from(q.attestationKey.subarray(0, 32)).toString("base64url"), y: Buffer.from(q.attestationKey.subarray(32)).toString("base64url") },
    format: "jwk",
  });
  const [leaf, ca, root] = pemCertificates(q.pckChainPem).map((d) => new X509Certificate(d));
  const leafSig = certSig(leaf!, ca!);
  const caSig = certSig(ca!, root!);
  const quoteFloor = () =>
    p1363(ak, "sha256", q.signedRegion, q.signature) &&
    p1363(leaf!.publicKey, "sha256", q.qeReportBytes, q.qeReportSignature) &&
    leafSig() &&
    caSig();
  // With collateral: + TCB info and QE identity signatures, + the TCB signing certificate (checked per document).
  const floorFn = collateral ? () => quoteFloor() && collateral.floor() : quoteFloor;
  must(floorFn(), `${name} floor`);
  rows.push({ platform: name, full: rate(() => verifyTdxQuote(bytes, ctx, opts)), floor: rate(floorFn), sigs: collateral ? 8 : 4 });
}

async function nitroCase(name: string, bytes: Uint8Array, time: Date, roots?: PinnedRoot[]): Promise<void> {
  const ctx = makeVerifyContext({ time });
  const opts = roots ? { roots } : {};
  must(verifyNitroDocument(bytes, ctx, opts).hardware.status === "verified", name);
  const doc = parseNitroDocument(bytes);
  const certs = [doc.payload.certificate, ...[...doc.payload.cabundle].reverse()].map((d) => new X509Certificate(d));
  const links = certs.slice(0, -1).map((c, i) => certSig(c, certs[i + 1]!));
  const leafKey = certs[0]!.publicKey;
  const tbs = sigStructure(doc);
  const floorFn = () => p1363(leafKey, "sha384", tbs, doc.signature) && links.every((l) => l());
  must(floorFn(), `${name} floor`);
  rows.push({ platform: name, full: rate(() => verifyNitroDocument(bytes, ctx, opts)), floor: rate(floorFn), sigs: 1 + links.length });
}

if (haveFixtures) {
  await tdxCase("tdx v4 (fixture, SPR E4)", new Uint8Array(readFileSync(join(FIXTURES, "tdx/tdx_prod_quote_SPR_E4.dat"))), new Date("2024-01-01T00:00:00Z"));
  await tdxCase("tdx v5 (fixture, TD 1.5)", new Uint8Array(readFileSync(join(FIXTURES, "tdx/quote_v5_sample.dat"))), new Date("2026-06-01T00:00:00Z"));
  const nitro = new Uint8Array(readFileSync(join(FIXTURES, "nitro/attestation.bin")));
  await nitroCase("nitro (fixture, 2022-07-14)", nitro, new Date(parseNitroDocument(nitro).payload.timestamp));
} else {
  // Plain clone: the same algorithms on reports generated here (test/support generators).
  const { makeTdxChain, makeTdxQuote } = await import("../test/support/tdx-gen.ts");
  const { makeNitroChain, makeNitroDocument } = await import("../test/support/nitro-gen.ts");
  const chain = await makeTdxChain();
  const roots = [{ name: "synthetic", der: chain.root.der }];
  await tdxCase("tdx v4 (synthetic)", (await makeTdxQuote(chain, { version: 4 })).bytes, new Date("2026-06-01T00:00:00Z"), roots);
  await tdxCase("tdx v5 (synthetic)", (await makeTdxQuote(chain, { version: 5 })).bytes, new Date("2026-06-01T00:00:00Z"), roots);
  const nchain = await makeNitroChain();
  await nitroCase("nitro (synthetic)", (await makeNitroDocument(nchain)).bytes, new Date("2026-06-01T12:00:00Z"), [{ name: "synthetic", der: nchain.root.der }]);
}

// TCB evaluation from collateral (synthetic: the corpus has no Intel PCS collateral).
{
  const { makeTdxChain, makeTdxQuote, makeTdxCollateral } = await import("../test/support/tdx-gen.ts");
  const chain = await makeTdxChain();
  const c = await makeTdxCollateral(chain);
  const signer = new X509Certificate(c.signer.der);
  const root = new X509Certificate(chain.root.der);
  const tcb = JSON.parse(c.tcbInfoBody) as { tcbInfo: unknown; signature: string };
  const qe = JSON.parse(c.qeIdentityBody) as { enclaveIdentity: unknown; signature: string };
  const tcbText = new TextEncoder().encode(JSON.stringify(tcb.tcbInfo));
  const qeText = new TextEncoder().encode(JSON.stringify(qe.enclaveIdentity));
  const collateral: Collateral = {
    files: [sourceFromText("tcb.json", c.tcbInfoBody), sourceFromText("qe.json", c.qeIdentityBody), sourceFromText("chain.pem", c.issuerChainPem)],
    floor: () =>
      signer.verify(root.publicKey) &&
      p1363(signer.publicKey, "sha256", tcbText, Buffer.from(tcb.signature, "hex")) &&
      signer.verify(root.publicKey) &&
      p1363(signer.publicKey, "sha256", qeText, Buffer.from(qe.signature, "hex")),
  };
  await tdxCase("tdx v4 + collateral (synthetic)", (await makeTdxQuote(chain)).bytes, new Date("2026-06-01T00:00:00Z"), [{ name: "synthetic", der: chain.root.der }], collateral);
}

console.log(`TEE report verification, ${SECONDS}s per case (${process.versions.bun ? `bun ${process.versions.bun}` : `node ${process.version}`})`);
console.log(`${"platform".padEnd(30)} ${"verified/s".padStart(11)} ${"floor/s".padStart(9)} ${"sigs".padStart(5)} ${"full/floor".padStart(11)}`);
for (const r of rows) {
  console.log(`${r.platform.padEnd(30)} ${r.full.toFixed(0).padStart(11)} ${r.floor.toFixed(0).padStart(9)} ${String(r.sigs).padStart(5)} ${(r.full / r.floor).toFixed(2).padStart(11)}`);
}
