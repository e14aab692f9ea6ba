import { subjectPhrase, type GateReport, type Reporter } from "./types.ts";

/** TAP 13: one line per result; warnings pass with a TODO-free diagnostic. */
export const tapReporter: Reporter = {
  name: "tap",
  render(rep: GateReport): string {
    const lines: string[] = [];
    let n = 0;
    for (const r of rep.decision.deny) lines.push(`not ok ${++n} - ${r.rule}: ${r.msg}${r.evidence ? ` (${r.evidence})` : ""}`);
    for (const r of rep.decision.warn) lines.push(`ok ${++n} - ${r.rule}: ${r.msg}${r.evidence ? ` (${r.evidence})` : ""}\n# warning`);
    lines.push(`${rep.decision.allow ? "ok" : "not ok"} ${++n} - gate decision: ${rep.decision.allow ? "admit" : "deny"}`);
    return `TAP version 13\n1..${n}\n# subject: ${subjectPhrase(rep)}\n${lines.join("\n")}\n`;
  },
};
