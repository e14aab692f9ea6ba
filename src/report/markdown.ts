import { subjectPhrase, type GateReport, type Reporter } from "./types.ts";

const cell = (s: string) => s.replace(/\|/g, "\\|").replace(/\n/g, " ");

/** A Markdown summary for PR comments and job summaries. */
export const markdownReporter: Reporter = {
  name: "markdown",
  render(rep: GateReport): string {
    const { decision } = rep;
    const out = [`## tollgate: ${decision.allow ? "✅ admit" : "❌ deny"}`, ""];
    const rows = [...decision.deny.map((r) => ["deny", r] as const), ...decision.warn.map((r) => ["warn", r] as const)];
    if (rows.length) {
      out.push("| result | rule | message | evidence |", "|---|---|---|---|");
      for (const [kind, r] of rows) out.push(`| ${kind} | \`${cell(r.rule)}\` | ${cell(r.msg)} | ${r.evidence ? `\`${cell(r.evidence)}\`` : ""} |`);
      out.push("");
    }
    out.push(`subject \`${subjectPhrase(rep)}\``, "");
    out.push(`${rep.input.evidence.length} evidence, ${rep.input.errors.length} error(s); bundle \`${rep.bundle.source}\` revision \`${rep.bundle.revision || "-"}\`; input \`${rep.inputDigest}\``);
    return out.join("\n") + "\n";
  },
};
