// Where a promotion material's bytes come from, and what is refused. A material's `uri` is a path relative to the
// directory of the statement's file (DSSE envelope or Sigstore bundle):
// - absolute paths, URLs and other scheme'd URIs (`https:`, `file:`, `oci:`, `C:`), network paths (`//host`) and
//   NUL bytes are refused when the predicate is parsed (predicate.schema);
// - a file of this invocation (named on the command line, or found in a directory given) at that path is used as
//   given — including one outside the statement's directory: naming it is the user's consent to read it;
// - otherwise the file is read from disk only when it stays inside the statement's directory: `..` segments are
//   allowed while they do not climb above it (`a/../sbom.json`), `../sbom.json` is refused, and so is a path
//   whose symbolic links lead out of the directory (compared after realpath);
// - and only when the statement itself was read from the file at its path (SourceFile.onDisk, set where the
//   file is read): for a statement from stdin, a gate-service request or a registry blob, nothing is read from
//   the machine tollgate runs on — only files supplied with it count, even when a file at its path has its bytes;
// - every read is bounded: a material is at most the per-input cap, and all of one statement's materials read
//   from disk together at most the total-input cap (src/core/limits.ts).
import { createHash } from "node:crypto";
import { realpathSync, statSync } from "node:fs";
import { dirname, isAbsolute, relative, resolve, sep } from "node:path";
import { TollgateError } from "../../core/errors.ts";
import { InputBudget } from "../../core/limits.ts";
import { readUserFileSync } from "../../core/read.ts";
import type { SourceFile } from "../types.ts";

/** A URI with a scheme (`https:`, `file:`, `oci:`, a drive letter) or a network path: not a relative path. */
const SCHEME = /^([a-zA-Z][a-zA-Z0-9+.-]*:|\/\/|\\\\)/;

/** Why a uri cannot be a material path at all (checked at parse time), or undefined when it can. */
export function uriProblem(uri: string): string | undefined {
  if (uri.includes("\0")) return "contains a NUL byte";
  if (SCHEME.test(uri) || isAbsolute(uri)) return "must be a path relative to the statement's file (absolute paths and URLs are refused)";
  return undefined;
}

/** Where a material's file is: its uri resolved against the directory of the statement's file. */
function materialPath(statementFile: SourceFile, uri: string): string {
  return resolve(dirname(statementFile.path), uri);
}

const inside = (dir: string, path: string): boolean => {
  const rel = relative(dir, path);
  return !(rel === ".." || rel.startsWith(`..${sep}`) || isAbsolute(rel));
};

/** Reads the materials of one statement: the rules above, one budget for all of them. */
export class MaterialReader {
  readonly #budget: InputBudget;
  constructor(readonly statement: SourceFile, readonly all: readonly SourceFile[]) {
    this.#budget = new InputBudget(statement.limits);
  }

  /** The given file of this invocation at the material's path, if any. */
  given(uri: string): SourceFile | undefined {
    const path = materialPath(this.statement, uri);
    return this.all.find((f) => f !== this.statement && resolve(f.path) === path);
  }

  /** The material's digest under `algo`, hashed from its bytes. Throws TollgateError naming what was refused. */
  hash(uri: string, algo: string): string {
    const h = createHash(algo);
    const given = this.given(uri);
    if (given) {
      for (const c of given.chunks()) h.update(c);
      return h.digest("hex");
    }
    const dir = resolve(dirname(this.statement.path));
    const path = materialPath(this.statement, uri);
    if (!inside(dir, path)) {
      throw new TollgateError("unsupported", `${path} is outside the statement's directory ${dir} (name the file on the command line to use it)`, path);
    }
    if (!this.statement.onDisk) {
      throw new TollgateError("not_found", `not supplied: the statement is not a file on disk, so only files given with it are read`, path);
    }
    let real: string | undefined;
    try {
      real = realpathSync(path);
    } catch {
      real = undefined; // not there (or unreadable): readUserFileSync below says which
    }
    if (real !== undefined && !inside(realpathSync(dir), real)) {
      throw new TollgateError("unsupported", `${path} is a symbolic link to ${real}, outside the statement's directory (name the file on the command line to use it)`, path);
    }
    let size = 0;
    try {
      size = statSync(path).size;
    } catch {
      // readUserFileSync names the problem
    }
    this.#budget.admit(path, size);
    const bytes = readUserFileSync(path, "promotion material", "unreadable", this.statement.limits.maxInputBytes);
    this.#budget.take(path, bytes.byteLength, bytes.byteLength);
    return h.update(bytes).digest("hex");
  }
}
