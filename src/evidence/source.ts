// SourceFile construction: every file is read once, hashed once, decoded at most once, parsed at most once (the
// parsed document, or its JSON Lines, is shared by every kind's detector), always within the run's limits.
import { closeSync, openSync, readSync } from "node:fs";
import { createHash } from "node:crypto";
import { sha256Hex } from "../core/digest.ts";
import type { ArtifactDigests } from "../core/digest-set.ts";
import { TollgateError } from "../core/errors.ts";
import { DEFAULT_LIMITS, JsonDepthMeter, limitExceeded, parseJsonLimited, type InputLimits } from "../core/limits.ts";
import type { JsonLine, SourceFile, TrustedKey, VerifyContext } from "./types.ts";
import { publicGoodTrustedRoot } from "../sigstore/trusted-root.ts";

const utf8 = new TextDecoder("utf-8", { fatal: true });

/** Chunk size of streamed passes over a file (reading, hashing, the ledger scan). */
export const CHUNK_BYTES = 1 << 20;

/** First non-whitespace byte (after a UTF-8 BOM) is `{` or `[`: the only files the JSON readers look at. */
function startsLikeJson(head: Uint8Array): boolean {
  let i = head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf ? 3 : 0;
  while (i < head.length && (head[i] === 0x20 || head[i] === 0x0a || head[i] === 0x0d || head[i] === 0x09)) i++;
  return head[i] === 0x7b || head[i] === 0x5b;
}

/** Where the bytes of a SourceFile live: in memory, or on disk (read in chunks, never held whole unless asked). */
type Backing = { bytes: Uint8Array } | { path: string; size: number; sha256: string };

function makeSource(path: string, backing: Backing, explicit: boolean, limits: InputLimits, onDisk = false): SourceFile {
  let bytes: Uint8Array | undefined = "bytes" in backing ? backing.bytes : undefined;
  let text: string | undefined | null = null; // null = not decoded yet
  let json: unknown = undefined;
  let jsonDone = false;
  let lines: JsonLine[] | undefined | null = null;
  let hash: string | undefined = "sha256" in backing ? backing.sha256 : undefined;
  const size = "bytes" in backing ? backing.bytes.byteLength : backing.size;

  /** The bytes of a disk-backed file, checked against the digest taken when it was first read. */
  function load(): Uint8Array {
    const b = backing as Extract<Backing, { path: string }>;
    const out = new Uint8Array(b.size);
    let fd: number;
    try {
      fd = openSync(b.path, "r");
    } catch (e) {
      throw new TollgateError("unreadable", `cannot read file (${(e as NodeJS.ErrnoException).code ?? e})`, path, { cause: e });
    }
    try {
      let off = 0;
      while (off < b.size) {
        const n = readSync(fd, out, off, b.size - off, off);
        if (n === 0) break;
        off += n;
      }
      if (off !== b.size || sha256Hex(out) !== b.sha256) throw new TollgateError("unreadable", "file changed while it was being read", path);
    } finally {
      closeSync(fd);
    }
    return out;
  }

  const file: SourceFile = {
    path,
    explicit,
    onDisk,
    size,
    limits,
    get bytes() {
      return (bytes ??= load());
    },
    get sha256() {
      return (hash ??= sha256Hex(bytes!));
    },
    *chunks() {
      if (bytes !== undefined) {
        for (let i = 0; i < bytes.length; i += CHUNK_BYTES) yield bytes.subarray(i, i + CHUNK_BYTES);
        return;
      }
      // Streamed from disk in flat memory (a ledger of hundreds of megabytes); the same digest or an error.
      const b = backing as Extract<Backing, { path: string }>;
      const fd = openSync(b.path, "r");
      const h = createHash("sha256");
      try {
        let off = 0;
        while (off < b.size) {
          const buf = new Uint8Array(Math.min(CHUNK_BYTES, b.size - off));
          const n = readSync(fd, buf, 0, buf.length, off);
          if (n === 0) break;
          off += n;
          const chunk = n === buf.length ? buf : buf.subarray(0, n);
          h.update(chunk);
          yield chunk;
        }
        if (off !== b.size || h.digest("hex") !== b.sha256) throw new TollgateError("unreadable", "file changed while it was being read", path);
      } finally {
        closeSync(fd);
      }
    },
    text() {
      if (text === null) {
        try {
          text = utf8.decode(file.bytes);
          if (text.charCodeAt(0) === 0xfeff) text = text.slice(1); // tolerate a BOM
        } catch {
          text = undefined;
        }
      }
      return text;
    },
    json() {
      if (!jsonDone) {
        jsonDone = true;
        const t = file.text();
        const first = t?.trimStart()[0];
        if (t !== undefined && (first === "{" || first === "[")) {
          try {
            // The nesting cap was checked when the file was read (readEvidence); checked again for sources
            // built in memory (requests, tests) — a limit error is not "not JSON", it propagates.
            json = parseJsonLimited(t, path, limits);
          } catch (e) {
            if (e instanceof TollgateError) throw e;
            json = undefined;
          }
        }
      }
      return json;
    },
    jsonLines() {
      if (lines === null) lines = splitJsonLines(file, limits);
      return lines;
    },
  };
  return file;
}

