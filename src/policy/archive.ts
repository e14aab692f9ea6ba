// The OPA bundle archive at file level: a gzip'd tar read into an ordered list of (name, bytes), and a
// deterministic writer (zero mtimes/owners, fixed modes, names with OPA's leading "/") so that signing the same
// bundle with the same key gives byte-identical output.
import { gunzipSync, gzipSync } from "node:zlib";
import { extract, pack } from "tar-stream";
import { TollgateError } from "../core/errors.ts";

export interface ArchiveEntry {
  /** Path inside the bundle without the leading "/" (OPA trims one when matching signature entries). */
  name: string;
  bytes: Uint8Array;
}

/** Guards against gzip bombs; OPA's default per-file limit is 1 GiB, a gate needs far less. */
export const MAX_BUNDLE_UNPACKED_BYTES = 512 * 1024 * 1024;

export function normalizeEntryName(raw: string): string {
  let n = raw.replace(/\\/g, "/");
  if (n.startsWith("./")) n = n.slice(2);
  if (n.startsWith("/")) n = n.slice(1);
  return n;
}

function isGzip(b: Uint8Array): boolean {
  return b.length >= 2 && b[0] === 0x1f && b[1] === 0x8b;
}

/** Reads every regular file of a .tar.gz; throws TollgateError("malformed") naming `source` on a bad archive. */
export async function readArchive(bytes: Uint8Array, source: string): Promise<ArchiveEntry[]> {
  if (!isGzip(bytes)) throw new TollgateError("malformed", "not a gzip'd tar bundle (no gzip magic bytes)", source);
  let tar: Buffer;
  try {
    tar = gunzipSync(bytes, { maxOutputLength: MAX_BUNDLE_UNPACKED_BYTES });
  } catch (e) {
    throw new TollgateError("malformed", `gzip stream is corrupt or truncated: ${(e as Error).message}`, source, { cause: e });
  }
  const entries: ArchiveEntry[] = [];
  const seen = new Set<string>();
  const ex = extract();
  const done = (async () => {
    for await (const entry of ex) {
      const chunks: Buffer[] = [];
      for await (const c of entry) chunks.push(c as Buffer);
      const t = entry.header.type ?? "file";
      if (t === "directory") continue;
      const name = normalizeEntryName(entry.header.name);
      if (t !== "file" && t !== "contiguous-file") {
        throw new TollgateError("malformed", `tar entry ${name} is a ${t}; bundles hold regular files only`, source);
      }
      if (name === "" || name.split("/").includes("..")) {
        throw new TollgateError("malformed", `tar entry name ${JSON.stringify(entry.header.name)} is not a relative path inside the bundle`, source);
      }
      if (seen.has(name)) throw new TollgateError("malformed", `tar holds ${name} twice`, source);
      seen.add(name);
      entries.push({ name, bytes: new Uint8Array(Buffer.concat(chunks)) });
    }
  })();
  ex.end(tar);
  try {
    await done;
  } catch (e) {
    if (e instanceof TollgateError) throw e;
    throw new TollgateError("malformed", `tar archive is corrupt or truncated: ${(e as Error).message}`, source, { cause: e });
  }
  return entries;
}

const EPOCH = new Date(0);

/** Writes entries in the given order as a deterministic .tar.gz (OPA's layout: "/name", mode 0600, mtime 0). */
export async function writeArchive(entries: readonly ArchiveEntry[]): Promise<Uint8Array> {
  const p = pack();
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
  return new Uint8Array(gzipSync(Buffer.concat(chunks), { level: 9 }));
}
