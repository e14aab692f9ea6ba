// Evidence kind "kettle": a Kettle attestable-build directory (lunal.dev) — evidence.json
// ({"platform": "snp" | "az-snp" | "tdx", "evidence": {…}}, the lunal-dev/attestation-rs envelope), provenance.json
// (an in-toto Statement v1 with SLSA provenance v1) and artifacts/. The hardware evidence is verified; its bound value
// (SNP/TDX REPORT_DATA[0..32], the az-snp quote's extraData) must equal sha256 of the provenance re-serialized
// compactly in its own key order (JSON.stringify(JSON.parse(text))), all 32 bytes, and the rest of the field must be
// zero (attestation-rs compares the hash zero-padded to the field's length); every artifact's sha256 must equal its
// subject digest. The provenance then counts as signed by the hardware (signer type "hardware").
// An envelope with no provenance.json beside it is plain hardware evidence: a `tee-report`.
import { basename, dirname, relative, sep } from "node:path";
import { sha256Bytes, toHex } from "../../core/digest.ts";
import { asTollgateError, type ErrorCode, TollgateError } from "../../core/errors.ts";
import { IN_TOTO_STATEMENT_V1, type InTotoStatement } from "../predicate.ts";
// The SLSA handler directly, not through registry.ts (which imports this module).
import { slsaProvenance } from "../slsa-provenance.ts";
import type { Check, EvidenceKind, EvidenceRecord, HardwareFacts, SourceFile, VerifyContext } from "../types.ts";
import { azSnpRecord, type ParsedAzSnp, parseAzSnp } from "../tee/az-snp/index.ts";
import { azSnpHardwareFacts, type AzSnpVerification, verifyAzSnp } from "../tee/az-snp/verify.ts";
import { base64Field } from "../tee/common/encoding.ts";
import { check, hardwareSigner, outcome, teeRecord } from "../tee/common/facts.ts";
import { type Certificate, certificateDers, parseCertificate } from "../tee/common/x509.ts";
import { amdCrlFiles } from "../tee/sev-snp/crl.ts";
import { checkKettleManifest, type ManifestFacts, manifestFile } from "./manifest.ts";
import { endorsementFiles, pickEndorsement } from "../tee/sev-snp/index.ts";
import { parseSnpReport, type SnpReport } from "../tee/sev-snp/report.ts";
import { type AmdTrustSource, snpHardwareFacts, type SnpVerification, verifySnp } from "../tee/sev-snp/verify.ts";
import { looksLikeTdxQuote, parseTdxQuote, type TdxQuote, verifyParsedTdxQuote } from "../tee/tdx/index.ts";

export const KETTLE_PLATFORMS = ["snp", "az-snp", "tdx"] as const;
export type KettlePlatform = (typeof KETTLE_PLATFORMS)[number];
export const SLSA_PROVENANCE_V1 = "https://slsa.dev/provenance/v1";

export type KettleHardware =
  | { platform: "snp"; report: SnpReport; vcek?: Certificate; vcekProblem?: string }
  | { platform: "az-snp"; az: ParsedAzSnp }
  | { platform: "tdx"; quote: TdxQuote };

