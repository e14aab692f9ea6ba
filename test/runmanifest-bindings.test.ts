// RunManifest inputs / config_hashes bound to the real files when the user passes them: the target and each
// config file's raw bytes must hash to what the manifest records (generated ledger, re-sealed; real CLI).
import { afterAll, describe, expect, test } from "bun:test";
import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseJsonTree, type JsonObject } from "../src/core/canonical-json.ts";
import { collectEvidence, readEvidencePaths } from "../src/evidence/collect.ts";
import { makeVerifyContext } from "../src/evidence/source.ts";
import { tollgate } from "./support/cli.ts";
import { generateLedger, prettyJson, resealManifest } from "./support/ledger-gen.ts";

const root = mkdtempSync(join(tmpdir(), "tollgate-rm-bind-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const sha = (s: string) => "sha256:" + createHash("sha256").update(s).digest("hex");
const CONFIG = "scoring: {weights: {kev: 3}}\n";
const SCORING = '{"kev": 3}\n';
const TARGET = "<NessusClientData_v2/>\n";
let n = 0;

/** A run directory: runmanifest.json recording CONFIG, SCORING, TARGET's hashes, plus the FILES named. */
function run(files: Record<string, string>) {
  const dir = join(root, `r${++n}`);
  mkdirSync(join(dir, "scans"), { recursive: true });
  const d = parseJsonTree(generateLedger({ entries: 3 })) as JsonObject;
  (d.get("inputs") as JsonObject).set("target_sha256", sha(TARGET));
  const cfg = d.get("config_hashes") as JsonObject;
  cfg.set("config_yaml_sha256", sha(CONFIG));
  cfg.set("scoring_json_sha256", sha(SCORING));
  resealManifest(d);
  writeFileSync(join(dir, "runmanifest.json"), prettyJson(d));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

async function record(dir: string) {
  const { files } = await readEvidencePaths([dir]);
  const { records, errors, skipped } = await collectEvidence(files, makeVerifyContext({ time: new Date("2026-06-01T00:00:00Z"), files }));
  expect(errors).toEqual([]);
  expect(skipped).toEqual([]); // the bound files are the manifest's materials, not unknown files
  return records[0]!;
}

describe("runmanifest bindings", () => {
  test("the target and config files passed and equal: verified; files not passed are not_supplied", async () => {
    const r = await record(run({ "config.yaml": CONFIG, "scans/input.nessus": TARGET }));
    expect(r.checks.filter((c) => c.name.startsWith("binding.")).map((c) => [c.name, c.ok])).toEqual([["binding.target_sha256", true], ["binding.config_yaml_sha256", true]]);
    expect((r.facts as any).bindings.map((b: any) => [b.field, b.status])).toEqual([
      ["inputs.target_sha256", "verified"],
      ["config_hashes.config_yaml_sha256", "verified"],
      ["config_hashes.scoring_json_sha256", "not_supplied"],
      ["config_hashes.tn_triage_json_sha256", "not_supplied"],
    ]);
  });

  test("a changed config file is a digest mismatch naming both hashes", async () => {
    const dir = run({ "scoring.json": '{"kev": 9}\n' });
    const c = (await record(dir)).checks.find((x) => x.name === "binding.scoring_json_sha256")!;
    expect(c).toMatchObject({ ok: false, code: "digest_mismatch" });
    expect(c.reason).toBe(`${dir}/scoring.json hashes to ${sha('{"kev": 9}\n')} (raw bytes) but the manifest's config_hashes.scoring_json_sha256 is ${sha(SCORING)}`);
  });

  test("a file passed for a hash the manifest left null fails: the run did not use it", async () => {
    const c = (await record(run({ "tn_triage.json": "{}" }))).checks.find((x) => x.name === "binding.tn_triage_json_sha256")!;
    expect(c).toMatchObject({ ok: false, code: "binding_failed" });
    expect(c.reason).toContain("was supplied but the manifest records no config_hashes.tn_triage_json_sha256 for it");
  });

  test("tollgate eval: runmanifest.binding denies a changed target; the equal files admit the ledger", () => {
    const data = join(root, "d.json");
    writeFileSync(data, JSON.stringify({ required_evidence: ["runmanifest"] }));
    const rules = (dir: string) => {
      const r = tollgate(["eval", "--data", data, "--output", "json", "--time", "2026-06-01T00:00:00Z", dir]);
      return (JSON.parse(r.stdout).deny as { rule: string; msg: string }[]).filter((d) => d.rule.startsWith("runmanifest.")).map((d) => `${d.rule}: ${d.msg}`);
    };
    expect(rules(run({ "config.yaml": CONFIG, "scans/input.nessus": TARGET }))).toEqual([]);
    const bad = run({ "scans/input.nessus": "<tampered/>\n" });
    expect(rules(bad)).toEqual([
      `runmanifest.binding: RunManifest inputs.target_sha256 does not match the file supplied: ${bad}/scans/input.nessus hashes to ${sha("<tampered/>\n")} (raw bytes) but the manifest's inputs.target_sha256 is ${sha(TARGET)}`,
      "runmanifest.required: no verified RunManifest decision ledger (1 present, 0 verified)",
    ]);
  });
});
