// conftest's configuration (viper): a flag given on the command line wins, then CONFTEST_<FLAG> in the
// environment, then the config file (conftest.{json,toml,yaml,yml} in the working directory, or -c FILE), then
// the flag's default. Keys are the long flag names (`policy`, `all-namespaces`, …).
import { existsSync } from "node:fs";
import { TollgateError } from "../core/errors.ts";
import { readUserFile } from "../core/read.ts";
import { parseInput } from "./parsers/index.ts";

export type ConfigValue = string | boolean | string[];

// viper's SupportedExts order, restricted to the formats tollgate parses.
const CANDIDATES = ["conftest.json", "conftest.toml", "conftest.yaml", "conftest.yml"];

export async function readConfig(file: string | undefined): Promise<{ path?: string; values: Record<string, unknown> }> {
  const path = file ?? CANDIDATES.find((c) => existsSync(c));
  if (!path) return { values: {} };
  const doc = await parseInput(await readUserFile(path, "config file"), path);
  if (doc === null || typeof doc !== "object" || Array.isArray(doc)) throw new TollgateError("malformed", "config file must hold a table of settings", path);
  const values: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(doc as Record<string, unknown>)) values[k.toLowerCase()] = v;
  return { path, values };
}

/** A setting from the environment or the config file, as the flag's type (lists accept one string or a list). */
export function fallback(name: string, kind: "string" | "boolean" | "list", config: Record<string, unknown>, source: string | undefined): ConfigValue | undefined {
  const env = process.env[`CONFTEST_${name.toUpperCase().replace(/-/g, "_")}`];
  const raw: unknown = env !== undefined ? env : config[name];
  if (raw === undefined || raw === null) return undefined;
  const where = env !== undefined ? `CONFTEST_${name.toUpperCase().replace(/-/g, "_")}` : `${source}: ${name}`;
  if (kind === "boolean") {
    if (typeof raw === "boolean") return raw;
    if (typeof raw === "string" && /^(true|false|1|0)$/i.test(raw)) return /^(true|1)$/i.test(raw);
    throw new TollgateError("usage", `${where} must be true or false`);
  }
  if (kind === "list") {
    if (Array.isArray(raw)) return raw.map(String);
    if (typeof raw === "string") return raw.split(/\s+/).filter(Boolean); // viper: strings.Fields
    throw new TollgateError("usage", `${where} must be a string or a list of strings`);
  }
  if (typeof raw === "string" || typeof raw === "number") return String(raw);
  throw new TollgateError("usage", `${where} must be a string`);
}

export type SettingKinds = Record<string, "string" | "boolean" | "list">;

/** cobra's string slices: repeatable, and each value split on commas. */
const splitList = (v: string[]) => v.flatMap((x) => x.split(",")).filter((x) => x !== "");

/**
 * A command's settings as conftest reads them: a flag given on the command line (`flags`, as parsed; an empty
 * repeatable is not given), else its viper fallback (`kinds` names the flags viper reads, and as what), typed.
 */
export function settingsReader(flags: Record<string, unknown>, kinds: SettingKinds, cfg: { path?: string; values: Record<string, unknown> }) {
  const get = (name: string): unknown => {
    const v = flags[name];
    if (v !== undefined && !(Array.isArray(v) && v.length === 0)) return v;
    return kinds[name] ? fallback(name, kinds[name]!, cfg.values, cfg.path) : undefined;
  };
  return {
    get,
    bool: (name: string) => get(name) === true,
    str: (name: string): string | undefined => {
      const v = get(name);
      return v === undefined || v === "" ? undefined : String(v);
    },
    list: (name: string, dflt: string[] = []): string[] => {
      const v = get(name);
      return v === undefined ? dflt : splitList(Array.isArray(v) ? v.map(String) : [String(v)]);
    },
  };
}
