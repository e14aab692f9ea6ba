// Reading an HTTP body with a size limit, for both directions the gate talks HTTP: request bodies it is sent
// and bundles it downloads. The limit is enforced while reading, so an oversized body is never buffered whole.

/**
 * The bytes of `body`, or undefined as soon as they exceed `max` (leaving the loop cancels the stream).
 * A null body is empty.
 */
export async function readLimited(body: ReadableStream<Uint8Array> | null, max: number): Promise<Uint8Array | undefined> {
  if (!body) return new Uint8Array(0);
  const chunks: Uint8Array[] = [];
  let total = 0;
  for await (const chunk of body) {
    total += chunk.byteLength;
    if (total > max) return undefined;
    chunks.push(chunk);
  }
  const out = new Uint8Array(total);
  let off = 0;
  for (const c of chunks) {
    out.set(c, off);
    off += c.byteLength;
  }
  return out;
}
