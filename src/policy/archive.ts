// The OPA bundle archive at file level: a gzip'd tar read into an ordered list of (name, bytes), and a
// deterministic writer (zero mtimes/owners, fixed modes, names with OPA's leading "/") so that signing the same
// bundle with the same key gives byte-identical output.
import { TollgateError } from "../core/errors.ts";
import { lazy } from "../core/lazy.ts";

// Loaded when an archive is first read or written: a cold start on the embedded default bundle reads none.
const streams = lazy(() => require("node:stream") as typeof import("node:stream"));
const zlib = lazy(() => require("node:zlib") as typeof import("node:zlib"));
const tar = lazy(() => require("tar-stream") as typeof import("tar-stream"));

export interface ArchiveEntry {
  /** Path inside the bundle without the leading "/" (OPA trims one when matching signature entries). */
  name: string;
  bytes: Uint8Array;
}

/**
 * Gzip bombs: no entry of a bundle is inflated past its cap, nor the whole past the total, and nothing refused is
 * held. Entries are checked by their tar header size before a byte of them is inflated. (OPA's default per-file
 * limit is 1 GiB; a gate needs far less.)
 */
export const MAX_BUNDLE_ENTRY_BYTES = 32 * 1024 * 1024;
export const MAX_BUNDLE_UNPACKED_BYTES = 64 * 1024 * 1024;
/** `.signatures.json` holds one JWT: anything larger is not one. */
export const MAX_SIGNATURES_BYTES = 1024 * 1024;

export function normalizeEntryName(raw: string): string {
  let n = raw.replace(/\\/g, "/");
  if (n.startsWith("./")) n = n.slice(2);
  if (n.startsWith("/")) n = n.slice(1);
  return n;
}

function isGzip(b: Uint8Array): boolean {
  return b.length >= 2 && b[0] === 0x1f && b[1] === 0x8b;
}

const isSignatures = (name: string) => name === ".signatures.json" || name.endsWith("/.signatures.json");

/**
 * What a verified signature lets through, decided from `.signatures.json` alone (undefined: the bundle has none)
 * before any other entry is read: `accept` says whether an entry may be inflated at all (an unlisted one is
 * refused at its header), `check` verifies an entry as soon as it has been read (its hash), before the next is
 * inflated. Either throws to refuse the bundle.
 */
export type ArchiveSelector = (signatures: Uint8Array | undefined, source: string) => Promise<ArchiveSelection>;

export interface ArchiveSelection {
  accept(name: string): boolean;
  check?(name: string, bytes: Uint8Array): void;
  /** The error for an entry `accept` refused. */
  unlisted(name: string): Error;
}

interface Walker {
  name: string;
  size: number;
  read(): Promise<Uint8Array>;
}

/**
 * One streamed pass over a .tar.gz: `visit` sees each regular file's (normalized) name and header size and may
 * read it; returning false stops the pass (nothing after it is inflated). Unread entries are drained, never held.
 */
