// OPA policy bundles in OCI registries, in the layout OPA's OCI downloader reads and `oras push` writes: an
// image manifest whose config is `application/vnd.oci.image.config.v1+json` and whose one layer
// `application/vnd.oci.image.layer.v1.tar+gzip` is the bundle .tar.gz, byte for byte (so .signatures.json
// inside it travels with it and a pull gives back the exact bytes pushed).
import { TollgateError } from "../core/errors.ts";
import { RegistryClient, type RegistryOptions } from "../evidence/oci/client.ts";
import { OCI_CONFIG, OCI_MANIFEST, OPA_BUNDLE_LAYER, type Descriptor, type ImageManifest } from "../evidence/oci/media-types.ts";
import { formatReference, parseOciReference } from "../evidence/oci/reference.ts";

export interface PulledBundle {
  bytes: Uint8Array;
  /** The manifest's digest: what a poller compares to see whether anything changed. */
  manifestDigest: string;
  layer: Descriptor;
}

const TITLE = "org.opencontainers.image.title";

/** Push a bundle's bytes under `oci://HOST/REPO:TAG`; returns the manifest digest. */
export async function pushBundle(bytes: Uint8Array, target: string, client: RegistryClient, title = "bundle.tar.gz"): Promise<string> {
  const ref = parseOciReference(target, "tag");
  if (!ref.tag) throw new TollgateError("usage", "push to a tag (oci://HOST/REPO:TAG)", target);
  // OPA checks only the layer; oras writes `{}` as the config of a plain push, and so do we.
  const config = new TextEncoder().encode("{}");
  const c = await client.pushBlob(ref, config);
  const l = await client.pushBlob(ref, bytes);
  const manifest: ImageManifest = {
    schemaVersion: 2,
    mediaType: OCI_MANIFEST,
    config: { mediaType: OCI_CONFIG, digest: c.digest, size: c.size },
    layers: [{ mediaType: OPA_BUNDLE_LAYER, digest: l.digest, size: l.size, annotations: { [TITLE]: title } }],
  };
  return client.putManifest(ref, ref.tag, new TextEncoder().encode(JSON.stringify(manifest)), OCI_MANIFEST);
}

/** The bundle under `oci://HOST/REPO:TAG` (or `@sha256:…`): the one tar+gzip layer, digest-checked. */
export async function pullBundle(source: string, client: RegistryClient): Promise<PulledBundle> {
  const ref = parseOciReference(source, "either");
  const m = await client.manifest(ref, ref.digest ?? ref.tag!);
  if (m.isIndex) throw new TollgateError("policy_unreadable", "is an image index, not a bundle manifest", source);
  const layers = ((m.json as unknown as ImageManifest).layers ?? []).filter((d) => d.mediaType === OPA_BUNDLE_LAYER);
  if (layers.length !== 1) {
    throw new TollgateError("policy_unreadable", `a bundle manifest has exactly one ${OPA_BUNDLE_LAYER} layer (found ${layers.length})`, formatReference(ref, m.digest));
  }
  const layer = layers[0]!;
  const bytes = await client.blob(ref, layer.digest, layer.size);
  return { bytes, manifestDigest: m.digest, layer };
}

/** Pull with a client made from options (the CLI's --registry-* flags). */
export async function pullBundleWith(source: string, o: RegistryOptions = {}): Promise<PulledBundle> {
  return pullBundle(source, new RegistryClient(o));
}
