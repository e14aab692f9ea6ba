import { STRONG_DIGEST_ALGORITHMS } from "../core/digest-set.ts";
import type { GateReport, Reporter } from "./types.ts";

const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");

/** JUnit XML: one test case per result (rule id as the case name), plus the gate itself. */
export const junitReporter: Reporter = {
  name: "junit",
  render(rep: GateReport): string {
    const { deny, warn, allow } = rep.decision;
    const cases: string[] = [];
    for (const r of deny) {
      cases.push(`    <testcase classname="tollgate.${esc(r.rule)}" name="${esc(r.rule)}${r.evidence ? ` ${esc(r.evidence)}` : ""}">\n` +
        `      <failure message="${esc(r.msg)}" type="deny">${esc(r.remediation ?? "")}</failure>\n    </testcase>`);
    }
    for (const r of warn) {
      cases.push(`    <testcase classname="tollgate.${esc(r.rule)}" name="${esc(r.rule)}${r.evidence ? ` ${esc(r.evidence)}` : ""}">\n` +
        `      <system-out>WARN: ${esc(r.msg)}</system-out>\n    </testcase>`);
    }
    cases.push(`    <testcase classname="tollgate.gate" name="decision">${allow ? "" : `\n      <failure message="denied" type="deny">${deny.length} denial(s)</failure>\n    `}</testcase>`);
    // The subject's digest set as suite properties (subject.name, subject.sha256, subject.sha512, …).
    const s = rep.input.context.subject;
    const props = s ? [...(s.name ? [["subject.name", s.name]] : []), ...STRONG_DIGEST_ALGORITHMS.filter((a) => s.digest[a]).map((a) => [`subject.${a}`, s.digest[a]!])] : [];
    const properties = props.length ? `    <properties>\n${props.map(([k, v]) => `      <property name="${esc(k!)}" value="${esc(v!)}"/>`).join("\n")}\n    </properties>\n` : "";
    return `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites>\n  <testsuite name="tollgate" tests="${cases.length}" failures="${deny.length + (allow ? 0 : 1)}" errors="0" skipped="0">\n${properties}${cases.join("\n")}\n  </testsuite>\n</testsuites>\n`;
  },
};
