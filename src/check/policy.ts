// conftest-style policies: Rego files and directories (any number of -p, compiled here to WASM with the pinned
// opa, the way a user iterates locally) or one built bundle (.tar.gz / .wasm, verified like any other bundle).
// Rules are conftest's: `deny`/`violation` (failures) and `warn` (warnings), each optionally `_suffix`ed, per
// namespace (the Rego package), plus `exception` rules naming the rules they waive.
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { nodeOs } from "../core/lazy.ts";
import { join, normalize, resolve } from "node:path";
import { TollgateError } from "../core/errors.ts";
import { loadBundleFile, readBundle, type PolicyBundle } from "../policy/bundle.ts";
import type { ArchiveSelector } from "../policy/archive.ts";
import { findOpa, OPA_VERSION } from "../policy/opa-tool.ts";
import { readUserFile } from "../core/read.ts";
import type { RegistryOptions } from "../evidence/oci/client.ts";

export type RuleKind = "failure" | "warning";

// conftest's patterns (policy/engine.go), not a looser one: `deny_a_b` and `warn_x` count, `deny-x` does not.
const FAILURE = /^(deny|violation)(_[a-zA-Z0-9]+)*$/;
const WARNING = /^warn(_[a-zA-Z0-9]+)*$/;

export function ruleKind(name: string): RuleKind | undefined {
  return FAILURE.test(name) ? "failure" : WARNING.test(name) ? "warning" : undefined;
}

/** One rule name in a namespace, with how many definitions it has (conftest counts each definition as a test). */
export interface NamespaceRule {
  name: string;
  kind: RuleKind;
  definitions: number;
}

export interface CheckPolicy {
  /** The compiled policy; undefined when no module defines a deny/violation/warn rule (nothing to evaluate). */
  bundle?: PolicyBundle;
  source: string;
  /** Namespaces in load order (Rego packages without `data.`). */
  namespaces: string[];
  /** Rules per namespace, in module then definition order. */
  rules: Map<string, NamespaceRule[]>;
  /** Namespaces that define `exception`. */
  exceptions: Set<string>;
  /** Whether any module reads data.conftest (the per-file name/dir conftest provides). */
  readsFileInfo: boolean;
  /** Located call sites (print, parse_config_file): marker index → `file:row`. */
  sites: string[];
  /** The unit tests (`test_` and skipped `todo_test_` rules), one per rule name, in module order. */
  tests: { file: string; namespace: string; name: string; row: number }[];
  /** A message with the compiled copies' names (m0.rego, …, which the WASM module's errors carry) as the user's paths. */
  userPaths: (message: string) => string;
}

export interface CompileOptions {
  regoVersion?: string;
  strict?: boolean;
  capabilities?: string;
  /** Compile the `test_` rules as the entrypoints (policy-test over WASM) instead of deny/warn/exception. */
  tests?: boolean;
}

export const OPA_MISSING = "compiling Rego needs opa: run `bash scripts/setup.sh` or `go install github.com/open-policy-agent/opa@" + OPA_VERSION + "`, or pass a built bundle (tollgate bundle build)";

/** Every `.rego` under the given paths (directories walked, files taken as given; other files ignored, as conftest does). */
export function regoFiles(paths: readonly string[]): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith(".rego")) out.push(p);
    }
  };
  for (const p of paths) {
    let st;
    try {
      st = statSync(p);
    } catch {
      throw new TollgateError("policy_unreadable", "policy path not found", p);
    }
    if (st.isDirectory()) walk(p);
    else if (p.endsWith(".rego")) out.push(normalize(p));
  }
  return [...new Set(out)];
}

const isBundlePath = (p: string) => /\.(tar\.gz|tgz|wasm)$/.test(p);

interface ParsedRule {
  head: { name?: string; key?: unknown; value?: { type: string; value: unknown }; ref?: { value: unknown }[] };
  location?: { row: number };
}
interface ParsedModule {
  package: { path: { value: string }[] };
  rules?: ParsedRule[];
}

interface ModuleInfo {
  file: string;
  namespace: string;
  rules: { name: string; row: number; kind?: RuleKind }[];
}

interface CachedMeta {
  modules: ModuleInfo[];
  sites: string[];
  readsFileInfo: boolean;
  /** The name each module was compiled under → the user's path. */
  compiled?: Record<string, string>;
}

