// Run the real CLI as a subprocess, the way users and CI do.
import { join } from "node:path";
import { REPO_ROOT } from "./fixtures.ts";

export const BUN = process.execPath;
export const CLI = join(REPO_ROOT, "src/cli/main.ts");

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function tollgate(args: string[], opts: { cwd?: string; stdin?: string | Uint8Array; env?: Record<string, string> } = {}): CliResult {
  const p = Bun.spawnSync([BUN, CLI, ...args], {
    cwd: opts.cwd ?? REPO_ROOT,
    stdin: opts.stdin === undefined ? "ignore" : new Blob([opts.stdin]),
    stdout: "pipe",
    stderr: "pipe",
    env: { ...process.env, TOLLGATE_DEBUG: "", ...opts.env },
  });
  return { code: p.exitCode ?? -1, stdout: p.stdout.toString(), stderr: p.stderr.toString() };
}

/** Like tollgate(), without blocking the event loop: for tests whose own servers must answer the CLI. */
export async function tollgateAsync(args: string[], opts: { cwd?: string; env?: Record<string, string> } = {}): Promise<CliResult> {
  const p = Bun.spawn([BUN, CLI, ...args], { cwd: opts.cwd ?? REPO_ROOT, stdin: "ignore", stdout: "pipe", stderr: "pipe", env: { ...process.env, TOLLGATE_DEBUG: "", ...opts.env } });
  const [stdout, stderr, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited]);
  return { code, stdout, stderr };
}

/**
 * The URL a `tollgate serve` process prints ("ready on http(s)://127.0.0.1:PORT"), or the first group of `re`,
 * read from its stdout within `ms`; undefined when it exits or the time runs out first. The reader is released,
 * so the caller may read on.
 */
export async function servedUrl(proc: { stdout: ReadableStream<Uint8Array> }, ms = 15_000, re = /ready on (https?:\/\/127\.0\.0\.1:\d+)/): Promise<string | undefined> {
  const reader = proc.stdout.getReader();
  const dec = new TextDecoder();
  let out = "";
  const deadline = Date.now() + ms;
  try {
    while (Date.now() < deadline) {
      const r = await Promise.race([reader.read(), Bun.sleep(Math.max(0, deadline - Date.now())).then(() => ({ done: true as const, value: undefined }))]);
      if (r.done) return undefined;
      out += dec.decode(r.value, { stream: true });
      const m = re.exec(out);
      if (m) return m[1];
    }
    return undefined;
  } finally {
    reader.releaseLock();
  }
}
