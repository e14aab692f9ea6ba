// Bearer-token authentication of the gate's /v1/* API (config `auth.bearer_tokens_file`, or OPA's
// `--authentication=token` with `--bearer-tokens-file`): RFC 6750 §2.1 Authorization request header only
// (no query or form tokens, which end up in logs). One token per line, blank lines and `#` comments ignored; the
// file is re-read when it changes (src/serve/watch.ts). Tokens are kept as SHA-256 digests and a presented token's
// digest is compared with every one of them with crypto.timingSafeEqual, so neither a token's length nor how much
// of it matched shows in the time taken.
import { createHash, timingSafeEqual } from "node:crypto";
import { TollgateError } from "../core/errors.ts";
import { readUserFileSync } from "../core/read.ts";
import { FileWatch } from "./watch.ts";

/** The realm named in every challenge (RFC 6750 §3). */
export const REALM = "tollgate";

/** RFC 6750 §2.1 b64token. */
const B64TOKEN = /^[A-Za-z0-9\-._~+/]+=*$/;

const digest = (token: string) => createHash("sha256").update(token, "utf8").digest();

/** The tokens of a token file, as digests; a line that is not a b64token is refused, naming it. */
export function parseTokenFile(bytes: Uint8Array, path: string): Buffer[] {
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    throw new TollgateError("usage", "bearer token file is not UTF-8 text", path);
  }
  const out: Buffer[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) return;
    // The line itself is never echoed: it may be a real token with a stray character.
    if (!B64TOKEN.test(line)) throw new TollgateError("usage", `bearer token file line ${i + 1} is not a token (RFC 6750 b64token: letters, digits, -._~+/ then optional =)`, path);
    out.push(digest(line));
  });
  return out;
}

/**
 * Start-time read and check of a token file (the config is refused when it fails): readable, tokens only, at
 * least one. Its bytes are handed down to every thread's BearerAuth (BearerAuth.of), which does not read it again.
 */
export function readTokenFile(path: string): Uint8Array {
  const bytes = readUserFileSync(path, "bearer token file", "usage");
  if (parseTokenFile(bytes, path).length === 0) throw noTokens(path);
  return bytes;
}

const noTokens = (path: string) => new TollgateError("usage", "bearer token file lists no tokens: every /v1/* request would be refused", path);

export type AuthOutcome = { ok: true } | { ok: false; response: Response; reason: string };

export class BearerAuth {
  private tokens: Buffer[];
  private readonly watch: FileWatch;

  private constructor(
    readonly path: string,
    initial: Uint8Array,
    log: (line: string) => void,
    intervalMs?: number,
  ) {
    this.tokens = parseTokenFile(initial, path);
    this.watch = new FileWatch(
      [path],
      FileWatch.digestOf([initial]),
      ([bytes]) => {
        const next = parseTokenFile(bytes!, path);
        this.tokens = next;
        log(`auth: ${path} reloaded (${next.length} token${next.length === 1 ? "" : "s"}${next.length === 0 ? ": every /v1/* request is now refused" : ""})`);
      },
      log,
      "auth",
      intervalMs,
    );
  }

  /** Read and check the token file; a missing, unreadable, malformed or empty file refuses the start. */
  static load(path: string, log: (line: string) => void, intervalMs?: number): BearerAuth {
    return BearerAuth.of(path, readTokenFile(path), log, intervalMs);
  }

  /** From the file's bytes as read at start (readTokenFile): watched from there, not read again now. */
  static of(path: string, initial: Uint8Array, log: (line: string) => void, intervalMs?: number): BearerAuth {
    const auth = new BearerAuth(path, initial, log, intervalMs);
    if (auth.tokens.length === 0) {
      auth.stop();
      throw noTokens(path);
    }
    return auth;
  }

  get count(): number {
    return this.tokens.length;
  }

  /** Whether `token` is one of the file's, compared in constant time against every token. */
  accepts(token: string): boolean {
    const d = digest(token);
    let ok = false;
    for (const t of this.tokens) ok = timingSafeEqual(d, t) || ok;
    return ok;
  }

  /** The request's credentials checked: ok, or the 401 to send (RFC 6750 §3 challenge) and why, for the log. */
  check(req: Request): AuthOutcome {
    const h = req.headers.get("authorization");
    const m = h === null ? null : /^Bearer(?:[ \t]+(.*))?$/i.exec(h.trim());
    if (!m) {
      // No credentials (or another scheme): the challenge carries no error code (RFC 6750 §3.1).
      return deny(`Bearer realm="${REALM}"`, h === null ? "no Authorization header" : "Authorization is not a Bearer credential", "authentication required: send Authorization: Bearer <token>");
    }
    // A Bearer credential whose token is empty, malformed or unknown is an invalid token (RFC 6750 §3.1).
    const token = (m[1] ?? "").trim();
    if (B64TOKEN.test(token) && this.accepts(token)) return { ok: true };
    return deny(`Bearer realm="${REALM}", error="invalid_token", error_description="the access token is not valid"`, "invalid bearer token", "the access token is not valid");
  }

  stop(): void {
    this.watch.stop();
  }
}

function deny(challenge: string, reason: string, message: string): AuthOutcome {
  const response = new Response(JSON.stringify({ code: "unauthorized", message }), {
    status: 401,
    headers: { "Content-Type": "application/json", "WWW-Authenticate": challenge, "Cache-Control": "no-store" },
  });
  return { ok: false, response, reason };
}