/** The messages of opa's text error report (`file:row: code: message` and tab-indented continuation lines). */
function textErrors(report: string): string[] {
  const out: string[] = [];
  for (const line of report.split("\n")) {
    const m = /^(?:error: )?(?:\d+ errors? occurred: )?\S+:\d+: rego_[a-z_]+: (.*)$/.exec(line);
    if (m) out.push(m[1]!);
    else if (line.startsWith("\t") && out.length) out[out.length - 1] += "\n" + line.trim();
  }
  return out;
}

/** One line per OPA error: `file:row:col: code: message` (opa writes them to stdout or stderr, as JSON with --format json). */
export function opaErrors(opa: string, args: string[], files: string[], rename: (s: string) => string = (s) => s, cwd?: string): string | undefined {
  const p = Bun.spawnSync([opa, "check", "--format", "json", ...args, ...files], { stdout: "pipe", stderr: "pipe", ...(cwd ? { cwd } : {}) });
  if (p.exitCode === 0) return undefined;
  for (const text of [p.stdout.toString(), p.stderr.toString()]) {
    try {
      const j = JSON.parse(text) as { errors?: { message: string; code: string; location?: { file: string; row: number; col: number } }[] };
      if (!j.errors?.length) continue;
      // The JSON has the columns; opa's text form has the full message (a type error's have/want lines).
      const pretty = Bun.spawnSync([opa, "check", ...args, ...files], { stdout: "pipe", stderr: "pipe", ...(cwd ? { cwd } : {}) });
      const blocks = textErrors(pretty.stdout.toString() + pretty.stderr.toString());
      const full = blocks.length === j.errors.length ? blocks : undefined;
      return j.errors
        .map((e, i) => {
          const where = e.location ? `${rename(e.location.file)}:${e.location.row}:${e.location.col}: ` : "";
          return `${where}${e.code}: ${rename((full?.[i] ?? e.message).split("\n").map((l) => l.trim()).filter(Boolean).join("; "))}`;
        })
        .join("\n");
    } catch {
      // not JSON: try the other stream
    }
  }
  return rename((p.stderr.toString() || p.stdout.toString()).trim().replace(/\s*\n\s*/g, "; "));
}

/** Calls whose source location the host needs (the WASM target carries none): the name in the source, and the
 * call it becomes, with a marker naming the call site as its first argument. */
export const LOCATED_CALLS: Record<string, string> = {
  print: "print", // conftest prints file:row before each print() line
  parse_config_file: "tollgate.parse_config_file_at", // paths are relative to the policy file
  parse_combined_config_files: "tollgate.parse_combined_config_files_at",
};

/**
 * Give each located call its site: `print(x)` → `print("<marker>", x)`. Strings, raw strings and comments are
 * skipped; only a call that is not part of a longer name or a ref is rewritten. Rows do not move.
 */
export function markCalls(src: string, marker: (row: number) => string): string {
  let out = "";
  let row = 1;
  const names = Object.keys(LOCATED_CALLS);
  for (let i = 0; i < src.length; i++) {
    const c = src[i]!;
    if (c === "\n") row++;
    if (c === "#") {
      const end = src.indexOf("\n", i);
      const stop = end < 0 ? src.length : end;
      out += src.slice(i, stop);
      i = stop - 1;
      continue;
    }
    if (c === '"' || c === "`") {
      let j = i + 1;
      while (j < src.length && src[j] !== c) {
        if (c === '"' && src[j] === "\\") j++;
        if (src[j] === "\n") row++;
        j++;
      }
      out += src.slice(i, j + 1);
      i = j;
      continue;
    }
    const name = /[A-Za-z0-9_.]/.test(src[i - 1] ?? " ") ? undefined : names.find((n) => src.startsWith(n + "(", i));
    if (name) {
      const rest = src.slice(i + name.length + 1).trimStart();
      out += `${LOCATED_CALLS[name]}(${JSON.stringify(marker(row))}${rest.startsWith(")") ? "" : ", "}`;
      i += name.length;
      continue;
    }
    out += c;
  }
  return out;
}