async function walkArchive(bytes: Uint8Array, source: string, visit: (e: Walker) => Promise<boolean>): Promise<void> {
  const gz = zlib().createGunzip();
  const ex = tar().extract();
  let failure: unknown;
  streams().pipeline(streams().Readable.from([Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)]), gz, ex, (e) => {
    if (e && (e as NodeJS.ErrnoException).code !== "ERR_STREAM_PREMATURE_CLOSE") failure = e;
  });
  const seen = new Set<string>();
  let total = 0;
  /** A refusal from `visit` (the signature check) passes through as it is, never as "corrupt". */
  let refusal: { error: unknown } | undefined;
  try {
    for await (const entry of ex) {
      const t = entry.header.type ?? "file";
      if (t === "directory") {
        entry.resume();
        continue;
      }
      const name = normalizeEntryName(entry.header.name);
      if (t !== "file" && t !== "contiguous-file") throw new TollgateError("malformed", `tar entry ${name} is a ${t}; bundles hold regular files only`, source);
      if (name === "" || name.split("/").includes("..")) {
        throw new TollgateError("malformed", `tar entry name ${JSON.stringify(entry.header.name)} is not a relative path inside the bundle`, source);
      }
      if (seen.has(name)) throw new TollgateError("malformed", `tar holds ${name} twice`, source);
      seen.add(name);
      const size = entry.header.size ?? 0;
      // By the header, before a byte of the entry is inflated.
      const cap = isSignatures(name) ? MAX_SIGNATURES_BYTES : MAX_BUNDLE_ENTRY_BYTES;
      if (size > cap) throw new TollgateError("malformed", `bundle entry ${name} unpacks to ${size} bytes, more than the ${cap}-byte limit of one entry (a gzip bomb?)`, source);
      total += size;
      if (total > MAX_BUNDLE_UNPACKED_BYTES) throw new TollgateError("malformed", `bundle unpacks to more than ${MAX_BUNDLE_UNPACKED_BYTES} bytes (a gzip bomb?)`, source);
      let consumed = false;
      let go: boolean;
      try {
        go = await visit({
          name,
          size,
          async read() {
            consumed = true;
            // Into one buffer of the header's size: never more than the entry holds, never a second copy.
            const out = new Uint8Array(size);
            let off = 0;
            try {
              for await (const c of entry) {
                const chunk = c as Buffer;
                if (off + chunk.length > size) throw new Error(`entry ${name} holds more bytes than its header says`);
                out.set(chunk, off);
                off += chunk.length;
              }
            } catch (e) {
              throw { stream: e };
            }
            return off === size ? out : out.subarray(0, off);
          },
        });
      } catch (e) {
        if (e && typeof e === "object" && "stream" in e) throw (e as { stream: unknown }).stream;
        refusal = { error: e };
        throw e;
      }
      if (!go) return;
      if (!consumed) for await (const _ of entry); // drained: inflated to reach the next header, never held
    }
  } catch (e) {
    if (refusal || e instanceof TollgateError) throw e;
    const zlib = /^Z_/.test(String((e as NodeJS.ErrnoException).code ?? "")) || failure !== undefined;
    throw new TollgateError("malformed", `${zlib ? "gzip stream" : "tar archive"} is corrupt or truncated: ${(e as Error).message}`, source, { cause: e });
  } finally {
    ex.destroy();
    gz.destroy();
  }
  if (failure) throw new TollgateError("malformed", `gzip stream is corrupt or truncated: ${(failure as Error).message}`, source, { cause: failure });
}

/**
 * Reads every regular file of a .tar.gz, streamed, within the entry and total caps; throws
 * TollgateError("malformed") naming `source` on a bad archive.
 *
 * With a `select`or (a signature to check), two passes: the first inflates nothing but what stands before
 * `.signatures.json` (drained, not held — OPA writes the signature after data.json and the modules; tollgate
 * writes it first) and stops there; the selector verifies the JWT; the second pass then refuses any entry the
 * signature does not list at its header, before inflating it, and checks each listed entry as soon as it is read.
 */
export async function readArchive(bytes: Uint8Array, source: string, select?: ArchiveSelector): Promise<ArchiveEntry[]> {
  if (!isGzip(bytes)) throw new TollgateError("malformed", "not a gzip'd tar bundle (no gzip magic bytes)", source);
  let allow: Awaited<ReturnType<ArchiveSelector>> | undefined;
  if (select) {
    let signatures: Uint8Array | undefined;
    await walkArchive(bytes, source, async (e) => {
      if (!isSignatures(e.name)) return true;
      signatures = await e.read();
      return false;
    });
    allow = await select(signatures, source);
  }
  const entries: ArchiveEntry[] = [];
  await walkArchive(bytes, source, async (e) => {
    if (allow && !isSignatures(e.name) && !allow.accept(e.name)) throw allow.unlisted(e.name);
    const data = await e.read();
    if (allow?.check && !isSignatures(e.name)) allow.check(e.name, data);
    entries.push({ name: e.name, bytes: data });
    return true;
  });
  return entries;
}

const EPOCH = new Date(0);

/** Writes entries in the given order as a deterministic .tar.gz (OPA's layout: "/name", mode 0600, mtime 0). */
export async function writeArchive(entries: readonly ArchiveEntry[]): Promise<Uint8Array> {
  const p = tar().pack();
  const chunks: Buffer[] = [];
  const collected = (async () => {
    for await (const c of p) chunks.push(c as Buffer);
  })();
  for (const e of entries) {
    await new Promise<void>((resolve, reject) =>
      p.entry(
        { name: "/" + e.name, mode: 0o600, uid: 0, gid: 0, uname: "", gname: "", mtime: EPOCH, size: e.bytes.length, type: "file" },
        Buffer.from(e.bytes),
        (err) => (err ? reject(err) : resolve()),
      ),
    );
  }
  p.finalize();
  await collected;
  return new Uint8Array(zlib().gzipSync(Buffer.concat(chunks), { level: 9 }));
}
