import pkg from "../../package.json" with { type: "json" };
import { stableStringify } from "../core/input.ts";
import type { PolicyResult } from "../policy/gate.ts";
import type { GateReport, Reporter } from "./types.ts";

/** SARIF 2.1.0: rule ids are the policy's stable rule ids; denials are errors, warnings warnings. */
export const sarifReporter: Reporter = {
  name: "sarif",
  render(rep: GateReport): string {
    const all: [PolicyResult, "error" | "warning"][] = [
      ...rep.decision.deny.map((r) => [r, "error"] as [PolicyResult, "error"]),
      ...rep.decision.warn.map((r) => [r, "warning"] as [PolicyResult, "warning"]),
    ];
    const ruleIds = [...new Set(all.map(([r]) => r.rule))].sort();
    const doc = {
      $schema: "https://json.schemastore.org/sarif-2.1.0.json",
      version: "2.1.0",
      runs: [
        {
          tool: {
            driver: {
              name: "tollgate",
              version: pkg.version,
              rules: ruleIds.map((id) => {
                const first = all.find(([r]) => r.rule === id)![0];
                return { id, shortDescription: { text: id }, ...(first.remediation ? { help: { text: first.remediation } } : {}) };
              }),
            },
          },
          results: all.map(([r, level]) => ({
            ruleId: r.rule,
            ruleIndex: ruleIds.indexOf(r.rule),
            level,
            message: { text: r.msg },
            ...(r.evidence ? { locations: [{ physicalLocation: { artifactLocation: { uri: r.evidence } } }] } : {}),
            ...(r.severity ? { properties: { severity: r.severity } } : {}),
          })),
          properties: { allow: rep.decision.allow, inputDigest: rep.inputDigest, bundleRevision: rep.bundle.revision, subject: rep.input.context.subject ?? null },
        },
      ],
    };
    return stableStringify(doc, 2) + "\n";
  },
};
