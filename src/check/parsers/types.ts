// The contract every input-format parser follows (conftest's parser.Parser): bytes of one file in, the JSON
// document conftest's parser of the same name produces out. Shapes are conftest's, so its policies run
// unchanged: a parser that returns a top-level array (multi-document YAML, a Dockerfile's [[commands]])
// gives the policy engine one document per element, as conftest does.
import { TollgateError } from "../../core/errors.ts";

export interface ParseContext {
  /** The path as the user gave it ("-" for stdin); named in every error. */
  path: string;
  /** Directories of .proto files (conftest's --proto-file-dirs), for textproto. */
  protoFileDirs?: readonly string[];
}

export interface Parser {
  /** conftest's --parser name. */
  readonly name: string;
  /** The document, or a TollgateError (`malformed`) naming the file and the problem. */
  parse(bytes: Uint8Array, ctx: ParseContext): unknown | Promise<unknown>;
}

/** Bad input: one line naming the file, the format and the problem. */
export function malformed(ctx: ParseContext, format: string, problem: string, cause?: unknown): TollgateError {
  const first = problem.split("\n").find((l) => l.trim() !== "")?.trim() ?? "invalid";
  return new TollgateError("malformed", `not valid ${format}: ${first}`, ctx.path, cause === undefined ? undefined : { cause });
}

/** UTF-8 text of the input; a leading byte-order mark is dropped (RFC 8259 §8.1, as conftest's JSON parser). */
export function text(bytes: Uint8Array): string {
  const s = new TextDecoder("utf-8").decode(bytes);
  return s.charCodeAt(0) === 0xfeff ? s.slice(1) : s;
}
