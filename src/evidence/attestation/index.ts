// The in-toto envelope layer as one evidence kind: a bare Statement (unsigned), a DSSE envelope verified
// against --key, or a Sigstore bundle verified offline against the trusted root. The statement's predicate
// goes to the handler registered for its predicateType; the record's kind is that handler's kind.
import { verifyDsseEnvelope } from "../../crypto/dsse.ts";
import { asTollgateError } from "../../core/errors.ts";
import type { SigstoreVerification } from "../../sigstore/verify.ts";
import type { InTotoStatement, PredicateHandler } from "../predicate.ts";
import { predicateHandlerFor } from "../predicates.ts";
import type { Check, EvidenceKind, EvidenceRecord, IntegrityFacts, SignatureFacts, Signer, SourceFile, TransparencyFacts, VerifyContext } from "../types.ts";
import { detectAttestation, parseAttestation, type AttestationItem, type ParsedAttestation } from "./parse.ts";

/** Checks of one item, plus what normalize needs from the Sigstore verification (its signer and log facts). */
interface ItemOutcome {
  checks: Check[];
  signers: Signer[];
  transparency: TransparencyFacts;
  /** The predicate handler for the statement's predicateType, when one is registered. */
  handler?: PredicateHandler;
  /** The handler's facts, when the predicate passed it (computed once, in verify). */
  facts?: Record<string, unknown>;
  /** How many of `checks` are the envelope's (signature, log entry); the rest are the statement's and predicate's. */
  envelopeChecks?: number;
}


// verify() may only return Check[]; the signers it established ride along keyed by the checks array.
const outcomes = new WeakMap<Check[], ItemOutcome[]>();

export const attestationKind: EvidenceKind<ParsedAttestation> = {
  name: "attestation",
  detect: detectAttestation,
  parse: parseAttestation,

  async verify(parsed, file, ctx) {
    const all: Check[] = [];
    const perItem: ItemOutcome[] = [];
    for (const [i, item] of parsed.items.entries()) {
      const o = await verifyItem(item, file, ctx);
      perItem.push(o);
      const prefix = parsed.items.length > 1 ? `#${i} ` : "";
      all.push(...o.checks.map((c) => (prefix ? { ...c, detail: { ...c.detail, item: i }, reason: c.reason && prefix + c.reason } : c)));
    }
    outcomes.set(all, perItem);
    return all;
  },

  materials(file, all, parsed) {
    return (parsed?.items ?? []).flatMap((item) => {
      const st = item.form === "statement" ? item.statement : item.statement.ok ? item.statement.statement : undefined;
      return (st && predicateHandlerFor(st.predicateType)?.materials?.(st, file, all)) || [];
    });
  },

  normalize(parsed, checks, file) {
    const perItem = outcomes.get(checks);
    return parsed.items.map((item, i) => {
      // Without the side table (checks built by someone else) fall back to what the checks say.
      const o = perItem?.[i] ?? { checks: checks.filter((c) => parsed.items.length === 1 || c.detail?.item === i), signers: [], transparency: { status: "absent" as const } };
      return toRecord(item, o, file, parsed.items.length > 1 && i > 0 ? `#${i}` : "");
    });
  },
};