/**
 * JSON Lines, parsed once: each non-blank line in order, its value or its parse error. undefined when the file is
 * not text or does not start like JSON. Lines are cut one at a time (no array of every line's text), and a line
 * longer than the line cap is refused (limit_exceeded) rather than parsed.
 */
function splitJsonLines(file: SourceFile, limits: InputLimits): JsonLine[] | undefined {
  const t = file.text();
  if (t === undefined) return undefined;
  const first = t.trimStart()[0];
  if (first !== "{" && first !== "[") return undefined;
  const out: JsonLine[] = [];
  let start = 0;
  for (let n = 1; start <= t.length; n++) {
    let end = t.indexOf("\n", start);
    if (end < 0) end = t.length;
    // UTF-16 length ≤ UTF-8 length ≤ 3 × UTF-16 length: compare conservatively on the string.
    if (end - start > limits.maxLineBytes) throw limitExceeded(file.path, "maxLineBytes", limits, `line ${n} (${end - start} characters)`);
    const raw = t.slice(start, end).replace(/\r$/, "");
    start = end + 1;
    if (raw.trim() === "") continue;
    try {
      out.push({ line: n, value: parseJsonLimited(raw, file.path, limits) });
    } catch (e) {
      if (e instanceof TollgateError) throw e;
      out.push({ line: n, error: (e as Error).message });
    }
  }
  return out.length ? out : undefined;
}

/** A source held in memory (request bodies, stdin, tests). */
export function sourceFromBytes(path: string, bytes: Uint8Array, explicit = true, limits: InputLimits = DEFAULT_LIMITS): SourceFile {
  return makeSource(path, { bytes }, explicit, limits);
}

export function sourceFromText(path: string, text: string, explicit = true): SourceFile {
  return sourceFromBytes(path, new TextEncoder().encode(text), explicit);
}

/** Files at most this large are kept in memory once read; larger ones are re-read in chunks when a kind asks. */
export const IN_MEMORY_BYTES = 8 * 1024 * 1024;

/**
 * Read one evidence file within the limits (the size is checked against the caps before a byte is read), in one
 * streamed pass that hashes it and measures its JSON nesting — refused (limit_exceeded) when it nests deeper
 * than the cap. Small files are kept in memory; large ones stay on disk, re-read in chunks by the kind that
 * wants them (a RunManifest ledger is then verified in flat memory).
 */
export function readEvidenceFile(path: string, size: number, explicit: boolean, limits: InputLimits): SourceFile {
  const keep = size <= IN_MEMORY_BYTES;
  const whole = keep ? new Uint8Array(size) : undefined;
  const fd = openSync(path, "r");
  const h = createHash("sha256");
  let meter: JsonDepthMeter | undefined;
  let off = 0;
  try {
    while (off < size) {
      const buf = whole ? whole.subarray(off, Math.min(size, off + CHUNK_BYTES)) : new Uint8Array(Math.min(CHUNK_BYTES, size - off));
      const n = readSync(fd, buf, 0, buf.length, off);
      if (n === 0) break;
      const chunk = buf.subarray(0, n);
      if (off === 0 && startsLikeJson(chunk)) meter = new JsonDepthMeter();
      if (meter) {
        meter.feed(chunk);
        if (meter.max > limits.maxJsonDepth) throw limitExceeded(path, "maxJsonDepth", limits, `JSON nested more than ${limits.maxJsonDepth} levels deep`);
      }
      h.update(chunk);
      off += n;
    }
  } finally {
    closeSync(fd);
  }
  if (off !== size) throw new TollgateError("unreadable", "file changed while it was being read", path);
  const sha256 = h.digest("hex");
  return makeSource(path, whole ? { bytes: whole } : { path, size, sha256 }, explicit, limits, true);
}

/** A source from bytes already read within the limits (stdin, a request item, a blob): nesting checked too. */
export function evidenceFromBytes(path: string, bytes: Uint8Array, explicit: boolean, limits: InputLimits): SourceFile {
  if (startsLikeJson(bytes.subarray(0, 4096))) {
    const m = new JsonDepthMeter();
    m.feed(bytes);
    if (m.max > limits.maxJsonDepth) throw limitExceeded(path, "maxJsonDepth", limits, `JSON nested ${m.max} levels deep`);
  }
  return makeSource(path, { bytes }, explicit, limits);
}

export interface VerifyContextOptions {
  time: Date;
  /** Default true: tests and library callers that pass a time mean it. */
  timeExplicit?: boolean;
  keys?: readonly TrustedKey[];
  trustedRoot?: () => unknown;
  files?: readonly SourceFile[];
  params?: Record<string, unknown>;
  artifact?: ArtifactDigests;
}

export function makeVerifyContext(o: VerifyContextOptions): VerifyContext {
  let root: unknown;
  return {
    time: o.time,
    timeExplicit: o.timeExplicit ?? true,
    keys: o.keys ?? [],
    files: o.files ?? [],
    params: o.params ?? {},
    ...(o.artifact ? { artifact: o.artifact } : {}),
    trustedRoot() {
      // The contract: the embedded public-good root unless the caller names another.
      return (root ??= (o.trustedRoot ?? publicGoodTrustedRoot)());
    },
  };
}
