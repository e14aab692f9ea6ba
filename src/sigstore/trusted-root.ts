// Sigstore trusted roots: the public-good root embedded from the installed @sigstore/tuf package (its
// seeds.json carries the TUF target `trusted_root.json`, base64), or a file the user names.
import { TrustedRoot } from "@sigstore/protobuf-specs";
import seeds from "@sigstore/tuf/seeds.json" with { type: "json" };
import { decodeBase64Strict } from "../core/digest.ts";
import { TollgateError } from "../core/errors.ts";
import { readUserFileSync } from "../core/read.ts";
import { isRfc3339 } from "../core/time.ts";

export const PUBLIC_GOOD_TUF_MIRROR = "https://tuf-repo-cdn.sigstore.dev";
export const TRUSTED_ROOT_MEDIA_TYPES = [
  "application/vnd.dev.sigstore.trustedroot+json;version=0.1",
  "application/vnd.dev.sigstore.trustedroot.v0.2+json",
] as const;

/** A trusted root checked for shape and validity windows, with its protobuf form for @sigstore/verify. */
export interface LoadedTrustedRoot {
  source: string;
  json: Record<string, unknown>;
  root: TrustedRoot;
}

let publicGood: LoadedTrustedRoot | undefined;

/** The Sigstore public-good trusted root shipped with @sigstore/tuf (no network). */
export function publicGoodTrustedRoot(): LoadedTrustedRoot {
  if (publicGood) return publicGood;
  const mirror = (seeds as Record<string, { targets?: Record<string, string> }>)[PUBLIC_GOOD_TUF_MIRROR];
  const b64 = mirror?.targets?.["trusted_root.json"];
  if (typeof b64 !== "string") {
    throw new TollgateError("internal", "@sigstore/tuf seeds.json has no trusted_root.json for the public-good mirror");
  }
  const text = new TextDecoder().decode(decodeBase64Strict(b64, "seeds.json trusted_root.json"));
  publicGood = parseTrustedRoot(JSON.parse(text), "@sigstore/tuf seeds.json (public-good)");
  return publicGood;
}

/** Read and validate a trusted root file. Throws TollgateError("unreadable" | "malformed"). */
export function loadTrustedRootFile(path: string): LoadedTrustedRoot {
  const text = new TextDecoder().decode(readUserFileSync(path, "trusted root", "unreadable"));
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new TollgateError("malformed", `trusted root is not JSON: ${(e as Error).message}`, path, { cause: e });
  }
  return parseTrustedRoot(json, path);
}

/**
 * Validate a trusted root JSON value: known media type, every validity window has a `start` that is a
 * valid time not after its optional `end` (@sigstore/verify would silently treat a missing start as "forever").
 * Pure; throws TollgateError("malformed") naming the first bad field.
 */
export function parseTrustedRoot(json: unknown, source: string): LoadedTrustedRoot {
  if (isLoaded(json)) return json;
  const bad = (msg: string): never => {
    throw new TollgateError("malformed", `trusted root: ${msg}`, source);
  };
  if (typeof json !== "object" || json === null || Array.isArray(json)) bad("not a JSON object");
  const j = json as Record<string, unknown>;
  if (!(TRUSTED_ROOT_MEDIA_TYPES as readonly unknown[]).includes(j.mediaType)) {
    bad(`unknown mediaType ${JSON.stringify(j.mediaType)}`);
  }
  const list = (key: string): Record<string, unknown>[] => {
    const v = j[key];
    if (v === undefined) return [];
    if (!Array.isArray(v)) return bad(`${key} must be an array`);
    return v as Record<string, unknown>[];
  };
  const windows: [string, unknown][] = [];
  list("tlogs").forEach((t, i) => windows.push([`tlogs[${i}].publicKey.validFor`, (t?.publicKey as Record<string, unknown>)?.validFor]));
  list("ctlogs").forEach((t, i) => windows.push([`ctlogs[${i}].publicKey.validFor`, (t?.publicKey as Record<string, unknown>)?.validFor]));
  list("certificateAuthorities").forEach((c, i) => windows.push([`certificateAuthorities[${i}].validFor`, c?.validFor]));
  list("timestampAuthorities").forEach((c, i) => windows.push([`timestampAuthorities[${i}].validFor`, c?.validFor]));
  for (const [where, w] of windows) checkWindow(where, w, bad);
  let root: TrustedRoot;
  try {
    root = TrustedRoot.fromJSON(j);
  } catch (e) {
    return bad(`does not parse: ${(e as Error).message}`);
  }
  return { source, json: j, root };
}

// Sigstore's TimeRange: `start` required, `end` optional (absent or JSON null — protobuf JSON's "unset" —
// is an open-ended key); both ends inclusive, as @sigstore/verify compares them.
function checkWindow(where: string, w: unknown, bad: (msg: string) => never): void {
  if (typeof w !== "object" || w === null) bad(`${where} is missing (a validity window needs a start)`);
  const { start, end } = w as { start?: unknown; end?: unknown };
  if (start === undefined || start === null) bad(`${where}.start is missing`);
  if (!isRfc3339(start)) bad(`${where}.start is not an RFC 3339 time: ${JSON.stringify(start)}`);
  if (end === undefined || end === null) return;
  if (!isRfc3339(end)) bad(`${where}.end is not an RFC 3339 time: ${JSON.stringify(end)}`);
  if (Date.parse(end as string) < Date.parse(start as string)) bad(`${where}: start ${String(start)} is after end ${String(end)}`);
}

function isLoaded(v: unknown): v is LoadedTrustedRoot {
  return typeof v === "object" && v !== null && "root" in v && "json" in v && "source" in v;
}
