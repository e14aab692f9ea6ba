// conftest's own CUE, Jsonnet, HOCON and CycloneDX parsers (Go WebAssembly, see conftest-wasm-worker.ts), run in one
// worker thread per process, started on first use, so that a parse that never ends is bounded: past
// PARSE_TIME_LIMIT_MS the worker is stopped and the file refused (exit 2), and the next parse starts a new one.
import { TollgateError } from "../../core/errors.ts";
import { malformed, text, type ParseContext } from "./types.ts";

/** The formats whose parser is conftest's own Go code (conftest-wasm-worker.ts). */
export type ConftestFormat = "cue" | "jsonnet" | "hocon" | "cyclonedx";

export const PARSE_TIME_LIMIT_MS = 20_000;

// An entry point of the compiled binary too (scripts/build-binary.sh), named there by its path below src/.
const WORKER_ENTRY = import.meta.url.includes("/$bunfs/") ? "./check/parsers/conftest-wasm-worker.ts" : new URL("./conftest-wasm-worker.ts", import.meta.url).href;

type Reply = { id: number; json?: string; error?: string; crash?: string };
let worker: Worker | undefined;
let nextId = 0;
const pending = new Map<number, (r: Reply) => void>();

function started(): Worker {
  if (worker) return worker;
  const w = new Worker(WORKER_ENTRY);
  w.onmessage = (e: MessageEvent<Reply>) => {
    pending.get(e.data.id)?.(e.data);
    pending.delete(e.data.id);
    if (!pending.size) w.unref();
  };
  w.onerror = (e) => stop(w, `the parser's worker failed: ${e.message}`);
  w.unref();
  return (worker = w);
}

/** Stop worker `w` (if it is still the current one), answering every parse still waiting on it with `why`. */
function stop(w: Worker, why: string): void {
  if (worker !== w) return;
  w.terminate();
  worker = undefined;
  for (const [id, done] of pending) done({ id, crash: why });
  pending.clear();
}

/** The document conftest's parser of `format` makes of these bytes; its error is one `malformed` line. */
export async function conftestParse(format: ConftestFormat, label: string, bytes: Uint8Array, ctx: ParseContext, limitMs = PARSE_TIME_LIMIT_MS): Promise<unknown> {
  const w = started();
  const id = nextId++;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const r = await new Promise<Reply | undefined>((done) => {
    pending.set(id, done);
    w.ref();
    timer = setTimeout(() => done(undefined), limitMs);
    w.postMessage({ id, format, path: ctx.path, src: text(bytes) });
  });
  clearTimeout(timer);
  if (!r) {
    stop(w, `stopped: another file's parse did not finish within ${limitMs / 1000} s`);
    throw new TollgateError("limit_exceeded", `${label} parser did not finish within ${limitMs / 1000} s (conftest's parser loops on some malformed input)`, ctx.path);
  }
  if (r.crash !== undefined) throw malformed(ctx, label, r.crash);
  if (r.error !== undefined) throw malformed(ctx, label, r.error.replace(/\s*\n\s*/g, " ").trim());
  return JSON.parse(r.json!);
}
