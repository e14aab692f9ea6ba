// The gate's active policy: loaded from a file, the embedded default, or pulled over OPA's bundle service protocol
// (GET with If-None-Match → 304 / 200 + ETag; polling between min and max delay; long polling with
// `Prefer: modes=snapshot;wait=N`). A new bundle is verified before a byte of it is evaluated and activated by one
// reference swap; a bundle that fails (download, signature, load, missing entrypoint) leaves the last good one
// active and is reported (log line + /ready detail).
import type { RegistryOptions } from "../evidence/oci/client.ts";
import { sha256Hex } from "../core/digest.ts";
import { asTollgateError, TollgateError, type ErrorCode } from "../core/errors.ts";
import { readUserFile } from "../core/read.ts";
import { fromFiles, type PolicyBundle } from "../policy/bundle.ts";
import { loadDefaultBundle } from "../policy/default-bundle.ts";
import { PolicyEngine } from "../policy/evaluator.ts";
import { readArchive, rejectionReason, signatureSelector, verifyBundleSignature, type BundleKeyring, type BundleSignatureResult } from "../policy/signing.ts";
import { MAX_BUNDLE_UNPACKED_BYTES } from "../policy/archive.ts";
import { readCapped } from "./body.ts";
import { BUNDLE_MEDIA_TYPE } from "./bundle-server.ts";
import type { BundleSourceConfig } from "./config.ts";

export interface ActiveBundle {
  engine: PolicyEngine;
  source: string;
  revision: string;
  sha256: string;
  etag?: string;
  activatedAt: string;
  signature: { status: BundleSignatureResult["status"] | "embedded"; keyId?: string; algorithm?: string; scope?: string };
}

export interface BundleFailure {
  at: string;
  source: string;
  code: string;
  message: string;
  etag?: string;
  sha256?: string;
}

export interface BundleManagerOptions {
  source: BundleSourceConfig;
  keys: BundleKeyring;
  verification: { keyId?: string; scope?: string; exclude?: string[] };
  allowUnsigned: boolean;
  /** Entrypoints the bundle must have to be activated. */
  requiredEntrypoints: string[];
  overlays: { source: string; data: Record<string, unknown> }[];
  /** Stable per instance: spreads replicas' polling without randomness. */
  instanceId: string;
  log: (line: string) => void;
  /** How an `oci` source's registry is reached. */
  registry?: RegistryOptions;
  /** Largest bundle download accepted (compressed); default MAX_BUNDLE_UNPACKED_BYTES. */
  maxBundleBytes?: number;
  /** Injected for tests (the real clock is only used for status timestamps and poll scheduling). */
  now?: () => Date;
  /**
   * Called with a verified, compiled bundle before it becomes active (a multi-threaded gate compiles it in every
   * worker here). Throwing refuses the bundle like any other failure; the returned function runs right after the
   * swap (the workers switch then).
   */
  prepare?: (bundle: PolicyBundle, next: ActiveBundle) => Promise<() => void>;
}

export type BundleStatus = ReturnType<BundleManager["status"]>;

export class BundleManager {
  private current: ActiveBundle | undefined;
  private lastFailure: BundleFailure | undefined;
  private lastCheckAt: string | undefined;
  private etag: string | undefined;
  private longPoll = false;
  /** The last long poll came back 304 well before its wait: the server does not hold requests (see pollLoop). */
  private heldTooBriefly = false;
  private stopped = false;
  private abort = new AbortController();
  private loop: Promise<void> | undefined;
  private activations = 0;
  private readonly now: () => Date;

  constructor(private readonly o: BundleManagerOptions) {
    this.now = o.now ?? (() => new Date());
    // Like OPA, ask for long polling from the first request when it is configured; the server's content type
    // then says whether it honours it.
    this.longPoll = o.source.kind === "service" && !!o.source.longPollSeconds;
  }

  /** The active bundle; one reference read per request, so a swap never splits a request across bundles. */
  get active(): ActiveBundle | undefined {
    return this.current;
  }

