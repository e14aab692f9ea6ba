#!/usr/bin/env bun
// SEV-SNP, az-snp and Kettle (snp) evidence verified per second through the evidence kinds (parse → verify →
// normalize, a fresh SourceFile each time), against the floor: the raw signature verifications of the same keys
// that one such verification needs, keys pre-imported, same process (WebCrypto, as the verifier uses).
//   bun bench/tee.ts [seconds-per-case]
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { makeKettleKind } from "../src/evidence/kettle/index.ts";
import { makeVerifyContext, sourceFromBytes, sourceFromText } from "../src/evidence/source.ts";
import type { EvidenceKind, SourceFile } from "../src/evidence/types.ts";
import { makeAzSnpKind } from "../src/evidence/tee/az-snp/index.ts";
import { parseAzSnpEvidence } from "../src/evidence/tee/az-snp/hcl.ts";
import { amdTrust } from "../src/evidence/tee/common/roots.ts";
import { type Certificate, parseCertificate } from "../src/evidence/tee/common/x509.ts";
import { makeSevSnpKind } from "../src/evidence/tee/sev-snp/index.ts";
import {
  kettleBinding,
  kettleProvenanceText,
  kettleSnpEvidence,
  makeAmdChain,
  makeAzSnpEvidence,
  signedReport,
  syntheticTrust,
} from "../test/support/amd-chain.ts";

const SECONDS = Number(process.argv[2] ?? 3);
const FIX = join(import.meta.dir, "..", "..", "shared", "fixtures", "tee");
const subtle = globalThis.crypto.subtle;
const ab = (u: Uint8Array) => u.buffer.slice(u.byteOffset, u.byteOffset + u.byteLength) as ArrayBuffer;

async function rate(fn: () => Promise<unknown>): Promise<number> {
  for (let i = 0; i < 30; i++) await fn();
  let n = 0;
  const t0 = performance.now();
  const end = t0 + SECONDS * 1000;
  while (performance.now() < end) {
    await fn();
    n++;
  }
  return n / ((performance.now() - t0) / 1000);
}

/** The per-report signature work: report ECDSA P-384/SHA-384 by the VCEK + VCEK ← ASK RSA-PSS SHA-384. */
async function snpFloor(report: Uint8Array, vcek: Certificate, ask: Certificate, extra?: () => Promise<unknown>) {
  const ecKey = await subtle.importKey("spki", ab(vcek.spki), { name: "ECDSA", namedCurve: "P-384" }, false, ["verify"]);
  const rsaKey = await subtle.importKey("spki", ab(ask.spki), { name: "RSA-PSS", hash: "SHA-384" }, false, ["verify"]);
  const sig = new Uint8Array(96);
  sig.set(report.slice(0x2a0, 0x2a0 + 48).reverse(), 0);
  sig.set(report.slice(0x2e8, 0x2e8 + 48).reverse(), 48);
  const body = report.slice(0, 0x2a0);
  return async () => {
    const a = await subtle.verify({ name: "ECDSA", hash: "SHA-384" }, ecKey, sig, body);
    const b = await subtle.verify({ name: "RSA-PSS", saltLength: 48 }, rsaKey, ab(vcek.signature), ab(vcek.tbs));
    if (!a || !b) throw new Error("floor signature did not verify");
    if (extra) await extra();
  };
}

function fullPath(kind: EvidenceKind<any>, make: () => SourceFile[], time: Date) {
  return async () => {
    const files = make();
    const ctx = makeVerifyContext({ time, files });
    const parsed = kind.parse(files[0]!);
    const checks = await kind.verify(parsed, files[0]!, ctx);
    const [record] = kind.normalize(parsed, checks, files[0]!, ctx);
    if (record!.hardware!.status !== "verified") throw new Error(`${kind.name}: ${record!.hardware!.reason}`);
  };
}

const rows: string[][] = [];
async function bench(name: string, full: () => Promise<unknown>, floor: () => Promise<unknown>) {
  const f = await rate(full);
  const fl = await rate(floor);
  rows.push([name, f.toFixed(0), fl.toFixed(0), (f / fl).toFixed(2)]);
  console.log(`${name.padEnd(34)} ${f.toFixed(0).padStart(7)}/s  floor ${fl.toFixed(0).padStart(7)}/s  full/floor ${(f / fl).toFixed(2)}`);
}

