package tollgate.gate_test

import data.tollgate.gate

tr_subject := "1111111111111111111111111111111111111111111111111111111111111111"

tr_key := "sha256:2222222222222222222222222222222222222222222222222222222222222222"

# A test-result record as the attestation layer builds it: DSSE, verified for tr_key, bound to tr_subject.
tr_ev(facts) := {
	"id": "sha256:3", "kind": "test-result",
	"source": {"path": "ci/tests.intoto.json", "digest": {"sha256": "3"}, "format": "dsse"},
	"signature": {"status": "verified", "signers": [{"type": "key", "fingerprint": tr_key}]},
	"transparency": {"status": "absent"},
	"integrity": {"status": "verified"},
	"checks": [],
	"statement": {"_type": "https://in-toto.io/Statement/v1", "predicateType": "https://in-toto.io/attestation/test-result/v0.1", "subject": [{"digest": {"sha256": tr_subject}}]},
	"facts": object.union(
		{
			"result": "PASSED", "passedTests": ["a", "b"], "warnedTests": [], "failedTests": [],
			"passedCount": 2, "warnedCount": 0, "failedCount": 0, "totalCount": 2, "consistent": true,
			"url": "https://ci.example/run/7", "configuration": [], "dast": {"recognized": false, "via": null},
		},
		facts,
	),
}

tr_input(evs) := {
	"context": {"time": "2026-06-01T00:00:00Z", "subject": {"digest": {"sha256": tr_subject}}, "trust": {"keys": [tr_key], "identities": []}},
	"evidence": evs, "errors": [],
}

tr_rules(results) := {r.rule | some r in results; startswith(r.rule, "I1.test-result")}

tr_msgs(results, rule) := [r.msg | some r in results; r.rule == rule]

test_tr_passed_is_clean if {
	count(tr_rules(gate.deny)) == 0 with input as tr_input([tr_ev({})])
	count(tr_rules(gate.warn)) == 0 with input as tr_input([tr_ev({})])
}

test_tr_failed_denies_naming_tests if {
	ev := tr_ev({"result": "FAILED", "failedTests": ["login", "logout"], "failedCount": 2})
	d := gate.deny with input as tr_input([ev])
	tr_rules(d) == {"I1.test-result-failed"}
	tr_msgs(d, "I1.test-result-failed") == ["test run (https://ci.example/run/7) FAILED: 2 failed test(s): login, logout"]
}

test_tr_failed_with_no_names_still_denies if {
	ev := tr_ev({"result": "FAILED", "url": null})
	d := gate.deny with input as tr_input([ev])
	tr_msgs(d, "I1.test-result-failed") == ["test run FAILED: 0 failed test(s)"]
}

test_tr_many_failed_names_are_cut if {
	names := [sprintf("t%d", [i]) | some i in numbers.range(1, 12)]
	ev := tr_ev({"result": "FAILED", "failedTests": names, "failedCount": 12})
	d := gate.deny with input as tr_input([ev])
	some m in tr_msgs(d, "I1.test-result-failed")
	endswith(m, "t10, … (2 more)")
}

test_tr_warned_warns_by_default if {
	ev := tr_ev({"result": "WARNED", "warnedTests": ["slow"], "warnedCount": 1})
	count(tr_rules(gate.deny)) == 0 with input as tr_input([ev])
	w := gate.warn with input as tr_input([ev])
	tr_msgs(w, "I1.test-result-warned") == ["test run (https://ci.example/run/7) WARNED with 1 warned test(s): slow"]
}

test_tr_warned_with_no_names_has_no_dangling_list if {
	w := gate.warn with input as tr_input([tr_ev({"result": "WARNED", "url": null})])
	tr_msgs(w, "I1.test-result-warned") == ["test run WARNED with 0 warned test(s)"]
}

test_tr_warned_denies_when_configured if {
	ev := tr_ev({"result": "WARNED", "warnedTests": ["slow"], "warnedCount": 1})
	d := gate.deny with input as tr_input([ev]) with data.test_result_warned_denies as true
	tr_rules(d) == {"I1.test-result-warned"}
	count(tr_rules(gate.warn)) == 0 with input as tr_input([ev]) with data.test_result_warned_denies as true
}

test_tr_passed_with_warned_tests_warns if {
	ev := tr_ev({"warnedTests": ["flaky"], "warnedCount": 1})
	w := gate.warn with input as tr_input([ev])
	tr_rules(w) == {"I1.test-result-warned"}
}

test_tr_inconsistent_passed_denies if {
	ev := tr_ev({"failedTests": ["x"], "failedCount": 1, "consistent": false})
	d := gate.deny with input as tr_input([ev])
	tr_msgs(d, "I1.test-result-inconsistent") == ["test result is PASSED but failedTests lists 1 test(s): x"]
}

test_tr_bad_predicate_denies_with_reason if {
	ev := object.union(tr_ev({}), {"facts": {}, "integrity": {"status": "failed", "reason": "https://in-toto.io/attestation/test-result/v0.1: test-result predicate: /result must be equal to one of the allowed values (PASSED, WARNED, FAILED)"}})
	d := gate.deny with input as tr_input([ev])
	tr_rules(d) == {"I1.test-result-schema"}
	some m in tr_msgs(d, "I1.test-result-schema")
	contains(m, "/result must be equal to one of the allowed values")
}

test_tr_bad_signature_denies if {
	ev := object.union(tr_ev({}), {"signature": {"status": "failed", "signers": [], "reason": "the signature by keyid k does not verify"}})
	d := gate.deny with input as tr_input([ev])
	tr_rules(d) == {"I1.test-result-signature"}
}

test_tr_required_and_present_satisfies_generic_rule if {
	d := gate.deny with input as tr_input([tr_ev({})]) with data.required_evidence as ["test-result"]
	count([r | some r in d; r.rule == "gate.required-evidence"]) == 0
}

test_tr_required_and_absent_denies_naming_kind if {
	d := gate.deny with input as tr_input([]) with data.required_evidence as ["test-result"]
	some r in d
	r.rule == "gate.required-evidence"
	contains(r.msg, "test-result")
}

# A failed record without a reason (the input schema does not require one for integrity) still denies.
test_tr_failed_without_reason_still_denies if {
	ev := object.union(tr_ev({}), {"facts": {}, "integrity": {"status": "failed"}, "signature": {"status": "failed", "signers": []}})
	d := gate.deny with input as tr_input([ev])
	tr_msgs(d, "I1.test-result-schema") == ["test-result attestation does not verify: no reason recorded"]
	tr_msgs(d, "I1.test-result-signature") == ["test-result signature did not verify: no reason recorded"]
}
