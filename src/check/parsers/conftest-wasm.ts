// conftest's own CUE, Jsonnet and HOCON parsers (Go WebAssembly, see conftest-wasm-worker.ts), run in one
// worker thread per process, started on first use, so that a parse that never ends is bounded: past
// PARSE_TIME_LIMIT_MS the worker is stopped and the file refused (exit 2), and the next parse starts a new one.
import { TollgateError } from "../../core/errors.ts";
import { malformed, text, type ParseContext } from "./types.ts";

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
  w.onerror = (e) => {
    for (const [id, done] of pending) done({ id, crash: `the parser's worker failed: ${e.message}` });
    stop();
  };
  w.unref();
  return (worker = w);
}

function stop(): void {
  worker?.terminate();
  worker = undefined;
  pending.clear();
}

/** The document conftest's parser of `format` makes of these bytes; its error is one `malformed` line. */
export async function conftestParse(format: "cue" | "jsonnet" | "hocon", label: string, bytes: Uint8Array, ctx: ParseContext, limitMs = PARSE_TIME_LIMIT_MS): Promise<unknown> {
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
    stop();
    throw new TollgateError("limit_exceeded", `${label} parser did not finish within ${limitMs / 1000} s (conftest's parser loops on some malformed input)`, ctx.path);
  }
  if (r.crash !== undefined) throw malformed(ctx, label, r.crash);
  if (r.error !== undefined) throw malformed(ctx, label, r.error.replace(/\s*\n\s*/g, " ").trim());
  return JSON.parse(r.json!);
}
