// A referrer-aware copy (seed 003's I2): an image by digest — every platform of an index — and everything
// attached to it (cosign's .sig/.att/.sbom tags and OCI 1.1 referrers), so a promoted image keeps the evidence
// that let it through. Manifests are copied byte for byte (digests unchanged); `only` copies just the named
// attachments, as `cosign copy --only` does.
import { TollgateError } from "../../core/errors.ts";
import type { RegistryClient } from "./client.ts";
import type { Descriptor, ImageIndex, ImageManifest } from "./media-types.ts";
import { formatReference, type OciReference } from "./reference.ts";
import { attachmentsOf, cosignTag, type Attachment, type AttachmentKind } from "./resolve.ts";

/** Image layers can be large; this bounds what one blob may take in memory while it is copied. */
export const MAX_COPY_BLOB_BYTES = 2 ** 31;

export interface CopyResult {
  digest: string;
  /** Manifests written (image, children, attachment manifests). */
  manifests: number;
  blobs: { present: number; mounted: number; uploaded: number };
  attachments: { kind: AttachmentKind; manifest: string; target: string; tag?: string }[];
}

type Repo = Pick<OciReference, "registry" | "repository">;

export async function copyImage(client: RegistryClient, src: OciReference, dst: Repo & { tag?: string }, o: { only?: readonly AttachmentKind[] } = {}): Promise<CopyResult> {
  if (!src.digest) throw new TollgateError("usage", "the source must be pinned by digest", formatReference(src));
  const result: CopyResult = { digest: src.digest, manifests: 0, blobs: { present: 0, mounted: 0, uploaded: 0 }, attachments: [] };
  const copied = new Set<string>();

  const copyTree = async (digest: string, tag?: string): Promise<void> => {
    const m = await client.manifest(src, digest);
    if (!copied.has(digest)) {
      copied.add(digest);
      if (m.isIndex) {
        for (const child of ((m.json as unknown as ImageIndex).manifests ?? []) as Descriptor[]) await copyTree(child.digest);
      } else {
        const mf = m.json as unknown as ImageManifest;
        for (const b of [mf.config, ...(mf.layers ?? [])].filter((d): d is Descriptor => typeof d?.digest === "string")) {
          result.blobs[await client.copyBlob(src, dst, b, MAX_COPY_BLOB_BYTES)]++;
        }
      }
      await client.putManifest(dst, digest, m.bytes, m.mediaType);
      result.manifests++;
    }
    if (tag) {
      await client.putManifest(dst, tag, m.bytes, m.mediaType);
    }
  };

  const top = await client.manifest(src, src.digest);
  const targets = [src.digest, ...(top.isIndex ? ((top.json as unknown as ImageIndex).manifests ?? []).map((d) => d.digest) : [])];
  if (!o.only) await copyTree(src.digest, dst.tag);

  const attachments: Attachment[] = [];
  for (const t of targets) attachments.push(...(await attachmentsOf(client, src, t, o.only)));
  for (const a of attachments) {
    const tag = a.kind === "referrer" ? undefined : cosignTag(a.target, a.kind);
    await copyTree(a.manifest, tag);
    result.attachments.push({ kind: a.kind, manifest: a.manifest, target: a.target, ...(tag ? { tag } : {}) });
  }
  return result;
}
