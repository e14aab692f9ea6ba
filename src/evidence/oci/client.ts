// A registry client written to the OCI distribution spec v1.1 (pull, push, referrers with the tag-schema
// fallback) with the token auth spec. Network happens only here, at the boundary: whatever it returns has had
// its digest checked against the one asked for, and sizes capped, before anyone parses it.
//
// Why not a library: @sigstore/oci only attaches artifacts (push), reads `auths` alone (no credsStore or
// credHelpers), cannot list referrers or pull, and brings make-fetch-happen; there is no maintained JS
// distribution-spec client for pull + referrers. So this file keeps to the specs and nothing more.
import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { sha256Hex } from "../../core/digest.ts";
import { TollgateError } from "../../core/errors.ts";
import { readUserFileSync } from "../../core/read.ts";
import { readLimited, type InputBudget } from "../../core/limits.ts";
import { lazy } from "../../core/lazy.ts";
import { basicHeader, credentialFor, dockerConfigPath, loadDockerConfig, parseChallenge, type Credential, type DockerConfig } from "./auth.ts";
import { INDEX_TYPES, MANIFEST_TYPES, OCI_INDEX, type Descriptor, type ImageIndex } from "./media-types.ts";
import { formatReference, isLoopbackRegistry, type OciReference } from "./reference.ts";

// node:tls only for its CA lists, when a registry is reached over TLS with extra CAs (not at every cold start).
const tls = lazy(() => require("node:tls") as typeof import("node:tls"));

/** distribution's own limit on a manifest (4 MiB); a larger one is refused before it is read. */
export const MAX_MANIFEST_BYTES = 4 << 20;
/** Evidence blobs and policy bundles: far above any real attestation, SBOM or bundle, far below memory. */
export const MAX_BLOB_BYTES = 64 << 20;

export interface RegistryOptions {
  /** A docker config.json (`--registry-config`); `$DOCKER_CONFIG/config.json` or `~/.docker/config.json` otherwise. */
  registryConfig?: string;
  /** Extra PEM CA files trusted besides the system's (`--registry-ca`). */
  caFiles?: readonly string[];
  /** Plain HTTP to non-loopback registries (`--allow-http-registry`). Loopback may always fall back to HTTP. */
  allowHttp?: boolean;
  /** A directory of content-addressed blobs and manifests kept between runs (`--registry-cache`). */
  cacheDir?: string;
  maxManifestBytes?: number;
  maxBlobBytes?: number;
  /** Retries after a 429 or 5xx (default 3), waiting 250 ms, 500 ms, 1 s… or the server's Retry-After (≤ 5 s). */
  retries?: number;
  /** The run's input budget (src/core/limits.ts): evidence blobs count against it like files and stdin do. */
  budget?: InputBudget;
}

export interface Fetched {
  bytes: Uint8Array;
  /** `sha256:<hex>` of the bytes (checked against the requested or advertised digest). */
  digest: string;
  mediaType: string;
}

export interface ParsedManifest extends Fetched {
  json: Record<string, unknown>;
  isIndex: boolean;
}

type Repo = Pick<OciReference, "registry" | "repository">;

interface RequestInit2 {
  method?: string;
  headers?: Record<string, string>;
  body?: Uint8Array;
  /** `pull` or `pull,push`; `from` adds a pull scope on another repository (cross-repository mount). */
  actions: "pull" | "pull,push";
  from?: string;
  /** Statuses that are answers, not errors (404 for "no such tag"). */
  accept?: number[];
}

export class RegistryClient {
  private readonly config: DockerConfig;
  private readonly configSource: string;
  private readonly ca: string[] | undefined;
  private readonly schemes = new Map<string, Promise<string>>();
  private readonly tokens = new Map<string, string>();
  private readonly basic = new Set<string>();
  private readonly creds = new Map<string, Credential | undefined>();
  private readonly memory = new Map<string, Uint8Array>();
  readonly maxManifestBytes: number;
  readonly maxBlobBytes: number;

