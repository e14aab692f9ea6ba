// PyPI (PEP 740) attestations and provenance objects as one evidence kind. Verified offline exactly as
// pypi-attestations does: each Attestation becomes a Sigstore bundle (its certificate, its first transparency
// entry, a DSSE envelope of the statement and signature) verified against the trusted root; then the statement
// must be an in-toto Statement v1 with exactly one subject, a valid distribution filename and a sha256, of a
// predicate type PyPI knows; an attestation inside a provenance object must also match its Trusted Publisher.
// The signer identity is pinned like any Sigstore evidence (--certificate-identity/--certificate-oidc-issuer,
// in policy); the subject binds to --artifact by sha256 and by distribution filename.
import { asTollgateError } from "../../core/errors.ts";
import { BUNDLE_V03_MEDIA_TYPE } from "../../sigstore/media-types.ts";
import type { SigstoreVerification } from "../../sigstore/verify.ts";
import { statementOf } from "../attestation/parse.ts";
import { IN_TOTO_PAYLOAD_TYPE, IN_TOTO_STATEMENT_V1, type InTotoStatement } from "../predicate.ts";
import { predicateHandlerFor } from "../predicates.ts";
import type { Check, EvidenceKind, EvidenceRecord, Signer, TransparencyFacts, VerifyContext } from "../types.ts";
import { detectPypi, parsePypi, ultranormalizeDistFilename, type ParsedPypi, type Publisher, type PypiItem } from "./parse.ts";

export const PYPI_PUBLISH_V1 = "https://docs.pypi.org/attestations/publish/v1";
export const SLSA_PROVENANCE_V1 = "https://slsa.dev/provenance/v1";
/** pypi-attestations' AttestationType: the predicate types PyPI accepts. */
const PYPI_PREDICATE_TYPES: readonly string[] = [SLSA_PROVENANCE_V1, PYPI_PUBLISH_V1];

interface ItemOutcome {
  checks: Check[];
  signers: Signer[];
  transparency: TransparencyFacts;
  statement?: InTotoStatement;
  /** The ultranormalized distribution filename of the subject, when it is one. */
  distribution?: string;
  facts?: Record<string, unknown>;
}

const outcomes = new WeakMap<Check[], ItemOutcome[]>();

export const pypiKind: EvidenceKind<ParsedPypi> = {
  name: "pypi",
  detect: detectPypi,
  parse: parsePypi,

  async verify(parsed, _file, ctx) {
    const all: Check[] = [];
    const perItem: ItemOutcome[] = [];
    for (const item of parsed.items) {
      const o = await verifyItem(item, ctx);
      perItem.push(o);
      const many = parsed.items.length > 1;
      all.push(...o.checks.map((c) => (many ? { ...c, detail: { ...c.detail, item: item.where }, ...(c.reason ? { reason: `${item.where}: ${c.reason}` } : {}) } : c)));
    }
    outcomes.set(all, perItem);
    return all;
  },

  normalize(parsed, checks, file) {
    const perItem = outcomes.get(checks);
    return parsed.items.map((item, i) => {
      const o = perItem?.[i] ?? { checks: checks.filter((c) => parsed.items.length === 1 || c.detail?.item === item.where), signers: [], transparency: { status: "absent" as const } };
      const st = o.statement;
      const handler = st ? predicateHandlerFor(st.predicateType) : undefined;
      const signer = o.signers.find((s) => s.type === "keyless");
      const bad = (re: RegExp) => o.checks.find((c) => !c.ok && re.test(c.name));
      const sigBad = bad(/^(signature\.|sigstore\.|transparency\.)/);
      const contentBad = bad(/^(statement\.|predicate\.|pypi\.|binding\.)/);
      const record: EvidenceRecord = {
        id: `sha256:${file.sha256}${i > 0 ? `#${i}` : ""}`,
        // SLSA provenance carried by PEP 740 is provenance like any other; a publish attestation is its own kind.
        kind: handler?.kind ?? "pypi-publish",
        source: { path: file.path, digest: { sha256: file.sha256 }, format: parsed.format },
        signature: sigBad || !o.signers.length
          ? { status: "failed", signers: [], reason: sigBad?.reason ?? "no signature verified", code: sigBad?.code ?? "signature_failed" }
          : { status: "verified", signers: o.signers },
        transparency: o.transparency,
        integrity: contentBad ? { status: "failed", reason: contentBad.reason ?? contentBad.name } : { status: "verified" },
        checks: o.checks,
        facts: {
          ...(o.facts ?? {}),
          pypi: {
            predicate_type: st?.predicateType ?? null,
            distribution: o.distribution ?? null,
            publisher: item.publisher ? publisherFacts(item.publisher) : null,
            signer: signer?.type === "keyless" ? { identity: signer.identity, issuer: signer.issuer } : null,
            location: item.where,
          },
        },
      };
      if (st) {
        record.statement = { _type: st._type, predicateType: st.predicateType, subject: st.subject };
        if ("predicate" in st) record.predicate = st.predicate;
      }
      return record;
    });
  },
};

