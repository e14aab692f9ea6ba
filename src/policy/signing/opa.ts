// Locating and running the pinned `opa` compiler (a build-time tool: evaluation never needs it).
import { existsSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { TollgateError } from "../../core/errors.ts";

/** $TOLLGATE_OPA, else ~/go/bin/opa (where scripts/setup.sh installs the pinned version), else `opa` on PATH. */
export function findOpa(): string {
  const env = process.env.TOLLGATE_OPA;
  if (env) return env;
  const goBin = join(homedir(), "go", "bin", "opa");
  if (existsSync(goBin)) return goBin;
  const onPath = Bun.which("opa");
  if (onPath) return onPath;
  throw new TollgateError("usage", "opa not found: set TOLLGATE_OPA, install it with scripts/setup.sh, or put opa on PATH");
}

export interface OpaRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs opa with arguments (no shell), capturing output. */
export async function runOpa(args: readonly string[], opts: { cwd?: string; opa?: string } = {}): Promise<OpaRun> {
  const proc = Bun.spawn([opts.opa ?? findOpa(), ...args], { cwd: opts.cwd, stdout: "pipe", stderr: "pipe" });
  const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  return { code, stdout, stderr };
}
