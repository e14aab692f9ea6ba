#!/usr/bin/env bun
// Compile policies/ into the committed WASM bundles under bundles/ with the pinned opa, reproducibly:
// the revision is a digest of the policy sources, so the same policies/ always give the same bytes.
//   bun scripts/build-bundles.ts          rebuild bundles/ and the pinned digests in src/policy/default-bundle.pin.ts
//   bun scripts/build-bundles.ts --check  build into a temp dir and fail if bundles/ differs (used by the tests)
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { createHash } from "node:crypto";
import { requireOpa } from "./opa.ts";
import { readArchive } from "../src/policy/archive.ts";

const ROOT = join(import.meta.dir, "..");
const POLICIES = "policies";

/** Each committed bundle: its file name and the entrypoints it exports. */
export const BUNDLES = [
  {
    file: "default.tar.gz",
    entrypoints: ["tollgate/gate/decision", "tollgate/admission/decision", "tollgate/conform/result"],
  },
] as const;

function policySources(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(join(ROOT, dir), { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...policySources(p));
    else if ((e.name.endsWith(".rego") && !e.name.endsWith("_test.rego")) || e.name === "data.json") out.push(p);
  }
  return out.sort();
}

export function policyRevision(): string {
  const h = createHash("sha256");
  for (const p of policySources(POLICIES)) h.update(p + "\0").update(readFileSync(join(ROOT, p))).update("\0");
  return "policies-" + h.digest("hex").slice(0, 16);
}

async function build(outDir: string): Promise<void> {
  const opa = requireOpa();
  const revision = policyRevision();
  for (const b of BUNDLES) {
    const args = [opa, "build", "-t", "wasm", "--ignore", "*_test.rego", "--ignore", "*_test.json", "-r", revision];
    for (const e of b.entrypoints) args.push("-e", e);
    args.push("-o", join(outDir, b.file), POLICIES);
    const p = Bun.spawnSync(args, { cwd: ROOT, stderr: "pipe", stdout: "pipe" });
    if (p.exitCode !== 0) {
      console.error(`opa build failed for ${b.file}:\n${p.stderr.toString()}${p.stdout.toString()}`);
      process.exit(1);
    }
  }
}

/**
 * The stored form of the default bundle, embedded in tollgate so a cold start neither gunzips nor untars:
 * default.policy.wasm (the module's bytes) and default.members (JSON: the .tar.gz's sha256 and every member in
 * archive order, text members inline). Both are written from the .tar.gz just built, and pinned by sha256.
 */
async function writeStoredForm(dir: string): Promise<void> {
  const tgz = readFileSync(join(dir, "default.tar.gz"));
  const entries = await readArchive(new Uint8Array(tgz), "default.tar.gz");
  const wasm = entries.filter((e) => e.name.endsWith(".wasm"));
  if (wasm.length !== 1 || wasm[0]!.name !== "policy.wasm") throw new Error("the default bundle must hold exactly one WASM module, policy.wasm");
  const files = entries.map((e) => {
    if (e.name === "policy.wasm") return { name: e.name, stored: "default.policy.wasm" };
    const text = new TextDecoder("utf-8", { fatal: true }).decode(e.bytes);
    return { name: e.name, text };
  });
  writeFileSync(join(dir, "default.policy.wasm"), wasm[0]!.bytes);
  writeFileSync(join(dir, "default.members"), JSON.stringify({ sha256: createHash("sha256").update(tgz).digest("hex"), files }) + "\n");
}

const STORED = ["default.policy.wasm", "default.members"];

function pinText(dir: string): string {
  return (
    `// Written by scripts/build-bundles.ts: the sha256 of bundles/default.tar.gz and of its stored form (the\n` +
    `// members, embedded so that a cold start neither gunzips nor untars), checked before the embedded default\n` +
    `// bundle is loaded. A mismatch means the bundle was changed without rebuilding from policies/.\n` +
    `export const DEFAULT_BUNDLE_SHA256 = "${sha256File(join(dir, "default.tar.gz"))}";\n` +
    `export const DEFAULT_BUNDLE_WASM_SHA256 = "${sha256File(join(dir, "default.policy.wasm"))}";\n` +
    `export const DEFAULT_BUNDLE_MEMBERS_SHA256 = "${sha256File(join(dir, "default.members"))}";\n`
  );
}

function sha256File(p: string): string {
  return createHash("sha256").update(readFileSync(p)).digest("hex");
}

if (import.meta.main) {
  const check = process.argv.includes("--check");
  if (check) {
    const tmp = mkdtempSync(join(tmpdir(), "tollgate-bundles-"));
    try {
      await build(tmp);
      await writeStoredForm(tmp);
      let stale = false;
      for (const b of [...BUNDLES, ...STORED.map((file) => ({ file }))]) {
        const committed = join(ROOT, "bundles", b.file);
        const fresh = join(tmp, b.file);
        let same = false;
        try {
          same = statSync(committed).isFile() && sha256File(committed) === sha256File(fresh);
        } catch {}
        if (!same) {
          console.error(`bundles/${b.file} differs from a fresh build of ${POLICIES}/: run \`bun scripts/build-bundles.ts\` and commit`);
          stale = true;
        }
      }
      const pin = readFileSync(join(ROOT, "src/policy/default-bundle.pin.ts"), "utf8");
      if (pin !== pinText(tmp)) {
        console.error("src/policy/default-bundle.pin.ts does not pin the fresh default bundle's sha256s: run `bun scripts/build-bundles.ts`");
        stale = true;
      }
      if (stale) process.exit(1);
      console.log(`bundles/ is reproducible from ${POLICIES}/ (revision ${policyRevision()})`);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  } else {
    await build(join(ROOT, "bundles"));
    await writeStoredForm(join(ROOT, "bundles"));
    writeFileSync(join(ROOT, "src/policy/default-bundle.pin.ts"), pinText(join(ROOT, "bundles")));
    for (const b of BUNDLES) console.log(`bundles/${b.file}  ${sha256File(join(ROOT, "bundles", b.file))}  (${relative(ROOT, POLICIES)}/, revision ${policyRevision()})`);
  }
}
