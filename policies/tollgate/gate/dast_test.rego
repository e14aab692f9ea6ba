package tollgate.gate_test

import data.tollgate.gate

dast_subject := "4444444444444444444444444444444444444444444444444444444444444444"

dast_key := "sha256:5555555555555555555555555555555555555555555555555555555555555555"

dast_finding(sev) := {
	"ruleId": "40012", "pluginId": "40012", "name": "Cross Site Scripting (Reflected)", "severity": sev,
	"severitySource": "riskcode", "confidence": "medium",
	"locations": [{"uri": "https://app.example/search", "method": "GET", "param": "q"}],
	"cwe": "CWE-79", "count": 2, "suppressed": false, "tool": "OWASP ZAP",
}

dast_facts(findings, bare) := {
	"format": "zap-traditional-json", "tool": {"name": "OWASP ZAP", "version": "2.15.0"}, "targets": ["https://app.example"],
	"complete": true, "incomplete": [], "findings": findings, "bare": bare,
}

# A signed DAST attestation bound to the subject.
dast_att(findings) := {
	"id": "sha256:6", "kind": "dast",
	"source": {"path": "dast.intoto.json", "digest": {"sha256": "6"}, "format": "dsse"},
	"signature": {"status": "verified", "signers": [{"type": "key", "fingerprint": dast_key}]},
	"transparency": {"status": "absent"},
	"integrity": {"status": "verified"},
	"checks": [],
	"statement": {"_type": "https://in-toto.io/Statement/v1", "predicateType": "https://tollgate.dev/attestation/dast/v0.1", "subject": [{"digest": {"sha256": dast_subject}}]},
	"facts": dast_facts(findings, false),
}

dast_bare(findings) := {
	"id": "sha256:7", "kind": "dast",
	"source": {"path": "zap.json", "digest": {"sha256": "7"}, "format": "zap-traditional-json"},
	"signature": {"status": "unsigned", "signers": []},
	"transparency": {"status": "absent"},
	"integrity": {"status": "n/a"},
	"checks": [],
	"facts": dast_facts(findings, true),
}

# A test-result attestation of a DAST run.
dast_tr(result) := {
	"id": "sha256:8", "kind": "test-result",
	"source": {"path": "zap-run.intoto.json", "digest": {"sha256": "8"}, "format": "dsse"},
	"signature": {"status": "verified", "signers": [{"type": "key", "fingerprint": dast_key}]},
	"transparency": {"status": "absent"},
	"integrity": {"status": "verified"},
	"checks": [],
	"statement": {"_type": "https://in-toto.io/Statement/v1", "predicateType": "https://in-toto.io/attestation/test-result/v0.1", "subject": [{"digest": {"sha256": dast_subject}}]},
	"facts": {
		"result": result, "passedTests": [], "warnedTests": [], "failedTests": ["zap-baseline"],
		"passedCount": 0, "warnedCount": 0, "failedCount": 1, "totalCount": 1, "consistent": true,
		"url": "https://ci.example/zap/1", "configuration": [], "dast": {"recognized": true, "via": "url"},
	},
}

dast_input(evs) := {
	"context": {"time": "2026-06-01T00:00:00Z", "subject": {"digest": {"sha256": dast_subject}}, "trust": {"keys": [dast_key], "identities": []}},
	"evidence": evs, "errors": [],
}

dast_rules(results) := {r.rule | some r in results; startswith(r.rule, "I8.")}

dast_msgs(results, rule) := [r.msg | some r in results; r.rule == rule]

test_dast_clean_attestation_satisfies_requirement if {
	d := gate.deny with input as dast_input([dast_att([])]) with data.required_evidence as ["dast"]
	count(dast_rules(d)) == 0
}

test_dast_high_finding_denies_by_default if {
	d := gate.deny with input as dast_input([dast_att([dast_finding("high")])])
	dast_rules(d) == {"I8.dast-finding"}
	dast_msgs(d, "I8.dast-finding") == [`OWASP ZAP high finding 40012 "Cross Site Scripting (Reflected)", CWE-79 at GET https://app.example/search (param q), seen 2 time(s)`]
	some r in d
	r.severity == "high"
}

test_dast_medium_finding_warns_by_default if {
	inp := dast_input([dast_att([dast_finding("medium")])])
	count(dast_rules(gate.deny)) == 0 with input as inp
	dast_rules(gate.warn) == {"I8.dast-finding"} with input as inp
}

test_dast_threshold_from_data if {
	inp := dast_input([dast_att([dast_finding("medium")])])
	dast_rules(gate.deny) == {"I8.dast-finding"} with input as inp with data.dast_fail_severity as "MEDIUM"
	d := gate.deny with input as dast_input([dast_att([dast_finding("high")])]) with data.dast_fail_severity as "critical"
	count(dast_rules(d)) == 0
}

