// Verification results and trust material shared by every layer that verifies: evidence kinds, the Sigstore
// verifier and the signature primitives (sigstore/ and crypto/ never import evidence/).
import type { ErrorCode } from "./errors.ts";

/** One verification step, in the order it ran. `name` is stable (`signature.dsse`, `integrity.chain_root`, …). */
export interface Check {
  name: string;
  ok: boolean;
  /** Present when !ok: a stable code plus a human reason naming what differed. */
  code?: ErrorCode;
  reason?: string;
  /** Optional detail a forensic reader wants (expected/actual values, first bad seq, …). */
  detail?: Record<string, unknown>;
}

export type Signer =
  | { type: "keyless"; issuer: string; identity: string; certificate?: Record<string, unknown> }
  | { type: "key"; keyid?: string; fingerprint: string }
  | { type: "hardware"; platform: string; measurement: string; root: string };

/** A record's `transparency`: whether the evidence's own envelope or bundle was logged. */
export interface TransparencyFacts {
  status: "verified" | "failed" | "absent";
  reason?: string;
  logIndex?: number;
  integratedTime?: string;
}

/**
 * A predicate's own log result (facts.transparency: a promotion's Rekor proof), which may also be `unbound`: the
 * proof verified, but nothing ties the entry to this evidence (no entry body given), so it shows only that some
 * entry is in the log and never counts as verified.
 */
export interface PredicateLogFacts extends Omit<TransparencyFacts, "status"> {
  status: TransparencyFacts["status"] | "unbound";
}

export interface TrustedKey {
  /** Where it came from (path), for messages. */
  source: string;
  /** `sha256:<hex>` of the SPKI DER: the fingerprint policies pin. */
  fingerprint: string;
  /** node:crypto KeyObject (public). */
  key: import("node:crypto").KeyObject;
  /** Optional key id (from a config file or a bundle's hint). */
  keyid?: string;
}