  constructor(private readonly o: RegistryOptions = {}) {
    const path = dockerConfigPath(o.registryConfig);
    this.configSource = path ?? "registry config";
    this.config = loadDockerConfig(path, o.registryConfig !== undefined);
    this.ca = o.caFiles?.length
      ? [...tls().getCACertificates("system"), ...tls().getCACertificates("bundled"), ...o.caFiles.map((f) => new TextDecoder().decode(readUserFileSync(f, "registry CA file")))]
      : undefined;
    this.maxManifestBytes = o.maxManifestBytes ?? MAX_MANIFEST_BYTES;
    this.maxBlobBytes = o.maxBlobBytes ?? MAX_BLOB_BYTES;
  }

  // ---- pull ----

  /** A manifest by tag or digest. By digest, the bytes must hash to it; by tag, to the registry's header. */
  async manifest(repo: Repo, reference: string): Promise<ParsedManifest> {
    const where = formatReference(repo as OciReference, reference);
    const byDigest = reference.startsWith("sha256:");
    let bytes = byDigest ? this.cached(reference) : undefined;
    let mediaType: string | undefined;
    let headerDigest: string | undefined;
    if (!bytes) {
      const res = await this.request(repo, `/manifests/${reference}`, { actions: "pull", headers: { accept: MANIFEST_TYPES.join(", ") } }, where);
      bytes = await readCapped(res, this.maxManifestBytes, where, "manifest");
      mediaType = res.headers.get("content-type")?.split(";")[0]?.trim();
      headerDigest = res.headers.get("docker-content-digest") ?? undefined;
    }
    const digest = `sha256:${sha256Hex(bytes)}`;
    const expected = byDigest ? reference : headerDigest?.startsWith("sha256:") ? headerDigest : undefined;
    if (expected && expected !== digest) throw new TollgateError("digest_mismatch", `manifest digest mismatch: asked for ${expected}, got bytes hashing to ${digest}`, where);
    let json: Record<string, unknown>;
    try {
      const v = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes)) as unknown;
      if (typeof v !== "object" || v === null || Array.isArray(v)) throw new Error("not a JSON object");
      json = v as Record<string, unknown>;
    } catch (e) {
      throw new TollgateError("malformed", `manifest is not JSON: ${(e as Error).message}`, where);
    }
    if (json.schemaVersion !== 2) throw new TollgateError("unsupported", `manifest schemaVersion ${JSON.stringify(json.schemaVersion)} (want 2)`, where);
    // The document's own mediaType wins over a registry's Content-Type guess; they must not disagree.
    const declared = typeof json.mediaType === "string" ? json.mediaType : undefined;
    const type = declared ?? mediaType ?? (Array.isArray(json.manifests) ? OCI_INDEX : MANIFEST_TYPES[0]);
    if (!(MANIFEST_TYPES as readonly string[]).includes(type)) throw new TollgateError("unsupported", `manifest media type ${type} is not an OCI or Docker v2 manifest or index`, where);
    if (byDigest) this.remember(digest, bytes);
    return { bytes, digest, mediaType: type, json, isIndex: INDEX_TYPES.includes(type) || Array.isArray(json.manifests) };
  }

  /** What a tag (or digest) points at now: the manifest digest from a HEAD, without fetching the manifest. */
  async digestOf(repo: Repo, reference: string): Promise<string | undefined> {
    const where = formatReference(repo as OciReference, reference);
    const res = await this.request(repo, `/manifests/${reference}`, { method: "HEAD", actions: "pull", accept: [404], headers: { accept: MANIFEST_TYPES.join(", ") } }, where);
    if (res.status === 404) return undefined;
    const d = res.headers.get("docker-content-digest");
    return d && /^sha256:[0-9a-f]{64}$/.test(d) ? d : (await this.manifest(repo, reference)).digest;
  }

  /** A manifest that may not exist: undefined on 404 (a cosign tag with nothing pushed under it). */
  async manifestIfExists(repo: Repo, reference: string): Promise<ParsedManifest | undefined> {
    if (reference.startsWith("sha256:") && this.cached(reference)) return this.manifest(repo, reference);
    const where = formatReference(repo as OciReference, reference);
    const res = await this.request(repo, `/manifests/${reference}`, { method: "HEAD", actions: "pull", accept: [404], headers: { accept: MANIFEST_TYPES.join(", ") } }, where);
    if (res.status === 404) return undefined;
    const d = res.headers.get("docker-content-digest");
    // Resolve the tag to its digest once, then fetch (or reuse) the content-addressed manifest.
    return this.manifest(repo, d && /^sha256:[0-9a-f]{64}$/.test(d) ? d : reference);
  }

  /** A blob by digest: capped, hashed, then returned. */
  async blob(repo: Repo, digest: string, size?: number, max = this.maxBlobBytes): Promise<Uint8Array> {
    const where = formatReference(repo as OciReference, digest);
    if (!/^sha256:[0-9a-f]{64}$/.test(digest)) throw new TollgateError("unsupported", `blob digest ${digest} is not sha256`, where);
    if (size !== undefined && size > max) throw new TollgateError("limit_exceeded", `blob is ${size} bytes, over the ${max}-byte limit`, where);
    // Evidence blobs (the default cap) go through the run's one limited reader; copies use their own cap.
    const budget = max === this.maxBlobBytes ? this.o.budget : undefined;
    const hit = this.cached(digest);
    if (hit) {
      budget?.admit(where, hit.length);
      budget?.take(where, hit.length, hit.length);
      return hit;
    }
    const res = await this.request(repo, `/blobs/${digest}`, { actions: "pull" }, where);
    const declared = Number(res.headers.get("content-length"));
    const bytes = budget && res.body
      ? await readLimited(where, res.body, budget, Number.isFinite(declared) && res.headers.has("content-length") ? declared : size)
      : await readCapped(res, max, where, "blob");
    const got = `sha256:${sha256Hex(bytes)}`;
    if (got !== digest) throw new TollgateError("digest_mismatch", `blob digest mismatch: asked for ${digest}, got bytes hashing to ${got}`, where);
    if (size !== undefined && bytes.length !== size) throw new TollgateError("digest_mismatch", `blob is ${bytes.length} bytes, its descriptor says ${size}`, where);
    this.remember(digest, bytes);
    return bytes;
  }

  /**
   * The referrers of a manifest (OCI 1.1): the referrers API when the registry has it, else the referrers
   * tag schema (`sha256-<hex>`, an index pushed by clients). With `artifactType`, only referrers whose manifest
   * says that type: the list is asked for unfiltered and each candidate's manifest (digest-checked) decides,
   * because registries derive the descriptor's artifactType differently — go-containerregistry's registry
   * reports the config's media type, so its server-side `?artifactType=` filter drops what oras and cosign attach.
   */
  async referrers(repo: Repo, digest: string, artifactType?: string): Promise<Descriptor[]> {
    const where = formatReference(repo as OciReference, digest);
    const res = await this.request(repo, `/referrers/${digest}`, { actions: "pull", accept: [404, 400, 405], headers: { accept: OCI_INDEX } }, where);
    let index: ImageIndex | undefined;
    if (res.ok) {
      index = parseIndex(await readCapped(res, this.maxManifestBytes, where, "referrers index"), where);
      // The spec lets a registry paginate with `Link: <…>; rel="next"`; every page is read (bounded).
      let next = nextLink(res.headers.get("link"));
      for (let page = 1; next && page < 100; page++) {
        const base = await this.base(repo.registry);
        const url = new URL(next, base);
        if (url.origin !== new URL(base).origin) throw new TollgateError("unreadable", `referrers page link leaves the registry (${url.origin})`, where);
        const r = await this.request(repo, url.toString(), { actions: "pull", headers: { accept: OCI_INDEX } }, where);
        index.manifests.push(...parseIndex(await readCapped(r, this.maxManifestBytes, where, "referrers index"), where).manifests);
        next = nextLink(r.headers.get("link"));
      }
    } else {
      await res.body?.cancel();
      const fallback = await this.manifestIfExists(repo, referrersTag(digest));
      if (fallback) index = fallback.json as unknown as ImageIndex;
    }
    const list = (index?.manifests ?? []).filter(isDescriptor);
    if (!artifactType) return list;
    const out: Descriptor[] = [];
    for (const d of list) {
      const m = await this.manifest(repo, d.digest);
      const t = artifactTypeOf(m.json as { artifactType?: string; config?: Descriptor });
      if (t === artifactType) out.push({ ...d, artifactType: t });
    }
    return out;
  }

  // ---- push ----

  /**
   * Copy a blob between repositories: nothing when the target has it, a cross-repository mount on the same
   * registry, else download (digest-checked) and upload. Image layers may be larger than evidence: `max`.
   */
  async copyBlob(from: Repo, to: Repo, desc: Descriptor, max: number): Promise<"present" | "mounted" | "uploaded"> {
    if (await this.hasBlob(to, desc.digest)) return "present";
    if (from.registry === to.registry) {
      const where = formatReference(to as OciReference, desc.digest);
      const m = await this.request(to, `/blobs/uploads/?mount=${desc.digest}&from=${encodeURIComponent(from.repository)}`, { method: "POST", actions: "pull,push", from: from.repository }, where);
      await m.body?.cancel();
      if (m.status === 201) return "mounted";
    }
    await this.pushBlob(to, await this.blob(from, desc.digest, desc.size, max));
    return "uploaded";
  }

  async hasBlob(repo: Repo, digest: string): Promise<boolean> {
    const where = formatReference(repo as OciReference, digest);
    const res = await this.request(repo, `/blobs/${digest}`, { method: "HEAD", actions: "pull,push", accept: [404] }, where);
    return res.ok;
  }

  /** Upload a blob unless the repository has it; `from` mounts it from another repository of the same registry. */
  async pushBlob(repo: Repo, bytes: Uint8Array, from?: string): Promise<{ digest: string; size: number }> {
    const digest = `sha256:${sha256Hex(bytes)}`;
    const where = formatReference(repo as OciReference, digest);
    if (!(await this.hasBlob(repo, digest))) {
      let location: string | undefined;
      if (from && from !== repo.repository) {
        const m = await this.request(repo, `/blobs/uploads/?mount=${digest}&from=${encodeURIComponent(from)}`, { method: "POST", actions: "pull,push", from }, where);
        if (m.status === 201) return { digest, size: bytes.length };
        location = m.headers.get("location") ?? undefined; // 202: mount refused, upload instead
      }
      if (!location) {
        const start = await this.request(repo, `/blobs/uploads/`, { method: "POST", actions: "pull,push" }, where);
        location = start.headers.get("location") ?? undefined;
      }
      if (!location) throw new TollgateError("unreadable", "registry started an upload without a Location", where);
      const url = new URL(location, await this.base(repo.registry));
      url.searchParams.set("digest", digest);
      await this.request(repo, url.toString(), { method: "PUT", actions: "pull,push", body: bytes, headers: { "content-type": "application/octet-stream" } }, where);
    }
    return { digest, size: bytes.length };
  }

  /**
   * PUT a manifest under a tag or its digest. When it has a `subject` and the registry answers without
   * `OCI-Subject` (no referrers API), the referrers tag schema index is updated as the spec asks of clients.
   */
  async putManifest(repo: Repo, reference: string, bytes: Uint8Array, mediaType: string): Promise<string> {
    const digest = `sha256:${sha256Hex(bytes)}`;
    const where = formatReference(repo as OciReference, reference);
    const res = await this.request(repo, `/manifests/${reference}`, { method: "PUT", actions: "pull,push", body: bytes, headers: { "content-type": mediaType } }, where);
    const d = res.headers.get("docker-content-digest");
    if (d && d !== digest) throw new TollgateError("digest_mismatch", `registry stored the manifest as ${d}, expected ${digest}`, where);
    const m = JSON.parse(new TextDecoder().decode(bytes)) as { subject?: Descriptor; artifactType?: string; config?: Descriptor; annotations?: Record<string, string> };
    if (m.subject && !res.headers.get("oci-subject")) await this.addToReferrersTag(repo, m.subject.digest, { mediaType, digest, size: bytes.length, ...(artifactTypeOf(m) ? { artifactType: artifactTypeOf(m)! } : {}), ...(m.annotations ? { annotations: m.annotations } : {}) });
    this.remember(digest, bytes);
    return digest;
  }

  private async addToReferrersTag(repo: Repo, subject: string, desc: Descriptor): Promise<void> {
    const tag = referrersTag(subject);
    const current = await this.manifestIfExists(repo, tag);
    const manifests = ((current?.json.manifests as Descriptor[] | undefined) ?? []).filter((x) => x.digest !== desc.digest);
    manifests.push(desc);
    const index: ImageIndex = { schemaVersion: 2, mediaType: OCI_INDEX, manifests };
    const res = await this.request(repo, `/manifests/${tag}`, { method: "PUT", actions: "pull,push", body: new TextEncoder().encode(JSON.stringify(index)), headers: { "content-type": OCI_INDEX } }, formatReference(repo as OciReference, tag));
    await res.body?.cancel();
  }

  // ---- transport ----

  private cached(digest: string): Uint8Array | undefined {
    const m = this.memory.get(digest);
    if (m) return m;
    if (!this.o.cacheDir) return undefined;
    try {
      const b = new Uint8Array(readFileSync(join(this.o.cacheDir, "sha256", digest.slice(7))));
      // The cache is trusted no more than the network: a file that no longer hashes right is ignored.
      if (`sha256:${sha256Hex(b)}` !== digest) return undefined;
      this.memory.set(digest, b);
      return b;
    } catch {
      return undefined;
    }
  }

  private remember(digest: string, bytes: Uint8Array): void {
    this.memory.set(digest, bytes);
    if (!this.o.cacheDir) return;
    try {
      const dir = join(this.o.cacheDir, "sha256");
      mkdirSync(dir, { recursive: true });
      const tmp = join(dir, `.${digest.slice(7)}.${process.pid}`);
      writeFileSync(tmp, bytes);
      renameSync(tmp, join(dir, digest.slice(7)));
    } catch {
      // A cache that cannot be written only costs a refetch.
    }
  }

  /** `https://host`, or `http://host` when the registry is loopback (or allowed) and does not speak TLS. */
  private base(registry: string): Promise<string> {
    let p = this.schemes.get(registry);
    if (!p) {
      p = (async () => {
        const https = `https://${registry}`;
        const httpOk = this.o.allowHttp || isLoopbackRegistry(registry);
        try {
          const r = await this.send(`${https}/v2/`, { method: "GET", headers: {} });
          await r.body?.cancel();
          return https;
        } catch (e) {
          const code = (e as { code?: string }).code;
          if (httpOk && (code === "EPROTO" || /TLS handshake|wrong version|ERR_SSL/i.test(String((e as Error).message)))) return `http://${registry}`;
          throw transportError(e, `oci://${registry}`, httpOk);
        }
      })();
      this.schemes.set(registry, p);
      p.catch(() => this.schemes.delete(registry));
    }
    return p;
  }

  private send(url: string, init: { method: string; headers: Record<string, string>; body?: Uint8Array }): Promise<Response> {
    return fetch(url, { method: init.method, headers: init.headers, ...(init.body ? { body: init.body } : {}), redirect: "manual", ...(this.ca ? { tls: { ca: this.ca } } : {}) } as RequestInit);
  }

  private credential(registry: string): Credential | undefined {
    if (!this.creds.has(registry)) this.creds.set(registry, credentialFor(this.config, registry, this.configSource));
    return this.creds.get(registry);
  }

  private scopeOf(repo: Repo, init: RequestInit2): string {
    return `repository:${repo.repository}:${init.actions}${init.from ? ` repository:${init.from}:pull` : ""}`;
  }

  /** One request with auth, redirects, retries; non-accepted failures become one-line TollgateErrors. */
  async request(repo: Repo, pathOrUrl: string, init: RequestInit2, where: string): Promise<Response> {
    const base = await this.base(repo.registry);
    let url = pathOrUrl.startsWith("http") ? pathOrUrl : `${base}/v2/${repo.repository}${pathOrUrl}`;
    const scope = this.scopeOf(repo, init);
    const method = init.method ?? "GET";
    let authTried = false;
    for (let attempt = 0, redirects = 0; ; ) {
      const headers: Record<string, string> = { "user-agent": "tollgate", ...init.headers };
      const sameOrigin = new URL(url).origin === new URL(base).origin;
      if (sameOrigin) {
        const token = this.tokens.get(`${repo.registry} ${scope}`);
        if (token) headers.authorization = `Bearer ${token}`;
        else if (this.basic.has(repo.registry)) headers.authorization = basicHeader(this.credential(repo.registry)!);
      }
      let res: Response;
      try {
        res = await this.send(url, { method, headers, ...(init.body ? { body: init.body } : {}) });
      } catch (e) {
        if (attempt < (this.o.retries ?? 3) && (e as { code?: string }).code === "ECONNRESET") {
          await sleep(250 << attempt++);
          continue;
        }
        throw transportError(e, where, true);
      }
      if (res.status >= 300 && res.status < 400 && res.headers.get("location") && redirects++ < 5) {
        await res.body?.cancel();
        url = new URL(res.headers.get("location")!, url).toString();
        continue;
      }
      if (res.status === 401 && sameOrigin && !authTried) {
        authTried = true;
        const challenge = parseChallenge(res.headers.get("www-authenticate") ?? "");
        await res.body?.cancel();
        await this.authenticate(repo.registry, scope, challenge, where);
        continue;
      }
      if ((res.status === 429 || res.status >= 500) && attempt < (this.o.retries ?? 3)) {
        const after = Number(res.headers.get("retry-after"));
        await res.body?.cancel();
        await sleep(Number.isFinite(after) && after > 0 ? Math.min(after * 1000, 5000) : 250 << attempt);
        attempt++;
        continue;
      }
      if (res.ok || init.accept?.includes(res.status)) return res;
      throw await statusError(res, where, method, this.credential(repo.registry) !== undefined);
    }
  }

  private async authenticate(registry: string, scope: string, challenge: ReturnType<typeof parseChallenge>, where: string): Promise<void> {
    const cred = this.credential(registry);
    if (challenge?.scheme === "basic") {
      if (!cred || cred.username === undefined) throw new TollgateError("unreadable", `registry requires authentication (401, Basic) and no credentials were found for ${registry} (docker login, or --registry-config)`, where);
      this.basic.add(registry);
      return;
    }
    if (challenge?.scheme !== "bearer" || !challenge.params.realm) {
      throw new TollgateError("unreadable", `registry answered 401 without a Bearer or Basic challenge`, where);
    }
    if (cred?.registryToken) {
      this.tokens.set(`${registry} ${scope}`, cred.registryToken);
      return;
    }
    const realm = realmURL(challenge.params.realm, registry, await this.base(registry), where);
    const service = challenge.params.service;
    const scopes = scope.split(" ");
    let res: Response;
    try {
      if (cred?.identityToken) {
        // OAuth2 refresh-token grant (docker's identity token), per the token auth spec's oauth section.
        const form = new URLSearchParams({ grant_type: "refresh_token", refresh_token: cred.identityToken, client_id: "tollgate", ...(service ? { service } : {}), scope: scopes.join(" ") });
        res = await this.send(realm.toString(), { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: new TextEncoder().encode(form.toString()) });
      } else {
        if (service) realm.searchParams.set("service", service);
        for (const s of scopes) realm.searchParams.append("scope", s);
        res = await this.send(realm.toString(), { method: "GET", headers: cred?.username !== undefined ? { authorization: basicHeader(cred) } : {} });
      }
    } catch (e) {
      throw transportError(e, `${where} (token realm ${realm.origin})`, true);
    }
    if (!res.ok) {
      await res.body?.cancel();
      throw new TollgateError("unreadable", `token realm ${realm.origin}${realm.pathname} refused a token (${res.status})${cred ? "" : `; no credentials were found for ${registry} (docker login, or --registry-config)`}`, where);
    }
    let body: { token?: unknown; access_token?: unknown };
    try {
      body = JSON.parse(new TextDecoder().decode(await readCapped(res, 1 << 20, where, "token response")));
    } catch {
      throw new TollgateError("malformed", `token realm ${realm.origin} did not answer JSON`, where);
    }
    const token = typeof body.token === "string" ? body.token : typeof body.access_token === "string" ? body.access_token : undefined;
    if (!token) throw new TollgateError("malformed", `token realm ${realm.origin} answered without a token`, where);
    this.tokens.set(`${registry} ${scope}`, token);
  }
}

