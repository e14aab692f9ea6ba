// tollgate contract check EVENT CONTRACT — is this quality event (JSON or NDJSON) valid under this data
//   contract (ODCS v3 / Data Contract Specification)? The contract is validated against its standard's
//   official schema first. Exit 0 valid, 1 invalid, 2 unreadable (missing file, not an event, not a contract).
// tollgate contract diff OLD NEW — backward compatibility between two versions of a contract. Exit 1 when a
//   change is breaking (removed field, newly required field, narrowed type or enum), 0 otherwise; every
//   change is listed with its path either way.
import { defineCommand } from "citty";
import { EXIT_ADMIT, EXIT_DENY, TollgateError, usage } from "../../core/errors.ts";
import { stableStringify } from "../../core/input.ts";
import { readUserFile } from "../../core/read.ts";
import { sourceFromBytes } from "../../evidence/source.ts";
import type { SourceFile } from "../../evidence/types.ts";
import { parseContractFile } from "../../evidence/contract/parse.ts";
import { validateContractDocument, type ContractSchemaResult } from "../../evidence/contract/validate.ts";
import { diffContracts, type ContractDiff } from "../../evidence/contract/diff.ts";
import type { DataContract } from "../../evidence/contract/model.ts";
import { checkEvents, type EventOutcome } from "../../evidence/quality-event/index.ts";
import { detectQualityEvents, parseQualityEvents } from "../../evidence/quality-event/parse.ts";
import { helpArgs, oneOf, parseStrict, runCommand, str, type FlagSpecs } from "../args.ts";

const flags: FlagSpecs = {
  output: { type: "string", short: "o", description: "output format: text|json", default: "text" },
};

async function readSource(path: string, what: string): Promise<SourceFile> {
  return sourceFromBytes(path, await readUserFile(path, what));
}

async function readContract(path: string): Promise<DataContract> {
  return parseContractFile(await readSource(path, "data contract"));
}

/** Both subcommands: two file operands, a report as text or JSON, exit 0 when `ok`, 1 otherwise. */
function runTwoFiles<R>(
  rawArgs: string[], name: "check" | "diff", operands: string,
  compute: (a: string, b: string) => Promise<R>, text: (r: R) => string, ok: (r: R) => boolean,
) {
  return runCommand(`contract ${name}`, async () => {
    const p = parseStrict(rawArgs, flags);
    const format = oneOf(str(p, "output"), ["text", "json"] as const, "output");
    if (p.positionals.length !== 2) throw usage(`contract ${name} takes ${operands}`);
    const r = await compute(p.positionals[0]!, p.positionals[1]!);
    process.stdout.write(format === "json" ? stableStringify(r, 2) + "\n" : text(r));
    return ok(r) ? EXIT_ADMIT : EXIT_DENY;
  });
}

// ------------------------------------------------------------------------------------------------ check

export interface ContractCheckReport {
  valid: boolean;
  event: { path: string; sha256: string; count: number };
  contract: { path: string; sha256: string; standard: string; id: string | null; version: string | null; apiVersion: string | null };
  contract_schema: ContractSchemaResult;
  /** Set when the event file is not a well-formed quality event (the envelope schema failed). */
  event_error: { code: string; message: string } | null;
  events: {
    line: number;
    event_id: string;
    pipeline: string;
    passed: boolean;
    valid: boolean;
    schema_object: string | null;
    checks: EventOutcome["checks"];
  }[];
}

/** Check every event of EVENT against CONTRACT. Throws TollgateError (exit 2) for what cannot be read. */
export async function checkEventFile(eventPath: string, contractPath: string): Promise<ContractCheckReport> {
  // Operands are judged in the order given: an unusable EVENT is reported before the CONTRACT is read.
  const file = await readSource(eventPath, "event file");
  if (!detectQualityEvents(file)) {
    throw new TollgateError("unknown_kind", "not a quality event (expected pipeline, passed, pass_rate, duration_seconds, event_id, correlation_id, ordering)", eventPath);
  }
  const contract = await readContract(contractPath);
  const schema = validateContractDocument(contract);
  const contractInfo = {
    path: contract.path, sha256: contract.sha256, standard: contract.standard,
    id: contract.id, version: contract.version, apiVersion: contract.apiVersion,
  };
  let parsed;
  try {
    parsed = parseQualityEvents(file);
  } catch (e) {
    // An event that is readable but lacks what every quality event must carry is invalid (exit 1), not unreadable.
    if (!(e instanceof TollgateError) || e.code !== "schema_invalid") throw e;
    return {
      valid: false, event: { path: file.path, sha256: file.sha256, count: 0 }, contract: contractInfo,
      contract_schema: schema, event_error: { code: e.code, message: e.message }, events: [],
    };
  }
  // The contract was named explicitly: it is the only candidate, whatever the event's reference says —
  // a reference that names another contract still fails (contract.resolve), rather than being ignored.
  const outcomes = checkEvents(parsed, [{ contract, path: contract.path }]);
  const events = outcomes.map((o) => ({
    line: o.event.line,
    event_id: o.event.event_id,
    pipeline: o.event.pipeline,
    passed: o.event.passed,
    valid: o.checks.every((c) => c.ok),
    schema_object: o.schemaObject,
    checks: o.checks,
  }));
  return {
    valid: schema.ok && events.every((e) => e.valid),
    event: { path: file.path, sha256: file.sha256, count: events.length },
    contract: contractInfo,
    contract_schema: schema,
    event_error: null,
    events,
  };
}

