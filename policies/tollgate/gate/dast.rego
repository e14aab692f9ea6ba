# I8: DAST results. Findings at or above data.dast_fail_severity (default "high") deny, below it warn,
# whichever form they arrive in (a finding is a finding). Only a DAST attestation — signed by a trusted
# signer, its subject the deployed artifact's digest, passing — can satisfy "dast" in
# data.required_evidence: either the DAST predicate (kind "dast", SARIF or ZAP as predicate) or a
# test-result v0.1 attestation recognized as a DAST run (facts.dast.recognized). Bare reports never do.
#
# Messages are formatted by OPA's sprintf (Go fmt) both under `opa eval` and in tollgate, whose evaluator
# replaces opa-wasm's sprintf-js (src/policy/builtins.ts); they use %s and %d only.
package tollgate.gate

import data.tollgate.lib

dast_rank := {"critical": 5, "high": 4, "medium": 3, "low": 2, "info": 1}

default dast_fail_severity := "high"

dast_fail_severity := lower(data.dast_fail_severity) if is_string(data.dast_fail_severity)

dast_threshold := dast_rank[dast_fail_severity]

dast_reports := lib.evidence_of("dast")

# Never undefined: a message built from an absent subject would silently drop its rule.
dast_subject_text := sprintf("subject %s", [lib.subject_text]) if lib.subject_given

else := "a subject (none was given)"

dast_test_results := [ev | some ev in lib.evidence_of("test-result"); ev.facts.dast.recognized == true]

# Unsuppressed findings at or above the threshold (no threshold configured correctly ⇒ every finding).
dast_blocking(f) if {
	not f.suppressed
	dast_rank[f.severity] >= dast_threshold
}

dast_blocking(f) if {
	not f.suppressed
	not dast_threshold
}

dast_where(f) := sprintf(" at %s %s", [f.locations[0].method, f.locations[0].uri]) if {
	is_string(f.locations[0].method)
	is_string(f.locations[0].uri)
} else := sprintf(" at %s", [f.locations[0].uri]) if {
	is_string(f.locations[0].uri)
} else := ""

dast_param(f) := sprintf(" (param %s)", [f.locations[0].param]) if is_string(f.locations[0].param)

else := ""

dast_cwe(f) := sprintf(", %s", [f.cwe]) if is_string(f.cwe)

else := ""

dast_finding_msg(ev, f) := sprintf("%s %s finding %s \"%s\"%s%s%s, seen %d time(s)", [
	ev.facts.tool.name, f.severity, f.ruleId, f.name, dast_cwe(f), dast_where(f), dast_param(f), f.count,
])

# A DAST attestation that passes: an attested (not bare) report, complete, verified, no blocking finding.
dast_passing(ev) if {
	ev.kind == "dast"
	ev.facts.bare == false
	ev.facts.complete == true
	ev.integrity.status != "failed"
	count([f | some f in ev.facts.findings; dast_blocking(f)]) == 0
}

dast_passing(ev) if {
	ev.kind == "test-result"
	ev.facts.dast.recognized == true
	ev.facts.result == "PASSED"
	ev.facts.consistent == true
}

dast_passing(ev) if {
	ev.kind == "test-result"
	ev.facts.dast.recognized == true
	ev.facts.result == "WARNED"
	ev.facts.consistent == true
	not tr_warned_denies
}

dast_deny contains lib.result_sev(
	"I8.dast-config",
	sprintf("data.dast_fail_severity %s is not one of critical, high, medium, low, info; every finding denies", [json.marshal(data.dast_fail_severity)]),
	null, "high", "set dast_fail_severity to critical, high, medium, low or info",
) if {
	count(dast_reports) > 0
	not dast_threshold
}

deny contains lib.result_sev(
	"I8.dast-required",
	sprintf("no passing DAST attestation signed by a trusted signer and bound to %s", [dast_subject_text]),
	null, "critical",
	"attest the DAST run (SARIF or ZAP report as the predicate of a signed in-toto statement, or a test-result v0.1) with the deployed artifact's digest as subject",
) if {
	"dast" in lib.required_kinds
	count([ev | some ev in array.concat(dast_reports, dast_test_results); lib.relied_on(ev); dast_passing(ev)]) == 0
}

dast_deny contains lib.result_sev("I8.dast-finding", dast_finding_msg(ev, f), ev.source.path, f.severity, "fix the vulnerability, or suppress it with a reviewed justification") if {
	some ev in dast_reports
	some f in ev.facts.findings
	dast_blocking(f)
}

dast_warn contains lib.result_sev("I8.dast-finding", dast_finding_msg(ev, f), ev.source.path, f.severity, "review the finding") if {
	some ev in dast_reports
	some f in ev.facts.findings
	not f.suppressed
	dast_threshold
	dast_rank[f.severity] < dast_threshold
}

dast_deny contains lib.result_sev(
	"I8.dast-incomplete",
	sprintf("%s scan is not shown complete (%s): an unfinished scan proves nothing", [ev.facts.tool.name, concat("; ", ev.facts.incomplete)]),
	ev.source.path, "high", "re-run the DAST scan to completion",
) if {
	some ev in dast_reports
	ev.facts.complete == false
}

dast_deny contains lib.result_sev(
	"I8.dast-attestation",
	sprintf("DAST attestation does not verify: %s", [ev.integrity.reason]),
	ev.source.path, "high", "the predicate must be a SARIF 2.1.0 log or a ZAP traditional JSON report",
) if {
	some ev in dast_reports
	ev.integrity.status == "failed"
}

dast_deny contains lib.result_sev(
	"I8.dast-signature",
	sprintf("DAST attestation signature did not verify: %s", [ev.signature.reason]),
	ev.source.path, "high", "re-sign the attestation, or supply the key that signed it",
) if {
	some ev in array.concat(dast_reports, dast_test_results)
	ev.signature.status == "failed"
}

dast_deny contains lib.result_sev(
	"I8.dast-test-result-failed",
	sprintf("DAST run attested as a test result FAILED: %d failed test(s)%s", [ev.facts.failedCount, tr_failed_list(ev)]),
	ev.source.path, "high", "fix what the DAST run found and attest a passing run",
) if {
	some ev in dast_test_results
	ev.facts.result == "FAILED"
}

dast_warn contains lib.result_sev(
	"I8.dast-unbound",
	"bare DAST report: unsigned and bound to no artifact, so it is recorded but cannot satisfy the DAST requirement",
	ev.source.path, "low", "wrap the report in a signed in-toto statement whose subject is the deployed artifact's digest",
) if {
	some ev in dast_reports
	ev.facts.bare == true
}

dast_warn contains lib.result_sev(
	"I8.dast-subject",
	sprintf("DAST attestation is not about subject %s", [lib.subject_text]),
	ev.source.path, "medium", "attest the scan of the artifact being deployed",
) if {
	some ev in array.concat(dast_reports, dast_test_results)
	not ev.facts.bare
	lib.subject_given
	not lib.subject_bound(ev)
}

dast_present if "dast" in lib.kinds_present

dast_present if count(dast_test_results) > 0

# The rules above fill dast_deny and dast_warn, which join the gate's deny and warn only when
# there is evidence for them to judge: every one of them needs some, and skipping them all at once keeps an
# evaluation from visiting each rule body (and, in the WASM target, keeps the deny function small).
deny contains r if {
	dast_present
	some r in dast_deny
}

warn contains r if {
	dast_present
	some r in dast_warn
}
