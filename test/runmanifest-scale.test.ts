// Scale: a ledger of 300,000 entries (~220 MB) streams from disk through the verifier with bounded memory,
// and a single edited entry deep inside a 100,000-entry ledger is found at its exact seq. (bench/ledger.ts runs 1,000,000.)
import { afterAll, describe, expect, test } from "bun:test";
import { spawnSync } from "node:child_process";
import { createReadStream, createWriteStream, mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { scanLedgerStream, type LedgerScan } from "../src/evidence/runmanifest/scan.ts";
import { REPO_ROOT } from "./support/fixtures.ts";
import { generateLedgerChunks } from "./support/ledger-gen.ts";

const N = 300_000;
const TAMPER_N = 100_000;
const TAMPER_SEQ = 87_654;
const dir = mkdtempSync(join(tmpdir(), "tollgate-ledger-scale-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function write(path: string, entries: number, edit?: (chunk: string) => string): Promise<number> {
  const w = createWriteStream(path);
  for (const chunk of generateLedgerChunks({ entries, seed: 77 })) {
    // The generator yields whole entries per chunk, so an entry's text is never split across two.
    if (!w.write(edit ? edit(chunk) : chunk)) await new Promise((r) => w.once("drain", r));
  }
  await new Promise<void>((r) => w.end(r));
  return statSync(path).size;
}

/** Verify from disk, streamed in 1 MiB chunks (memory is measured in a fresh process by the first test). */
function verify(path: string): Promise<LedgerScan> {
  return scanLedgerStream(() => createReadStream(path, { highWaterMark: 1 << 20 }));
}

describe("large ledgers stream in bounded memory", () => {
  test(`${N.toLocaleString("en-US")} entries verify; the verifying process stays far smaller than the file`, async () => {
    const path = join(dir, "big.json");
    const size = await write(path, N);
    expect(size).toBeGreaterThan(200 * 2 ** 20);
    // A fresh process (this one carries every other test's heap): stream the file, report the verdict and
    // the process's peak resident set.
    const script = `
      import { createReadStream } from "node:fs";
      import { scanLedgerStream } from ${JSON.stringify(join(REPO_ROOT, "src/evidence/runmanifest/scan.ts"))};
      // Sample the current RSS per 1 MiB chunk (getrusage's maxrss would include the parent's pages from
      // before exec), collecting every 4 MiB: on a loaded machine the concurrent collector can lag far
      // behind, and what is measured here is what the verifier keeps, not how lazily garbage is collected.
      let peak = 0;
      const scan = await scanLedgerStream(() => (async function* () {
        let n = 0;
        for await (const c of createReadStream(process.argv[1], { highWaterMark: 1 << 20 })) {
          if (++n % 4 === 0) Bun.gc(true);
          peak = Math.max(peak, process.memoryUsage.rss());
          yield c;
        }
      })());
      console.log(JSON.stringify({ first: scan.firstFailure, n: scan.entryCount, passes: scan.passes, peakRss: peak }));`;
    const r = spawnSync(process.execPath, ["-e", script, path], { encoding: "utf8" });
    expect(r.stderr).toBe("");
    const out = JSON.parse(r.stdout) as { first: unknown; n: number; passes: number; peakRss: number };
    expect(out).toMatchObject({ first: null, n: N, passes: 1 });
    // Holding the entries (as text or as objects) would take more than the file's size; streaming keeps a
    // few chunks and one entry at a time (a 1,000,000-entry, 727 MiB ledger peaks near 120 MiB).
    expect(out.peakRss).toBeGreaterThan(0);
    expect(out.peakRss).toBeLessThan(size * 0.75);
  }, 120_000);

  test(`one edited reason_text at seq ${TAMPER_SEQ.toLocaleString("en-US")} is found exactly`, async () => {
    const path = join(dir, "tampered.json");
    const marker = `:item-${TAMPER_SEQ}",`;
    let edited = 0;
    await write(path, TAMPER_N, (chunk) => {
      const i = chunk.indexOf(marker);
      if (i < 0) return chunk;
      edited++;
      const at = chunk.indexOf('"reason_text": "', i) + '"reason_text": "'.length;
      return chunk.slice(0, at) + "X" + chunk.slice(at);
    });
    expect(edited).toBe(1);
    const scan = await verify(path);
    expect(scan.firstFailure).toMatchObject({ check: "integrity.entry_hash", seq: TAMPER_SEQ });
    expect(Object.keys(scan.failures).sort()).toEqual(["integrity.entry_hash", "integrity.manifest_digest"]);
  }, 120_000);
});