/**
 * A realm a registry sends us to, checked as go-containerregistry checks it (its #2258): HTTPS, or HTTP only
 * when the registry itself is spoken to over HTTP; and never a private, loopback or link-local IP literal (the
 * cloud metadata service) unless it is the registry's own host:port — a registry must not steer our
 * credentials, or a request, into the local network.
 */
export function realmURL(realm: string, registry: string, base: string, where: string): URL {
  let u: URL;
  try {
    u = new URL(realm);
  } catch {
    throw new TollgateError("unreadable", `registry sent an invalid token realm ${JSON.stringify(realm)}`, where);
  }
  if (u.protocol !== "https:" && !(u.protocol === "http:" && base.startsWith("http:"))) {
    throw new TollgateError("unreadable", `token realm ${u.origin} is not HTTPS (allowed only for a registry spoken to over plain HTTP)`, where);
  }
  if (u.host !== registry && isPrivateAddress(u.hostname)) {
    throw new TollgateError("unreadable", `token realm host ${u.hostname} is a private, loopback or link-local address other than the registry's`, where);
  }
  return u;
}

function isPrivateAddress(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, "").toLowerCase();
  const v4 = /^(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(h);
  if (v4) {
    const [a, b] = [Number(v4[1]), Number(v4[2])];
    return a === 127 || a === 10 || a === 0 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168) || (a === 169 && b === 254) || (a === 100 && b >= 64 && b <= 127);
  }
  if (h.includes(":")) return h === "::1" || h === "::" || /^f[cd]/.test(h) || /^fe[89ab]/.test(h) || h.startsWith("::ffff:");
  return false;
}