const OBJECT_ANY = { type: "object", dynamic: { key: { type: "string" }, value: { type: "any" } } };
const fn = (name: string, args: unknown[]) => ({ name, decl: { type: "function", args, result: OBJECT_ANY } });
/** conftest's own built-ins (builtins/parse_config.go), and the located forms markCalls turns two of them into. */
export const CONFTEST_BUILTIN_DECLS = [
  fn("parse_config", [{ type: "string" }, { type: "string" }]),
  fn("parse_config_file", [{ type: "string" }]),
  fn("parse_combined_config_files", [{ type: "array", dynamic: { type: "string" } }]),
  fn("tollgate.parse_config_file_at", [{ type: "string" }, { type: "string" }]),
  fn("tollgate.parse_combined_config_files_at", [{ type: "string" }, { type: "array", dynamic: { type: "string" } }]),
];
/** Whether a Rego source calls one of conftest's own built-ins. */
export const USES_CONFTEST_BUILTINS = /\bparse_(config|config_file|combined_config_files)\s*\(/;

/** opa's capabilities with conftest's built-ins added, for opa build and opa check (undefined when not needed). */
export function conftestCapabilities(opa: string, sources: readonly string[], dir: string): string | undefined {
  if (!sources.some((s) => USES_CONFTEST_BUILTINS.test(s))) return undefined;
  const p = Bun.spawnSync([opa, "capabilities", "--current"], { stdout: "pipe", stderr: "pipe" });
  if (p.exitCode !== 0) throw new TollgateError("internal", `opa capabilities --current failed: ${p.stderr.toString().trim()}`);
  const caps = JSON.parse(p.stdout.toString()) as { builtins: unknown[] };
  caps.builtins.push(...CONFTEST_BUILTIN_DECLS);
  const file = join(dir, "conftest-capabilities.json");
  writeFileSync(file, JSON.stringify(caps));
  return file;
}

export const SITE_MARKER = "\u0000tollgate-site:";

function cacheDir(): string {
  const base = process.env.XDG_CACHE_HOME || join(process.env.HOME ?? nodeOs().tmpdir(), ".cache");
  return join(base, "tollgate", "check");
}

/** Parse each module with opa (opa's own parser, never a regexp over Rego), in parallel. */
async function parseModules(opa: string, files: string[], extra: string[]): Promise<ModuleInfo[]> {
  return Promise.all(
    files.map(async (file) => {
      const p = Bun.spawn([opa, "parse", "--format", "json", "--json-include", "locations,-comments", ...extra, file], { stdout: "pipe", stderr: "pipe" });
      const [out, err, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited]);
      if (code !== 0) return { file, namespace: "", rules: [], error: err.trim() || out.trim() } as ModuleInfo & { error: string };
      const mod = JSON.parse(out) as ParsedModule;
      const namespace = mod.package.path.slice(1).map((x) => String(x.value)).join(".");
      const rules = (mod.rules ?? []).flatMap((r) => {
        const name = r.head.name;
        if (!name) return [];
        return [{ name, row: r.location?.row ?? 0, kind: ruleKind(name) }];
      });
      return { file, namespace, rules };
    }),
  );
}

/** How a policy's .rego text is read: from disk (a test counts the reads through it). */
export type ReadText = (path: string) => string;
const readText: ReadText = (path) => readFileSync(path, "utf8");

/**
 * The set-up `tollgate test` and `tollgate policy-test` share: the .rego modules under the -p paths, each read
 * once (the text is what is hashed, compiled, searched for conftest's built-ins and quoted in reports), and the
 * opa that compiles or tests them.
 */
export interface RegoModules {
  /** The -p paths as messages name the policy. */
  source: string;
  files: string[];
  /** files[i]'s text. */
  sources: string[];
  opa: string;
  regoVersion: string;
}

export function readRegoModules(paths: readonly string[], regoVersion = "v1", read: ReadText = readText): RegoModules {
  if (!/^[vV][01]$/.test(regoVersion)) throw new TollgateError("usage", `invalid Rego version: ${regoVersion} (use v0 or v1)`);
  const files = regoFiles(paths);
  if (files.length === 0) throw new TollgateError("policy_unreadable", `no policies found in ${paths.join(", ")}`);
  const opa = findOpa();
  if (!opa) throw new TollgateError("policy_unreadable", OPA_MISSING, paths.join(", "));
  return { source: paths.join(", "), files, sources: files.map((f) => read(f)), opa, regoVersion };
}

/**
 * Load the policy for `tollgate test`. Rego is compiled with opa (the build tool) into a WASM bundle cached
 * by content; a built bundle is read and handed to `verify` before use.
 */
export async function loadCheckPolicy(paths: readonly string[], opts: CompileOptions, verify: BundleCheck, registry?: RegistryOptions): Promise<CheckPolicy> {
  if (paths.length === 1 && (paths[0]!.startsWith("oci://") || (isBundlePath(paths[0]!) && existsSync(paths[0]!) && statSync(paths[0]!).isFile()))) return bundlePolicy(paths[0]!, verify, registry);
  return compileCheckPolicy(readRegoModules(paths, opts.regoVersion ?? "v1"), opts);
}

