// Reading a file the user named: one message per failure everywhere ("… not found", "… is a directory"),
// never a raw "EISDIR: illegal operation on a directory".
import { readFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { TollgateError, type ErrorCode } from "./errors.ts";

function readFailure(e: unknown, path: string, what: string, code?: ErrorCode): TollgateError {
  const errno = (e as NodeJS.ErrnoException).code;
  const message = errno === "ENOENT" ? `${what} not found`
    : errno === "EISDIR" ? `${what} is a directory, not a file`
    : errno === "EACCES" || errno === "EPERM" ? `${what}: permission denied`
    : `cannot read ${what} (${errno ?? (e as Error).message})`;
  return new TollgateError(code ?? (errno === "ENOENT" ? "not_found" : "unreadable"), message, path, { cause: e });
}

/** The bytes of a file the user named; `what` names it in the message ("public key", "data file"). */
export function readUserFileSync(path: string, what: string, code?: ErrorCode): Uint8Array {
  try {
    return new Uint8Array(readFileSync(path));
  } catch (e) {
    throw readFailure(e, path, what, code);
  }
}

export async function readUserFile(path: string, what: string, code?: ErrorCode): Promise<Uint8Array> {
  try {
    return new Uint8Array(await readFile(path));
  } catch (e) {
    throw readFailure(e, path, what, code);
  }
}
