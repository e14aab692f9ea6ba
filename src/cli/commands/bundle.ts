// tollgate bundle build | sign | verify | inspect | serve — OPA bundles, signed in OPA's .signatures.json format.
import { defineCommand } from "citty";
import { readFileSync, writeFileSync, renameSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { nodeOs } from "../../core/lazy.ts";
import YAML from "yaml";
import { EXIT_ERROR, TollgateError, asTollgateError, usage } from "../../core/errors.ts";
import { helpArgs, list, oneOf, parseStrict, runCommand, str, type FlagSpecs, type Parsed } from "../args.ts";
import { sha256Hex } from "../../core/digest.ts";
import { readUserFileSync } from "../../core/read.ts";
import {
  DEFAULT_KEY_ID,
  bundleFileDigest,
  decodeJwtUnverified,
  describeRejection,
  isSignaturesFile,
  isSigningAlgorithm,
  keyringFromConfig,
  loadSigningKey,
  loadVerificationKey,
  parseSignaturesFile,
  readArchive,
  signBundleArchive,
  verifyBundleSignature,
  type BundleKeyring,
  type KeyConfigEntry,
  type SigningAlgorithm,
} from "../../policy/signing.ts";
import { runOpa } from "../../policy/signing/opa.ts";

/** Write atomically: nothing half-written on failure; a failure names the output file, not the temporary one. */
function writeOutput(path: string, bytes: Uint8Array | string): void {
  const tmp = `${path}.tmp-${process.pid}`;
  try {
    writeFileSync(tmp, bytes);
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === "ENOENT" ? "its directory does not exist" : code === "EACCES" || code === "EPERM" ? "permission denied" : code === "EISDIR" ? "it is a directory" : `${code ?? (e as Error).message}`;
    throw new TollgateError("unreadable", `cannot write output: ${why}`, path);
  }
}

function algOf(v: unknown): SigningAlgorithm | undefined {
  if (v === undefined || v === "") return undefined;
  const s = String(v);
  if (!isSigningAlgorithm(s)) throw usage(`unknown signing algorithm ${s} (want RS256/384/512, PS256/384/512, ES256/384/512, HS256/384/512)`);
  return s;
}

/** --verification-key PEM (repeatable, paired with --key-id) and/or --keys FILE → keyring + the forced key id. */
export function keyringFromArgs(p: Parsed): { keys: BundleKeyring; forcedKeyId?: string } {
  const pems = list(p, "verification-key");
  const ids = list(p, "key-id");
  const alg = algOf(str(p, "signing-alg"));
  const keysFile = str(p, "keys");
  const keys: Record<string, ReturnType<typeof loadVerificationKey>> = {};
  if (keysFile) {
    const file = keysFile;
    const text = new TextDecoder().decode(readUserFileSync(file, "keyring file"));
    let doc: unknown;
    try {
      doc = YAML.parse(text);
    } catch (e) {
      throw new TollgateError("usage", `not YAML/JSON: ${(e as Error).message}`, file);
    }
    if (!doc || typeof doc !== "object" || Array.isArray(doc)) throw new TollgateError("usage", "want an object {keyid: {key|key_file, algorithm?, scope?}}", file);
    Object.assign(keys, keyringFromConfig(doc as Record<string, KeyConfigEntry>, (p) => readUserFileSync(resolve(dirname(file), p), "key file"), file));
  }
  if (ids.length > pems.length) throw usage("--key-id given more times than --verification-key");
  pems.forEach((p, i) => {
    const id = ids[i] ?? (pems.length === 1 ? DEFAULT_KEY_ID : undefined);
    if (!id) throw usage("with several --verification-key, give a --key-id for each (in the same order)");
    const o: { algorithm?: SigningAlgorithm; source: string } = { source: p };
    if (alg) o.algorithm = alg;
    keys[id] = loadVerificationKey(readUserFileSync(p, "verification key"), o);
  });
  if (Object.keys(keys).length === 0) throw usage("no verification key: give --verification-key PEM or --keys FILE");
  // One key given on the command line without --keys: it is *the* key, whatever kid the token names (opa build's behaviour).
  const forced = pems.length === 1 && !keysFile ? (ids[0] ?? DEFAULT_KEY_ID) : undefined;
  return forced ? { keys, forcedKeyId: forced } : { keys };
}

function positional(p: Parsed, what: string): string {
  if (p.positionals.length !== 1) throw usage(`give exactly one ${what} (got ${p.positionals.length})`);
  return p.positionals[0]!;
}

const BUNDLE_ARG = { name: "BUNDLE", description: "bundle .tar.gz", what: "BUNDLE" };

/**
 * A `bundle <name>` command over exactly one positional: strict flags, then `body(parsed, positional)`; any error
 * is one line naming the file and exit 2 (runCommand).
 */
function oneArgCommand(
  name: string,
  description: string,
  flags: FlagSpecs,
  arg: { name: string; description: string; what: string },
  body: (p: Parsed, arg: string) => Promise<number>,
) {
  return defineCommand({
    meta: { name, description },
    args: helpArgs(flags, { name: arg.name, description: arg.description, required: true }),
    run: ({ rawArgs }) =>
      runCommand(`bundle ${name}`, async () => {
        const p = parseStrict(rawArgs, flags);
        return body(p, positional(p, arg.what));
      }),
  });
}

const format = (p: Parsed) => oneOf(str(p, "format"), ["text", "json"] as const, "format");

const buildFlags: FlagSpecs = {
  output: { type: "string", short: "o", description: "output .tar.gz", valueHint: "OUT" },
  entrypoint: { type: "string", short: "e", multiple: true, description: "entrypoint, e.g. tollgate/gate/decision" },
  revision: { type: "string", short: "r", description: "bundle revision written to .manifest" },
  ignore: { type: "string", multiple: true, description: "file name pattern to leave out, passed to opa --ignore" },
};

const build = oneArgCommand(
  "build",
  "Compile a policy directory to a WASM bundle with opa (reproducible)",
  buildFlags,
  { name: "DIR", description: "policy directory (bundle root)", what: "policy DIR" },
  async (p, dirArg) => {
    const dir = resolve(dirArg);
    // Checked here: opa runs with DIR as its working directory, and a missing one would surface as
    // "posix_spawn …/opa: ENOENT", blaming opa.
    if (!statSync(dir, { throwIfNoEntry: false })?.isDirectory()) throw new TollgateError("usage", "not a directory", dirArg);
    const eps = list(p, "entrypoint");
    if (eps.length === 0) throw usage("give at least one -e ENTRYPOINT (a WASM bundle needs one)");
    const outArg = str(p, "output");
    if (!outArg) throw usage("give -o OUT.tar.gz");
    const out = resolve(outArg);
    const work = mkdtempSync(join(nodeOs().tmpdir(), "tollgate-build-"));
    try {
      const tmpOut = join(work, "bundle.tar.gz");
      // Run inside DIR with "." so file paths in the bundle are relative to it (an absolute DIR would be
      // recorded verbatim, making the bundle depend on where it was built).
      const a = ["build", "-t", "wasm", "-b", ".", "-o", tmpOut];
      for (const e of eps) a.push("-e", e);
      const revision = str(p, "revision");
      if (revision !== undefined) a.push("--revision", revision);
      for (const i of list(p, "ignore")) a.push("--ignore", i);
      const r = await runOpa(a, { cwd: dir });
      if (r.code !== 0) throw new TollgateError("policy_invalid", `opa build failed:\n${(r.stderr || r.stdout).trim()}`, dir);
      // opa writes zero mtimes/owners in a fixed order, so its output is already byte-reproducible
      // (test/bundle-sign.test.ts holds it to that); the bytes are kept exactly as opa wrote them.
      const bytes = new Uint8Array(readFileSync(tmpOut));
      writeOutput(out, bytes);
      console.log(`${outArg}: sha256:${sha256Hex(bytes)}`);
      return 0;
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  },
);

const signFlags: FlagSpecs = {
  "signing-key": { type: "string", description: "PEM private key (RS/PS/ES) or file holding the HMAC secret (HS)", valueHint: "PEM" },
  "key-id": { type: "string", description: `kid header and keyid claim (default "${DEFAULT_KEY_ID}")` },
  scope: { type: "string", description: "scope claim" },
  "claims-file": { type: "string", description: "JSON file of extra claims (as opa build --claims-file)" },
  "signing-alg": { type: "string", description: "RS256 (default for RSA), RS384/512, PS256/384/512, ES256/384/512, HS256/384/512" },
  output: { type: "string", short: "o", description: "output .tar.gz (default: replace BUNDLE)" },
};

const sign = oneArgCommand("sign", "Sign a bundle: write .signatures.json (OPA's format) into it", signFlags, BUNDLE_ARG, async (p, src) => {
  const alg = algOf(str(p, "signing-alg"));
  const keyPath = str(p, "signing-key");
  if (!keyPath) throw usage("give --signing-key PEM");
  const key = loadSigningKey(readUserFileSync(keyPath, "signing key"), alg, keyPath);
  let claims: Record<string, unknown> | undefined;
  const claimsFile = str(p, "claims-file");
  if (claimsFile) {
    try {
      const c: unknown = JSON.parse(new TextDecoder().decode(readUserFileSync(claimsFile, "claims file")));
      if (!c || typeof c !== "object" || Array.isArray(c)) throw new Error("not a JSON object");
      claims = c as Record<string, unknown>;
    } catch (e) {
      if (e instanceof TollgateError) throw e;
      throw new TollgateError("usage", `claims file is not a JSON object: ${(e as Error).message}`, claimsFile);
    }
  }
  const opts: Parameters<typeof signBundleArchive>[2] = { key };
  if (alg) opts.algorithm = alg;
  const keyId = str(p, "key-id");
  if (keyId) opts.keyId = keyId;
  const scope = str(p, "scope");
  if (scope !== undefined) opts.scope = scope;
  if (claims) opts.claims = claims;
  const { bytes } = await signBundleArchive(readUserFileSync(src, "bundle"), src, opts);
  const out = str(p, "output") ?? src;
  writeOutput(out, bytes);
  console.log(`${out}: signed (sha256:${sha256Hex(bytes)})`);
  return 0;
});

const verifyFlags: FlagSpecs = {
  "verification-key": { type: "string", multiple: true, description: "PEM public key/certificate, or HMAC secret file", valueHint: "PEM" },
  "key-id": { type: "string", multiple: true, description: "key id of each --verification-key (same order)" },
  keys: { type: "string", description: "YAML/JSON keyring {keyid: {key|key_file, algorithm?, scope?}} for rotation", valueHint: "FILE" },
  scope: { type: "string", description: "required scope" },
  "signing-alg": { type: "string", description: "pin the JWS algorithm (needed for HS*: the key is a secret)" },
  exclude: { type: "string", multiple: true, description: "file pattern not verified (as opa --exclude-files-verify)" },
  format: { type: "string", description: "text (default) or json" },
};

const verify = oneArgCommand("verify", "Verify a bundle's .signatures.json: exit 0 verified, 1 rejected, 2 unreadable", verifyFlags, BUNDLE_ARG, async (p, src) => {
  const fmt = format(p);
  const { keys, forcedKeyId } = keyringFromArgs(p);
  const entries = await readArchive(readUserFileSync(src, "bundle"), src);
  const opts: Parameters<typeof verifyBundleSignature>[2] = {};
  const scope = str(p, "scope");
  if (scope !== undefined) opts.scope = scope;
  if (forcedKeyId) opts.keyId = forcedKeyId;
  const ex = list(p, "exclude");
  if (ex.length) opts.exclude = ex;
  const r = await verifyBundleSignature(entries, keys, opts);
  if (fmt === "json") console.log(JSON.stringify({ source: src, ...r }, null, 2));
  else if (r.ok) console.log(`${src}: bundle signature verified (key ${r.keyId}, ${r.algorithm}, ${r.files.length} files${r.scope ? `, scope ${r.scope}` : ""})`);
  else {
    console.error(describeRejection(src, r));
    for (const c of r.checks.filter((c) => !c.ok).slice(1)) console.error(`  ${c.name}: ${c.reason} [${c.code}]`);
  }
  return r.ok ? 0 : 1;
});

const inspectFlags: FlagSpecs = {
  format: { type: "string", description: "text (default) or json" },
};

const inspect = oneArgCommand("inspect", "Show a bundle's manifest, files with hashes, entrypoints and signature summary (unverified)", inspectFlags, BUNDLE_ARG, async (p, src) => {
  const fmt = format(p);
  const report = await inspectBundle(readUserFileSync(src, "bundle"), src);
  console.log(fmt === "json" ? JSON.stringify(report, null, 2) : formatInspect(report));
  return 0;
});

export interface InspectReport {
  source: string;
  sha256: string;
  manifest: Record<string, unknown> | null;
  revision: string;
  entrypoints: { entrypoint: string; module: string }[];
  files: { name: string; size: number; sha256: string; signedDigest?: string; listed?: boolean; matches?: boolean }[];
  signature: null | { keyId?: string; algorithm?: string; scope?: string; claims: Record<string, unknown>; listed: number; note: string };
}

/** What is in a bundle, without trusting anything: the signature summary says it is unverified. */
export async function inspectBundle(bytes: Uint8Array, src: string): Promise<InspectReport> {
  const entries = await readArchive(bytes, src);
  const manifestEntry = entries.find((e) => e.name === ".manifest");
  let manifest: Record<string, unknown> | null = null;
  if (manifestEntry) {
    let m: unknown;
    try {
      m = JSON.parse(new TextDecoder().decode(manifestEntry.bytes));
    } catch (e) {
      throw new TollgateError("malformed", `.manifest is not JSON: ${(e as Error).message}`, src);
    }
    if (!m || typeof m !== "object" || Array.isArray(m)) throw new TollgateError("malformed", ".manifest is not a JSON object", src);
    manifest = m as Record<string, unknown>;
  }
  let signature: InspectReport["signature"] = null;
  const listedByName = new Map<string, { hash: string; algorithm: string }>();
  const sigEntry = entries.find((e) => isSignaturesFile(e.name));
  if (sigEntry) {
    const tokens = parseSignaturesFile(sigEntry.bytes);
    try {
      if (typeof tokens === "string") throw new Error(tokens);
      const { header, payload } = decodeJwtUnverified(tokens[0] ?? "");
      const files = Array.isArray(payload.files) ? (payload.files as { name: string; hash: string; algorithm: string }[]) : [];
      for (const f of files) listedByName.set(String(f.name).replace(/^\//, ""), { hash: String(f.hash), algorithm: String(f.algorithm) });
      const claims: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(payload)) if (k !== "files") claims[k] = v;
      signature = { claims, listed: files.length, note: "unverified: use `tollgate bundle verify` with a trusted key" };
      const kid = header.kid ?? payload.keyid;
      if (typeof kid === "string") signature.keyId = kid;
      if (typeof header.alg === "string") signature.algorithm = header.alg;
      if (typeof payload.scope === "string") signature.scope = payload.scope;
    } catch (e) {
      signature = { claims: {}, listed: 0, note: typeof tokens === "string" ? tokens : `unreadable JWT in .signatures.json: ${(e as Error).message}` };
    }
  }
  const files = entries.map((e) => {
    const f: InspectReport["files"][number] = { name: e.name, size: e.bytes.length, sha256: sha256Hex(e.bytes) };
    if (signature && !isSignaturesFile(e.name)) {
      const l = listedByName.get(e.name);
      f.listed = !!l;
      if (l) {
        f.signedDigest = l.hash;
        try {
          f.matches = bundleFileDigest(e.name, e.bytes, l.algorithm) === l.hash.toLowerCase();
        } catch {
          f.matches = false;
        }
      }
    }
    return f;
  });
  // Unverified content: read defensively (a null or non-object entry is shown empty, never a crash).
  const wasm = (Array.isArray(manifest?.wasm) ? (manifest!.wasm as unknown[]) : []).map((w) => (w && typeof w === "object" ? (w as Record<string, unknown>) : {}));
  return {
    source: src,
    sha256: sha256Hex(bytes),
    manifest,
    revision: typeof manifest?.revision === "string" ? manifest.revision : "",
    entrypoints: wasm.map((w) => ({ entrypoint: String(w.entrypoint ?? ""), module: String(w.module ?? "") })),
    files,
    signature,
  };
}

function formatInspect(r: InspectReport): string {
  const lines = [`bundle    ${r.source}`, `sha256    ${r.sha256}`, `revision  ${r.revision || "(none)"}`];
  if (r.manifest?.roots) lines.push(`roots     ${JSON.stringify(r.manifest.roots)}`);
  lines.push("entrypoints:");
  for (const e of r.entrypoints) lines.push(`  ${e.entrypoint}  (${e.module})`);
  if (r.entrypoints.length === 0) lines.push("  (none)");
  lines.push("files:");
  for (const f of r.files) {
    const sig = f.listed === undefined ? "" : !f.listed ? "  NOT LISTED in signature" : f.matches ? "  signed hash matches" : "  SIGNED HASH DIFFERS";
    lines.push(`  ${f.name.padEnd(28)} ${String(f.size).padStart(9)}  sha256:${f.sha256}${sig}`);
  }
  if (!r.signature) lines.push("signature: none (unsigned bundle)");
  else {
    const s = r.signature;
    lines.push(`signature: key ${s.keyId ?? "(none)"}, ${s.algorithm ?? "?"}, scope ${s.scope ?? "(none)"}, ${s.listed} files listed — ${s.note}`);
    const extra = Object.entries(s.claims).filter(([k]) => k !== "keyid" && k !== "scope");
    for (const [k, v] of extra) lines.push(`  claim ${k}: ${JSON.stringify(v)}`);
  }
  return lines.join("\n");
}

const serveFlags: FlagSpecs = {
  addr: { type: "string", description: "listen address host:port (default 127.0.0.1:8181; port 0 = ephemeral)" },
  "max-wait": { type: "string", description: "longest long-poll wait honoured, seconds (default 60, at most 245)" },
};

const serve = defineCommand({
  meta: { name: "serve", description: "Serve the *.tar.gz bundles of a directory over OPA's bundle service protocol" },
  args: helpArgs(serveFlags, { name: "DIR", description: "directory of bundles", required: true }),
  async run({ rawArgs }) {
    const { startBundleServer, MAX_LONG_POLL_SECONDS } = await import("../../serve/bundle-server.ts");
    const { parseAddr } = await import("../../serve/config.ts"); // one host:port grammar for both servers
    try {
      const p = parseStrict(rawArgs, serveFlags);
      const dir = positional(p, "bundle DIR");
      const { hostname: host, port } = parseAddr(str(p, "addr") ?? "127.0.0.1:8181");
      const maxWait = Number(str(p, "max-wait") ?? 60);
      if (!Number.isFinite(maxWait) || maxWait < 0) throw usage("--max-wait wants a number of seconds");
      if (maxWait > MAX_LONG_POLL_SECONDS) throw usage(`--max-wait is at most ${MAX_LONG_POLL_SECONDS} seconds (Bun closes a connection idle for 255 s, and a held long poll is idle)`);
      const srv = await startBundleServer({ dir, hostname: host, port, maxWaitSeconds: maxWait, log: (l) => console.error(`tollgate bundle serve: ${l}`) });
      console.log(`tollgate bundle serve: serving ${dir} on ${srv.url}/`);
      const stop = async () => {
        await srv.stop();
        process.exit(0);
      };
      process.on("SIGTERM", () => void stop());
      process.on("SIGINT", () => void stop());
    } catch (e) {
      console.error(`tollgate bundle serve: ${asTollgateError(e).oneLine()}`);
      process.exit(EXIT_ERROR);
    }
  },
});

// push / pull: OPA's OCI layout (one tar+gzip layer holding the bundle bytes), so `opa run` with an OCI service
// loads what tollgate pushes and tollgate loads what `oras push` (OPA's documented way) pushes.
const ociFlags: FlagSpecs = {
  "registry-config": { type: "string", description: "docker config.json with registry credentials", valueHint: "FILE" },
  "registry-ca": { type: "string", multiple: true, description: "PEM CA trusted for registry TLS besides the system CAs", valueHint: "FILE" },
  "allow-http-registry": { type: "boolean", description: "allow plain HTTP to non-loopback registries" },
};

async function ociClient(p: Parsed) {
  const { RegistryClient } = await import("../../evidence/oci/client.ts");
  return new RegistryClient({
    ...(str(p, "registry-config") ? { registryConfig: str(p, "registry-config")! } : {}),
    ...(list(p, "registry-ca").length ? { caFiles: list(p, "registry-ca") } : {}),
    ...(p.values["allow-http-registry"] === true ? { allowHttp: true } : {}),
  });
}

const push = defineCommand({
  meta: { name: "push", description: "Push a bundle .tar.gz to oci://HOST/REPO:TAG (OPA's OCI bundle layout); prints the manifest digest" },
  args: helpArgs(ociFlags, { name: "BUNDLE", description: "bundle .tar.gz, then oci://HOST/REPO:TAG", required: true }),
  run: ({ rawArgs }) =>
    runCommand("bundle push", async () => {
      const p = parseStrict(rawArgs, ociFlags);
      if (p.positionals.length !== 2) throw usage("give BUNDLE and oci://HOST/REPO:TAG");
      const [file, target] = p.positionals as [string, string];
      const bytes = readUserFileSync(file, "policy bundle", "policy_unreadable");
      await readArchive(bytes, file); // only a readable bundle archive is pushed (rego or wasm: opa takes either)
      const { pushBundle } = await import("../../policy/oci.ts");
      const digest = await pushBundle(bytes, target, await ociClient(p), file.split("/").pop()!);
      console.log(`${target.replace(/:[^:/]+$/, "")}@${digest}`);
      return 0;
    }),
});

const pullFlags: FlagSpecs = { output: { type: "string", short: "o", description: "where to write the bundle .tar.gz", valueHint: "FILE" }, ...ociFlags };

const pull = defineCommand({
  meta: { name: "pull", description: "Pull the bundle at oci://HOST/REPO:TAG (or @sha256:…) into -o FILE, byte for byte" },
  args: helpArgs(pullFlags, { name: "REF", description: "oci://HOST/REPO:TAG", required: true }),
  run: ({ rawArgs }) =>
    runCommand("bundle pull", async () => {
      const p = parseStrict(rawArgs, pullFlags);
      const ref = positional(p, "oci://HOST/REPO:TAG");
      const out = str(p, "output");
      if (!out) throw usage("give -o FILE");
      const { pullBundle } = await import("../../policy/oci.ts");
      const r = await pullBundle(ref, await ociClient(p));
      await readArchive(r.bytes, ref); // a layer that is not a bundle archive is not written
      writeOutput(out, r.bytes);
      console.error(`pulled ${ref} (manifest ${r.manifestDigest}, bundle sha256:${sha256Hex(r.bytes)}) to ${out}`);
      return 0;
    }),
});

export default defineCommand({
  meta: { name: "bundle", description: "Build, sign, verify, inspect, serve, push and pull OPA policy bundles" },
  subCommands: { build, sign, verify, inspect, serve, push, pull },
});
