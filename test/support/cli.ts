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
