// Limits on everything tollgate reads: a per-input size cap, a total per run (or per request), a JSON nesting cap
// and a JSON Lines line cap. Hostile input is refused at the cap with one line naming the input and the limit —
// before it is buffered whole, parsed, or allowed to drive memory and time (a 50 MB file of `[` used to take
// 8.8 GB and 30 s in JSON.parse; a gzip bomb 2.1 GB). Every source of bytes goes through the same checks: files,
// stdin, HTTP bodies, registry blobs (readLimited takes a name and any byte stream).
import { TollgateError } from "./errors.ts";

export interface InputLimits {
  /** Largest single input (a file, stdin, one evidence item of a request, one blob), in bytes. */
  maxInputBytes: number;
  /** Largest sum of every input read in one run (one CLI invocation, one request). */
  maxTotalBytes: number;
  /** Deepest JSON nesting of arrays/objects accepted in any JSON document read. */
  maxJsonDepth: number;
  /** Longest line of a JSON Lines file. */
  maxLineBytes: number;
}

const MiB = 1024 * 1024;

export const DEFAULT_LIMITS: Readonly<InputLimits> = Object.freeze({
  maxInputBytes: 64 * MiB,
  maxTotalBytes: 256 * MiB,
  maxJsonDepth: 1000,
  maxLineBytes: 16 * MiB,
});

/** The flag or config key that raises each limit, named in every refusal. */
export const LIMIT_NAMES: Readonly<Record<keyof InputLimits, string>> = {
  maxInputBytes: "--max-input-bytes",
  maxTotalBytes: "--max-total-bytes",
  maxJsonDepth: "--max-json-depth",
  maxLineBytes: "--max-line-bytes",
};

/**
 * Limits from partial settings. A per-input cap raised above the total raises the total with it (giving one
 * 1 GiB ledger `--max-input-bytes 1GiB` is enough).
 */
export function resolveLimits(o: Partial<InputLimits> = {}): InputLimits {
  const l = { ...DEFAULT_LIMITS, ...Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) } as InputLimits;
  if (o.maxTotalBytes === undefined && l.maxTotalBytes < l.maxInputBytes) l.maxTotalBytes = l.maxInputBytes;
  return l;
}

const UNITS: Record<string, number> = { "": 1, b: 1, k: 1e3, kb: 1e3, kib: 1024, m: 1e6, mb: 1e6, mib: MiB, g: 1e9, gb: 1e9, gib: 1024 * MiB };

/** "67108864", "64MiB", "64M", "1.5GiB" → bytes; throws TollgateError("usage") naming the flag. */
export function parseByteSize(value: string, flag: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(value);
  const unit = m ? UNITS[m[2]!.toLowerCase()] : undefined;
  const n = m && unit !== undefined ? Math.floor(Number(m[1]) * unit) : NaN;
  if (!Number.isSafeInteger(n) || n <= 0) throw new TollgateError("usage", `${flag} must be a positive size in bytes (like 67108864, 64MiB or 1GiB), got ${JSON.stringify(value)}`);
  return n;
}

export function parsePositiveInt(value: string, flag: string): number {
  const n = /^\s*\d+\s*$/.test(value) ? Number(value) : NaN;
  if (!Number.isSafeInteger(n) || n <= 0) throw new TollgateError("usage", `${flag} must be a positive integer, got ${JSON.stringify(value)}`);
  return n;
}

function bytesText(n: number): string {
  if (n >= MiB && n % MiB === 0) return `${n / MiB} MiB`;
  if (n >= 1024 && n % 1024 === 0) return `${n / 1024} KiB`;
  return `${n} bytes`;
}

/** The one refusal for a limit: `<name>: <what> exceeds the <limit> limit (<flag>)`. */
export function limitExceeded(name: string | undefined, limit: keyof InputLimits, limits: InputLimits, what: string): TollgateError {
  const value = limits[limit];
  const shown = limit === "maxJsonDepth" ? `${value} levels` : bytesText(value);
  const noun = { maxInputBytes: "per-input size", maxTotalBytes: "total input size", maxJsonDepth: "JSON nesting", maxLineBytes: "JSON Lines line size" }[limit];
  return new TollgateError("limit_exceeded", `${what} exceeds the ${noun} limit of ${shown} (raise it with ${LIMIT_NAMES[limit]})`, name);
}

/** Bytes counted against one run's total. One budget per CLI invocation or request. */
export class InputBudget {
  #used = 0;
  constructor(readonly limits: InputLimits = resolveLimits()) {}

  get used(): number {
    return this.#used;
  }

