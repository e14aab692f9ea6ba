// `tollgate bundle serve DIR`: a bundle server for OPA's bundle service protocol.
// GET /{resource} → 200 with the bundle and `ETag: "<sha256>"`, or 304 when If-None-Match names the current ETag.
// Long polling: a request carrying `Prefer: …wait=N` whose ETag is current is held until the file changes or N
// seconds pass (capped); responses say `Content-Type: application/vnd.openpolicyagent.bundles` so OPA keeps
// long polling. Files are re-read only when their size/mtime change.
import { readFile, stat } from "node:fs/promises";
import { resolve, sep } from "node:path";
import { sha256Hex } from "../core/digest.ts";
import { TollgateError } from "../core/errors.ts";

export const BUNDLE_MEDIA_TYPE = "application/vnd.openpolicyagent.bundles";
/** Longest long-poll wait the server can honour (Bun's idleTimeout ceiling of 255 s, less a margin). */
export const MAX_LONG_POLL_SECONDS = 245;

export interface BundleServerOptions {
  dir: string;
  hostname?: string;
  /** 0 = ephemeral. */
  port?: number;
  /** Longest wait honoured for `Prefer: wait=N`, seconds. */
  maxWaitSeconds?: number;
  /** How often a held long poll looks for a changed file, ms. */
  watchIntervalMs?: number;
  log?: (line: string) => void;
}

export interface BundleServer {
  readonly port: number;
  readonly url: string;
  stop(): Promise<void>;
}

interface Cached {
  mtimeMs: number;
  size: number;
  etag: string;
  bytes: Uint8Array;
}

/** The base URL of a server listening on `hostname:port` (an IPv6 address in brackets). */
export function serverUrl(hostname: string, port: number): string {
  return `http://${hostname.includes(":") ? `[${hostname}]` : hostname}:${port}`;
}

/** `If-None-Match: "a", W/"b", c` → bare tags (OPA sends its ETag as it received it, and superseded ones). */
export function parseIfNoneMatch(h: string | null): string[] {
  if (!h) return [];
  return h
    .split(",")
    .map((t) => t.trim().replace(/^W\//, "").replace(/^"(.*)"$/, "$1"))
    .filter(Boolean);
}

/** `Prefer: modes=snapshot,delta;wait=30` → 30 (seconds), or undefined. */
export function parsePreferWait(h: string | null): number | undefined {
  if (!h) return undefined;
  const m = /(?:^|[;,\s])wait=(\d+)/.exec(h);
  return m ? Number(m[1]) : undefined;
}

export async function startBundleServer(o: BundleServerOptions): Promise<BundleServer> {
  const root = resolve(o.dir);
  const st = await stat(root).catch((e: NodeJS.ErrnoException) => e);
  if (st instanceof Error) {
    throw new TollgateError("usage", st.code === "ENOENT" ? "no such bundle directory" : `bundle directory is not readable (${st.code ?? st.message})`, o.dir);
  }
  if (!st.isDirectory()) throw new TollgateError("usage", "not a directory (want the directory the bundles are served from)", o.dir);
  // Bun closes a connection idle for its idleTimeout, at most 255 s; a held long poll is idle, so the wait
  // honoured stays 10 s under that ceiling.
  const maxWait = Math.min(MAX_LONG_POLL_SECONDS, Math.max(0, o.maxWaitSeconds ?? 60));
  const interval = o.watchIntervalMs ?? 100;
  const log = o.log ?? (() => {});
  const cache = new Map<string, Cached>();
  const waiting = new Set<() => void>();
  let stopping = false;

  /** The file for a resource: DIR/resource, or DIR/resource.tar.gz; never outside DIR. */
  function fileFor(resource: string): string | undefined {
    let clean: string;
    try {
      clean = decodeURIComponent(resource).replace(/^\/+/, "");
    } catch {
      return undefined; // a malformed percent-escape: a bad path (400), never an exception
    }
    if (!clean || clean.split("/").some((s) => s === ".." || s === ".")) return undefined;
    const p = resolve(root, clean.endsWith(".tar.gz") ? clean : `${clean}.tar.gz`);
    return p.startsWith(root + sep) ? p : undefined;
  }

  async function current(path: string): Promise<Cached | undefined> {
    let st;
    try {
      st = await stat(path);
    } catch {
      cache.delete(path);
      return undefined;
    }
    if (!st.isFile()) return undefined;
    const c = cache.get(path);
    if (c && c.mtimeMs === st.mtimeMs && c.size === st.size) return c;
    const bytes = new Uint8Array(await readFile(path));
    const fresh = { mtimeMs: st.mtimeMs, size: st.size, etag: sha256Hex(bytes), bytes };
    cache.set(path, fresh);
    return fresh;
  }

  const headersFor = (etag: string, longPoll: boolean) => ({
    ETag: `"${etag}"`,
    "Content-Type": longPoll ? BUNDLE_MEDIA_TYPE : "application/gzip",
    "Cache-Control": "no-cache",
  });

  const server = Bun.serve({
    hostname: o.hostname ?? "127.0.0.1",
    port: o.port ?? 0,
    // Long polls hold a request open; Bun's 10 s default idle timeout would cut them.
    idleTimeout: Math.min(255, maxWait + 10),
    async fetch(req) {
      const url = new URL(req.url);
      if (req.method !== "GET" && req.method !== "HEAD") return new Response("method not allowed\n", { status: 405, headers: { Allow: "GET, HEAD" } });
      if (url.pathname === "/health") return new Response("ok\n");
      const path = fileFor(url.pathname);
      if (!path) return new Response("bad resource path\n", { status: 400 });
      let b = await current(path);
      if (!b) return new Response(`no bundle ${url.pathname}\n`, { status: 404 });
      const known = parseIfNoneMatch(req.headers.get("if-none-match"));
      const wait = parsePreferWait(req.headers.get("prefer"));
      const longPoll = wait !== undefined;
      if (known.includes(b.etag) && longPoll && wait > 0) {
        // Hold until the bundle changes, the wait is over, or the server stops (bounded by maxWait).
        const deadline = Date.now() + Math.min(wait, maxWait) * 1000;
        while (!stopping && !req.signal.aborted && Date.now() < deadline) {
          await new Promise<void>((r) => {
            const t = setTimeout(() => {
              waiting.delete(wake);
              r();
            }, Math.min(interval, Math.max(0, deadline - Date.now())));
            const wake = () => {
              clearTimeout(t);
              r();
            };
            waiting.add(wake);
          });
          const now = await current(path);
          if (!now) return new Response(`no bundle ${url.pathname}\n`, { status: 404 });
          b = now;
          if (!known.includes(b.etag)) break;
        }
      }
      if (known.includes(b.etag)) {
        log(`304 ${url.pathname} ${b.etag.slice(0, 12)}`);
        return new Response(null, { status: 304, headers: headersFor(b.etag, longPoll) });
      }
      log(`200 ${url.pathname} ${b.etag.slice(0, 12)} (${b.bytes.length} bytes)`);
      return new Response(req.method === "HEAD" ? null : b.bytes, { status: 200, headers: headersFor(b.etag, longPoll) });
    },
    // Anything unforeseen (a file vanishing mid-read, …) is a plain 500 with one log line — never Bun's
    // development error page, which would hand the client a stack trace and source lines.
    error(e) {
      log(`500 ${e.message}`);
      return new Response("internal error\n", { status: 500 });
    },
  });
  const port = server.port!;
  return {
    port,
    url: serverUrl(o.hostname ?? "127.0.0.1", port),
    async stop() {
      stopping = true;
      for (const w of waiting) w();
      await server.stop(true);
    },
  };
}