export interface ParsedKettle {
  hardware: KettleHardware;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** The attestation-rs envelope: {"platform": string, "evidence": object}. */
export function looksLikeKettleEvidence(v: unknown): boolean {
  return isObject(v) && typeof v.platform === "string" && isObject(v.evidence) && Object.keys(v).every((k) => ["platform", "evidence", "nvidia_gpu"].includes(k));
}

/** evidence.json → decoded platform evidence. Throws unsupported (platform) / schema_invalid / malformed. */
export function parseKettleEvidence(value: unknown, path?: string): ParsedKettle {
  if (!isObject(value) || !isObject(value.evidence)) throw new TollgateError("schema_invalid", 'evidence.json must be {"platform": …, "evidence": {…}}', path);
  const platform = value.platform;
  const ev = value.evidence;
  try {
    switch (platform) {
      case "snp": {
        const report = parseSnpReport(base64Field(ev.attestation_report, "evidence.attestation_report"));
        const chain = ev.cert_chain;
        if (chain === undefined || chain === null) return { hardware: { platform, report } };
        if (!isObject(chain)) throw new TollgateError("schema_invalid", "evidence.cert_chain must be an object {vcek, ask?, ark?}");
        // Only the VCEK/VLEK is used: the ASK/ARK always come from the pinned roots.
        try {
          const ders = certificateDers(base64Field(chain.vcek, "evidence.cert_chain.vcek"));
          if (ders.length !== 1) throw new Error("not one certificate");
          return { hardware: { platform, report, vcek: parseCertificate(ders[0]!, "evidence.cert_chain.vcek") } };
        } catch (e) {
          return { hardware: { platform, report, vcekProblem: `evidence.cert_chain.vcek is not a certificate: ${(e as Error).message}` } };
        }
      }
      case "az-snp":
        return { hardware: { platform, az: parseAzSnp(ev) } };
      case "tdx": {
        const bytes = base64Field(ev.quote, "evidence.quote");
        if (!looksLikeTdxQuote(bytes)) throw new TollgateError("malformed", "evidence.quote is not a TDX quote (v4/v5, TEE type 0x81)");
        return { hardware: { platform, quote: parseTdxQuote(bytes) } };
      }
      default:
        throw new TollgateError("unsupported", `evidence.json platform ${JSON.stringify(platform)} is not supported (${KETTLE_PLATFORMS.join(", ")})`);
    }
  } catch (e) {
    throw asTollgateError(e, path, "malformed");
  }
}

/** provenance.json beside evidence.json, and every file under artifacts/ beside it. */
export function buildFiles(file: SourceFile, all: readonly SourceFile[]): { provenance?: SourceFile; artifacts: SourceFile[] } {
  const dir = dirname(file.path);
  const artifactsDir = `${dir}${sep}artifacts${sep}`;
  const provenance = all.find((f) => f !== file && dirname(f.path) === dir && basename(f.path) === "provenance.json");
  const artifacts = all.filter((f) => f.path.startsWith(artifactsDir)).sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return { ...(provenance ? { provenance } : {}), artifacts };
}

export interface KettleOptions {
  /** AMD roots (default: pinned). */
  amdTrust?: AmdTrustSource;
  /** TDX verifier options (synthetic Intel roots in tests). */
  tdx?: Parameters<typeof verifyParsedTdxQuote>[2];
}

interface HardwareResult {
  checks: Check[];
  hardware: HardwareFacts;
  /**
   * The whole field the platform binds to the workload (SNP/TDX REPORT_DATA, 64 bytes; the az-snp quote's
   * extraData), or why there is none. The binding is its first 32 bytes; the rest must be zero padding.
   */
  bound?: Uint8Array;
  boundProblem?: string;
  snp?: SnpVerification;
  az?: AzSnpVerification;
}

async function verifyHardware(h: KettleHardware, file: SourceFile, ctx: VerifyContext, o: KettleOptions): Promise<HardwareResult> {
  // AMD CRLs beside evidence.json (or named on the command line) apply as to a plain SEV-SNP report.
  const { crls, unreadable } = amdCrlFiles(file, ctx.files);
  const revocation = { ...(crls.length ? { crls } : {}), ...(unreadable.length ? { unreadableCrls: unreadable } : {}) };
  if (h.platform === "snp") {
    let endorsement = h.vcek;
    let problem = h.vcekProblem;
    if (!endorsement && !problem) endorsement = pickEndorsement(h.report, endorsementFiles(file, ctx.files))?.cert;
    const snp = await verifySnp({
      report: h.report,
      ...(endorsement ? { endorsement } : {}),
      ...(problem ? { endorsementProblem: problem } : {}),
      time: ctx.time,
      ...(o.amdTrust ? { trust: o.amdTrust } : {}),
      ...revocation,
    });
    return { checks: snp.checks, hardware: snpHardwareFacts("sev-snp", h.report, snp, snp.checks), bound: h.report.reportData.slice(), snp };
  }
  if (h.platform === "az-snp") {
    const v = await verifyAzSnp(h.az.evidence, h.az.report, ctx.time, o.amdTrust, revocation);
    const hardware = azSnpHardwareFacts(h.az.evidence, v);
    const extra = v.attest?.extraData;
    return {
      checks: v.checks,
      hardware,
      snp: v.snp,
      az: v,
      // attestation-rs zero-pads the nonce to 50 bytes (Azure's TPM2B_DATA limit): the hash is the first 32.
      ...(extra && extra.length >= 32
        ? { bound: extra.slice() }
        : { boundProblem: extra ? `the quote's extraData is ${extra.length} bytes, shorter than a 32-byte sha256` : "the TPM quote could not be read" }),
    };
  }
  const v = verifyParsedTdxQuote(h.quote, ctx, o.tdx ?? {});
  // A parsed quote always has its 64-byte REPORTDATA.
  return { checks: v.checks, hardware: v.hardware, bound: new Uint8Array(Buffer.from(h.quote.body.reportData, "hex")) };
}

interface ProvenanceRead {
  statement?: InTotoStatement;
  /** sha256 of JSON.stringify(JSON.parse(text)): Kettle's own serialization of the file. */
  compactSha256?: Uint8Array;
  problem?: { code: ErrorCode; reason: string };
}

function readProvenance(f: SourceFile): ProvenanceRead {
  const text = f.text();
  if (text === undefined) return { problem: { code: "malformed", reason: `${f.path} is not UTF-8 text` } };
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    return { problem: { code: "malformed", reason: `${f.path} is not JSON: ${(e as Error).message}` } };
  }
  const compactSha256 = sha256Bytes(JSON.stringify(doc));
  if (!isObject(doc) || doc._type !== IN_TOTO_STATEMENT_V1) {
    return { compactSha256, problem: { code: "schema_invalid", reason: `provenance _type is ${JSON.stringify(isObject(doc) ? doc._type : doc)}, not ${IN_TOTO_STATEMENT_V1}` } };
  }
  if (doc.predicateType !== SLSA_PROVENANCE_V1) {
    return { compactSha256, problem: { code: "schema_invalid", reason: `provenance predicateType is ${JSON.stringify(doc.predicateType)}, not ${SLSA_PROVENANCE_V1}` } };
  }
  const subjects = doc.subject;
  if (!Array.isArray(subjects) || subjects.length === 0 || !subjects.every((s) => isObject(s) && isObject(s.digest))) {
    return { compactSha256, problem: { code: "schema_invalid", reason: "provenance subject must be a non-empty array of {name, digest}" } };
  }
  return { compactSha256, statement: doc as unknown as InTotoStatement };
}

