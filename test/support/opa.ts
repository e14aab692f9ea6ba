// The real opa for tests. In CI it must be present (setup installs it); on a plain clone without Go the
// tests that need it say so and fail, since CI never skips them.
import { findOpa } from "../../src/policy/opa-tool.ts";

export function opaPath(): string {
  const opa = findOpa();
  if (!opa) throw new Error("opa not found: run scripts/setup.sh");
  return opa;
}

export function runOpa(args: string[], cwd?: string): { code: number; stdout: string; stderr: string } {
  const p = Bun.spawnSync([opaPath(), ...args], { cwd, stdout: "pipe", stderr: "pipe" });
  return { code: p.exitCode ?? -1, stdout: p.stdout.toString(), stderr: p.stderr.toString() };
}
