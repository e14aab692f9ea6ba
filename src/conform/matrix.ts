// `tollgate conform all CONFIG.yaml`: run the probes a recipient lists and write its conformance matrix (seed
// 003, "Recipient conformance"): one row per interface I1–I8 — PASS, FAIL or NOT RUN, the target and the
// reasons — as Markdown in the shape of the seed's matrix template (its interface index plus verdict columns)
// and as JSON.
import { dirname, isAbsolute, join } from "node:path";
import { TollgateError, asTollgateError } from "../core/errors.ts";
import { readUserFile } from "../core/read.ts";
import { INTERFACE_IDS, INTERFACES, runProbe, type InterfaceId, type MustResult, type ProbeOptions } from "./probes.ts";

/** Each interface's config keys: the probe's arguments in order, then its optional extras. */
const CONFIG_KEYS: Record<InterfaceId, { args: string[]; optional: string[] }> = {
  I1: { args: ["target"], optional: ["evidence"] },
  I2: { args: ["target", "owner", "predicate_type"], optional: ["evidence"] },
  I3: { args: ["target"], optional: ["evidence", "workflow"] },
  I4: { args: ["target", "policy"], optional: ["evidence"] },
  I5: { args: ["event", "contract"], optional: ["previous_contract"] },
  I6: { args: ["record"], optional: ["workflow"] },
  I7: { args: ["artifact", "class"], optional: ["evidence"] },
  I8: { args: ["target", "predicate_type"], optional: ["evidence"] },
};

/** Values that are paths, resolved against the config file's directory. */
const PATH_KEYS = new Set(["evidence", "workflow", "policy", "event", "contract", "previous_contract", "record", "artifact"]);

export interface MatrixRow {
  interface: InterfaceId;
  name: string;
  verdict: "PASS" | "FAIL" | "NOT RUN";
  target: string | null;
  musts: MustResult[];
  /** Why a probe listed did not run (bad arguments, unreadable files, registry errors). */
  error?: string;
}

