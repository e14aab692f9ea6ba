#!/usr/bin/env bun
// Write a valid RunManifest decision ledger of N entries (streamed: any N fits in memory).
//   bun scripts/gen-ledger.ts OUT.json N [--mode compact|expanded] [--seed S] [--non-ascii] [--raw-utf8]
import { createWriteStream } from "node:fs";
import { generateLedgerChunks, type LedgerOptions } from "../test/support/ledger-gen.ts";

const args = process.argv.slice(2);
const flag = (name: string) => args.includes(name);
const value = (name: string) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const positional = args.filter((a, i) => !a.startsWith("--") && !(i > 0 && ["--mode", "--seed"].includes(args[i - 1]!)));
const [out, n] = positional;
if (!out || !n || !/^\d+$/.test(n)) {
  console.error("usage: bun scripts/gen-ledger.ts OUT.json N [--mode compact|expanded] [--seed S] [--non-ascii] [--raw-utf8]");
  process.exit(2);
}
const mode = value("--mode") ?? "compact";
if (mode !== "compact" && mode !== "expanded") {
  console.error("--mode must be compact or expanded");
  process.exit(2);
}
const opts: LedgerOptions = { entries: Number(n), mode, seed: Number(value("--seed") ?? 1), nonAscii: flag("--non-ascii"), ensureAscii: !flag("--raw-utf8") };
const w = createWriteStream(out);
for (const chunk of generateLedgerChunks(opts)) {
  if (!w.write(chunk)) await new Promise((r) => w.once("drain", r));
}
await new Promise<void>((r, j) => w.end((e?: Error | null) => (e ? j(e) : r())));
console.error(`wrote ${out}: ${opts.entries} entries (${opts.mode})`);
