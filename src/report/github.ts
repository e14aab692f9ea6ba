import type { PolicyResult } from "../policy/gate.ts";
import { subjectPhrase, type GateReport, type Reporter } from "./types.ts";

// GitHub Actions workflow commands: each result is an annotation on the evidence file.
const escData = (s: string) => s.replace(/%/g, "%25").replace(/\r/g, "%0D").replace(/\n/g, "%0A");
const escProp = (s: string) => escData(s).replace(/:/g, "%3A").replace(/,/g, "%2C");

function annotation(cmd: "error" | "warning", r: PolicyResult): string {
  const props = [`title=${escProp(r.rule)}`];
  if (r.evidence) props.unshift(`file=${escProp(r.evidence)}`);
  return `::${cmd} ${props.join(",")}::${escData(r.msg)}`;
}

export const githubReporter: Reporter = {
  name: "github",
  render(rep: GateReport): string {
    const out = [...rep.decision.deny.map((r) => annotation("error", r)), ...rep.decision.warn.map((r) => annotation("warning", r))];
    out.push(`tollgate: ${rep.decision.allow ? "admit" : "deny"} (${rep.decision.deny.length} denied, ${rep.decision.warn.length} warnings; subject ${subjectPhrase(rep)})`);
    return out.join("\n") + "\n";
  },
};