/** pypi-attestations' Attestation.to_bundle(): the Sigstore bundle (v0.3) the attestation stands for. */
export function attestationToBundle(a: PypiItem["attestation"]): Record<string, unknown> {
  return {
    mediaType: BUNDLE_V03_MEDIA_TYPE,
    verificationMaterial: { certificate: { rawBytes: a.certificate }, tlogEntries: [a.transparencyEntries[0]] },
    dsseEnvelope: { payload: a.statement, payloadType: IN_TOTO_PAYLOAD_TYPE, signatures: [{ sig: a.signature, keyid: "" }] },
  };
}

async function verifyItem(item: PypiItem, ctx: VerifyContext): Promise<ItemOutcome> {
  const checks: Check[] = [];
  const out: ItemOutcome = { checks, signers: [], transparency: { status: "absent" } };
  let r: SigstoreVerification;
  try {
    const root = ctx.trustedRoot();
    const { verifySigstoreBundle } = await import("../../sigstore/verify.ts");
    r = await verifySigstoreBundle(attestationToBundle(item.attestation), { trustedRoot: root, keys: [], now: ctx.time, requireTransparency: true });
  } catch (e) {
    const err = asTollgateError(e);
    r = { ok: false, checks: [failed("signature.sigstore", err.code, err.message)], format: "sigstore-bundle", transparency: { status: "absent" } };
  }
  checks.push(...r.checks);
  out.transparency = r.transparency;
  if (r.ok && r.signer) out.signers = [r.signer];

  // The statement: in-toto Statement v1 (sigstore-python's model admits no other _type), one subject.
  const st = statementOf({ payloadType: IN_TOTO_PAYLOAD_TYPE, payload: item.attestation.statementBytes, signatures: [] });
  if (!st.ok) {
    checks.push(failed("statement.schema", st.code, st.reason));
    return out;
  }
  const statement = st.statement;
  out.statement = statement;
  if (statement._type !== IN_TOTO_STATEMENT_V1) {
    checks.push(failed("statement.schema", "schema_invalid", `statement _type is ${statement._type}; PEP 740 requires ${IN_TOTO_STATEMENT_V1}`));
    return out;
  }
  checks.push({ name: "statement.schema", ok: true });
  checks.push(subjectCheck(statement, out));
  checks.push(PYPI_PREDICATE_TYPES.includes(statement.predicateType)
    ? { name: "pypi.predicate_type", ok: true }
    : failed("pypi.predicate_type", "unsupported", `unknown attestation type ${statement.predicateType} (PyPI knows ${PYPI_PREDICATE_TYPES.join(", ")})`));
  const handler = predicateHandlerFor(statement.predicateType);
  if (handler) {
    try {
      out.facts = handler.facts(statement.predicate, statement);
      checks.push({ name: "predicate.schema", ok: true });
    } catch (e) {
      const err = asTollgateError(e, undefined, "schema_invalid");
      checks.push(failed("predicate.schema", err.code === "internal" ? "schema_invalid" : err.code, `${statement.predicateType}: ${err.message}`));
    }
  }
  if (item.publisher) checks.push(publisherCheck(item.publisher, r));
  return out;
}

function subjectCheck(statement: InTotoStatement, out: ItemOutcome): Check {
  if (statement.subject.length !== 1) {
    return failed("pypi.subject", "schema_invalid", `${statement.subject.length} subjects in the statement (PEP 740 requires exactly one)`);
  }
  const s = statement.subject[0]!;
  if (!s.name) return failed("pypi.subject", "schema_invalid", "the subject has no name (a distribution filename)");
  try {
    out.distribution = ultranormalizeDistFilename(s.name);
  } catch (e) {
    return failed("pypi.subject", "schema_invalid", `the subject name is not a distribution filename: ${(e as Error).message}`);
  }
  if (!s.digest.sha256) return failed("pypi.subject", "schema_invalid", `the subject ${s.name} has no sha256 digest`);
  return { name: "pypi.subject", ok: true, detail: { distribution: out.distribution, sha256: s.digest.sha256.toLowerCase() } };
}