export interface Matrix {
  apiVersion: "tollgate/conformance-matrix/v1";
  config: string;
  time: string;
  rows: MatrixRow[];
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

interface ProbeConfig {
  id: InterfaceId;
  args: string[];
  evidence: string[];
  workflow?: string;
  previousContract?: string;
}

/** The config: `I1: {target: …}` … plus optional `evidence: [..]` shared by every probe. */
export async function readMatrixConfig(path: string): Promise<{ probes: ProbeConfig[]; shared: { evidence: string[]; data: string[]; keys: string[]; trustedRoot?: string; identities: { issuer: string; identity: string }[]; time?: string } }> {
  const text = new TextDecoder().decode(await readUserFile(path, "conformance config"));
  let doc: unknown;
  try {
    doc = (await import("yaml")).default.parse(text);
  } catch (e) {
    throw new TollgateError("malformed", `conformance config is not YAML: ${(e as Error).message.split("\n")[0]}`, path);
  }
  if (!isObject(doc)) throw new TollgateError("schema_invalid", "conformance config must map I1…I8 to each probe's arguments", path);
  const base = dirname(path);
  const rel = (p: string) => (isAbsolute(p) || p.startsWith("oci://") || /^sha256:/.test(p) ? p : join(base, p));
  const strings = (v: unknown, where: string): string[] => {
    const list = v === undefined ? [] : Array.isArray(v) ? v : [v];
    if (!list.every((x) => typeof x === "string")) throw new TollgateError("schema_invalid", `${where} must be a string or a list of strings`, path);
    return list as string[];
  };
  const shared = { evidence: [] as string[], data: [] as string[], keys: [] as string[], identities: [] as { issuer: string; identity: string }[] } as Awaited<ReturnType<typeof readMatrixConfig>>["shared"];
  const probes: ProbeConfig[] = [];
  for (const [key, value] of Object.entries(doc)) {
    if (key === "evidence" || key === "data" || key === "keys") {
      shared[key] = strings(value, key).map(rel);
    } else if (key === "trusted_root") {
      shared.trustedRoot = rel(strings(value, key)[0]!);
    } else if (key === "time") {
      if (typeof value !== "string") throw new TollgateError("schema_invalid", "time must be an RFC 3339 string", path);
      shared.time = value;
    } else if (key === "identities") {
      if (!Array.isArray(value) || !value.every((i) => isObject(i) && typeof i.issuer === "string" && typeof i.identity === "string")) {
        throw new TollgateError("schema_invalid", "identities must be a list of {issuer, identity}", path);
      }
      shared.identities = value as { issuer: string; identity: string }[];
    } else if (key in CONFIG_KEYS) {
      const id = key as InterfaceId;
      if (!isObject(value)) throw new TollgateError("schema_invalid", `${id} must be a mapping of its probe's arguments (${CONFIG_KEYS[id].args.join(", ")})`, path);
      const spec = CONFIG_KEYS[id];
      const unknown = Object.keys(value).filter((k) => !spec.args.includes(k) && !spec.optional.includes(k));
      if (unknown.length) throw new TollgateError("schema_invalid", `${id}: unknown key${unknown.length > 1 ? "s" : ""} ${unknown.join(", ")} (known: ${[...spec.args, ...spec.optional].join(", ")})`, path);
      const args = spec.args.map((k) => {
        const v = value[k];
        if (typeof v !== "string") throw new TollgateError("schema_invalid", `${id}.${k} is required (a string)`, path);
        if (k === "target") return /^(oci:\/\/|sha256:)/.test(v) || /@sha256:/.test(v) ? v : rel(v);
        return PATH_KEYS.has(k) ? rel(v) : v;
      });
      probes.push({
        id,
        args,
        evidence: strings(value.evidence, `${id}.evidence`).map(rel),
        ...(typeof value.workflow === "string" ? { workflow: rel(value.workflow) } : {}),
        ...(typeof value.previous_contract === "string" ? { previousContract: rel(value.previous_contract) } : {}),
      });
    } else {
      throw new TollgateError("schema_invalid", `unknown key ${key} (expected I1…I8, evidence, data, keys, identities, trusted_root, time)`, path);
    }
  }
  probes.sort((a, b) => INTERFACE_IDS.indexOf(a.id) - INTERFACE_IDS.indexOf(b.id));
  return { probes, shared };
}

/** Run every configured probe; an interface not configured is NOT RUN, a probe that cannot run is NOT RUN with why. */
export async function runMatrix(configPath: string, probes: ProbeConfig[], o: ProbeOptions, sharedEvidence: string[]): Promise<Matrix> {
  const rows: MatrixRow[] = [];
  for (const id of INTERFACE_IDS) {
    const cfg = probes.find((p) => p.id === id);
    const name = INTERFACES[id].name;
    if (!cfg) {
      rows.push({ interface: id, name, verdict: "NOT RUN", target: null, musts: [] });
      continue;
    }
    try {
      const r = await runProbe(id, cfg.args, {
        ...o,
        evidence: [...sharedEvidence, ...(o.evidence ?? []), ...cfg.evidence],
        ...(cfg.workflow ? { workflow: cfg.workflow } : {}),
        ...(cfg.previousContract ? { previousContract: cfg.previousContract } : {}),
      });
      rows.push({ interface: id, name, verdict: r.verdict, target: r.target, musts: r.musts });
    } catch (e) {
      rows.push({ interface: id, name, verdict: "NOT RUN", target: cfg.args.join(" "), musts: [], error: `could not run: ${asTollgateError(e).oneLine()}` });
    }
  }
  return { apiVersion: "tollgate/conformance-matrix/v1", config: configPath, time: o.time.toISOString(), rows };
}

const cell = (s: string) => s.replace(/\|/g, "\\|").replace(/\r?\n/g, " ");

/** The seed's matrix template: the interface index (#, Interface, Boundary, Reference probe) plus the verdict. */
export function matrixMarkdown(m: Matrix): string {
  const lines = [
    "# Conformance matrix",
    "",
    `Recipient self-assessment from \`${cell(m.config)}\`, probes run by tollgate at ${m.time}. A recipient implements the attested SDLC exactly to the extent this matrix shows PASS across the interfaces it participates in.`,
    "",
    "| # | Interface | Boundary | Reference probe | Target | Verdict | Reasons |",
    "|---|---|---|---|---|---|---|",
  ];
  for (const r of m.rows) {
    const spec = INTERFACES[r.interface];
    const reasons = r.error
      ? cell(r.error)
      : r.verdict === "NOT RUN"
        ? "not configured"
        : r.musts.map((x) => `${x.ok ? "✓" : "✗"} ${cell(x.id)}: ${cell(x.reason)}`).join("<br>");
    lines.push(`| ${r.interface} | ${spec.name} | ${cell(spec.boundary)} | \`${spec.probe}\` (\`tollgate conform ${r.interface}\`) | ${r.target ? `\`${cell(r.target)}\`` : "—"} | **${r.verdict}** | ${reasons} |`);
  }
  const count = (v: MatrixRow["verdict"]) => m.rows.filter((r) => r.verdict === v).length;
  lines.push("", `PASS ${count("PASS")} · FAIL ${count("FAIL")} · NOT RUN ${count("NOT RUN")}`, "");
  return lines.join("\n");
}