interface KettleVerified {
  hw: HardwareResult;
  provenance?: SourceFile;
  artifacts: SourceFile[];
  read?: ProvenanceRead;
  predicateFacts?: Record<string, unknown>;
  artifactFacts: { name: string; sha256: string; subject: boolean }[];
  manifest?: ManifestFacts;
}

export function makeKettleKind(options: KettleOptions = {}): EvidenceKind<ParsedKettle> {
  const verified = new WeakMap<ParsedKettle, KettleVerified>();
  return {
    name: "kettle",
    detect(file: SourceFile): boolean {
      try {
        return looksLikeKettleEvidence(file.json());
      } catch {
        return false;
      }
    },
    parse(file: SourceFile): ParsedKettle {
      return parseKettleEvidence(file.json(), file.path);
    },
    materials(file: SourceFile, all: readonly SourceFile[]): string[] {
      const { provenance, artifacts } = buildFiles(file, all);
      const extra = [] as string[];
      const j = file.json();
      if (isObject(j) && (j.platform === "snp" || j.platform === "az-snp")) {
        const { crls, unreadable } = amdCrlFiles(file, all);
        extra.push(...crls.map((c) => c.path), ...unreadable.map((u) => u.path));
      }
      // An snp envelope without an inline VCEK takes it from the build directory.
      if (isObject(j) && j.platform === "snp" && isObject(j.evidence) && !isObject(j.evidence.cert_chain)) {
        extra.push(...endorsementFiles(file, all).map((e) => e.file.path));
      }
      const manifest = provenance ? manifestFile(dirname(file.path), all, sep) : undefined;
      return [...new Set([...(provenance ? [provenance.path] : []), ...(manifest ? [manifest.path] : []), ...artifacts.map((a) => a.path), ...extra])];
    },
    async verify(parsed: ParsedKettle, file: SourceFile, ctx: VerifyContext): Promise<Check[]> {
      const hw = await verifyHardware(parsed.hardware, file, ctx, options);
      const { provenance, artifacts } = buildFiles(file, ctx.files);
      const state: KettleVerified = { hw, artifacts, artifactFacts: [], ...(provenance ? { provenance } : {}) };
      verified.set(parsed, state);
      const checks = [...hw.checks];
      if (!provenance) return checks; // plain hardware evidence
      const add = (name: string, ok: boolean, code?: ErrorCode, reason?: string, detail?: Record<string, unknown>) => {
        checks.push(check(name, ok, code, reason, detail));
        return ok;
      };

      // The provenance document.
      const read = readProvenance(provenance);
      state.read = read;
      add("statement.schema", !read.problem, read.problem?.code, read.problem?.reason);

      // The binding: all 32 bytes of the hardware's bound value equal sha256(JSON.stringify(JSON.parse(provenance))).
      if (!read.compactSha256) add("binding.provenance_sha256", false, "binding_failed", "the provenance cannot be hashed: it is not JSON");
      else if (!hw.bound) add("binding.provenance_sha256", false, "binding_failed", hw.boundProblem ?? "the hardware evidence carries no bound value");
      else {
        // As attestation-rs compares it: the expected 32 bytes zero-padded to the field's length, all of it.
        const want = read.compactSha256;
        const head = hw.bound.subarray(0, 32);
        const tail = hw.bound.subarray(32);
        const field = parsed.hardware.platform === "az-snp" ? "the TPM quote's extraData" : "REPORT_DATA";
        const reason = !Buffer.from(head).equals(Buffer.from(want))
          ? `${field}[0..32] ${toHex(head)} is not sha256 of the compactly re-serialized provenance ${toHex(want)}`
          : `${field}[32..${hw.bound.length}] is not zero padding (${toHex(tail)}): the field must hold only the provenance sha256`;
        add("binding.provenance_sha256", Buffer.from(head).equals(Buffer.from(want)) && tail.every((b) => b === 0), "binding_failed", reason,
          { bound: toHex(head), provenanceSha256: toHex(want), provenanceFileSha256: provenance.sha256 });
      }

      // The SLSA predicate through the registered handler (its schema and build-type rules).
      if (read.statement) {
        const handler = slsaProvenance.predicateTypes.includes(read.statement.predicateType) ? slsaProvenance : undefined;
        try {
          if (handler) state.predicateFacts = handler.facts(read.statement.predicate, read.statement);
          add("predicate.schema", true);
        } catch (e) {
          const err = e instanceof TollgateError ? e : new TollgateError("schema_invalid", (e as Error).message);
          add("predicate.schema", false, err.code === "internal" ? "schema_invalid" : err.code, `${read.statement.predicateType}: ${err.message}`);
        }
      }

      // Every artifact is a subject with the same sha256. Without artifacts/ nothing here can be hashed: the
      // check says so and the gate binds the subject on --artifact/--subject instead.
      const dir = `${dirname(file.path)}${sep}artifacts`;
      const subjects = read.statement?.subject ?? [];
      const problems: string[] = [];
      for (const a of artifacts) {
        const rel = relative(dir, a.path).split(sep).join("/");
        const named = subjects.filter((s) => s.name === rel || s.name === basename(a.path));
        const match = named.find((s) => s.digest.sha256?.toLowerCase() === a.sha256);
        state.artifactFacts.push({ name: rel, sha256: a.sha256, subject: match !== undefined });
        if (named.length === 0) problems.push(`artifacts/${rel} is not a subject of the provenance`);
        else if (!match) problems.push(`artifacts/${rel} sha256 ${a.sha256} is not its subject digest ${named.map((s) => s.digest.sha256 ?? "(no sha256)").join(", ")}`);
      }
      if (read.statement) {
        if (artifacts.length === 0) {
          checks.push({ name: "integrity.artifacts", ok: true, detail: { status: "unchecked", why: `not checked: no files under ${dir}${sep}; the subject is bound by --artifact/--subject` } });
        } else {
          add("integrity.artifacts", problems.length === 0, "subject_mismatch", problems.join("; "), { artifacts: state.artifactFacts.length });
        }
        // manifest.json (Kettle's input commitment), when it sits beside the build: it must agree.
        const mf = manifestFile(dirname(file.path), ctx.files, sep);
        if (mf) {
          const m = checkKettleManifest(mf, read.statement, state.artifactFacts);
          checks.push(m.check);
          state.manifest = m.facts;
        }
      }
      return checks;
    },
    normalize(parsed: ParsedKettle, checks: Check[], file: SourceFile): EvidenceRecord[] {
      const state = verified.get(parsed);
      if (!state) throw new TollgateError("internal", "kettle: normalize before verify", file.path);
      const { hw } = state;
      const platformFormat = `kettle-evidence-${parsed.hardware.platform}`;
      if (!state.provenance) {
        if (parsed.hardware.platform === "az-snp") {
          return [azSnpRecord(parsed.hardware.az, hw.az, checks, file, platformFormat)];
        }
        const crl = hw.snp?.crl;
        return [teeRecord({ file, format: platformFormat, checks, hardware: hw.hardware, facts: { platform: hw.hardware.platform, envelope: parsed.hardware.platform }, materials: crl ? [{ path: crl.path, digest: { sha256: crl.sha256 } }] : [] })];
      }
      const hwOk = outcome(checks.filter((c) => c.name.startsWith("hardware."))).ok && hw.hardware.status === "verified";
      const bindingOk = checks.some((c) => c.name === "binding.provenance_sha256" && c.ok);
      const signedOk = hwOk && bindingOk && checks.some((c) => c.name === "statement.schema" && c.ok);
      const signFail = outcome(checks.filter((c) => c.name.startsWith("hardware.") || c.name.startsWith("binding.") || c.name.startsWith("statement.")));
      const integrityChecks = checks.filter((c) => c.name.startsWith("integrity.") || c.name.startsWith("predicate."));
      const integrity = integrityChecks.length > 0
        ? outcome(integrityChecks)
        : { ok: false, reason: "artifacts not checked: the provenance is not an in-toto v1 SLSA v1 statement" };
      const st = state.read?.statement;
      const manifest = state.manifest ? [{ path: state.manifest.path, sha256: state.manifest.sha256 }] : [];
      const materials = [file, ...manifest, ...state.artifacts].map((f) => ({ path: f.path, digest: { sha256: f.sha256 } }));
      if (hw.snp?.crl) materials.push({ path: hw.snp.crl.path, digest: { sha256: hw.snp.crl.sha256 } });
      const buildType = st && isObject(st.predicate) && isObject(st.predicate.buildDefinition) ? st.predicate.buildDefinition.buildType : undefined;
      const builderId = st && isObject(st.predicate) && isObject(st.predicate.runDetails) && isObject(st.predicate.runDetails.builder) ? st.predicate.runDetails.builder.id : undefined;
      const record: EvidenceRecord = {
        id: `slsa-provenance:kettle:sha256:${state.provenance.sha256}`,
        kind: "slsa-provenance",
        source: { path: state.provenance.path, digest: { sha256: state.provenance.sha256 }, format: platformFormat, materials },
        signature: signedOk
          ? { status: "verified", signers: [hardwareSigner(hw.hardware)] }
          : { status: "failed", reason: signFail.reason ?? "hardware evidence did not verify", code: signFail.code ?? "hardware_failed", signers: [] },
        transparency: { status: "absent" },
        integrity: integrity.ok ? { status: "verified" } : { status: "failed", reason: integrity.reason ?? "artifact check failed" },
        hardware: hw.hardware,
        checks,
        facts: {
          ...(state.predicateFacts ?? {}),
          kettle: {
            platform: parsed.hardware.platform,
            buildType: typeof buildType === "string" ? buildType : null,
            builderId: typeof builderId === "string" ? builderId : null,
            artifacts: state.artifactFacts,
            artifacts_checked: state.artifacts.length > 0,
            manifest: state.manifest ?? null,
            evidence: { path: file.path, sha256: file.sha256 },
            ...slsaBuildLevel(st !== undefined && checks.some((c) => c.name === "statement.schema" && c.ok), signedOk, hw.hardware.debug === true, parsed.hardware.platform),
          },
        },
      };
      if (st) {
        record.statement = { _type: st._type, predicateType: st.predicateType, subject: st.subject };
        if ("predicate" in st) record.predicate = st.predicate;
      }
      return [record];
    },
  };
}

