// conftest's own built-ins (builtins/parse_config.go): parse_config(parser, text), parse_config_file(path) and
// parse_combined_config_files(paths), over tollgate's parsers. A host built-in answers synchronously but some
// parsers are asynchronous (HCL2 runs in WebAssembly), so a call whose result is not known yet is recorded and
// answered undefined; the caller parses what was asked (`settle`) and evaluates again, until nothing is
// missing. Evaluation is deterministic, so the second pass asks for the same documents.
import { dirname, join } from "node:path";
import { readUserFile } from "../core/read.ts";
import type { HostBuiltins } from "../policy/evaluator.ts";
import { parseInput } from "./parsers/index.ts";
import { SITE_MARKER } from "./policy.ts";
import { combine } from "./run.ts";

export class ConftestBuiltins {
  private readonly done = new Map<string, { ok: true; value: unknown } | { ok: false }>();
  private readonly pending = new Map<string, () => Promise<unknown>>();

  /** `sites`: the policy's located call sites (`file:row`), which parse_config_file paths are relative to. */
  constructor(private readonly sites: readonly string[]) {}

  private ask(key: string, compute: () => Promise<unknown>): unknown {
    const d = this.done.get(key);
    if (d) return d.ok ? d.value : undefined; // a failed parse is a built-in error: undefined, as in OPA
    this.pending.set(key, compute);
    return undefined;
  }

  /** Compute every result asked for in the last pass; true when there were any (evaluate again). */
  async settle(): Promise<boolean> {
    if (this.pending.size === 0) return false;
    const work = [...this.pending];
    this.pending.clear();
    for (const [key, compute] of work) {
      try {
        this.done.set(key, { ok: true, value: await compute() });
      } catch {
        this.done.set(key, { ok: false });
      }
    }
    return true;
  }

  private dirOf(marker: unknown): string {
    const site = typeof marker === "string" && marker.startsWith(SITE_MARKER) ? this.sites[Number(marker.slice(SITE_MARKER.length))] : undefined;
    return site ? dirname(site.replace(/:\d+$/, "")) : ".";
  }

  private file(path: string): Promise<unknown> {
    return readUserFile(path, "config file").then((bytes) => parseInput(bytes, path));
  }

  builtins(): HostBuiltins {
    const one = (dir: string, path: unknown) => {
      if (typeof path !== "string") return undefined;
      const p = join(dir, path);
      return this.ask(JSON.stringify(["file", p]), () => this.file(p));
    };
    const many = (dir: string, paths: unknown) => {
      if (!Array.isArray(paths) || !paths.every((x) => typeof x === "string")) return undefined;
      const ps = (paths as string[]).map((x) => join(dir, x));
      return this.ask(JSON.stringify(["combined", ps]), async () => {
        const configs = [];
        for (const p of ps) configs.push({ path: p, config: await this.file(p) });
        return combine(configs);
      });
    };
    return {
      parse_config: (parser, text) =>
        typeof parser === "string" && typeof text === "string"
          ? this.ask(JSON.stringify(["config", parser, text]), () => parseInput(new TextEncoder().encode(text), "parse_config", { parser }))
          : undefined,
      parse_config_file: (path) => one(".", path),
      parse_combined_config_files: (paths) => many(".", paths),
      "tollgate.parse_config_file_at": (marker, path) => one(this.dirOf(marker), path),
      "tollgate.parse_combined_config_files_at": (marker, paths) => many(this.dirOf(marker), paths),
    };
  }
}
