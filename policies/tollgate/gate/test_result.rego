# I1: in-toto test-result v0.1 attestations. A FAILED run denies; a WARNED run warns, or denies when
# data.test_result_warned_denies is true; a result that contradicts its own test lists denies. Rules apply
# to every test-result present (signed or not: a failure is a failure); whether a *required* test result is
# present, verified and bound is decision.rego's gate.required-evidence.
package tollgate.gate

import data.tollgate.lib

tr_results := lib.evidence_of("test-result")

default tr_warned_denies := false

tr_warned_denies := data.test_result_warned_denies == true

# At most this many test names in one message; the facts keep all of them.
tr_max_names := 10

tr_names(names) := concat(", ", array.slice(names, 0, tr_max_names)) if {
	count(names) <= tr_max_names
} else := sprintf("%s, … (%d more)", [concat(", ", array.slice(names, 0, tr_max_names)), count(names) - tr_max_names])

tr_run(ev) := sprintf(" (%s)", [ev.facts.url]) if is_string(ev.facts.url)

else := ""

tr_warned(ev) if ev.facts.result == "WARNED"

tr_warned(ev) if {
	ev.facts.result == "PASSED"
	ev.facts.warnedCount > 0
}

tr_warned_msg(ev) := sprintf("test run%s %s with %d warned test(s)%s", [tr_run(ev), ev.facts.result, ev.facts.warnedCount, tr_warned_list(ev)])

tr_warned_list(ev) := sprintf(": %s", [tr_names(ev.facts.warnedTests)]) if ev.facts.warnedCount > 0

else := ""

tr_deny contains lib.result_sev(
	"I1.test-result-failed",
	sprintf("test run%s FAILED: %d failed test(s)%s", [tr_run(ev), ev.facts.failedCount, tr_failed_list(ev)]),
	ev.source.path, "high", "fix the failing tests and attest a passing run",
) if {
	some ev in tr_results
	ev.facts.result == "FAILED"
}

tr_failed_list(ev) := sprintf(": %s", [tr_names(ev.facts.failedTests)]) if ev.facts.failedCount > 0

else := ""

tr_deny contains lib.result_sev(
	"I1.test-result-inconsistent",
	sprintf("test result is %s but failedTests lists %d test(s): %s", [ev.facts.result, ev.facts.failedCount, tr_names(ev.facts.failedTests)]),
	ev.source.path, "high", "the producer must report FAILED when any test failed",
) if {
	some ev in tr_results
	ev.facts.consistent == false
}

tr_warn contains lib.result_sev("I1.test-result-warned", tr_warned_msg(ev), ev.source.path, "medium", "review the warned tests") if {
	some ev in tr_results
	tr_warned(ev)
	not tr_warned_denies
}

tr_deny contains lib.result_sev(
	"I1.test-result-warned",
	tr_warned_msg(ev),
	ev.source.path, "medium", "fix the warned tests (data.test_result_warned_denies is true)",
) if {
	some ev in tr_results
	tr_warned(ev)
	tr_warned_denies
}

tr_deny contains lib.result_sev(
	"I1.test-result-schema",
	sprintf("test-result attestation does not verify: %s", [object.get(ev.integrity, "reason", "no reason recorded")]),
	ev.source.path, "high", "emit a predicate of https://in-toto.io/attestation/test-result/v0.1's shape",
) if {
	some ev in tr_results
	ev.integrity.status == "failed"
}

tr_deny contains lib.result_sev(
	"I1.test-result-signature",
	sprintf("test-result signature did not verify: %s", [object.get(ev.signature, "reason", "no reason recorded")]),
	ev.source.path, "high", "re-sign the attestation, or supply the key that signed it",
) if {
	some ev in tr_results
	ev.signature.status == "failed"
}

# The rules above fill tr_deny and tr_warn, which join the gate's deny and warn only when
# there is evidence for them to judge: every one of them needs some, and skipping them all at once keeps an
# evaluation from visiting each rule body (and, in the WASM target, keeps the deny function small).
deny contains r if {
	"test-result" in lib.kinds_present
	some r in tr_deny
}

warn contains r if {
	"test-result" in lib.kinds_present
	some r in tr_warn
}
