// The tee.tdx.* and tee.nitro.* rules evaluated by the real gate: policies/ compiled by opa into WASM and run
// by the project's evaluator over input documents built from verified evidence (real fixtures and synthetic
// quotes/documents). Catches what `opa test` cannot: builtins the WASM runtime lacks, input-schema drift.
import { beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildInputDocument, validateInputDocument } from "../src/core/input.ts";
import { collectEvidence } from "../src/evidence/collect.ts";
import { makeVerifyContext, sourceFromBytes, sourceFromText } from "../src/evidence/source.ts";
import type { EvidenceKind, SourceFile } from "../src/evidence/types.ts";
import { makeTdxQuoteKind } from "../src/evidence/tee/tdx/index.ts";
import { makeNitroAttestationKind } from "../src/evidence/tee/nitro/index.ts";
import { loadBundleFile } from "../src/policy/bundle.ts";
import { PolicyEngine } from "../src/policy/evaluator.ts";
import { evaluateDecision, type Decision } from "../src/policy/gate.ts";
import { REPO_ROOT, fixture, fixtureDescribe } from "./support/fixtures.ts";
import { runOpa } from "./support/opa.ts";
import { flipBit, makeTdxChain, makeTdxCollateral, makeTdxQuote } from "./support/tdx-gen.ts";
import { makeNitroChain, makeNitroDocument } from "./support/nitro-gen.ts";

const SUBJECT = "ab".repeat(32);
let bundlePath = "";

beforeAll(() => {
  const dir = mkdtempSync(join(tmpdir(), "tollgate-tee-platforms-"));
  bundlePath = join(dir, "gate.tar.gz");
  const r = runOpa(["build", "-t", "wasm", "--ignore", "*_test.rego", "--ignore", "*_test.json", "-e", "tollgate/gate/decision", "-o", bundlePath, "policies"], REPO_ROOT);
  if (r.code !== 0) throw new Error(`opa build: ${r.stderr}`);
}, 120_000);

async function gate(files: SourceFile[], time: Date, data: Record<string, unknown> = {}, kinds?: readonly EvidenceKind<any>[]): Promise<Decision> {
  const ctx = makeVerifyContext({ time, files });
  const r = await collectEvidence(files, ctx, kinds);
  expect(r.errors).toEqual([]);
  const doc = buildInputDocument({ time: time.toISOString(), subject: { digest: { sha256: SUBJECT } }, trust: { keys: [], identities: [] } }, r.records, r.errors);
  validateInputDocument(doc);
  const engine = await PolicyEngine.create(await loadBundleFile(bundlePath), [{ source: "test", data }]);
  return evaluateDecision(engine, "tollgate/gate/decision", doc);
}

const rules = (results: Decision["deny"], prefix: string) => results.filter((r) => r.rule.startsWith(prefix)).map((r) => r.rule).sort();
const msgs = (results: Decision["deny"], rule: string) => results.filter((r) => r.rule === rule).map((r) => r.msg);