  get failure(): BundleFailure | undefined {
    return this.lastFailure;
  }

  status() {
    const a = this.current;
    return {
      ready: !!a,
      bundle: a
        ? { source: a.source, revision: a.revision, sha256: a.sha256, etag: a.etag, activated_at: a.activatedAt, signature: a.signature, entrypoints: a.engine.entrypoints }
        : null,
      last_failure: this.lastFailure ?? null,
      last_check: this.lastCheckAt ?? null,
      activations: this.activations,
      long_polling: this.longPoll,
    };
  }

  /** Load the first bundle. File/default sources fail hard (nothing to serve); a service keeps trying in the background. */
  async start(): Promise<void> {
    const s = this.o.source;
    if (s.kind === "default") {
      const b = await loadDefaultBundle();
      await this.activate(b, { status: "embedded" }, undefined);
      return;
    }
    if (s.kind === "file") {
      const bytes = await readUserFile(s.path, "bundle", "policy_unreadable");
      // Not logged: the error thrown here is the one line the operator sees.
      const ok = await this.offer(bytes, s.path, undefined, false);
      // The failure's own code (digest_mismatch, signature_failed, policy_invalid, …), not a blanket one.
      if (!ok) throw new TollgateError(this.lastFailure!.code as ErrorCode, `bundle rejected: ${this.lastFailure!.message}`, s.path);
      return;
    }
    await this.pollOnce();
    this.loop = this.pollLoop();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.abort.abort();
    await this.loop?.catch(() => {});
  }

  /**
   * Verify, load and activate bundle bytes. Returns false (and records the failure, logging it when `logFailure`)
   * when anything is wrong; the previously active bundle stays active.
   */
  async offer(bytes: Uint8Array, source: string, etag: string | undefined, logFailure = true): Promise<boolean> {
    const sha256 = sha256Hex(bytes);
    try {
      // allow_unsigned means "no key configured, no signature expected": with a key, an unsigned bundle is refused
      // (otherwise whoever can replace the bundle strips .signatures.json and the gate evaluates their policy).
      const unsignedAllowed = this.o.allowUnsigned && Object.keys(this.o.keys).length === 0;
      // The JWT is verified before any other entry is inflated; unlisted entries are refused at their header and
      // each listed one is checked as soon as it is read (a gzip bomb never gets past its header or its hash).
      const select = signatureSelector(this.o.keys, { ...this.o.verification, acceptUnsigned: unsignedAllowed }, (code, reason) => new TollgateError(code, reason));
      const entries = await readArchive(bytes, source, select);
      const sig = await verifyBundleSignature(entries, this.o.keys, this.o.verification);
      if (!sig.ok && !(sig.status === "unsigned" && unsignedAllowed)) {
        // The reason alone: the log line and /ready add the source, the code and "rejected" themselves.
        throw new TollgateError(sig.code ?? "bundle_unverified", rejectionReason(sig));
      }
      // Only now is the bundle assembled into a policy and compiled — from the very entries that were verified,
      // so no second archive parser can see different bytes than the signature check did.
      const bundle = fromFiles(new Map(entries.map((e) => [e.name, e.bytes])), source, sha256);
      const signature: ActiveBundle["signature"] = { status: sig.status };
      if (sig.keyId) signature.keyId = sig.keyId;
      if (sig.algorithm) signature.algorithm = sig.algorithm;
      if (sig.scope) signature.scope = sig.scope;
      await this.activate(bundle, signature, etag);
      return true;
    } catch (e) {
      const err = asTollgateError(e, source, "policy_invalid");
      const f: BundleFailure = { at: this.now().toISOString(), source, code: err.code, message: err.message, sha256 };
      if (etag) f.etag = etag;
      this.lastFailure = f;
      if (!logFailure) return false;
      const keeping = this.current ? `keeping revision ${JSON.stringify(this.current.revision)} (sha256:${this.current.sha256.slice(0, 12)}) active` : "no bundle active";
      this.o.log(`bundle rejected: ${source} (sha256:${sha256.slice(0, 12)}): ${err.message} [${err.code}]; ${keeping}`);
      return false;
    }
  }