async function verifyItem(item: AttestationItem, file: SourceFile, ctx: VerifyContext): Promise<ItemOutcome> {
  const checks: Check[] = [];
  let signers: Signer[] = [];
  let transparency: TransparencyFacts = { status: "absent" };
  let handlerOut: PredicateHandler | undefined;
  let facts: Record<string, unknown> | undefined;

  if (item.form === "dsse") {
    const keylessOnly = item.envelope.signatures.length > 0 && item.envelope.signatures.every((s) => s.cert !== undefined);
    if (keylessOnly && !ctx.keys.length) {
      // slsa-github-generator's .intoto.jsonl: Fulcio certificates beside the signatures, the log entry kept
      // only in Rekor. Offline there is no trusted time at which the short-lived certificate was valid.
      checks.push(failed("signature.dsse", "no_trusted_key",
        "the DSSE signature carries a Fulcio certificate but no transparency-log entry (an slsa-github-generator .intoto.jsonl), so its signing time cannot be established offline; verify the generator's Sigstore bundle output instead, or sign with a key (--key)"));
    } else if (!ctx.keys.length) {
      checks.push(failed("signature.dsse", "no_trusted_key", `DSSE envelope has ${describeSigs(item)}; no --key was given to verify it`));
    } else {
      const v = await verifyDsseEnvelope(item.envelope, ctx.keys);
      if (v.verified.length) {
        checks.push({ name: "signature.dsse", ok: true, detail: { verified: v.verified.map((k) => k.fingerprint) } });
        signers = v.verified.map((k) => (k.keyid ? { type: "key", keyid: k.keyid, fingerprint: k.fingerprint } : { type: "key", fingerprint: k.fingerprint }));
      } else {
        // A signature whose keyid names one of the given keys and still fails means the bytes were altered.
        const named = item.envelope.signatures.find((s) => s.keyid && ctx.keys.some((k) => keyNamed(k, s.keyid!)));
        checks.push(named
          ? failed("signature.dsse", "signature_failed", `the signature by keyid ${named.keyid} does not verify: the payload or signature was altered`)
          : failed("signature.dsse", "no_trusted_key", `no signature (${describeSigs(item)}) verifies with any --key (${ctx.keys.map((k) => k.fingerprint).join(", ")})`));
      }
    }
  } else if (item.form === "sigstore") {
    let r: SigstoreVerification;
    try {
      // A trusted root that cannot be loaded is a failed verification, never a fallback to another root.
      const root = ctx.trustedRoot();
      // Loaded on first use: @sigstore/verify costs more to import than a DSSE-only evaluation takes in all.
      const { verifySigstoreBundle } = await import("../../sigstore/verify.ts");
      r = await verifySigstoreBundle(item.bundle, { trustedRoot: root, keys: ctx.keys, now: ctx.time });
    } catch (e) {
      const err = asTollgateError(e);
      r = { ok: false, checks: [failed("signature.sigstore", err.code, err.message)], format: item.format, transparency: { status: "absent" } };
    }
    checks.push(...r.checks);
    if (r.ok && r.signer) signers = [r.signer];
    transparency = r.transparency;
  }

  const envelopeChecks = checks.length;
  // The statement and its predicate (for a bare statement, parse already validated it).
  const st = item.form === "statement" ? { ok: true as const, statement: item.statement } : item.statement;
  if (st.ok) {
    checks.push({ name: "statement.schema", ok: true });
    const handler = predicateHandlerFor(st.statement.predicateType);
    if (handler) {
      handlerOut = handler;
      // The predicate's shape (facts) and its own verification are two steps, each failing with its own check:
      // an exception in verify is not a malformed predicate.
      let shaped = false;
      try {
        facts = handler.facts(st.statement.predicate, st.statement);
        checks.push({ name: "predicate.schema", ok: true });
        shaped = true;
      } catch (e) {
        const err = asTollgateError(e, undefined, "schema_invalid");
        checks.push(failed("predicate.schema", err.code === "internal" ? "schema_invalid" : err.code, `${st.statement.predicateType}: ${err.message}`));
      }
      if (shaped && handler.verify) {
        try {
          const v = await handler.verify(st.statement, file, ctx);
          checks.push(...v.checks);
          if (v.facts) facts = { ...facts, ...v.facts };
          // The predicate's own log result (a promotion's Rekor proof) stays apart from the record's
          // `transparency`, which is the envelope's (a Sigstore bundle's log entry, or absent for DSSE): a verified
          // predicate proof must never stand in for an envelope whose entry failed or is absent.
          if (v.transparency) facts = { ...facts, transparency: v.transparency };
        } catch (e) {
          // verify never throws for a verification failure: this is a fault, named as one (not a schema problem).
          const err = asTollgateError(e);
          checks.push(failed("predicate.verify", err.code, `${st.statement.predicateType}: verification error: ${err.message}`));
        }
      }
    }
  } else {
    checks.push(failed(st.code === "unsupported" ? "statement.payload_type" : "statement.schema", st.code, st.reason));
  }
  const out: ItemOutcome = { checks, signers, transparency, envelopeChecks };
  if (handlerOut) out.handler = handlerOut;
  if (facts) out.facts = facts;
  return out;
}