fixtureDescribe("gate over the real TDX and Nitro fixtures", () => {
  const tdxFile = () => sourceFromBytes("tdx_prod_quote_SPR_E4.dat", new Uint8Array(readFileSync(fixture("tee/tdx/tdx_prod_quote_SPR_E4.dat"))));
  const nitroBytes = () => new Uint8Array(readFileSync(fixture("tee/nitro/attestation.bin")));
  const nitroTime = new Date(1657831567740);

  test("a verified TDX quote with its MRTD pinned raises only the TCB-unchecked warning", async () => {
    const first = await gate([tdxFile()], new Date("2024-01-01T00:00:00Z"));
    expect(rules(first.deny, "tee.")).toEqual([]);
    expect(rules(first.warn, "tee.")).toEqual(["tee.tdx.mrtd-unpinned", "tee.tdx.tcb-unchecked"]);
    const mrtd = msgs(first.warn, "tee.tdx.mrtd-unpinned")[0]!.match(/MRTD ([0-9a-f]{96})/)![1]!;
    const pinned = await gate([tdxFile()], new Date("2024-01-01T00:00:00Z"), { tdx_mrtd: [mrtd] });
    expect(rules(pinned.deny, "tee.")).toEqual([]);
    expect(rules(pinned.warn, "tee.")).toEqual(["tee.tdx.tcb-unchecked"]);
    const other = await gate([tdxFile()], new Date("2024-01-01T00:00:00Z"), { tdx_mrtd: ["00".repeat(48)] });
    expect(rules(other.deny, "tee.")).toEqual(["tee.tdx.mrtd"]);
  }, 30_000);

  test("a TDX quote verified outside its certificates' validity is denied with the reason", async () => {
    const d = await gate([tdxFile()], new Date("2035-01-01T00:00:00Z"));
    expect(rules(d.deny, "tee.")).toEqual(["tee.tdx.verified"]);
    expect(msgs(d.deny, "tee.tdx.verified")[0]).toMatch(/PCK leaf certificate .* is not valid at 2035-01-01T00:00:00\.000Z/);
  }, 30_000);

  test("the Nitro fixture is a debug-mode enclave (PCR0 all zero): denied unless allowed; staleness from ageSeconds", async () => {
    const file = () => sourceFromBytes("attestation.bin", nitroBytes());
    const d = await gate([file()], nitroTime);
    expect(rules(d.deny, "tee.")).toEqual(["tee.nitro.debug"]);
    expect(rules(d.warn, "tee.")).toEqual(["tee.nitro.pcrs-unpinned"]);
    const allowed = await gate([file()], nitroTime, { nitro_allow_debug: true, nitro_pcrs: { "4": ["28c7ea32aec0384948c7b6373fb6ec5402789e28000f3bb002ecb97b96a15f583db4785d9d6bb393a8245d1bd6d98832"] } });
    expect(rules(allowed.deny, "tee.")).toEqual([]);
    expect(rules(allowed.warn, "tee.")).toEqual([]);
    // 240 s later the enclave certificate (valid until 23:46:07) still verifies; the document is too old.
    const later = new Date(nitroTime.getTime() + 240_000);
    const stale = await gate([file()], later, { nitro_allow_debug: true, nitro_max_age_seconds: 60 });
    expect(msgs(stale.deny, "tee.nitro.stale")).toEqual(["Nitro attestation document from 2022-07-14T20:46:07.740Z is 240 s old at 2022-07-14T20:50:07.740Z (data.nitro_max_age_seconds = 60)"]);
  }, 30_000);

  test("a tampered Nitro document is denied under tee.nitro.verified with the failing check", async () => {
    const b = nitroBytes();
    const d = await gate([sourceFromBytes("attestation.bin", flipBit(b, b.length - 5))], nitroTime, { nitro_allow_debug: true });
    expect(rules(d.deny, "tee.")).toEqual(["tee.nitro.verified"]);
    expect(msgs(d.deny, "tee.nitro.verified")[0]).toMatch(/hardware\.nitro_signature: COSE_Sign1 ES384 signature does not verify/);
  }, 30_000);
});

describe("gate over synthetic TDX and Nitro evidence (plain clone)", () => {
  const T = new Date("2026-06-01T00:00:00Z");

  test("TDX: debug TD denied; evaluated OutOfDate TCB denied with its advisories; UpToDate admitted", async () => {
    const chain = await makeTdxChain();
    const kinds = [makeTdxQuoteKind({ roots: [{ name: "test-intel-root", der: chain.root.der }] })];
    const debugQuote = await makeTdxQuote(chain, { tdAttributes: new Uint8Array([1, 0, 0, 0, 0, 0, 0, 0]) });
    const pin = { tdx_mrtd: ["5a".repeat(48)] };
    const dbg = await gate([sourceFromBytes("q.dat", debugQuote.bytes)], T, pin, kinds);
    expect(rules(dbg.deny, "tee.")).toEqual(["tee.tdx.debug"]);

    const c = await makeTdxCollateral(chain);
    const collateral = [sourceFromText("tcb.json", c.tcbInfoBody), sourceFromText("qe.json", c.qeIdentityBody), sourceFromText("chain.pem", c.issuerChainPem)];
    const old = await makeTdxQuote(chain, { teeTcbSvn: new Uint8Array([3, 3, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]) });
    const d = await gate([sourceFromBytes("q.dat", old.bytes), ...collateral], T, pin, kinds);
    expect(msgs(d.deny, "tee.tdx.tcb-status")).toEqual(["TDX TCB status is OutOfDate (platform OutOfDate, QE UpToDate, TDX module UpToDate), not one of [UpToDate]; advisories INTEL-SA-00837"]);

    const current = await makeTdxQuote(chain);
    const ok = await gate([sourceFromBytes("q.dat", current.bytes), ...collateral], T, pin, kinds);
    expect(rules(ok.deny, "tee.")).toEqual([]);
    expect(rules(ok.warn, "tee.")).toEqual([]);
  }, 60_000);

  test("Nitro: PCR pins by index, mismatch names the PCR", async () => {
    const chain = await makeNitroChain();
    const kinds = [makeNitroAttestationKind({ roots: [{ name: "test-nitro-root", der: chain.root.der }] })];
    const doc = await makeNitroDocument(chain, { timestamp: T.getTime() });
    const f = () => sourceFromBytes("att.bin", doc.bytes);
    const ok = await gate([f()], T, { nitro_pcrs: { "0": ["a0".repeat(48)], "4": ["44".repeat(48)] } }, kinds);
    expect(rules(ok.deny, "tee.")).toEqual([]);
    const bad = await gate([f()], T, { nitro_pcrs: { "0": ["a0".repeat(48)], "4": ["45".repeat(48)] } }, kinds);
    expect(msgs(bad.deny, "tee.nitro.pcr")).toEqual([`Nitro PCR4 ${"44".repeat(48)} is not one of the 1 pinned value(s)`]);
  }, 60_000);
});
