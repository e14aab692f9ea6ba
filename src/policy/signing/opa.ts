// Running the pinned `opa` compiler (a build-time tool: evaluation never needs it), found the way every script
// and test finds it (src/policy/opa-tool.ts: $OPA, PATH, then Go's bin directory).
import { TollgateError } from "../../core/errors.ts";
import { findOpa, OPA_VERSION } from "../opa-tool.ts";

export interface OpaRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs opa with arguments (no shell), capturing output. */
export async function runOpa(args: readonly string[], opts: { cwd?: string } = {}): Promise<OpaRun> {
  const opa = findOpa();
  if (!opa) throw new TollgateError("usage", `opa not found: set OPA=/path/to/opa, put opa on PATH, or install opa ${OPA_VERSION} with scripts/setup.sh`);
  const proc = Bun.spawn([opa, ...args], { cwd: opts.cwd, stdout: "pipe", stderr: "pipe" });
  const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  return { code, stdout, stderr };
}