export function renderCheckText(r: ContractCheckReport): string {
  const c = r.contract;
  const std = c.standard === "odcs" ? `ODCS ${c.apiVersion}` : `Data Contract Specification ${c.apiVersion}`;
  const out = [`contract ${c.path}: ${c.id ?? "(no id)"} version ${c.version ?? "(none)"} (${std})`];
  if (r.contract_schema.ok) out.push(`  ok    contract.schema (${r.contract_schema.schema})`);
  else {
    out.push(`  FAIL  contract.schema${r.contract_schema.schema ? ` (${r.contract_schema.schema})` : ""} [${r.contract_schema.code}]`);
    for (const e of r.contract_schema.errors) out.push(`          ${e}`);
  }
  if (r.event_error) out.push(`  FAIL  event.schema: ${r.event_error.message} [${r.event_error.code}]`);
  for (const e of r.events) {
    out.push(`event ${r.event.path}${r.events.length > 1 || r.event.count > 1 ? `:${e.line}` : ""} ${e.event_id} (pipeline ${e.pipeline}, passed=${e.passed})`);
    for (const ch of e.checks) {
      if (ch.name === "contract.schema") continue; // reported once above
      out.push(ch.ok ? `  ok    ${ch.name}` : `  FAIL  ${ch.name}: ${ch.reason} [${ch.code}]`);
    }
  }
  const bad = r.events.filter((e) => !e.valid).length;
  out.push(r.valid
    ? `VALID: ${r.events.length === 1 ? "the event satisfies" : `all ${r.events.length} events satisfy`} ${c.path}`
    : r.event_error
      ? `INVALID: ${r.event.path} is not a valid quality event`
      : `INVALID: ${bad} of ${r.events.length} event${r.events.length === 1 ? "" : "s"} failed${r.contract_schema.ok ? "" : "; the contract itself is not valid"}`);
  return out.join("\n") + "\n";
}

const check = defineCommand({
  meta: { name: "check", description: "Validate quality event(s) (JSON or NDJSON) against a data contract (ODCS v3 or Data Contract Specification)" },
  args: {
    ...helpArgs(flags, { name: "EVENT", description: "event file (JSON object or NDJSON stream)", required: true }),
    CONTRACT: { type: "positional", description: "data contract (ODCS v3 or DCS, YAML or JSON) (required)", required: false },
  },
  run: ({ rawArgs }) => runTwoFiles(rawArgs, "check", "EVENT CONTRACT", checkEventFile, renderCheckText, (r) => r.valid),
});

// ------------------------------------------------------------------------------------------------- diff

export interface ContractDiffReport extends ContractDiff {
  old_schema: ContractSchemaResult;
  new_schema: ContractSchemaResult;
}

export async function diffContractFiles(oldPath: string, newPath: string): Promise<ContractDiffReport> {
  const oldC = await readContract(oldPath);
  const newC = await readContract(newPath);
  return { ...diffContracts(oldC, newC), old_schema: validateContractDocument(oldC), new_schema: validateContractDocument(newC) };
}

export function renderDiffText(r: ContractDiffReport): string {
  const out = [`${r.old.path} (${r.old.id ?? "?"} ${r.old.version ?? "?"}) → ${r.new.path} (${r.new.id ?? "?"} ${r.new.version ?? "?"})`];
  for (const [label, s] of [["old", r.old_schema], ["new", r.new_schema]] as const) {
    if (!s.ok) out.push(`  warning: ${label} contract is not valid${s.schema ? ` against ${s.schema}` : ""}: ${s.errors.slice(0, 3).join("; ")}`);
  }
  if (r.changes.length === 0) out.push("  no schema changes");
  for (const c of r.changes) out.push(`  ${c.breaking ? "BREAKING  " : "compatible"}  ${c.change.padEnd(20)} ${c.path}: ${c.message}`);
  const n = r.changes.filter((c) => c.breaking).length;
  out.push(r.breaking
    ? `BREAKING: ${n} breaking change${n === 1 ? "" : "s"} of ${r.changes.length}`
    : `COMPATIBLE: ${r.changes.length} compatible change${r.changes.length === 1 ? "" : "s"}`);
  return out.join("\n") + "\n";
}

const diff = defineCommand({
  meta: { name: "diff", description: "Breaking-change check between two versions of a data contract (exit 1 on a breaking change)" },
  args: {
    ...helpArgs(flags, { name: "OLD", description: "the published contract", required: true }),
    NEW: { type: "positional", description: "the proposed contract (required)", required: false },
  },
  run: ({ rawArgs }) => runTwoFiles(rawArgs, "diff", "OLD NEW", diffContractFiles, renderDiffText, (r) => !r.breaking),
});

export default defineCommand({
  meta: { name: "contract", description: "Data contracts (ODCS v3, Data Contract Specification): check events, diff versions" },
  subCommands: { check, diff },
});