/** Compile modules already read (readRegoModules) to a WASM bundle, cached by their content. */
export async function compileCheckPolicy(m: RegoModules, opts: Omit<CompileOptions, "regoVersion">): Promise<CheckPolicy> {
  const { files, sources, opa, regoVersion, source } = m;
  const extra = [...(regoVersion.toLowerCase() === "v0" ? ["--v0-compatible"] : [])];
  const capsText = opts.capabilities ? new TextDecoder().decode(await readUserFile(opts.capabilities, "capabilities file", "usage")) : "";
  const key = createHash("sha256")
    .update(JSON.stringify({ v: 3, opa, opaVersion: OPA_VERSION, files, sources, extra, strict: !!opts.strict, caps: capsText, ...(opts.tests ? { tests: true } : {}) }))
    .digest("hex");
  const dir = join(cacheDir(), key);
  if (existsSync(join(dir, "meta.json"))) {
    try {
      const meta = JSON.parse(readFileSync(join(dir, "meta.json"), "utf8")) as CachedMeta;
      const bundle = existsSync(join(dir, "bundle.tar.gz")) ? await readBundle(new Uint8Array(readFileSync(join(dir, "bundle.tar.gz"))), source) : undefined;
      return assemble(meta, bundle, source);
    } catch {
      // a damaged cache entry is rebuilt
    }
  }
  // Absolute: opa build runs inside it (cwd), and is handed paths in it (-o, --capabilities) that a relative
  // $TMPDIR would make relative to the wrong directory.
  const tmp = mkdtempSync(join(resolve(nodeOs().tmpdir()), "tollgate-test-"));
  try {
    // conftest parses with the chosen Rego version whatever the capabilities file lists; opa build wants the
    // rego_v1 feature named, so the copy it reads names it.
    const buildExtra = [...extra];
    if (opts.capabilities) {
      let caps: { features?: string[] };
      try {
        caps = JSON.parse(capsText) as { features?: string[] };
      } catch (e) {
        throw new TollgateError("usage", `capabilities file is not JSON: ${(e as Error).message}`, opts.capabilities);
      }
      if (regoVersion.toLowerCase() === "v1") caps.features = [...new Set([...(caps.features ?? []), "rego_v1"])];
      writeFileSync(join(tmp, "capabilities.json"), JSON.stringify(caps));
      buildExtra.push("--capabilities", join(tmp, "capabilities.json"));
    } else {
      const caps = conftestCapabilities(opa, sources, tmp);
      if (caps) buildExtra.push("--capabilities", caps);
    }
    // Every module is compiled from a copy inside the temporary directory: opa build refuses paths that leave
    // the bundle (`-p ../policy`), and located calls (print, parse_config_file) are marked with their site. The
    // copies are named m0.rego, m1.rego, … relative to it (the same names whatever the directory, so a cached
    // module's errors still map back); messages name the user's files through `compiled`.
    const sites: string[] = [];
    const compiled: Record<string, string> = {};
    const compileFiles = files.map((f, i) => {
      const src = /\b(print|parse_config_file|parse_combined_config_files)\s*\(/.test(sources[i]!)
        ? markCalls(sources[i]!, (row) => {
            sites.push(`${f}:${row}`);
            return SITE_MARKER + (sites.length - 1);
          })
        : sources[i]!;
      const copy = `m${i}.rego`;
      writeFileSync(join(tmp, copy), src);
      compiled[copy] = f;
      return copy;
    });
    const rename = userPaths(compiled);
    const modules = await parseModules(opa, files, extra);
    const broken = modules.find((m) => (m as { error?: string }).error);
    if (broken) throw new TollgateError("policy_invalid", opaErrors(opa, extra, files) ?? (broken as unknown as { error: string }).error);
    if (opts.strict) {
      const errs = opaErrors(opa, [...buildExtra, "--strict"], files);
      if (errs) throw new TollgateError("policy_invalid", errs);
    }
    const meta: CachedMeta = { modules, sites, compiled, readsFileInfo: sources.some((s) => /\bdata\.conftest\b|\bimport\s+data\.conftest/.test(s)) };
    const eps = new Set<string>();
    for (const m of modules) {
      for (const r of m.rules) if (opts.tests ? r.name.startsWith("test_") : r.kind || r.name === "exception") eps.add([...m.namespace.split("."), r.name].join("/"));
    }
    let bundle: PolicyBundle | undefined;
    let bytes: Uint8Array | undefined;
    if (eps.size) {
      const out = join(tmp, "bundle.tar.gz");
      const args = [opa, "build", "-t", "wasm", "--wasm-include-print", ...buildExtra, "-o", out];
      for (const e of [...eps].sort()) args.push("-e", e);
      args.push(...compileFiles);
      const p = Bun.spawnSync(args, { stdout: "pipe", stderr: "pipe", cwd: tmp });
      if (p.exitCode !== 0) {
        // opa build prints compile and type errors on stdout, without columns: ask opa check for them.
        const errs = opaErrors(opa, buildExtra, compileFiles, rename, tmp) ?? rename((p.stdout.toString() + p.stderr.toString()).trim().replace(/\s*\n\s*/g, "; "));
        throw new TollgateError("policy_invalid", errs || "opa build failed");
      }
      bytes = new Uint8Array(readFileSync(out));
      bundle = await readBundle(bytes, source);
    }
    try {
      const staging = `${dir}.${process.pid}`;
      mkdirSync(staging, { recursive: true });
      if (bytes) writeFileSync(join(staging, "bundle.tar.gz"), bytes);
      writeFileSync(join(staging, "meta.json"), JSON.stringify(meta));
      rmSync(dir, { recursive: true, force: true });
      renameSync(staging, dir);
    } catch {
      // caching is an optimization; a read-only home still works
    }
    return assemble(meta, bundle, source);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

/**
 * Every compiled name in a message as the user's path, in one pass (so a user's path that itself reads like a
 * compiled name, policy/m1.rego, is never replaced again); only whole names, not m1.rego inside xm1.rego.
 */
function userPaths(compiled: Record<string, string> = {}): (message: string) => string {
  const names = Object.keys(compiled).sort((a, b) => b.length - a.length);
  if (!names.length) return (m) => m;
  const re = new RegExp(`(?<![\\w./-])(?:${names.map((n) => n.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")).join("|")})(?![\\w])`, "g");
  return (m) => m.replace(re, (n) => compiled[n]!);
}

function assemble(meta: CachedMeta, bundle: PolicyBundle | undefined, source: string): CheckPolicy {
  const namespaces: string[] = [];
  const rules = new Map<string, NamespaceRule[]>();
  const exceptions = new Set<string>();
  const tests: CheckPolicy["tests"] = [];
  for (const m of meta.modules) {
    for (const r of m.rules) {
      if ((r.name.startsWith("test_") || r.name.startsWith("todo_test_")) && !tests.some((t) => t.namespace === m.namespace && t.name === r.name)) tests.push({ file: m.file, namespace: m.namespace, name: r.name, row: r.row });
    }
    if (!namespaces.includes(m.namespace)) namespaces.push(m.namespace);
    const list = rules.get(m.namespace) ?? [];
    rules.set(m.namespace, list);
    for (const r of m.rules) {
      if (r.name === "exception") exceptions.add(m.namespace);
      if (!r.kind) continue;
      const cur = list.find((x) => x.name === r.name);
      if (cur) cur.definitions++;
      else list.push({ name: r.name, kind: r.kind, definitions: 1 });
    }
  }
  return { ...(bundle ? { bundle } : {}), source, namespaces, rules, exceptions, readsFileInfo: meta.readsFileInfo, sites: meta.sites, tests, userPaths: userPaths(meta.compiled) };
}

/** A built bundle: its namespaces and rules are its entrypoints (`a/b/deny` → namespace a.b, rule deny). */
/** A whole-bundle check, and (select) the signature check the archive reader runs before inflating entries. */
type BundleCheck = ((b: PolicyBundle) => Promise<void>) & { select?: ArchiveSelector };

async function bundlePolicy(path: string, verify: BundleCheck, registry?: RegistryOptions): Promise<CheckPolicy> {
  const bundle = await loadBundleFile(path, registry, verify.select);
  await verify(bundle);
  const eps = (bundle.manifest.wasm ?? []).map((w) => w.entrypoint.replace(/^data\//, ""));
  const meta: CachedMeta = { modules: [], sites: [], readsFileInfo: true };
  for (const ep of eps.length ? eps : await wasmEntrypoints(bundle)) {
    const parts = ep.split("/");
    const name = parts.pop()!;
    if (!parts.length) continue;
    meta.modules.push({ file: path, namespace: parts.join("."), rules: [{ name, row: 0, kind: ruleKind(name) }] });
  }
  return assemble(meta, bundle, path);
}

async function wasmEntrypoints(bundle: PolicyBundle): Promise<string[]> {
  const { loadPolicy } = await import("@open-policy-agent/opa-wasm");
  const out: string[] = [];
  for (const wasm of bundle.modules.values()) {
    try {
      const p = await loadPolicy(wasm);
      out.push(...Object.keys((p.entrypoints ?? {}) as Record<string, number>));
    } catch {
      // a module that does not load is reported when the engine is created
    }
  }
  return out;
}