// ---- real fixtures (pinned AMD roots) ----
if (existsSync(FIX)) {
  const milan = amdTrust("milan");
  const reportBytes = new Uint8Array(readFileSync(join(FIX, "sev-snp", "go-sev-guest", "attestation.bin")));
  const vcekBytes = new Uint8Array(readFileSync(join(FIX, "sev-snp", "go-sev-guest", "vcek.testcer")));
  const at = new Date("2024-06-01T00:00:00Z");
  const snp = makeSevSnpKind();
  await bench(
    "sev-snp v2 (fixture, Milan)",
    fullPath(snp, () => [sourceFromBytes("/r/report.bin", reportBytes), sourceFromBytes("/r/vcek.der", vcekBytes)], at),
    await snpFloor(reportBytes, parseCertificate(vcekBytes), milan.ask),
  );

  const azText = readFileSync(join(FIX, "az-snp", "evidence-v1.json"), "utf8");
  const azEv = (JSON.parse(azText) as { evidence: unknown }).evidence;
  const az = parseAzSnpEvidence(azEv);
  const azInner = JSON.stringify(azEv);
  const jwk = JSON.parse(new TextDecoder().decode(az.hcl.runtimeData)).keys.find((k: { kid: string }) => k.kid === "HCLAkPub");
  const ak = await subtle.importKey("jwk", { kty: "RSA", n: jwk.n, e: jwk.e }, { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" }, false, ["verify"]);
  await bench(
    "az-snp (fixture, Azure Milan)",
    fullPath(makeAzSnpKind(), () => [sourceFromText("/r/az.json", azInner)], new Date("2025-06-01T00:00:00Z")),
    await snpFloor(az.hcl.snpReport, parseCertificate(az.vcek), milan.ask, () => subtle.verify("RSASSA-PKCS1-v1_5", ak, ab(az.quote.signature), ab(az.quote.message))),
  );
}

// ---- synthetic chain (plain clone): the same algorithms, RSA-2048 roots ----
const chain = await makeAmdChain();
const trust = syntheticTrust(chain);
const synthReport = await signedReport(chain, { version: 5 });
await bench(
  "sev-snp v5 (synthetic)",
  fullPath(makeSevSnpKind({ trust }), () => [sourceFromBytes("/r/report.bin", synthReport), sourceFromBytes("/r/vcek.der", chain.vcekDer)], chain.validTime),
  await snpFloor(synthReport, parseCertificate(chain.vcekDer), chain.trust.ask),
);

const APP = new TextEncoder().encode("release binary\n".repeat(1000));
const provenance = kettleProvenanceText({ app: APP });
const rd = new Uint8Array(64);
rd.set(kettleBinding(provenance));
const kettleReport = await signedReport(chain, { reportData: rd });
const evidenceJson = kettleSnpEvidence(kettleReport, chain.vcekDer);
await bench(
  "kettle snp build (synthetic)",
  fullPath(makeKettleKind({ amdTrust: trust }), () => [
    sourceFromText("/b/evidence.json", evidenceJson),
    sourceFromText("/b/provenance.json", provenance, false),
    sourceFromBytes("/b/artifacts/app", APP, false),
  ], chain.validTime),
  await snpFloor(kettleReport, parseCertificate(chain.vcekDer), chain.trust.ask),
);

const synthAz = await makeAzSnpEvidence(chain);
const synthAzText = JSON.stringify(synthAz.evidence);
const synthAzParsed = parseAzSnpEvidence(synthAz.evidence);
await bench(
  "az-snp (synthetic)",
  fullPath(makeAzSnpKind({ trust }), () => [sourceFromText("/r/az.json", synthAzText)], chain.validTime),
  await snpFloor(synthAzParsed.hcl.snpReport, parseCertificate(chain.vcekDer), chain.trust.ask, () =>
    subtle.verify("RSASSA-PKCS1-v1_5", synthAz.akKey.publicKey, ab(synthAzParsed.quote.signature), ab(synthAzParsed.quote.message))),
);

console.log("\n| evidence | verified/s | floor/s | full/floor |\n|---|---:|---:|---:|");
for (const r of rows) console.log(`| ${r[0]} | ${r[1]} | ${r[2]} | ${r[3]} |`);