/** The referrers tag schema: `<alg>-<hex>` (the spec's fallback when there is no referrers API). */
export function referrersTag(digest: string): string {
  return digest.replace(":", "-");
}

/** The image spec's rule: a manifest's artifactType, else its config's media type. */
export function artifactTypeOf(m: { artifactType?: string; config?: Descriptor }): string | undefined {
  return m.artifactType ?? m.config?.mediaType;
}

/** RFC 8288: the target of `rel="next"` in a Link header. */
function nextLink(header: string | null): string | undefined {
  for (const part of header?.split(",") ?? []) {
    const m = /<([^>]*)>\s*;(.*)$/.exec(part.trim());
    if (m && /(^|;)\s*rel="?next"?\s*(;|$)/i.test(m[2]!)) return m[1];
  }
  return undefined;
}

function isDescriptor(d: unknown): d is Descriptor {
  const o = d as Descriptor;
  return typeof o === "object" && o !== null && typeof o.digest === "string" && typeof o.mediaType === "string" && typeof o.size === "number";
}

function parseIndex(bytes: Uint8Array, where: string): ImageIndex {
  try {
    const v = JSON.parse(new TextDecoder().decode(bytes)) as ImageIndex;
    if (!Array.isArray(v.manifests)) throw new Error("no manifests array");
    return v;
  } catch (e) {
    throw new TollgateError("malformed", `referrers response is not an image index: ${(e as Error).message}`, where);
  }
}

