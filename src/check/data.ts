// conftest's --data: OPA's loader over files and directories. Only .json, .yaml and .yml files are data; a
// file named directly is merged at the root, a file found under a directory is mounted at its directory's path
// relative to that directory (`-d policy` with policy/exceptions/x.yaml → data.exceptions).
import { readdirSync, statSync } from "node:fs";
import { join, relative, dirname } from "node:path";
import { TollgateError } from "../core/errors.ts";
import { readUserFile } from "../core/read.ts";
import { mergeData } from "../policy/bundle.ts";

const DATA_EXT = /\.(json|ya?ml)$/i;

async function readDoc(path: string): Promise<unknown> {
  const text = new TextDecoder().decode(await readUserFile(path, "data file"));
  try {
    return /\.json$/i.test(path) ? JSON.parse(text) : (await import("yaml")).default.parse(text);
  } catch (e) {
    throw new TollgateError("malformed", `data file is not valid ${/\.json$/i.test(path) ? "JSON" : "YAML"}: ${(e as Error).message.split("\n")[0]}`, path);
  }
}

function walk(dir: string, out: string[]): void {
  for (const e of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const p = join(dir, e.name);
    if (e.isDirectory()) walk(p, out);
    else if (DATA_EXT.test(e.name)) out.push(p);
  }
}

export async function loadConftestData(paths: readonly string[]): Promise<Record<string, unknown>> {
  const data: Record<string, unknown> = {};
  for (const root of paths) {
    let isDir: boolean;
    try {
      isDir = statSync(root).isDirectory();
    } catch {
      throw new TollgateError("not_found", "data path not found", root);
    }
    const files: string[] = [];
    if (isDir) walk(root, files);
    else if (DATA_EXT.test(root)) files.push(root);
    for (const f of files) {
      const doc = await readDoc(f);
      const at = isDir ? relative(root, dirname(f)).split("/").filter((s) => s && s !== ".") : [];
      if (at.length === 0 && (doc === null || typeof doc !== "object" || Array.isArray(doc))) {
        if (doc === null || doc === undefined) continue;
        throw new TollgateError("malformed", "data file at the root of the data document must hold an object", f);
      }
      let wrapped: unknown = doc ?? {};
      for (const seg of [...at].reverse()) wrapped = { [seg]: wrapped };
      mergeData(data, wrapped as Record<string, unknown>, f, "data");
    }
  }
  return data;
}
