// Input formats of `tollgate test` and `tollgate parse`: conftest's parser package, one module per format
// behind the Parser interface (types.ts), chosen by file name and extension exactly as conftest's
// NewFromPath does, or forced with --parser NAME. A file whose format is not known is an error, never a pass.
// Parsers load on first use, so testing YAML does not pay for the HCL or CUE WebAssembly.
import { TollgateError } from "../../core/errors.ts";
import type { ParseContext, Parser } from "./types.ts";

export type { ParseContext, Parser } from "./types.ts";
export { malformed } from "./types.ts";

type Loader = () => Promise<Parser>;

/** conftest's parser names (its --parser values), each with its module. */
const registry: Record<string, Loader> = {
  cue: () => import("./cue.ts").then((m) => m.cue),
  cyclonedx: () => import("./cyclonedx.ts").then((m) => m.cyclonedx),
  dockerfile: () => import("./dockerfile.ts").then((m) => m.dockerfile),
  dotenv: () => import("./dotenv.ts").then((m) => m.dotenv),
  edn: () => import("./edn.ts").then((m) => m.edn),
  hcl1: () => import("./hcl1.ts").then((m) => m.hcl1),
  hcl2: () => import("./hcl2.ts").then((m) => m.hcl2),
  hocon: () => import("./hocon.ts").then((m) => m.hocon),
  ignore: () => import("./ignore.ts").then((m) => m.ignore),
  ini: () => import("./ini.ts").then((m) => m.ini),
  json: () => import("./json.ts").then((m) => m.json),
  jsonc: () => import("./jsonc.ts").then((m) => m.jsonc),
  jsonnet: () => import("./jsonnet.ts").then((m) => m.jsonnet),
  nginx: () => import("./nginx.ts").then((m) => m.nginx),
  properties: () => import("./properties.ts").then((m) => m.properties),
  spdx: () => import("./spdx.ts").then((m) => m.spdx),
  textproto: () => import("./textproto.ts").then((m) => m.textproto),
  toml: () => import("./toml.ts").then((m) => m.toml),
  vcl: () => import("./vcl.ts").then((m) => m.vcl),
  xml: () => import("./xml.ts").then((m) => m.xml),
  yaml: () => import("./yaml.ts").then((m) => m.yaml),
};

/** The --parser names tollgate accepts, in conftest's order. */
export const PARSER_NAMES: readonly string[] = Object.keys(registry);

/** Every parser conftest v0.69 knows (its parser.New), including those tollgate has not implemented yet. */
const CONFTEST_NAMES = new Set([
  "cue", "cyclonedx", "dockerfile", "dotenv", "edn", "hcl1", "hcl2", "hocon", "ignore", "ini", "json", "jsonc",
  "jsonnet", "nginx", "properties", "spdx", "textproto", "toml", "vcl", "xml", "yaml",
]);

/** conftest's textproto extensions. */
const TEXTPROTO_EXTENSIONS = ["textproto", "textpb"];

function baseName(path: string): string {
  return path.replace(/[\\/]+$/, "").split(/[\\/]/).pop() ?? path;
}

/** Go's filepath.Ext: from the last dot of the last element ("" when none; ".env" is ".env"). */
function extension(path: string): string {
  const b = baseName(path);
  const i = b.lastIndexOf(".");
  return i < 0 ? "" : b.slice(i + 1).toLowerCase();
}

/**
 * The conftest parser name for a path (conftest's NewFromPath), or undefined when conftest knows no parser
 * for it. stdin ("-") is YAML unless --parser says otherwise.
 */
export function parserNameFor(path: string): string | undefined {
  if (path === "-") return "yaml";
  const name = baseName(path).toLowerCase();
  const ext = extension(path);
  if (name === "dockerfile" || name.startsWith("dockerfile.") || ext === "dockerfile") return "dockerfile";
  if (ext === "yml" || ext === "yaml") return "yaml";
  if (ext === "hcl" || ext === "tf" || ext === "tfvars") return "hcl2";
  if (ext === "gitignore" || ext === "dockerignore") return "ignore";
  if (name === ".env" || name.startsWith(".env.") || ext === "env") return "dotenv";
  if (name === "nginx.conf") return "nginx";
  if (TEXTPROTO_EXTENSIONS.includes(ext)) return "textproto";
  return CONFTEST_NAMES.has(ext) ? ext : undefined;
}

/**
 * Whether conftest would parse the file (its FileSupported), used when walking directories. A format
 * conftest knows but tollgate has not implemented counts as supported, so it fails loudly instead of being
 * skipped.
 */
export function isSupported(path: string): boolean {
  return parserNameFor(path) !== undefined;
}

/** The parser named `name` (a --parser value); an unknown name is a usage error listing the valid ones. */
export async function getParser(name: string): Promise<Parser> {
  const load = registry[name];
  if (!load && CONFTEST_NAMES.has(name)) throw new TollgateError("unsupported", `the ${name} parser is not implemented in tollgate yet`);
  if (!load) throw new TollgateError("usage", `unknown parser "${name}" (valid parsers: ${PARSER_NAMES.join(", ")})`);
  return load();
}

/** The parser for a file: forced by name, else by its name and extension; an unknown format is `unsupported`. */
export async function parserFor(path: string, forced?: string): Promise<Parser> {
  if (forced) return getParser(forced);
  const name = parserNameFor(path);
  if (name === undefined) {
    const ext = extension(path);
    throw new TollgateError(
      "unsupported",
      `unknown file format${ext ? ` ".${ext}"` : " (no extension)"}: cannot parse it; name the format with --parser NAME (${PARSER_NAMES.join(", ")})`,
      path,
    );
  }
  try {
    return await getParser(name);
  } catch (e) {
    throw e instanceof TollgateError && !e.path ? new TollgateError(e.code, e.message, path, { cause: e }) : e;
  }
}

export interface ParseOptions {
  /** Force a parser (conftest's --parser). */
  parser?: string;
  protoFileDirs?: readonly string[];
}

/** The document conftest would give a policy for these bytes of `path`. Throws TollgateError. */
export async function parseInput(bytes: Uint8Array, path: string, opts: ParseOptions = {}): Promise<unknown> {
  const parser = await parserFor(path, opts.parser);
  const ctx: ParseContext = { path, ...(opts.protoFileDirs ? { protoFileDirs: opts.protoFileDirs } : {}) };
  return await parser.parse(bytes, ctx);
}

/** The documents a policy is evaluated against, as conftest's engine splits them: a top-level list is one document per element. */
export function documentsOf(parsed: unknown): unknown[] {
  return Array.isArray(parsed) ? parsed : [parsed];
}
