import { sha256Hex } from "../core/digest.ts";
import pkg from "../../package.json" with { type: "json" };
import { stableStringify } from "../core/input.ts";
import type { PolicyResult } from "../policy/gate.ts";
import type { GateReport, Reporter } from "./types.ts";

/**
 * Where a result points, as a SARIF artifactLocation. GitHub code scanning rejects a result without a location
 * (and a location whose URI is not a path in the repository), so every result gets one: the evidence file the
 * policy named; else the policy bundle when it is a local file; else the subject's name; else `tollgate`. A
 * relative path is relative to the checkout (uriBaseId %SRCROOT%, which upload-sarif resolves to the
 * workspace); an absolute one is a file: URI (upload-sarif makes those under the checkout relative).
 */
export function sarifLocation(r: PolicyResult, rep: GateReport): { uri: string; uriBaseId?: string } {
  const bundle = rep.bundle.source;
  const candidates = [
    r.evidence ?? undefined,
    bundle && !/^[a-z][a-z0-9+.-]*:/i.test(bundle) && bundle !== "-" ? bundle : undefined,
    rep.input.context.subject?.name,
  ];
  const path = candidates.find((p): p is string => typeof p === "string" && p.length > 0 && p !== "-") ?? "tollgate";
  const slashed = path.replace(/\\/g, "/");
  if (slashed.startsWith("/")) return { uri: "file://" + encodeURI(slashed).replace(/[?#]/g, encodeURIComponent) };
  const rel = slashed.replace(/^(\.\/)+/, "");
  return { uri: encodeURI(rel).replace(/[?#]/g, encodeURIComponent), uriBaseId: "%SRCROOT%" };
}

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
          originalUriBaseIds: { "%SRCROOT%": { description: { text: "the repository checkout (the directory tollgate ran in)" } } },
          results: all.map(([r, level]) => {
            const loc = sarifLocation(r, rep);
            return {
              ruleId: r.rule,
              ruleIndex: ruleIds.indexOf(r.rule),
              level,
              message: { text: r.msg },
              locations: [{ physicalLocation: { artifactLocation: loc, region: { startLine: 1 } } }],
              // Our own fingerprint (rule, location, message), so GitHub matches the same finding across runs
              // instead of hashing line 1 of an evidence file.
              partialFingerprints: { "tollgateResult/v1": sha256Hex(`${r.rule}\0${loc.uri}\0${r.msg}`) },
              ...(r.severity ? { properties: { severity: r.severity } } : {}),
            };
          }),
          properties: { allow: rep.decision.allow, inputDigest: rep.inputDigest, bundleRevision: rep.bundle.revision, subject: rep.input.context.subject ?? null },
        },
      ],
    };
    return stableStringify(doc, 2) + "\n";
  },
};
