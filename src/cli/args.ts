// Strict argument parsing under citty's routing: citty keeps only the last of a repeated flag and takes
// unknown flags silently, so each command declares its flags once (for help and for parsing) and parses
// its raw argv with node:util parseArgs — unknown flags and missing values are usage errors (exit 2).
import { parseArgs } from "node:util";
import type { ArgsDef } from "citty";
import { EXIT_ERROR, TollgateError, asTollgateError, usage } from "../core/errors.ts";

export interface FlagSpec {
  type: "string" | "boolean";
  description: string;
  multiple?: boolean;
  short?: string;
  default?: string | boolean;
  valueHint?: string;
}

export type FlagSpecs = Record<string, FlagSpec>;

/** citty's ArgsDef for `--help` rendering. */
export function helpArgs(flags: FlagSpecs, positional?: { name: string; description: string; required?: boolean }): ArgsDef {
  const def: ArgsDef = {};
  for (const [name, f] of Object.entries(flags)) {
    def[name] = {
      type: f.type,
      description: f.description + (f.multiple ? " (repeatable)" : ""),
      ...(f.short ? { alias: f.short } : {}),
      ...(f.valueHint ? { valueHint: f.valueHint } : {}),
      ...(f.default !== undefined ? { default: f.default as never } : {}),
    } as ArgsDef[string];
  }
  // Never `required` for citty: it would exit 1 on its own; commands check positionals and exit 2.
  if (positional) def[positional.name] = { type: "positional", description: positional.description + (positional.required ? " (required)" : ""), required: false };
  return def;
}

export interface Parsed {
  values: Record<string, string | boolean | string[] | undefined>;
  positionals: string[];
}

export function parseStrict(rawArgs: string[], flags: FlagSpecs): Parsed {
  const options: Record<string, { type: "string" | "boolean"; multiple?: boolean; short?: string }> = {};
  for (const [name, f] of Object.entries(flags)) {
    options[name] = { type: f.type, ...(f.multiple ? { multiple: true } : {}), ...(f.short ? { short: f.short } : {}) };
  }
  try {
    const { values, positionals } = parseArgs({ args: rawArgs, options, allowPositionals: true, strict: true });
    const out: Parsed["values"] = { ...(values as Parsed["values"]) };
    for (const [name, f] of Object.entries(flags)) if (out[name] === undefined && f.default !== undefined) out[name] = f.default;
    return { values: out, positionals };
  } catch (e) {
    throw usage((e as Error).message.replace(/\. To specify a positional argument.*$/s, ""));
  }
}

export function str(p: Parsed, name: string): string | undefined {
  const v = p.values[name];
  return typeof v === "string" ? v : undefined;
}

export function list(p: Parsed, name: string): string[] {
  const v = p.values[name];
  return Array.isArray(v) ? v : typeof v === "string" ? [v] : [];
}

export function bool(p: Parsed, name: string): boolean {
  return p.values[name] === true;
}

export function oneOf<T extends string>(value: string | undefined, allowed: readonly T[], flag: string): T {
  if (value === undefined) return allowed[0]!;
  if (!(allowed as readonly string[]).includes(value)) throw usage(`--${flag} must be one of ${allowed.join(", ")} (got ${value})`);
  return value as T;
}

/**
 * Run a command body: any error becomes one line on stderr (`tollgate <cmd>: <path>: <message>`) and exit 2.
 * Never a stack trace. TOLLGATE_DEBUG=1 prints the stack for developers.
 */
export async function runCommand(name: string, body: () => Promise<number>): Promise<never> {
  let code: number;
  try {
    code = await body();
  } catch (e) {
    const err = e instanceof TollgateError ? e : asTollgateError(e);
    console.error(`tollgate ${name}: ${err.oneLine()}`);
    if (process.env.TOLLGATE_DEBUG) console.error(e);
    code = EXIT_ERROR;
  }
  process.exit(code);
}