/** The facts policies read about a Trusted Publisher: kind, repository, workflow, environment, as recorded. */
function publisherFacts(p: Publisher): Record<string, unknown> {
  const str = (k: string) => (typeof p[k] === "string" ? (p[k] as string) : null);
  return {
    kind: p.kind,
    repository: str("repository"),
    // GitLab names its workflow `workflow_filepath`.
    workflow: str("workflow") ?? str("workflow_filepath"),
    environment: str("environment"),
    ...Object.fromEntries(Object.entries(p).filter(([k, v]) => !["kind", "repository", "workflow", "workflow_filepath", "environment"].includes(k) && typeof v === "string")),
  };
}

// pypi-attestations' _GitHubTrustedPublisherPolicy / _GitLabTrustedPublisherPolicy: the issuer and source
// repository are the publisher's, and the Build Config URI is the publisher's workflow at the certificate's own
// commit or ref.
const PUBLISHER_RULES: Record<string, { issuer: string; repo: (r: string) => string; config: (r: string, w: string, at: string) => string; workflowKey: string }> = {
  GitHub: {
    issuer: "https://token.actions.githubusercontent.com",
    repo: (r) => `https://github.com/${r}`,
    config: (r, w, at) => `https://github.com/${r}/.github/workflows/${w}@${at}`,
    workflowKey: "workflow",
  },
  GitLab: {
    issuer: "https://gitlab.com",
    repo: (r) => `https://gitlab.com/${r}`,
    config: (r, w, at) => `https://gitlab.com/${r}//${w}@${at}`,
    workflowKey: "workflow_filepath",
  },
};

// pypi-attestations' GooglePublisher: the signer is the service account, by e-mail, through Google's issuer.
const GOOGLE_ISSUER = "https://accounts.google.com";

function googlePublisherCheck(p: Publisher, r: SigstoreVerification): Check {
  if (typeof p.email !== "string" || p.email === "") return failed("pypi.publisher", "schema_invalid", "Google publisher needs a string email");
  if (!r.ok || r.signer?.type !== "keyless") return failed("pypi.publisher", "signature_failed", "no verified signing certificate to match the Trusted Publisher against");
  if (r.signer.issuer !== GOOGLE_ISSUER) return failed("pypi.publisher", "identity_mismatch", `certificate issuer is ${r.signer.issuer}, the Google Trusted Publisher's is ${GOOGLE_ISSUER}`);
  if (r.signer.identity !== p.email) return failed("pypi.publisher", "identity_mismatch", `certificate identity is ${r.signer.identity}, the Google Trusted Publisher's is ${p.email}`);
  return { name: "pypi.publisher", ok: true };
}

function publisherCheck(p: Publisher, r: SigstoreVerification): Check {
  if (p.kind === "Google") return googlePublisherCheck(p, r);
  const rule = PUBLISHER_RULES[p.kind];
  if (!rule) return failed("pypi.publisher", "unsupported", `Trusted Publisher kind ${JSON.stringify(p.kind)} is not one tollgate can check (${[...Object.keys(PUBLISHER_RULES), "Google"].join(", ")})`);
  const repository = p.repository;
  const workflow = p[rule.workflowKey];
  if (typeof repository !== "string" || typeof workflow !== "string") {
    return failed("pypi.publisher", "schema_invalid", `${p.kind} publisher needs string repository and ${rule.workflowKey}`);
  }
  if (!r.ok || r.signer?.type !== "keyless") return failed("pypi.publisher", "signature_failed", "no verified signing certificate to match the Trusted Publisher against");
  const ext = ((r.signer.certificate?.extensions ?? {}) as Record<string, string>);
  if (r.signer.issuer !== rule.issuer) return failed("pypi.publisher", "identity_mismatch", `certificate issuer is ${r.signer.issuer}, the ${p.kind} Trusted Publisher's is ${rule.issuer}`);
  if (ext.sourceRepositoryURI !== rule.repo(repository)) {
    return failed("pypi.publisher", "identity_mismatch", `certificate source repository is ${ext.sourceRepositoryURI ?? "absent"}, the Trusted Publisher's is ${rule.repo(repository)}`);
  }
  const wants = [ext.sourceRepositoryDigest, ext.sourceRepositoryRef].filter((x): x is string => !!x).map((at) => rule.config(repository, workflow, at));
  if (!ext.buildConfigURI || !wants.includes(ext.buildConfigURI)) {
    return failed("pypi.publisher", "identity_mismatch", `certificate Build Config URI ${ext.buildConfigURI ?? "absent"} is not the Trusted Publisher's workflow ${workflow} @ ${repository}`);
  }
  return { name: "pypi.publisher", ok: true };
}

function failed(name: string, code: Check["code"], reason: string): Check {
  return { name, ok: false, code, reason };
}
