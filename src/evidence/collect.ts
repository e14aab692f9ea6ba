// The pipeline driver: paths → files → (detect, parse, verify, normalize) → records + errors.
// One direction only. A file that cannot become evidence becomes an InputError; nothing is dropped silently.
import { readdir, stat } from "node:fs/promises";
import { join } from "node:path";
import { asTollgateError, TollgateError } from "../core/errors.ts";
import { evidenceKinds } from "./registry.ts";
import { InputBudget, readLimited } from "../core/limits.ts";
import { evidenceFromBytes, readEvidenceFile } from "./source.ts";
import type { EvidenceKind, EvidenceRecord, InputError, SourceFile, VerifyContext } from "./types.ts";

/** Directories never walked: VCS metadata and dependency trees are not evidence. */
const SKIP_DIRS = new Set([".git", "node_modules", ".hg", ".svn"]);

export interface ReadResult {
  files: SourceFile[];
  errors: InputError[];
}

/**
 * Read every PATH (file, directory walked recursively, or `-` for stdin) within the limits of `budget`: each
 * file's size is checked against the per-input and total caps before a byte of it is read, stdin is counted
 * while it streams, and every JSON-looking input's nesting is measured as it is read. A cap hit is thrown
 * (limit_exceeded, naming the file and the limit: exit 2), never turned into evidence. A PATH that does not
 * exist is a usage error (exit 2): the caller named something that is not there. A file that exists but cannot
 * be read is an input error (the gate fails closed on it).
 */
export async function readEvidencePaths(
  paths: readonly string[],
  stdin?: () => AsyncIterable<Uint8Array> | ReadableStream<Uint8Array>,
  budget: InputBudget = new InputBudget(),
): Promise<ReadResult> {
  const files: SourceFile[] = [];
  const errors: InputError[] = [];
  for (const p of paths) {
    if (p === "-") {
      if (!stdin) throw new TollgateError("usage", "reading evidence from stdin is not available here");
      files.push(evidenceFromBytes("<stdin>", await readLimited("<stdin>", stdin(), budget), true, budget.limits));
      continue;
    }
    let st;
    try {
      st = await stat(p);
    } catch {
      throw new TollgateError("not_found", "no such file or directory", p);
    }
    if (st.isDirectory()) await walk(p, files, errors, budget);
    else await readOne(p, st.size, true, files, errors, budget);
  }
  return { files, errors };
}

async function walk(dir: string, files: SourceFile[], errors: InputError[], budget: InputBudget): Promise<void> {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (e) {
    errors.push({ source: dir, code: "unreadable", message: `cannot list directory (${(e as NodeJS.ErrnoException).code ?? e})` });
    return;
  }
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)); // deterministic order
  for (const e of entries) {
    const p = join(dir, e.name);
    if (e.isDirectory()) {
      if (!SKIP_DIRS.has(e.name)) await walk(p, files, errors, budget);
    } else if (e.isFile()) {
      let size: number;
      try {
        size = (await stat(p)).size;
      } catch (err) {
        errors.push({ source: p, code: "unreadable", message: `cannot read file (${(err as NodeJS.ErrnoException).code ?? err})` });
        continue;
      }
      await readOne(p, size, false, files, errors, budget);
    }
  }
}

async function readOne(p: string, size: number, explicit: boolean, files: SourceFile[], errors: InputError[], budget: InputBudget): Promise<void> {
  // Refused by its size alone, before it is opened: a 300 MB file costs a stat, not a read.
  budget.admit(p, size);
  budget.take(p, size, size);
  try {
    files.push(readEvidenceFile(p, size, explicit, budget.limits));
  } catch (e) {
    if (e instanceof TollgateError) throw e;
    errors.push({ source: p, code: "unreadable", message: `cannot read file (${(e as NodeJS.ErrnoException).code ?? e})` });
  }
}

export interface CollectResult {
  records: EvidenceRecord[];
  errors: InputError[];
  /** Files found under a directory that no kind recognizes (not evidence, not an error). */
  skipped: string[];
  /** Files another piece of evidence consumed (reports, certificates, artifacts). */
  materials: string[];
}

