// The contract every evidence kind implements: detect → parse → verify → normalize.
// Adding a kind means adding one module and one line in registry.ts; no other kind changes.
import type { ArtifactDigests, DigestSet } from "../core/digest-set.ts";
import type { ErrorCode } from "../core/errors.ts";
import type { InputLimits } from "../core/limits.ts";
import type { Check, PredicateLogFacts, Signer, TransparencyFacts, TrustedKey } from "../core/verification.ts";

export type { Check, PredicateLogFacts, Signer, TransparencyFacts, TrustedKey };

/** One non-blank line of a JSON Lines file: its 1-based number and its value, or why it does not parse. */
export type JsonLine = { line: number; value: unknown; error?: undefined } | { line: number; error: string; value?: undefined };

/** One file handed to tollgate, read once. `json`/`text`/`jsonLines` are decoded lazily and cached. */
export interface SourceFile {
  /** Path as the user gave it (or as found under a directory they gave). */
  readonly path: string;
  /** The whole content. A large file is loaded only when this is read; `chunks()` streams it instead. */
  readonly bytes: Uint8Array;
  /** Size in bytes (without loading a large file). */
  readonly size: number;
  /** The limits it was read under; anything parsed out of it (a DSSE payload, a line) keeps to them. */
  readonly limits: InputLimits;
  /** The bytes in order, in chunks, in flat memory (a large file is streamed from disk). */
  chunks(): Iterable<Uint8Array>;
  /** Lower-case hex sha256 of the raw bytes. */
  readonly sha256: string;
  /** True when the user named this file; false when it was found by walking a directory. */
  readonly explicit: boolean;
  /**
   * True when the bytes were read from the file at `path` on this machine (readEvidenceFile); false for stdin,
   * a gate-service request item, a registry blob, or a source built in memory, whatever `path` says.
   */
  readonly onDisk: boolean;
  /** UTF-8 text, or undefined when the bytes are not valid UTF-8. */
  text(): string | undefined;
  /** Parsed JSON (one document), or undefined when the text is not JSON. Throws limit_exceeded past the nesting cap. */
  json(): unknown;
  /**
   * The non-blank lines of a JSON Lines file, each parsed once (shared by every detector and parser); undefined
   * when the text is not JSON-like. Throws limit_exceeded for a line longer than the line cap.
   */
  jsonLines(): JsonLine[] | undefined;
}

export type Status = "verified" | "failed" | "unsigned" | "absent" | "n/a" | "unchecked";

export interface SignatureFacts {
  status: "verified" | "failed" | "unsigned";
  reason?: string;
  code?: ErrorCode;
  signers: Signer[];
}

export interface IntegrityFacts {
  status: "verified" | "failed" | "n/a";
  reason?: string;
}

export interface HardwareFacts {
  platform: "sev-snp" | "az-snp" | "tdx" | "nitro";
  status: "verified" | "failed";
  reason?: string;
  measurement?: string;
  reportData?: string;
  tcb?: Record<string, unknown>;
  root?: string;
  [k: string]: unknown;
}

/** One normalized piece of evidence, exactly as policies see it in `input.evidence[]`. */
export interface EvidenceRecord {
  id: string;
  kind: string;
  source: { path: string; digest: { sha256: string }; format: string; materials?: { path: string; digest: { sha256: string } }[] };
  signature: SignatureFacts;
  transparency: TransparencyFacts;
  integrity: IntegrityFacts;
  hardware?: HardwareFacts;
  /** Every check that ran, in order: the forensic view `tollgate verify` prints. */
  checks: Check[];
  statement?: { _type: string; predicateType: string; subject: { name?: string; digest: DigestSet }[] };
  predicate?: unknown;
  /**
   * What evidence without an in-toto statement is about (a message signature's signed digest), as DigestSets;
   * policies bind it to the subject exactly as they bind statement subjects.
   */
  subject?: { name?: string; digest: DigestSet }[];
  facts: Record<string, unknown>;
}

/** What the user supplied to trust and to bind against. Time is always a parameter, never the clock. */
export interface VerifyContext {
  /** The verification instant (`--time`, else the invocation's start, fixed once). */
  readonly time: Date;
  /**
   * True when the caller chose the instant (`--time`); false when it is just "now". Evidence that carries its
   * own signing time (a Nitro document's timestamp) is checked at that time unless the caller chose one.
   */
  readonly timeExplicit: boolean;
  /** Public keys given with `--key` (PEM), already parsed. */
  readonly keys: readonly TrustedKey[];
  /** Sigstore trusted root JSON (the embedded public-good root unless `--trusted-root`). */
  trustedRoot(): unknown;
  /** Every file of this invocation, for kinds whose evidence spans several files. */
  readonly files: readonly SourceFile[];
  /** Free-form parameters from `--data` that verification needs (pinned roots, expected digests…). */
  readonly params: Readonly<Record<string, unknown>>;
  /**
   * The artifact under evaluation (`--artifact` bytes or `--subject` digests), for evidence that can only be
   * verified over it (a bare signature over the artifact). Binding itself is the policy's decision.
   */
  readonly artifact?: ArtifactDigests;
}

export interface EvidenceKind<Parsed = unknown> {
  /** The module name; also the `source.format` family in messages. */
  readonly name: string;
  /** Cheap content sniffing; never by file name alone. Must not throw. */
  detect(file: SourceFile): boolean;
  /** Pure: bytes → typed structure. Throws TollgateError("malformed" | "schema_invalid" | …). */
  parse(file: SourceFile): Parsed;
  /** Crypto, hashes, hardware. Never throws for a verification failure: it becomes a failed Check. */
  verify(parsed: Parsed, file: SourceFile, ctx: VerifyContext): Promise<Check[]>;
  /** Pure: parsed + checks → records for the input document (usually one). */
  normalize(parsed: Parsed, checks: Check[], file: SourceFile, ctx: VerifyContext): EvidenceRecord[];
  /**
   * Paths of other files in this invocation that this evidence consumes (a report beside a manifest,
   * a VCEK beside a SEV-SNP report, a Kettle build's artifacts). They are materials, not evidence.
   * The pipeline passes this file's parse() result (computed once), or undefined when parse failed (that
   * failure is reported on its own); a direct caller may leave it out.
   */
  materials?(file: SourceFile, all: readonly SourceFile[], parsed?: Parsed): string[];
}

/** A problem that stops one file from becoming evidence; it lands in `input.errors`. */
export interface InputError {
  source: string;
  code: ErrorCode;
  message: string;
}