/**
 * The SLSA Build level the build earns (https://slsa.dev/spec/v1.0/levels), from how its provenance is signed and
 * where it ran. L1: provenance exists. L2: it is authenticated — here signed by the hardware (signer type
 * "hardware": a verified report whose bound value is the provenance's hash), produced by the build platform, not
 * by a user step. L3: the platform also isolates the build and keeps the signing material out of reach of the
 * build's own steps — a confidential VM (SEV-SNP, Azure SEV-SNP, TDX) whose key lives in the CPU, unless its
 * policy allows debugging (then the host can read and change the build's memory: L2).
 */
export function slsaBuildLevel(provenance: boolean, hardwareSigned: boolean, debug: boolean, platform: KettlePlatform): { slsa_build_level: 0 | 1 | 2 | 3; slsa_build_level_reason: string } {
  if (!provenance) return { slsa_build_level: 0, slsa_build_level_reason: "no SLSA v1 provenance statement" };
  if (!hardwareSigned) return { slsa_build_level: 1, slsa_build_level_reason: "provenance exists but is not authenticated: the hardware evidence does not verify or does not bind it" };
  if (debug) return { slsa_build_level: 2, slsa_build_level_reason: `provenance signed by ${platform} hardware, but the guest policy allows debugging: the build is not isolated from the host` };
  return { slsa_build_level: 3, slsa_build_level_reason: `provenance signed by ${platform} hardware from an isolated confidential VM (debugging off): signing material out of the build's reach` };
}

export const kettleKind = makeKettleKind();
