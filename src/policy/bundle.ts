// OPA bundles: a gzip'd tar with /.manifest, /policy.wasm, /data.json (and whatever else `opa build` put
// there), or a bare policy.wasm. Reading never evaluates anything; signature checks happen on `files`
// before an engine is created from the bundle.
import { readArchive, type ArchiveSelector } from "./archive.ts";
import { lazy } from "../core/lazy.ts";
import { sha256Hex } from "../core/digest.ts";
import { asTollgateError, TollgateError } from "../core/errors.ts";
import { readUserFile } from "../core/read.ts";

export interface BundleManifest {
  revision?: string;
  roots?: string[];
  wasm?: { entrypoint: string; module: string }[];
  metadata?: Record<string, unknown>;
  rego_version?: number;
  [k: string]: unknown;
}

export interface PolicyBundle {
  /** Where it came from, for messages (a path, a URL, `embedded:default`). */
  source: string;
  /** sha256 hex of the bundle bytes as read (the .tar.gz, or the bare .wasm). */
  sha256: string;
  /** Every regular file, by path without the leading slash. */
  files: Map<string, Uint8Array>;
  manifest: BundleManifest;
  /** WASM modules by path (`policy.wasm` for what `opa build -t wasm` makes). */
  modules: Map<string, Uint8Array>;
  /** The bundle's data document: every data.json / data.yaml merged at its directory's path. */
  data: Record<string, unknown>;
  revision: string;
}

const yaml = lazy(() => require("yaml") as typeof import("yaml"));

const WASM_MAGIC = [0x00, 0x61, 0x73, 0x6d];

/** A bundle file, or `oci://HOST/REPO:TAG|@sha256:…` pulled from a registry (OPA's OCI layout). */
/**
 * `select` (a signature check, signing.ts signatureSelector) verifies `.signatures.json` before any other entry is
 * inflated and refuses unlisted entries at their header (readArchive).
 */
export async function loadBundleFile(path: string, registry?: import("../evidence/oci/client.ts").RegistryOptions, select?: ArchiveSelector): Promise<PolicyBundle> {
  if (path.startsWith("oci://")) {
    const { pullBundleWith } = await import("./oci.ts");
    return readBundle((await pullBundleWith(path, registry)).bytes, path, select);
  }
  return readBundle(await readUserFile(path, "policy bundle", "policy_unreadable"), path, select);
}

export async function readBundle(bytes: Uint8Array, source: string, select?: ArchiveSelector): Promise<PolicyBundle> {
  const sha256 = sha256Hex(bytes);
  if (WASM_MAGIC.every((b, i) => bytes[i] === b)) {
    return {
      source,
      sha256,
      files: new Map([["policy.wasm", bytes]]),
      manifest: {},
      modules: new Map([["policy.wasm", bytes]]),
      data: {},
      revision: "",
    };
  }
  // One archive reader for evaluation and signing: capped unpacked size (gzip bombs), regular files only,
  // names normalized as OPA does.
  let entries;
  try {
    entries = await readArchive(bytes, source, select);
  } catch (e) {
    const err = asTollgateError(e, source);
    if (err.code !== "malformed") throw err; // the signature check's own refusal
    throw new TollgateError("policy_invalid", err.message.replace("not a gzip'd tar bundle", "not an OPA bundle (.tar.gz) or a WASM module"), source, { cause: e });
  }
  const files = new Map(entries.map((e) => [e.name, e.bytes] as [string, Uint8Array]));
  return fromFiles(files, source, sha256);
}

/** Assemble a bundle from its files (also used for bundles pulled over HTTP or built in memory). */
export function fromFiles(files: Map<string, Uint8Array>, source: string, sha256: string): PolicyBundle {
  const manifest = parseManifest(files.get(".manifest"), source);
  const modules = new Map<string, Uint8Array>();
  for (const w of manifest.wasm ?? []) {
    const p = stripSlash(w.module);
    const m = files.get(p);
    if (!m) throw new TollgateError("policy_invalid", `manifest names WASM module ${w.module}, which the bundle lacks`, source);
    modules.set(p, m);
  }
  if (modules.size === 0) {
    const m = files.get("policy.wasm");
    if (!m) throw new TollgateError("policy_invalid", "bundle has no policy.wasm (build it with `opa build -t wasm`)", source);
    modules.set("policy.wasm", m);
  }
  return { source, sha256, files, manifest, modules, data: bundleData(files, source), revision: manifest.revision ?? "" };
}

function stripSlash(p: string): string {
  return p.replace(/^\/+/, "");
}

function parseManifest(bytes: Uint8Array | undefined, source: string): BundleManifest {
  if (!bytes) return {};
  try {
    const m = JSON.parse(new TextDecoder().decode(bytes));
    if (m === null || typeof m !== "object" || Array.isArray(m)) throw new Error("not an object");
    return m as BundleManifest;
  } catch (e) {
    throw new TollgateError("policy_invalid", `bundle .manifest is not a JSON object (${(e as Error).message})`, source);
  }
}

/** OPA semantics: `a/b/data.json` is mounted at data.a.b; several files merge (a conflict is an error). */
function bundleData(files: Map<string, Uint8Array>, source: string): Record<string, unknown> {
  const data: Record<string, unknown> = {};
  for (const [path, bytes] of files) {
    const base = path.split("/").pop()!;
    if (base !== "data.json" && base !== "data.yaml" && base !== "data.yml") continue;
    let doc: unknown;
    const text = new TextDecoder().decode(bytes);
    try {
      doc = base === "data.json" ? JSON.parse(text) : yaml().parse(text);
    } catch (e) {
      throw new TollgateError("policy_invalid", `${path} in the bundle is not valid (${(e as Error).message})`, source);
    }
    const dirs = path.split("/").slice(0, -1).filter(Boolean);
    let wrapped: unknown = doc ?? {};
    for (const d of dirs.reverse()) wrapped = { [d]: wrapped };
    mergeData(data, wrapped as Record<string, unknown>, source, "data");
  }
  return data;
}

/** Deep-merge `overlay` into `base`. Objects merge; any other clash is a conflict unless `replace`. */
export function mergeData(base: Record<string, unknown>, overlay: Record<string, unknown>, source: string, at: string, replace = false): void {
  for (const [k, v] of Object.entries(overlay)) {
    const cur = base[k];
    if (isPlainObject(cur) && isPlainObject(v)) mergeData(cur, v, source, `${at}.${k}`, replace);
    else if (cur === undefined || replace) base[k] = structuredClone(v);
    else throw new TollgateError("policy_invalid", `data conflict at ${at}.${k}`, source);
  }
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}