/** Read a body up to `max` bytes; a Content-Length or a stream over the cap is refused, not truncated. */
export async function readCapped(res: Response, max: number, where: string, what: string): Promise<Uint8Array> {
  const declared = Number(res.headers.get("content-length"));
  if (Number.isFinite(declared) && declared > max) {
    await res.body?.cancel();
    throw new TollgateError("limit_exceeded", `${what} is ${declared} bytes, over the ${max}-byte limit`, where);
  }
  if (!res.body) return new Uint8Array();
  const chunks: Uint8Array[] = [];
  let n = 0;
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
    n += chunk.length;
    if (n > max) {
      await res.body.cancel().catch(() => {});
      throw new TollgateError("limit_exceeded", `${what} is over the ${max}-byte limit`, where);
    }
    chunks.push(chunk);
  }
  const out = new Uint8Array(n);
  let off = 0;
  for (const c of chunks) {
    out.set(c, off);
    off += c.length;
  }
  return out;
}

function transportError(e: unknown, where: string, httpTried: boolean): TollgateError {
  const code = (e as { code?: string }).code;
  const msg = String((e as Error)?.message ?? e).split("\n")[0] ?? "";
  if (code === "EPROTO" && !httpTried) return new TollgateError("unreadable", "registry does not speak TLS; plain HTTP is only used for loopback registries or with --allow-http-registry", where);
  if (code === "ECONNREFUSED" || code === "ConnectionRefused") return new TollgateError("unreadable", "registry unreachable (connection refused)", where);
  if (code === "ENOTFOUND" || /getaddrinfo|DNS/i.test(msg)) return new TollgateError("unreadable", "registry unreachable (host not found)", where);
  if (/certificate|self.signed|CERT_|UNABLE_TO_VERIFY/i.test(msg + (code ?? ""))) return new TollgateError("unreadable", `registry TLS certificate not trusted (${code ?? msg}); give its CA with --registry-ca FILE`, where);
  return new TollgateError("unreadable", `registry unreachable (${code ?? msg})`, where);
}

async function statusError(res: Response, where: string, method: string, hadCreds: boolean): Promise<TollgateError> {
  let detail = "";
  try {
    const text = new TextDecoder().decode(await readCapped(res, 64 << 10, where, "error body"));
    const v = JSON.parse(text) as { errors?: { code?: string; message?: string }[] };
    const e = v.errors?.[0];
    if (e) detail = `: ${e.code ?? ""}${e.message ? ` ${e.message}` : ""}`;
  } catch {
    // no spec error body
  }
  if (res.status === 401 || res.status === 403) {
    return new TollgateError("unreadable", `registry denied ${method} (${res.status})${detail}${hadCreds ? "" : "; no credentials were found (docker login, or --registry-config)"}`, where);
  }
  if (res.status === 404) return new TollgateError("not_found", `not found in the registry (404)${detail}`, where);
  return new TollgateError("unreadable", `registry answered ${res.status} to ${method}${detail}`, where);
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