function toRecord(item: AttestationItem, o: ItemOutcome, file: SourceFile, suffix: string): EvidenceRecord {
  const statement: InTotoStatement | undefined = item.form === "statement" ? item.statement : item.statement.ok ? item.statement.statement : undefined;
  const handler = o.handler ?? (statement ? predicateHandlerFor(statement.predicateType) : undefined);
  let facts = o.facts ?? {};
  if (!o.facts && statement && handler && o.checks.some((c) => c.name === "predicate.schema" && c.ok)) {
    // Only without the side table (checks built elsewhere): verify already computed them otherwise.
    try {
      facts = handler.facts(statement.predicate, statement);
    } catch {
      facts = {}; // already recorded as a failed predicate.schema check
    }
  }
  const record: EvidenceRecord = {
    id: `sha256:${file.sha256}${suffix}`,
    kind: handler?.kind ?? "in-toto",
    source: { path: file.path, digest: { sha256: file.sha256 }, format: item.format },
    signature: signatureFacts(item, o),
    transparency: o.transparency,
    integrity: integrityFacts(o.checks),
    checks: o.checks,
    facts,
  };
  if (statement) {
    record.statement = { _type: statement._type, predicateType: statement.predicateType, subject: statement.subject };
    if ("predicate" in statement) record.predicate = statement.predicate;
  }
  return record;
}

const SIGNATURE_CHECKS = /^(signature\.|sigstore\.|transparency\.)/;

function signatureFacts(item: AttestationItem, o: ItemOutcome): SignatureFacts {
  if (item.form === "statement") return { status: "unsigned", signers: [] };
  // Only the envelope's checks: a predicate's own log proof (a promotion's Rekor entry) is not its signature.
  const bad = o.checks.slice(0, o.envelopeChecks ?? o.checks.length).find((c) => !c.ok && SIGNATURE_CHECKS.test(c.name));
  if (bad || !o.signers.length) {
    const f: SignatureFacts = { status: "failed", signers: [], reason: bad?.reason ?? "no signature verified" };
    f.code = bad?.code ?? "signature_failed";
    return f;
  }
  return { status: "verified", signers: o.signers };
}

function integrityFacts(checks: Check[]): IntegrityFacts {
  const content = checks.filter((c) => c.name.startsWith("statement.") || c.name.startsWith("predicate.") || c.name.startsWith("integrity."));
  const bad = content.find((c) => !c.ok);
  if (bad) return { status: "failed", reason: bad.reason ?? bad.name };
  return { status: content.length ? "verified" : "n/a" };
}

function failed(name: string, code: Check["code"], reason: string): Check {
  return { name, ok: false, code, reason };
}

function describeSigs(item: AttestationItem & { form: "dsse" }): string {
  const n = item.envelope.signatures.length;
  const ids = item.envelope.signatures.map((s) => s.keyid).filter(Boolean);
  return `${n} signature${n === 1 ? "" : "s"}${ids.length ? ` (keyid ${ids.join(", ")})` : ""}`;
}

function keyNamed(k: { keyid?: string; fingerprint: string }, keyid: string): boolean {
  return keyid === k.keyid || keyid === k.fingerprint || `sha256:${keyid}` === k.fingerprint;
}
