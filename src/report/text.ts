import { subjectPhrase, type GateReport, type Reporter } from "./types.ts";
import type { PolicyResult } from "../policy/gate.ts";

function line(kind: string, r: PolicyResult): string {
  const where = r.evidence ? `  [${r.evidence}]` : "";
  const fix = r.remediation ? `\n      fix: ${r.remediation}` : "";
  return `${kind}  ${r.rule}: ${r.msg}${where}${fix}`;
}

export const textReporter: Reporter = {
  name: "text",
  render(rep: GateReport): string {
    const { decision, input } = rep;
    const out: string[] = [];
    for (const r of decision.deny) out.push(line("DENY", r));
    for (const r of decision.warn) out.push(line("WARN", r));
    for (const s of rep.skipped) out.push(`SKIP  ${s}: not evidence tollgate recognizes`);
    out.push(`subject: ${subjectPhrase(rep)}`);
    const verdict = decision.allow ? "ADMIT" : "DENY";
    out.push(
      `${verdict}: ${decision.deny.length} denied, ${decision.warn.length} warning(s); ` +
        `${input.evidence.length} evidence, ${input.errors.length} error(s); ` +
        `bundle ${rep.bundle.source}${rep.bundle.revision ? ` (revision ${rep.bundle.revision})` : ""}`,
    );
    return out.join("\n") + "\n";
  },
};