test_dast_critical_always_at_or_above_high if {
	d := gate.deny with input as dast_input([dast_att([dast_finding("critical")])])
	dast_rules(d) == {"I8.dast-finding"}
}

test_dast_suppressed_finding_ignored if {
	f := object.union(dast_finding("critical"), {"suppressed": true})
	inp := dast_input([dast_att([f])])
	count(dast_rules(gate.deny)) == 0 with input as inp
	count(dast_rules(gate.warn)) == 0 with input as inp
}

test_dast_blocking_finding_fails_the_requirement_too if {
	d := gate.deny with input as dast_input([dast_att([dast_finding("high")])]) with data.required_evidence as ["dast"]
	dast_rules(d) == {"I8.dast-finding", "I8.dast-required"}
}

test_dast_bare_report_cannot_satisfy_requirement if {
	inp := dast_input([dast_bare([])])
	dast_rules(gate.deny) == {"I8.dast-required"} with input as inp with data.required_evidence as ["dast"]
	dast_rules(gate.warn) == {"I8.dast-unbound"} with input as inp
}

test_dast_bare_report_findings_still_deny if {
	d := gate.deny with input as dast_input([dast_bare([dast_finding("high")])])
	dast_rules(d) == {"I8.dast-finding"}
}

test_dast_untrusted_signer_cannot_satisfy if {
	inp := object.union(dast_input([dast_att([])]), {"context": {"trust": {"keys": [], "identities": []}}})
	d := gate.deny with input as inp with data.required_evidence as ["dast"]
	"I8.dast-required" in dast_rules(d)
}

test_dast_other_subject_cannot_satisfy_and_warns if {
	inp := object.union(dast_input([dast_att([])]), {"context": {"subject": {"digest": {"sha256": "9999999999999999999999999999999999999999999999999999999999999999"}}}})
	d := gate.deny with input as inp with data.required_evidence as ["dast"]
	"I8.dast-required" in dast_rules(d)
	dast_rules(gate.warn) == {"I8.dast-subject"} with input as inp
}

test_dast_incomplete_scan_denies if {
	ev := object.union(dast_att([]), {"facts": {"complete": false, "incomplete": ["run 0 (zap) invocation 0 did not succeed (executionSuccessful false, exit code 3)"]}})
	d := gate.deny with input as dast_input([ev]) with data.required_evidence as ["dast"]
	dast_rules(d) == {"I8.dast-incomplete", "I8.dast-required"}
	dast_msgs(d, "I8.dast-incomplete") == ["OWASP ZAP scan is not shown complete (run 0 (zap) invocation 0 did not succeed (executionSuccessful false, exit code 3)): an unfinished scan proves nothing"]
}

test_dast_invalid_predicate_denies if {
	ev := object.union(dast_att([]), {"facts": {}, "integrity": {"status": "failed", "reason": "not a ZAP traditional JSON report: /site/0/alerts/0/riskcode must be equal to one of the allowed values (0, 1, 2, 3)"}})
	d := gate.deny with input as dast_input([ev])
	dast_rules(d) == {"I8.dast-attestation"}
	some m in dast_msgs(d, "I8.dast-attestation")
	contains(m, "riskcode")
}

test_dast_bad_signature_denies if {
	ev := object.union(dast_att([]), {"signature": {"status": "failed", "signers": [], "reason": "payload altered"}})
	d := gate.deny with input as dast_input([ev])
	dast_rules(d) == {"I8.dast-signature"}
}

test_dast_test_result_passing_satisfies if {
	d := gate.deny with input as dast_input([dast_tr("PASSED")]) with data.required_evidence as ["dast"]
	count(dast_rules(d)) == 0
}

test_dast_test_result_failed_denies if {
	d := gate.deny with input as dast_input([dast_tr("FAILED")]) with data.required_evidence as ["dast"]
	dast_rules(d) == {"I8.dast-test-result-failed", "I8.dast-required"}
	dast_msgs(d, "I8.dast-test-result-failed") == ["DAST run attested as a test result FAILED: 1 failed test(s): zap-baseline"]
}

test_dast_test_result_warned_passes_unless_warned_denies if {
	inp := dast_input([dast_tr("WARNED")])
	count(dast_rules(gate.deny)) == 0 with input as inp with data.required_evidence as ["dast"]
	d := gate.deny with input as inp with data.required_evidence as ["dast"] with data.test_result_warned_denies as true
	"I8.dast-required" in dast_rules(d)
}

test_dast_bad_threshold_config_denies_everything if {
	d := gate.deny with input as dast_input([dast_att([dast_finding("low")])]) with data.dast_fail_severity as "severe"
	dast_rules(d) == {"I8.dast-config", "I8.dast-finding"}
}

test_dast_not_required_and_absent_is_silent if {
	count(dast_rules(gate.deny)) == 0 with input as dast_input([])
}
