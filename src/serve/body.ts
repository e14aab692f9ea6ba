// Reading an HTTP body with a size limit, for both directions the gate talks HTTP: request bodies it is sent
// and bundles it downloads. The one limited reader (core/limits.ts readLimited) enforces it while reading, so an
// oversized body is never buffered whole.
import { TollgateError } from "../core/errors.ts";
import { InputBudget, readLimited, resolveLimits } from "../core/limits.ts";

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
  if (!msg.body) return new Uint8Array(0);
  try {
    return await readLimited("body", msg.body, new InputBudget(resolveLimits({ maxInputBytes: max, maxTotalBytes: max })));
  } catch (e) {
    if (e instanceof TollgateError && e.code === "limit_exceeded") {
      await msg.body.cancel().catch(() => {});
      return {};
    }
    throw e;
  }
}