/** Run every file through its kind. `kinds` defaults to the registry (tests may pass their own). */
export async function collectEvidence(
  files: readonly SourceFile[],
  ctx: VerifyContext,
  kinds: readonly EvidenceKind<any>[] = evidenceKinds,
): Promise<CollectResult> {
  const errors: InputError[] = [];
  const detected: { file: SourceFile; kind: EvidenceKind<any> }[] = [];
  const unrecognized: SourceFile[] = [];
  for (const file of files) {
    const kind = kinds.find((k) => safeDetect(k, file));
    if (kind) detected.push({ file, kind });
    else unrecognized.push(file);
  }
  // (A limit hit while detecting — a JSON Lines line over the cap, say — was thrown by safeDetect: exit 2.)

  // Each detected file is parsed at most once: materials() and the evidence steps share the result.
  const parses = new Map<SourceFile, { ok: true; value: unknown } | { ok: false; error: unknown }>();
  const parseOnce = (file: SourceFile, kind: EvidenceKind<any>) => {
    let r = parses.get(file);
    if (!r) {
      try {
        r = { ok: true, value: kind.parse(file) };
      } catch (error) {
        r = { ok: false, error };
      }
      parses.set(file, r);
    }
    return r;
  };

  const consumed = new Set<string>();
  for (const { file, kind } of detected) {
    if (!kind.materials) continue;
    const p = parseOnce(file, kind);
    for (const m of kind.materials(file, files, p.ok ? p.value : undefined)) if (m !== file.path) consumed.add(m);
  }

  const records: EvidenceRecord[] = [];
  for (const { file, kind } of detected) {
    if (consumed.has(file.path)) continue;
    try {
      const p = parseOnce(file, kind);
      if (!p.ok) throw p.error;
      const parsed = p.value;
      const checks = await kind.verify(parsed, file, ctx);
      records.push(...kind.normalize(parsed, checks, file, ctx));
    } catch (e) {
      const err = asTollgateError(e, file.path, "malformed");
      if (err.code === "limit_exceeded") throw err; // a cap is a refusal of the run, not a piece of evidence
      errors.push({ source: file.path, code: err.code, message: err.message });
    }
  }

  const skipped: string[] = [];
  for (const file of unrecognized) {
    if (consumed.has(file.path)) continue;
    const problem = unrecognizedProblem(file);
    if (problem) errors.push({ source: file.path, ...problem });
    else skipped.push(file.path);
  }
  return { records: uniqueIds(records), errors, skipped, materials: [...consumed].sort() };
}

function safeDetect(kind: EvidenceKind<any>, file: SourceFile): boolean {
  try {
    return kind.detect(file);
  } catch (e) {
    if (e instanceof TollgateError && e.code === "limit_exceeded") throw e;
    return false;
  }
}

/**
 * A named file that no kind recognizes is an error (the user asked for it to count). Under a directory, a
 * file that claims to be JSON but does not parse is an error too; anything else there is skipped.
 */
function unrecognizedProblem(file: SourceFile): Omit<InputError, "source"> | undefined {
  const looksJson = /\.jsonl?$/i.test(file.path);
  if (looksJson && file.json() === undefined && !isJsonLines(file)) {
    const message = file.bytes.length === 0 ? "empty file" : file.text() === undefined ? "not UTF-8 text" : "not valid JSON";
    return { code: "malformed", message };
  }
  if (file.explicit) {
    return { code: "unknown_kind", message: "not a kind of evidence tollgate recognizes" };
  }
  return undefined;
}

function isJsonLines(file: SourceFile): boolean {
  const lines = file.jsonLines();
  return !!lines && lines.length >= 2 && lines.every((l) => l.error === undefined);
}

function uniqueIds(records: EvidenceRecord[]): EvidenceRecord[] {
  const seen = new Map<string, number>();
  for (const r of records) {
    const n = seen.get(r.id) ?? 0;
    seen.set(r.id, n + 1);
    if (n > 0) r.id = `${r.id}#${n}`;
  }
  return records;
}
