// Reading an HTTP body with a size limit, for both directions the gate talks HTTP: request bodies it is sent
// and bundles it downloads. The limit is enforced while reading, so an oversized body is never buffered whole.

/**
 * The bytes of `body`, or undefined as soon as they exceed `max` (leaving the loop cancels the stream).
 * A null body is empty.
 */
async function readLimited(body: ReadableStream<Uint8Array> | null, max: number): Promise<Uint8Array | undefined> {
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

/**
 * The body of a request or response of at most `max` bytes; when it is larger, why: `declared` is the
 * Content-Length that exceeded `max` (the body is then not read), absent when the bytes were counted past it.
 */
export async function readCapped(msg: { headers: Headers; body: ReadableStream<Uint8Array> | null }, max: number): Promise<Uint8Array | { declared?: number }> {
  const declared = Number(msg.headers.get("content-length") ?? NaN);
  if (declared > max) {
    await msg.body?.cancel().catch(() => {});
    return { declared };
  }
  return (await readLimited(msg.body, max)) ?? {};
}