  private async activate(bundle: PolicyBundle, signature: ActiveBundle["signature"], etag: string | undefined): Promise<void> {
    const engine = await PolicyEngine.create(bundle, this.o.overlays);
    for (const ep of this.o.requiredEntrypoints) {
      if (!engine.hasEntrypoint(ep)) {
        throw new TollgateError("policy_invalid", `bundle has no entrypoint ${ep} (it has: ${engine.entrypoints.join(", ") || "none"})`, bundle.source);
      }
    }
    const next: ActiveBundle = { engine, source: bundle.source, revision: bundle.revision, sha256: bundle.sha256, activatedAt: this.now().toISOString(), signature };
    if (etag) next.etag = etag;
    const commit = this.o.prepare ? await this.o.prepare(bundle, next) : undefined;
    this.current = next; // the atomic swap
    commit?.();
    this.activations++;
    this.o.log(`bundle activated: ${bundle.source} revision ${JSON.stringify(bundle.revision)} sha256:${bundle.sha256.slice(0, 12)} signature ${signature.status}${signature.keyId ? ` (key ${signature.keyId})` : ""}`);
  }

  /** One GET of the bundle resource. Returns true when the server answered (200 or 304). */
  async pollOnce(): Promise<boolean> {
    const s = this.o.source;
    if (s.kind === "oci") return this.pollOci(s);
    if (s.kind !== "service") return true;
    const headers: Record<string, string> = { ...s.headers, Accept: `${BUNDLE_MEDIA_TYPE}, application/gzip, application/octet-stream` };
    // Ask with the ETag of the last bundle *offered* (even if it failed verification): a rejected bundle is
    // not re-downloaded until the server has a new one.
    if (this.etag) headers["If-None-Match"] = this.etag;
    const wait = this.longPoll && s.longPollSeconds ? s.longPollSeconds : undefined;
    headers.Prefer = wait ? `modes=snapshot;wait=${wait}` : "modes=snapshot";
    this.lastCheckAt = this.now().toISOString();
    this.heldTooBriefly = false;
    const started = performance.now();
    let res: Response;
    try {
      res = await fetch(s.url, { headers, signal: AbortSignal.any([this.abort.signal, AbortSignal.timeout(((wait ?? 0) + 30) * 1000)]) });
    } catch (e) {
      if (this.stopped) return false;
      this.recordFetchFailure(`bundle download failed: ${(e as Error).message}`);
      return false;
    }
    // The server tells us it long-polls by its content type (OPA's isLongPollSupported).
    this.longPoll = !!s.longPollSeconds && res.headers.get("content-type") === BUNDLE_MEDIA_TYPE;
    if (res.status === 304) {
      await res.arrayBuffer().catch(() => {});
      // A long poll answered "no change" in less than half its wait was not held (a server capping or ignoring
      // `wait`): the loop then waits its polling delay instead of asking again at once, which would spin.
      this.heldTooBriefly = !!wait && performance.now() - started < (wait * 1000) / 2;
      return true;
    }
    if (res.status !== 200) {
      await res.arrayBuffer().catch(() => {});
      this.recordFetchFailure(`bundle download failed: HTTP ${res.status}`);
      return false;
    }
    const etag = res.headers.get("etag") ?? undefined;
    const max = this.o.maxBundleBytes ?? MAX_BUNDLE_UNPACKED_BYTES; // compressed can be no larger, sensibly
    let bytes: Awaited<ReturnType<typeof readCapped>>;
    try {
      bytes = await readCapped(res, max);
    } catch (e) {
      this.recordFetchFailure(`bundle download failed while reading the body: ${(e as Error).message}`);
      return false;
    }
    if (etag) this.etag = etag;
    if (!(bytes instanceof Uint8Array)) {
      // Refused like a bad bundle (the same ETag is not fetched again), before it can exhaust memory.
      const size = bytes.declared !== undefined ? `${bytes.declared} bytes exceed the ${max}-byte bundle limit` : `more than ${max} bytes (the bundle limit)`;
      this.recordFetchFailure(`bundle download refused: ${size}`);
      return true;
    }
    await this.offer(bytes, s.url, etag);
    return true;
  }