  /** Refuses an input of `size` bytes (known up front: a file's size, a Content-Length) before any is read. */
  admit(name: string, size: number): void {
    if (size > this.limits.maxInputBytes) throw limitExceeded(name, "maxInputBytes", this.limits, `${size} bytes`);
    if (this.#used + size > this.limits.maxTotalBytes) throw limitExceeded(name, "maxTotalBytes", this.limits, `with ${this.#used} bytes already read, its ${size} bytes`);
  }

  /** Counts `n` more bytes of the input `name` (`soFar` of it read); throws when a cap is passed. */
  take(name: string, n: number, soFar: number): void {
    if (soFar > this.limits.maxInputBytes) throw limitExceeded(name, "maxInputBytes", this.limits, `more than ${this.limits.maxInputBytes} bytes`);
    this.#used += n;
    if (this.#used > this.limits.maxTotalBytes) throw limitExceeded(name, "maxTotalBytes", this.limits, "together with the inputs read before it, it");
  }
}

/**
 * The bytes of `stream`, read with the limits of `budget`: refused as soon as the input passes the per-input cap or
 * the run passes its total (the rest is never read; leaving the loop cancels a web stream). `declaredSize` (a
 * Content-Length, a blob descriptor's size) is refused before anything is read. Used for stdin, request bodies and
 * any other byte source without a file behind it.
 */
export async function readLimited(
  name: string,
  stream: AsyncIterable<Uint8Array> | ReadableStream<Uint8Array>,
  budget: InputBudget,
  declaredSize?: number,
): Promise<Uint8Array> {
  if (declaredSize !== undefined && Number.isFinite(declaredSize)) budget.admit(name, declaredSize);
  const chunks: Uint8Array[] = [];
  let total = 0;
  for await (const chunk of stream as AsyncIterable<Uint8Array>) {
    total += chunk.byteLength;
    budget.take(name, chunk.byteLength, total);
    chunks.push(chunk);
  }
  if (chunks.length === 1) return chunks[0]!;
  const out = new Uint8Array(total);
  let off = 0;
  for (const c of chunks) {
    out.set(c, off);
    off += c.byteLength;
  }
  return out;
}

/**
 * Tracks JSON nesting over bytes fed in any chunking: `[`/`{` outside strings deepen, `]`/`}` return. Cheap
 * (one byte loop), so it runs before JSON.parse ever sees a document.
 */
export class JsonDepthMeter {
  depth = 0;
  max = 0;
  #inString = false;
  #escape = false;

  feed(bytes: Uint8Array): void {
    let depth = this.depth;
    let max = this.max;
    let inString = this.#inString;
    let escape = this.#escape;
    for (let i = 0; i < bytes.length; i++) {
      const c = bytes[i]!;
      if (inString) {
        if (escape) escape = false;
        else if (c === 0x5c) escape = true;
        else if (c === 0x22) inString = false;
      } else if (c === 0x22) inString = true;
      else if (c === 0x5b || c === 0x7b) {
        if (++depth > max) max = depth;
      } else if ((c === 0x5d || c === 0x7d) && depth > 0) depth--;
    }
    this.depth = depth;
    this.max = max;
    this.#inString = inString;
    this.#escape = escape;
  }
}

/** The deepest nesting of JSON text (bytes or a string), without parsing it. */
export function jsonDepth(doc: Uint8Array | string): number {
  if (typeof doc !== "string") {
    const m = new JsonDepthMeter();
    m.feed(doc);
    return m.max;
  }
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < doc.length; i++) {
    const c = doc.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++;
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > max) max = depth;
    } else if ((c === 0x5d || c === 0x7d) && depth > 0) depth--;
  }
  return max;
}

/** Whether JSON text nests arrays/objects deeper than `max` (brackets inside strings do not count). */
export function jsonNestsDeeperThan(doc: Uint8Array | string, max: number): boolean {
  // Each level opens with a bracket of its own: text no longer than `max` cannot nest deeper.
  return doc.length > max && jsonDepth(doc) > max;
}

/**
 * JSON.parse behind the nesting cap: refuses (limit_exceeded, naming `name`) a document deeper than
 * `limits.maxJsonDepth` before parsing it. Syntax errors are thrown as JSON.parse throws them.
 */
export function parseJsonLimited(text: string, name: string | undefined, limits: InputLimits = DEFAULT_LIMITS, reviver?: (this: unknown, key: string, value: unknown, ctx?: { source?: string }) => unknown): unknown {
  const depth = jsonDepth(text);
  if (depth > limits.maxJsonDepth) throw limitExceeded(name, "maxJsonDepth", limits, `JSON nested ${depth} levels deep`);
  return reviver ? JSON.parse(text, reviver as never) : JSON.parse(text);
}
