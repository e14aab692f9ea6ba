// Typed errors with stable codes (in the manner of @sigstore/verify's VerificationError).
// A code is part of the public contract: policies, reporters and tests match on it, never on the message.

export const EXIT_ADMIT = 0;
export const EXIT_DENY = 1;
export const EXIT_ERROR = 2;

/** Codes recorded in `input.errors[].code` and in failed checks' `code`. */
export type ErrorCode =
  // reading and recognizing
  | "not_found"
  | "unreadable"
  | "malformed"
  | "unknown_kind"
  | "schema_invalid"
  | "unsupported"
  // cryptography and binding
  | "signature_failed"
  | "no_trusted_key"
  | "certificate_invalid"
  | "identity_mismatch"
  | "transparency_failed"
  | "subject_mismatch"
  | "digest_mismatch"
  | "binding_failed"
  | "chain_broken"
  | "hardware_failed"
  // policy and runtime
  | "policy_unreadable"
  | "policy_invalid"
  | "bundle_unverified"
  | "input_invalid"
  // an input larger or deeper than a configured limit (src/core/limits.ts): refused, exit 2
  | "limit_exceeded"
  | "usage"
  | "internal";

export class TollgateError extends Error {
  override readonly name = "TollgateError";
  constructor(
    readonly code: ErrorCode,
    message: string,
    /** The file the problem is about, when there is one. */
    readonly path?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }

  /** One line for a human: `path: message`. (Not `line`: Bun sets a numeric `line` on thrown errors.) */
  oneLine(): string {
    return this.path ? `${this.path}: ${this.message}` : this.message;
  }
}

/** Anything thrown, as a TollgateError; unknown throwables become `internal` with their message only. */
export function asTollgateError(e: unknown, path?: string, fallback: ErrorCode = "internal"): TollgateError {
  if (e instanceof TollgateError) return e.path || !path ? e : new TollgateError(e.code, e.message, path, { cause: e });
  const msg = e instanceof Error ? e.message : String(e);
  return new TollgateError(fallback, msg, path, { cause: e });
}

/** Usage errors exit 2 before anything is evaluated. */
export function usage(message: string): TollgateError {
  return new TollgateError("usage", message);
}
