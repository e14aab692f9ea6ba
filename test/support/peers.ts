// The real peer tools the tests run against: cosign, conftest, crane, oras and the distribution registry,
// pinned in scripts/setup.sh and installed by `bash scripts/setup.sh --peers` (the test command runs it) into
// Go's bin directory. CI never skips a peer test: a missing peer is a failure that says how to get it.
import { existsSync } from "node:fs";
import { join } from "node:path";

export type Peer = "cosign" | "conftest" | "crane" | "oras" | "registry";

function goBin(): string {
  return process.env.GOBIN || join(process.env.GOPATH || join(process.env.HOME ?? "/root", "go"), "bin");
}

/** Absolute path of a peer tool, or undefined when it is not installed. PATH first, then Go's bin. */
export function findPeer(name: Peer): string | undefined {
  const onPath = Bun.which(name);
  if (onPath) return onPath;
  const p = join(goBin(), name);
  return existsSync(p) ? p : undefined;
}

/** Like findPeer, but a missing peer throws with the command that installs it. */
export function peerPath(name: Peer): string {
  const p = findPeer(name);
  if (!p) throw new Error(`${name} not found: run 'bash scripts/setup.sh --peers' (installs the pinned peers with go install)`);
  return p;
}

export interface PeerResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Run a peer synchronously. `env` is merged over the process environment. */
export function runPeer(
  name: Peer,
  args: string[],
  opts: { cwd?: string; stdin?: string | Uint8Array; env?: Record<string, string> } = {},
): PeerResult {
  const p = Bun.spawnSync([peerPath(name), ...args], {
    cwd: opts.cwd,
    stdin: opts.stdin === undefined ? "ignore" : new Blob([opts.stdin]),
    stdout: "pipe",
    stderr: "pipe",
    env: { ...process.env, ...opts.env },
  });
  return { code: p.exitCode ?? -1, stdout: p.stdout.toString(), stderr: p.stderr.toString() };
}
