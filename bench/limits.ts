#!/usr/bin/env bun
// Hostile input in bounded time and memory (issue 16): each case is one fresh `tollgate` process (the way CI runs
// it), timed and measured for peak RSS with /usr/bin/time. Targets:
//   50 MB of `[` to verify / eval              < 2 s, < 256 MB   (refused at the JSON nesting cap)
//   300 MB of random bytes to verify / eval     < 2 s, < 256 MB   (refused by its size, before it is read)
//   200 MB JSON Lines (75k copies of one DSSE)  < 1 s             (refused at the per-input cap)
//   500 MiB gzip bomb as --policy, and offered to the gate         < 256 MB
//   60 MB of JSON Lines within the cap, every line verified (no target: what a large legitimate input costs)
//   a RunManifest of --entries entries with --max-input-bytes raised, to eval: verified in flat memory
//   bun bench/limits.ts [--entries 300000]
import { spawnSync } from "node:child_process";
import { createWriteStream, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { cpus, loadavg, tmpdir, totalmem } from "node:os";
import { join } from "node:path";
import { randomFillSync } from "node:crypto";
import { gzipBomb } from "../test/support/bomb.ts";
import { generateLedgerChunks } from "../test/support/ledger-gen.ts";

const arg = (name: string, def: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : def;
};
const ENTRIES = arg("entries", 300_000);
const ROOT = join(import.meta.dir, "..");
const CLI = join(ROOT, "src/cli/main.ts");
const dir = mkdtempSync(join(tmpdir(), "tollgate-bench-limits-"));
const MB = 1e6;
const MiB = 1 << 20;

async function writeChunks(path: string, chunks: Iterable<Uint8Array | string>): Promise<number> {
  const w = createWriteStream(path);
  for (const c of chunks) if (!w.write(c)) await new Promise((r) => w.once("drain", r));
  await new Promise<void>((r) => w.end(r));
  return statSync(path).size;
}

interface Row {
  name: string;
  seconds: number;
  rssMB: number;
  exit: number;
  line: string;
  target: string;
  ok: boolean;
}
const rows: Row[] = [];

function measure(name: string, args: string[], target: { seconds?: number; rssMB?: number }, script?: string): void {
  const cmd = script ? [process.execPath, "-e", script] : [process.execPath, CLI, ...args];
  const p = spawnSync("/usr/bin/time", ["-f", "TIME %e %M", ...cmd], { cwd: ROOT, encoding: "utf8", maxBuffer: 64 * MiB });
  const m = /TIME ([\d.]+) (\d+)\s*$/.exec(p.stderr);
  const seconds = Number(m?.[1] ?? NaN);
  const rssMB = Number(m?.[2] ?? NaN) / 1024;
  const err = p.stderr.replace(/TIME .*$/s, "").replace(/^Command exited with non-zero status \d+\n?/m, "").trim();
  const line = (script ? p.stdout : err || p.stdout.trim().split("\n").at(-1) || "").trim().split("\n")[0]!.slice(0, 150);
  const ok = (target.seconds === undefined || seconds < target.seconds) && (target.rssMB === undefined || rssMB < target.rssMB);
  const t = [target.seconds !== undefined ? `< ${target.seconds} s` : "", target.rssMB !== undefined ? `< ${target.rssMB} MB` : ""].filter(Boolean).join(", ");
  rows.push({ name, seconds, rssMB, exit: p.status ?? -1, line, target: t, ok });
  console.error(`${ok ? "ok  " : "MISS"} ${name}: ${seconds.toFixed(2)} s, ${rssMB.toFixed(0)} MB, exit ${p.status}: ${line}`);
}

try {
  // Inputs (not timed).
  const brackets = join(dir, "brackets.json");
  await writeChunks(brackets, (function* () {
    const chunk = new Uint8Array(MiB).fill(0x5b);
    for (let n = 0; n < 50 * MB; n += MiB) yield n + MiB <= 50 * MB ? chunk : chunk.subarray(0, 50 * MB - n);
  })());
  const random = join(dir, "random.bin");
  await writeChunks(random, (function* () {
    for (let n = 0; n < 300 * MB; n += MiB) yield randomFillSync(new Uint8Array(Math.min(MiB, 300 * MB - n)));
  })());
  const envelope = await Bun.file(join(ROOT, "examples/evidence/provenance.intoto.json")).json();
  const line = JSON.stringify(envelope) + "\n";
  const copies = Math.ceil((200 * MB) / line.length);
  const jsonl = join(dir, "attestations.intoto.jsonl");
  await writeChunks(jsonl, (function* () {
    const block = line.repeat(1000);
    for (let i = 0; i < copies; i += 1000) yield block;
  })());
  const within = join(dir, "within.intoto.jsonl");
  await writeChunks(within, (function* () {
    const block = line.repeat(1000);
    for (let i = 0; i < 40_000; i += 1000) yield block;
  })());
  const bomb = join(dir, "bomb.tar.gz");
  writeFileSync(bomb, await gzipBomb([{ name: "data.json", zeros: 500 * MiB }, { name: "policy.wasm", bytes: new Uint8Array([0, 0x61, 0x73, 0x6d]) }]));
  const ledger = join(dir, "runmanifest.json");
  const ledgerSize = await writeChunks(ledger, generateLedgerChunks({ entries: ENTRIES, seed: 1 }));
  const key = join(ROOT, "examples/keys/release.pub");

  for (const cmd of ["verify", "eval"]) measure(`50 MB of '[' → ${cmd}`, [cmd, brackets], { seconds: 2, rssMB: 256 });
  for (const cmd of ["verify", "eval"]) measure(`300 MB of random bytes → ${cmd}`, [cmd, random], { seconds: 2, rssMB: 256 });
  measure(`200 MB JSON Lines (${copies.toLocaleString("en-US")} copies of one DSSE envelope) → verify`, ["verify", jsonl], { seconds: 1 });
  measure(`${(statSync(within).size / MB).toFixed(0)} MB JSON Lines (40,000 envelopes, within the cap) → verify --key: every line verified`, ["verify", "--key", key, within], {});
  measure(`500 MiB gzip bomb (${(statSync(bomb).size / 1024).toFixed(0)} KB) → eval --policy --verification-key`, ["eval", "--policy", bomb, "--verification-key", key, join(ROOT, "examples/evidence")], { rssMB: 256 });
  measure("500 MiB gzip bomb → the gate (BundleManager.offer)", [], { rssMB: 256 }, `
    const { BundleManager } = await import(${JSON.stringify(join(ROOT, "src/serve/bundles.ts"))});
    const m = new BundleManager({ source: { kind: "default" }, keys: {}, verification: {}, allowUnsigned: true, requiredEntrypoints: [], overlays: [], instanceId: "b", log: () => {} });
    const ok = await m.offer(new Uint8Array(await Bun.file(${JSON.stringify(bomb)}).arrayBuffer()), "bomb.tar.gz", undefined, false);
    console.log(ok ? "activated (!)" : "refused: " + m.failure.message);`);
  const cap = String(Math.ceil(ledgerSize / MiB) + 1) + "MiB";
  measure(`RunManifest of ${ENTRIES.toLocaleString("en-US")} entries (${(ledgerSize / MB).toFixed(0)} MB) → eval --max-input-bytes ${cap}`, ["eval", "--max-input-bytes", cap, ledger], { rssMB: 256 });
  measure(`the same ledger → ledger verify (the streaming path it now shares)`, ["ledger", "verify", ledger], {});

  console.log(`\nmachine: ${cpus()[0]?.model} × ${cpus().length}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Bun ${Bun.version}; load average before: ${loadavg().map((l) => l.toFixed(2)).join(" ")}; ${new Date().toISOString().slice(0, 10)}\n`);
  console.log("| case | time | peak RSS | exit | target | outcome (first line) |");
  console.log("|---|---:|---:|---:|---|---|");
  for (const r of rows) console.log(`| ${r.name} | ${r.seconds.toFixed(2)} s | ${r.rssMB.toFixed(0)} MB | ${r.exit} | ${r.target || "—"}${r.target ? (r.ok ? " ✓" : " ✗") : ""} | ${r.line.replace(dir, "…").replace(/\|/g, "\\|")} |`);
  process.exitCode = rows.every((r) => r.ok) ? 0 : 1;
} finally {
  rmSync(dir, { recursive: true, force: true });
}
