// Locate the pinned `opa` build tool: $OPA, then PATH, then Go's bin directory (where setup installs it).
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";

export const OPA_VERSION = "v1.22.2";

export function findOpa(): string | undefined {
  // Absolute: opa is also run with another working directory (src/check compiles in a temporary one), where a
  // relative $OPA would name another file.
  if (process.env.OPA && existsSync(process.env.OPA)) return resolve(process.env.OPA);
  const onPath = Bun.which("opa");
  if (onPath) return onPath;
  const gobin = process.env.GOBIN || join(process.env.GOPATH || join(process.env.HOME ?? "/root", "go"), "bin");
  const p = join(gobin, "opa");
  return existsSync(p) ? p : undefined;
}

export function requireOpa(): string {
  const opa = findOpa();
  if (!opa) {
    console.error(`opa not found: run scripts/setup.sh (installs opa ${OPA_VERSION} with go install)`);
    process.exit(2);
  }
  return opa;
}
