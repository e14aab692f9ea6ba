// `tollgate test --update URL`: conftest's policy download before testing (runner/test.go: downloader.Download
// into the first -p directory), for OCI registries — the artifacts `conftest push` writes: an image manifest
// whose layers are the policy files (application/vnd.cncf.openpolicyagent.policy.layer.v1+rego) and data files
// (…data.layer.v1+json), each named by its org.opencontainers.image.title annotation. As conftest's OCI getter
// (oras's file store) does, every titled layer is written under the policy directory at its title, after its
// digest is checked; a title that leaves the directory is refused. A URL is OCI when it says oci:// or when
// conftest's detector would take it for a registry (a known registry host, or a loopback host with a port).
// Other go-getter sources (http, git, s3, gcs, file) are refused: tollgate downloads no code from them.
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { basename, dirname, isAbsolute, join, normalize, sep } from "node:path";
import { TollgateError } from "../core/errors.ts";
import { RegistryClient, type RegistryOptions } from "../evidence/oci/client.ts";
import type { ImageManifest } from "../evidence/oci/media-types.ts";
import { formatReference, parseOciReference } from "../evidence/oci/reference.ts";

const TITLE = "org.opencontainers.image.title";

// conftest's OCIDetector (downloader/oci_detector.go)
const KNOWN_REGISTRIES = [/azurecr\.io/, /gcr\.io/, /registry\.gitlab\.com/, /pkg\.dev/, /[0-9]{12}\.dkr\.ecr\.[a-z0-9-]*\.amazonaws\.com/, /^quay\.io/];
const LOCAL_REGISTRY = /(?:::1|127\.0\.0\.1|[lL][oO][cC][aA][lL][hH][oO][sS][tT]):\d{1,5}/;

/** The `oci://HOST/REPO[:TAG|@DIGEST]` an --update URL names, or undefined when it is not an OCI source. */
export function ociUpdateSource(url: string): string | undefined {
  // conftest reads localhost as 127.0.0.1
  const u = url.replaceAll("localhost", "127.0.0.1");
  if (u.startsWith("oci://")) return u;
  if (/^[a-z][a-z0-9+.-]*::/i.test(u) || /^[a-z][a-z0-9+.-]*:\/\//i.test(u)) return undefined; // another getter
  if ((KNOWN_REGISTRIES.some((r) => r.test(u)) || LOCAL_REGISTRY.test(u)) && u.includes("/")) return `oci://${u}`;
  return undefined;
}

/** Download each URL's policy artifact into `dst` (conftest's first -p). Returns the files written. */
export async function updatePolicies(dst: string, urls: readonly string[], registry: RegistryOptions): Promise<string[]> {
  const client = new RegistryClient(registry);
  const written: string[] = [];
  const files: { path: string; bytes: Uint8Array }[] = [];
  for (const url of urls) {
    const source = ociUpdateSource(url);
    if (!source) {
      throw new TollgateError("unsupported", "--update downloads policies from OCI registries only (oci://HOST/REPO:TAG, or HOST:PORT/REPO:TAG); fetch http, git or s3 sources yourself and pass -p", url);
    }
    // conftest refuses to overwrite a file named as the URL's last element
    const target = join(dst, basename(source));
    if (existsSync(target)) throw new TollgateError("usage", `policy file already exists at ${target}, refusing to overwrite`, url);
    const ref = parseOciReference(source, "either");
    const reference = ref.digest ?? ref.tag ?? "latest";
    const m = await client.manifest(ref, reference);
    if (m.isIndex) throw new TollgateError("policy_unreadable", "is an image index, not a policy artifact (conftest push writes an image manifest)", source);
    const layers = ((m.json as unknown as ImageManifest).layers ?? []).filter((d) => typeof d.annotations?.[TITLE] === "string" && d.annotations[TITLE] !== "");
    if (layers.length === 0) throw new TollgateError("policy_unreadable", "the artifact has no titled layers (policy files as conftest push writes them)", formatReference(ref, m.digest));
    for (const layer of layers) {
      const title = layer.annotations![TITLE]!;
      const rel = normalize(title);
      if (isAbsolute(title) || rel === ".." || rel.startsWith(`..${sep}`)) {
        throw new TollgateError("policy_unreadable", `layer title ${JSON.stringify(title)} leaves the policy directory`, formatReference(ref, m.digest));
      }
      files.push({ path: join(dst, rel), bytes: await client.blob(ref, layer.digest, layer.size) });
    }
  }
  // every layer of every URL is fetched and checked before any file is written
  for (const f of files) {
    mkdirSync(dirname(f.path), { recursive: true });
    writeFileSync(f.path, f.bytes);
    written.push(f.path);
  }
  return written;
}
