// Registry credentials the way docker, cosign, crane and oras find them: a docker config.json (`auths`,
// `credsStore`, `credHelpers`), and the distribution spec's token auth (a `WWW-Authenticate: Bearer` challenge
// sends us to a realm that trades credentials for a scoped token) or plain Basic auth.
import { nodeOs } from "../../core/lazy.ts";
import { join } from "node:path";
import { existsSync, readFileSync } from "node:fs";
import { TollgateError } from "../../core/errors.ts";

export interface Credential {
  username?: string;
  password?: string;
  /** An OAuth2 refresh token (docker's `identitytoken`, a helper's `<token>` user). */
  identityToken?: string;
  /** A registry token used as-is (`registrytoken`). */
  registryToken?: string;
}

export interface DockerConfig {
  auths?: Record<string, { auth?: string; username?: string; password?: string; identitytoken?: string; registrytoken?: string }>;
  credsStore?: string;
  credHelpers?: Record<string, string>;
}

/** Where the docker config lives: `--registry-config FILE`, else `$DOCKER_CONFIG/config.json`, else `~/.docker/config.json`. */
export function dockerConfigPath(explicit?: string): string | undefined {
  if (explicit) return explicit;
  const dir = process.env.DOCKER_CONFIG || join(nodeOs().homedir(), ".docker");
  const p = join(dir, "config.json");
  return existsSync(p) ? p : undefined;
}

export function loadDockerConfig(path: string | undefined, explicit: boolean): DockerConfig {
  if (!path) return {};
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    if (!explicit && (e as NodeJS.ErrnoException).code === "ENOENT") return {};
    throw new TollgateError((e as NodeJS.ErrnoException).code === "ENOENT" ? "not_found" : "unreadable", "registry config not found or unreadable", path);
  }
  try {
    const v = JSON.parse(text) as unknown;
    if (typeof v !== "object" || v === null || Array.isArray(v)) throw new Error("not an object");
    return v as DockerConfig;
  } catch (e) {
    throw new TollgateError("malformed", `registry config is not a docker config.json: ${(e as Error).message}`, path);
  }
}

/** Docker keys `auths` by `host`, `https://host`, `https://host/v1/` alike. */
function authKeyHost(key: string): string {
  return key.replace(/^[a-z]+:\/\//i, "").replace(/\/.*$/, "").toLowerCase();
}

/** Docker Hub's legacy key; `docker login` writes it for docker.io. */
const DOCKER_HUB_KEY = "https://index.docker.io/v1/";

export function credentialFor(config: DockerConfig, registry: string, source = "registry config"): Credential | undefined {
  const host = registry.toLowerCase();
  const helperKey = Object.keys(config.credHelpers ?? {}).find((k) => authKeyHost(k) === host);
  if (helperKey) return runCredentialHelper(config.credHelpers![helperKey]!, host);
  for (const [k, v] of Object.entries(config.auths ?? {})) {
    if (authKeyHost(k) !== host && !(host === "docker.io" && k === DOCKER_HUB_KEY)) continue;
    if (v.identitytoken) return { identityToken: v.identitytoken };
    if (v.registrytoken) return { registryToken: v.registrytoken };
    if (v.auth) {
      const plain = Buffer.from(v.auth, "base64").toString("utf8");
      const i = plain.indexOf(":");
      if (i < 0) throw new TollgateError("malformed", `auths.${k}.auth is not base64 of user:password`, source);
      return { username: plain.slice(0, i), password: plain.slice(i + 1) };
    }
    if (v.username !== undefined || v.password !== undefined) return { username: v.username ?? "", password: v.password ?? "" };
    // An entry with nothing in it means "use the credsStore" (what docker login writes with a store).
  }
  if (config.credsStore) return runCredentialHelper(config.credsStore, host);
  return undefined;
}

/**
 * The docker-credential-helpers protocol: `docker-credential-<name> get`, the server URL on stdin, JSON
 * `{ServerURL, Username, Secret}` on stdout; the user `<token>` means Secret is an identity token. A helper
 * that knows nothing about the host says so and exits non-zero: no credential, anonymous access.
 */
export function runCredentialHelper(name: string, host: string): Credential | undefined {
  const program = `docker-credential-${name}`;
  const exe = Bun.which(program, { PATH: process.env.PATH ?? "" });
  if (!exe) throw new TollgateError("unreadable", `credential helper ${program} (named in the registry config) is not on PATH`, host);
  const p = Bun.spawnSync([exe, "get"], { stdin: new Blob([host]), stdout: "pipe", stderr: "pipe" });
  const out = p.stdout.toString().trim();
  if (p.exitCode !== 0) {
    if (/credentials not found/i.test(out + p.stderr.toString())) return undefined;
    throw new TollgateError("unreadable", `credential helper ${program} failed: ${(out || p.stderr.toString()).trim().split("\n")[0]}`, host);
  }
  let v: { Username?: unknown; Secret?: unknown };
  try {
    v = JSON.parse(out);
  } catch {
    throw new TollgateError("malformed", `credential helper ${program} did not print JSON`, host);
  }
  if (typeof v.Secret !== "string") throw new TollgateError("malformed", `credential helper ${program} printed no Secret`, host);
  if (v.Username === "<token>") return { identityToken: v.Secret };
  return { username: typeof v.Username === "string" ? v.Username : "", password: v.Secret };
}

export interface Challenge {
  scheme: string;
  params: Record<string, string>;
}

/** RFC 7235 `WWW-Authenticate`: `Bearer realm="…",service="…",scope="…"` (quoted strings may hold commas). */
export function parseChallenge(header: string): Challenge | undefined {
  const m = /^\s*([A-Za-z]+)\s*(.*)$/s.exec(header);
  if (!m) return undefined;
  const params: Record<string, string> = {};
  const re = /([A-Za-z0-9_-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]+))\s*,?\s*/gy;
  let p: RegExpExecArray | null;
  const rest = m[2]!;
  re.lastIndex = 0;
  while (re.lastIndex < rest.length && (p = re.exec(rest))) params[p[1]!.toLowerCase()] = p[2] !== undefined ? p[2].replace(/\\(.)/g, "$1") : p[3]!;
  return { scheme: m[1]!.toLowerCase(), params };
}

export function basicHeader(c: Credential): string {
  return "Basic " + Buffer.from(`${c.username ?? ""}:${c.password ?? ""}`).toString("base64");
}
