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

export interface TransparencyFacts {
  /**
   * `unbound`: a log proof verified, but nothing ties the entry to this evidence (a promotion's Rekor proof given
   * without the entry's body): it shows only that some entry is in the log, so it never counts as verified.
   */
  status: "verified" | "failed" | "absent" | "unbound";
  reason?: string;
  logIndex?: number;
  integratedTime?: string;
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
