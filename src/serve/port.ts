// The gate's port must be its own. Its listeners bind with SO_REUSEPORT — the threads of a multi-worker gate
// share the port, and so do the old and new TLS listeners for the instant of a certificate swap — but the kernel
// lets any later socket of the same user that also sets SO_REUSEPORT join in: a second `tollgate serve` on the
// port would start silently and the kernel would split connections between two unrelated gates. So at start the
// port is first bound without SO_REUSEPORT, which fails while anything listens there, and held (refusing any other
// gate that starts meanwhile) until the gate's own listeners bind. Between the release and that bind another
// process can still take the port: a window of one synchronous call, not of the bundle's download.
import type { TCPSocketListener } from "bun";
import { TollgateError } from "../core/errors.ts";

const where = (hostname: string, port: number) => `${hostname.includes(":") ? `[${hostname}]` : hostname}:${port}`;

/** A failed bind (Bun.listen or Bun.serve) as one usage line naming the address: in use, not permitted, or why. */
export function listenError(hostname: string, port: number, e: unknown, what = ""): TollgateError {
  const code = (e as { code?: string }).code;
  const at = `cannot listen on ${what}${where(hostname, port)}`;
  if (code === "EADDRINUSE") return new TollgateError("usage", `${at}: port ${port} is already in use (another gate or process listens on it)`);
  if (code === "EACCES") return new TollgateError("usage", `${at}: permission denied (ports below 1024 need privileges)`);
  return new TollgateError("usage", `${at}: ${code ? `${code}: ` : ""}${(e as Error).message}`);
}

/**
 * Hold `port` on `hostname` exclusively until release() (a connection made meanwhile is closed at once); throws
 * TollgateError("usage"), one line, when it is in use or cannot be bound. Port 0 holds nothing (the kernel picks).
 */
export function claimPort(hostname: string, port: number): { release(): void } {
  if (port === 0) return { release() {} };
  let probe: TCPSocketListener<undefined>;
  try {
    probe = Bun.listen<undefined>({ hostname, port, socket: { open: (s) => void s.end(), data() {} } });
  } catch (e) {
    throw listenError(hostname, port, e);
  }
  let held = true;
  return {
    release() {
      if (held) probe.stop(true);
      held = false;
    },
  };
}
