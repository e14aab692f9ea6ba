// `oci://HOST[:PORT]/REPO(@sha256:HEX|:TAG)`: the registry operands tollgate accepts. Parsing is strict so a
// typo never silently means another registry or repository.
import { TollgateError } from "../../core/errors.ts";

export interface OciReference {
  /** HOST or HOST:PORT, as written (lower-cased host). */
  registry: string;
  /** The repository name (`library/app`, `acme/api`). */
  repository: string;
  /** `sha256:<hex>` when pinned by digest. */
  digest?: string;
  tag?: string;
}

export const OCI_SCHEME = "oci://";

// distribution/reference's grammar for repository path components and tags.
const COMPONENT = /^[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*$/;
const TAG = /^[\w][\w.-]{0,127}$/;
const DIGEST = /^sha256:[0-9a-f]{64}$/;
const HOST = /^(?:\[[0-9a-fA-F:.]+\]|[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*)(?::[0-9]{1,5})?$/;

export function isOciOperand(s: string): boolean {
  return s.startsWith(OCI_SCHEME);
}

/** Parse `oci://…`. `require` says which reference form the caller needs. */
export function parseOciReference(input: string, require: "digest" | "tag" | "either" = "either"): OciReference {
  const bad = (why: string): never => {
    throw new TollgateError("usage", `${why} (want oci://HOST[:PORT]/REPO${require === "tag" ? ":TAG" : require === "digest" ? "@sha256:HEX" : "@sha256:HEX or :TAG"})`, input);
  };
  if (!input.startsWith(OCI_SCHEME)) bad("not an oci:// reference");
  const rest = input.slice(OCI_SCHEME.length);
  const slash = rest.indexOf("/");
  if (slash <= 0) bad("no registry host");
  const registry = rest.slice(0, slash).toLowerCase();
  if (!HOST.test(registry)) bad(`bad registry host ${JSON.stringify(registry)}`);
  let path = rest.slice(slash + 1);
  let digest: string | undefined;
  let tag: string | undefined;
  const at = path.indexOf("@");
  if (at >= 0) {
    digest = path.slice(at + 1);
    path = path.slice(0, at);
    if (!DIGEST.test(digest)) bad(`bad digest ${JSON.stringify(digest)}`);
  }
  const colon = path.lastIndexOf(":");
  if (colon >= 0) {
    tag = path.slice(colon + 1);
    path = path.slice(0, colon);
    if (!TAG.test(tag)) bad(`bad tag ${JSON.stringify(tag)}`);
  }
  if (!path || !path.split("/").every((c) => COMPONENT.test(c))) bad(`bad repository name ${JSON.stringify(path)}`);
  if (require === "digest" && !digest) bad("not pinned by digest");
  if (require === "tag" && !tag && !digest) bad("no tag");
  if (!digest && !tag) tag = "latest";
  return { registry, repository: path, ...(digest ? { digest } : {}), ...(tag ? { tag } : {}) };
}

export function formatReference(r: OciReference, ref: string | undefined = r.digest ?? r.tag): string {
  const sep = ref?.startsWith("sha256:") ? "@" : ":";
  return `${OCI_SCHEME}${r.registry}/${r.repository}${ref ? sep + ref : ""}`;
}

/** Loopback hosts may speak plain HTTP without --allow-http-registry (as docker, cosign and oras allow). */
export function isLoopbackRegistry(registry: string): boolean {
  const host = registry.startsWith("[") ? registry.slice(1, registry.indexOf("]")) : registry.replace(/:\d+$/, "");
  return host === "localhost" || host === "::1" || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}
