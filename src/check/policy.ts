// conftest-style policies: a directory of Rego (compiled here to WASM with the pinned opa, the way a user
// iterates locally) or a built bundle (.tar.gz / .wasm, verified like any other bundle). Rules are conftest's:
// `deny`, `violation` and `warn`, optionally with a `_suffix`, in the chosen namespaces.
import { mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { TollgateError } from "../core/errors.ts";
import { loadBundleFile, type PolicyBundle } from "../policy/bundle.ts";
import { findOpa } from "../policy/opa-tool.ts";
import type { RegistryOptions } from "../evidence/oci/client.ts";

export type RuleKind = "deny" | "violation" | "warn";

export interface CheckRule {
  /** WASM entrypoint, `ns/rule` with slashes (`main/deny`, `k8s/warn_labels`). */
  entrypoint: string;
  namespace: string;
  kind: RuleKind;
}

const RULE = /^(deny|violation|warn)(_[A-Za-z0-9_]+)?$/;

export function ruleKind(name: string): RuleKind | undefined {
  return RULE.exec(name)?.[1] as RuleKind | undefined;
}

/** Entry points of a bundle that are conftest rules, with their namespace (`a/b/deny` → `a.b`). */
export function rulesOf(entrypoints: readonly string[]): CheckRule[] {
  const out: CheckRule[] = [];
  for (const ep of entrypoints) {
    const parts = ep.split("/");
    const name = parts.pop()!;
    const kind = ruleKind(name);
    if (kind && parts.length) out.push({ entrypoint: ep, namespace: parts.join("."), kind });
  }
  return out.sort((a, b) => (a.entrypoint < b.entrypoint ? -1 : 1));
}

function regoFiles(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory() && !e.name.startsWith(".")) out.push(...regoFiles(p));
    else if (e.isFile() && e.name.endsWith(".rego") && !e.name.endsWith("_test.rego")) out.push(p);
  }
  return out.sort();
}

interface ParsedModule {
  package: { path: { value: string }[] };
  rules?: { head: { name?: string; ref?: { value: unknown }[] } }[];
}

/** Find conftest rules in Rego sources with `opa parse` (opa's own parser, not a regexp over Rego). */
function discoverRules(opa: string, files: string[]): string[] {
  const eps = new Set<string>();
  for (const f of files) {
    const p = Bun.spawnSync([opa, "parse", "--format", "json", f], { stdout: "pipe", stderr: "pipe" });
    if (p.exitCode !== 0) throw new TollgateError("policy_invalid", p.stderr.toString().trim().split("\n")[0] ?? "opa parse failed", f);
    const mod = JSON.parse(p.stdout.toString()) as ParsedModule;
    const pkg = mod.package.path.slice(1).map((x) => String(x.value));
    for (const r of mod.rules ?? []) {
      const head = r.head.ref?.length === 1 ? String(r.head.ref[0]!.value) : r.head.name;
      if (head && ruleKind(head)) eps.add([...pkg, head].join("/"));
    }
  }
  return [...eps].sort();
}

/**
 * Load the policy for `tollgate test`: a Rego directory is compiled with opa (the build tool) into a
 * temporary bundle; anything else is read as a bundle and handed to `verify` before use.
 */
export async function loadCheckPolicy(path: string, verify: (b: PolicyBundle) => Promise<void>, registry?: RegistryOptions): Promise<PolicyBundle> {
  if (path.startsWith("oci://")) {
    const b = await loadBundleFile(path, registry);
    await verify(b);
    return b;
  }
  let isDir = false;
  try {
    isDir = statSync(path).isDirectory();
  } catch {
    throw new TollgateError("policy_unreadable", "policy not found (give a directory of Rego or a bundle with -p)", path);
  }
  if (!isDir) {
    const b = await loadBundleFile(path);
    await verify(b);
    return b;
  }
  const opa = findOpa();
  if (!opa) throw new TollgateError("policy_unreadable", "compiling a Rego directory needs opa (scripts/setup.sh installs it); or pass a built bundle", path);
  const files = regoFiles(path);
  if (files.length === 0) throw new TollgateError("policy_unreadable", "no .rego files", path);
  const eps = discoverRules(opa, files);
  if (eps.length === 0) throw new TollgateError("policy_invalid", "no deny, violation or warn rules found", path);
  const tmp = mkdtempSync(join(tmpdir(), "tollgate-test-"));
  try {
    const out = join(tmp, "bundle.tar.gz");
    const args = [opa, "build", "-t", "wasm", "--ignore", "*_test.rego", "-o", out];
    for (const e of eps) args.push("-e", e);
    args.push(path);
    const p = Bun.spawnSync(args, { stdout: "pipe", stderr: "pipe" });
    if (p.exitCode !== 0) throw new TollgateError("policy_invalid", `opa build failed: ${p.stderr.toString().trim().split("\n").slice(0, 3).join(" ")}`, path);
    const b = await loadBundleFile(out);
    b.source = path;
    return b;
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}
