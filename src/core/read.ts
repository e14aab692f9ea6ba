// Reading a file the user named: one message per failure everywhere ("… not found", "… is a directory"),
// never a raw "EISDIR: illegal operation on a directory".
import { readFileSync, statSync } from "node:fs";
import { readFile, stat } from "node:fs/promises";
import { DEFAULT_LIMITS } from "./limits.ts";
import { TollgateError, type ErrorCode } from "./errors.ts";

function readFailure(e: unknown, path: string, what: string, code?: ErrorCode): TollgateError {
  const errno = (e as NodeJS.ErrnoException).code;
  const message = errno === "ENOENT" ? `${what} not found`
    : errno === "EISDIR" ? `${what} is a directory, not a file`
    : errno === "EACCES" || errno === "EPERM" ? `${what}: permission denied`
    : `cannot read ${what} (${errno ?? (e as Error).message})`;
  return new TollgateError(code ?? (errno === "ENOENT" ? "not_found" : "unreadable"), message, path, { cause: e });
}

/** Refused by its size before it is read (the per-input cap of src/core/limits.ts). */
function checkSize(size: number, path: string, max: number): void {
  if (size > max) throw new TollgateError("limit_exceeded", `${size} bytes exceeds the ${max / 2 ** 20} MiB a file tollgate reads may hold`, path);
}

/**
 * The bytes of a file the user named; `what` names it in the message ("public key", "data file"). Like every
 * input, at most `max` bytes (default: the per-input cap); a larger file is refused before it is read.
 */
export function readUserFileSync(path: string, what: string, code?: ErrorCode, max = DEFAULT_LIMITS.maxInputBytes): Uint8Array {
  try {
    checkSize(statSync(path).size, path, max);
    return new Uint8Array(readFileSync(path));
  } catch (e) {
    if (e instanceof TollgateError) throw e;
    throw readFailure(e, path, what, code);
  }
}

export async function readUserFile(path: string, what: string, code?: ErrorCode, max = DEFAULT_LIMITS.maxInputBytes): Promise<Uint8Array> {
  try {
    checkSize((await stat(path)).size, path, max);
    return new Uint8Array(await readFile(path));
  } catch (e) {
    if (e instanceof TollgateError) throw e;
    throw readFailure(e, path, what, code);
  }
}