  /**
   * An OCI source is polled by manifest digest (a HEAD of the tag): the same digest as the last bundle offered —
   * activated or rejected — is not fetched again; a new one is pulled (digest-checked), verified and swapped in,
   * and on any failure the active bundle stays.
   */
  private async pollOci(s: Extract<BundleSourceConfig, { kind: "oci" }>): Promise<boolean> {
    this.lastCheckAt = this.now().toISOString();
    try {
      const { RegistryClient } = await import("../evidence/oci/client.ts");
      const { parseOciReference } = await import("../evidence/oci/reference.ts");
      const { pullBundle } = await import("../policy/oci.ts");
      // A client per poll: no cache of superseded bundles is kept in a long-running gate.
      const client = new RegistryClient({ ...this.o.registry, maxBlobBytes: this.o.maxBundleBytes ?? MAX_BUNDLE_UNPACKED_BYTES });
      const ref = parseOciReference(s.ref, "tag");
      const digest = await client.digestOf(ref, ref.digest ?? ref.tag!);
      if (!digest) {
        this.recordFetchFailure("bundle download failed: the tag is not in the registry (404)");
        return false;
      }
      if (digest === this.etag) return true;
      const pulled = await pullBundle(`oci://${ref.registry}/${ref.repository}@${digest}`, client);
      this.etag = digest;
      await this.offer(pulled.bytes, `${s.ref}@${digest}`, digest);
      return true;
    } catch (e) {
      if (this.stopped) return false;
      this.recordFetchFailure(`bundle download failed: ${asTollgateError(e).oneLine()}`);
      return false;
    }
  }

  private recordFetchFailure(message: string): void {
    const s = this.o.source as Extract<BundleSourceConfig, { kind: "service" | "oci" }>;
    const where = s.kind === "oci" ? s.ref : s.url;
    this.lastFailure = { at: this.now().toISOString(), source: where, code: "policy_unreadable", message };
    this.o.log(`${message} (${where}); ${this.current ? `keeping revision ${JSON.stringify(this.current.revision)} active` : "no bundle active yet"}`);
  }

  /** Deterministic spread in [min, max]: a hash of the instance id, not a random number. */
  private pollDelayMs(): number {
    const s = this.o.source as Extract<BundleSourceConfig, { kind: "service" | "oci" }>;
    const frac = parseInt(sha256Hex(this.o.instanceId).slice(0, 8), 16) / 0xffffffff;
    return s.minDelayMs + (s.maxDelayMs - s.minDelayMs) * frac;
  }

  private async pollLoop(): Promise<void> {
    const s = this.o.source as Extract<BundleSourceConfig, { kind: "service" | "oci" }>;
    let retry = 0;
    while (!this.stopped) {
      const ok = this.longPoll && !this.heldTooBriefly ? true : await this.sleep(retry ? Math.min(s.maxDelayMs, Math.max(s.minDelayMs, 500) * 2 ** Math.min(retry, 10)) : this.pollDelayMs());
      if (!ok || this.stopped) return;
      let answered = false;
      try {
        answered = await this.pollOnce();
      } catch (e) {
        // pollOnce records its own failures; anything else is logged and the loop goes on.
        this.o.log(`bundle poll failed unexpectedly: ${(e as Error)?.message ?? e}`);
      }
      retry = answered ? 0 : retry + 1;
      if (!answered && this.longPoll) this.longPoll = false;
    }
  }

  private sleep(ms: number): Promise<boolean> {
    return new Promise((resolve) => {
      if (this.abort.signal.aborted) return resolve(false);
      const onAbort = () => {
        clearTimeout(t);
        resolve(false);
      };
      const t = setTimeout(() => {
        this.abort.signal.removeEventListener("abort", onAbort);
        resolve(true);
      }, ms);
      this.abort.signal.addEventListener("abort", onAbort, { once: true });
    });
  }
}
