package tollgate.gate_test

import data.tollgate.gate

# A quality event as the quality-event kind normalizes it: contract-valid, passed, unique, in order.
qe_ev(over) := object.union(
	{
		"id": "sha256:q#L1", "kind": "quality-event",
		"source": {"path": "events.ndjson", "digest": {"sha256": "q"}, "format": "quality-event+ndjson"},
		"signature": {"status": "unsigned", "signers": []},
		"transparency": {"status": "absent"},
		"integrity": {"status": "verified"},
		"checks": [],
		"facts": {
			"line": 1, "pipeline": "nightly-dq", "passed": true, "pass_rate": 0.97, "duration_seconds": 12.5,
			"event_id": "e1", "correlation_id": "run-1", "ordering": {"key": "nightly-dq", "sequence": 1},
			"occurred_at": null,
			"contract": {
				"id": "pipeline-completion", "name": "Pipeline completion", "version": "1.0.0",
				"apiVersion": "v3.1.0", "standard": "odcs", "path": "contract.odcs.yaml", "schema_object": "events",
			},
			"contract_reference": {"id": "pipeline-completion", "version": null, "schema": null},
			"contract_valid": true, "contract_errors": [], "duplicates": [], "ordering_ok": true,
		},
	},
	over,
)

qe_input(evs) := {"context": {"time": "2026-06-01T00:00:00Z", "subject": {"digest": {"sha256": "00"}}}, "evidence": evs, "errors": []}

qe_rules(results) := {r.rule | some r in results; startswith(r.rule, "I5.")}

qe_msgs(results, rule) := [r.msg | some r in results; r.rule == rule]

test_qe_valid_passing_event_admits if {
	d := gate.deny with input as qe_input([qe_ev({})])
	count(qe_rules(d)) == 0
}

test_qe_contract_invalid_denies_with_errors if {
	ev := qe_ev({"facts": object.union(qe_ev({}).facts, {
		"contract_valid": false,
		"contract_errors": ["/pass_rate must be <= 1"],
	})})
	d := gate.deny with input as qe_input([ev])
	qe_rules(d) == {"I5.contract"}
	some m in qe_msgs(d, "I5.contract")
	contains(m, "e1 (events.ndjson:1, pipeline nightly-dq)")
	contains(m, "pipeline-completion version 1.0.0 (contract.odcs.yaml)")
	contains(m, "/pass_rate must be <= 1")
}

test_qe_no_contract_found_denies if {
	ev := qe_ev({"facts": object.union(qe_ev({}).facts, {
		"contract": null, "contract_valid": false,
		"contract_errors": ["no data contract given for the event"],
	})})
	d := gate.deny with input as qe_input([ev])
	some m in qe_msgs(d, "I5.contract")
	contains(m, "does not satisfy its data contract: no data contract given")
}

test_qe_failed_pipeline_denies if {
	ev := qe_ev({"facts": object.union(qe_ev({}).facts, {"passed": false, "pass_rate": 0.4})})
	d := gate.deny with input as qe_input([ev])
	qe_rules(d) == {"I5.passed"}
	some m in qe_msgs(d, "I5.passed")
	m == "pipeline nightly-dq reported passed=false (event e1, events.ndjson:1, pass_rate 0.4)"
}

test_qe_configured_pipeline_only_judges_that_pipeline if {
	other := qe_ev({"id": "x#L2", "facts": object.union(qe_ev({}).facts, {
		"line": 2, "pipeline": "ad-hoc", "passed": false, "event_id": "e2",
		"ordering": {"key": "ad-hoc", "sequence": 1},
	})})
	d := gate.deny with input as qe_input([qe_ev({}), other]) with data.quality_pipeline as "nightly-dq"
	count(qe_rules(d)) == 0
}

test_qe_unconfigured_every_pipeline_must_pass if {
	other := qe_ev({"id": "x#L2", "facts": object.union(qe_ev({}).facts, {
		"line": 2, "pipeline": "ad-hoc", "passed": false, "event_id": "e2",
		"ordering": {"key": "ad-hoc", "sequence": 1},
	})})
	d := gate.deny with input as qe_input([qe_ev({}), other])
	qe_rules(d) == {"I5.passed"}
	some m in qe_msgs(d, "I5.passed")
	contains(m, "pipeline ad-hoc reported passed=false")
}

test_qe_configured_pipeline_absent_denies if {
	d := gate.deny with input as qe_input([qe_ev({})]) with data.quality_pipeline as "release-dq"
	"I5.pipeline" in qe_rules(d)
	some m in qe_msgs(d, "I5.pipeline")
	m == `no quality event for pipeline "release-dq" (events present: nightly-dq)`
}

test_qe_latest_event_of_a_key_supersedes_earlier if {
	earlier := qe_ev({"facts": object.union(qe_ev({}).facts, {"passed": false})})
	later := qe_ev({"id": "x#L2", "facts": object.union(qe_ev({}).facts, {
		"line": 2, "event_id": "e2", "ordering": {"key": "nightly-dq", "sequence": 2},
	})})
	d := gate.deny with input as qe_input([earlier, later])
	count(qe_rules(d)) == 0

	# and the other way round: a later failure denies
	d2 := gate.deny with input as qe_input([
		qe_ev({}),
		qe_ev({"id": "x#L2", "facts": object.union(qe_ev({}).facts, {
			"line": 2, "event_id": "e2", "passed": false, "ordering": {"key": "nightly-dq", "sequence": 2},
		})}),
	])
	qe_rules(d2) == {"I5.passed"}
}

test_qe_min_pass_rate if {
	d := gate.deny with input as qe_input([qe_ev({})]) with data.quality_min_pass_rate as 0.99
	qe_rules(d) == {"I5.pass-rate"}
	some m in qe_msgs(d, "I5.pass-rate")
	m == "pipeline nightly-dq pass_rate 0.97 is below the required minimum 0.99 (event e1, events.ndjson:1)"

	ok := gate.deny with input as qe_input([qe_ev({})]) with data.quality_min_pass_rate as 0.97
	count(qe_rules(ok)) == 0
}

test_qe_duplicate_event_names_both_lines if {
	dup := [{"event_id": "e1", "lines": [1, 3]}]
	a := qe_ev({"facts": object.union(qe_ev({}).facts, {"duplicates": dup})})
	b := qe_ev({"id": "x#L3", "facts": object.union(qe_ev({}).facts, {"line": 3, "duplicates": dup})})
	d := gate.deny with input as qe_input([a, b])
	"I5.duplicate-event" in qe_rules(d)
	qe_msgs(d, "I5.duplicate-event") == ["event_id e1 appears on lines 1 and 3 of events.ndjson"]
}

test_qe_ordering_regression_denies if {
	ev := qe_ev({"checks": [{
		"name": "integrity.ordering", "ok": false, "code": "chain_broken",
		"reason": `ordering.sequence 1 for key "nightly-dq" at line 2 does not increase (line 1 had 5)`,
	}]})
	d := gate.deny with input as qe_input([ev])
	qe_rules(d) == {"I5.ordering"}
	some m in qe_msgs(d, "I5.ordering")
	contains(m, "at line 2 does not increase (line 1 had 5)")
}

test_qe_required_without_events_denies if {
	d := gate.deny with input as qe_input([]) with data.required_evidence as ["quality-event"]
	"I5.required" in qe_rules(d)
}

test_qe_required_with_only_invalid_events_denies if {
	ev := qe_ev({"facts": object.union(qe_ev({}).facts, {"contract_valid": false, "contract_errors": ["x"]})})
	d := gate.deny with input as qe_input([ev]) with data.required_evidence as ["quality-event"]
	"I5.required" in qe_rules(d)
}

test_qe_required_satisfied_by_a_valid_passing_event if {
	d := gate.deny with input as qe_input([qe_ev({})]) with data.required_evidence as ["quality-event"]
	not "I5.required" in qe_rules(d)
}

test_qe_not_required_and_absent_is_silent if {
	d := gate.deny with input as qe_input([])
	count(qe_rules(d)) == 0
}

test_qe_duplicate_three_times_lists_every_line if {
	dup := [{"event_id": "e1", "lines": [1, 3, 5]}]
	d := gate.deny with input as qe_input([qe_ev({"facts": object.union(qe_ev({}).facts, {"duplicates": dup})})])
	qe_msgs(d, "I5.duplicate-event") == ["event_id e1 appears on lines 1, 3 and 5 of events.ndjson"]
}

test_qe_duplicate_event_id_across_files_denies if {
	a := qe_ev({})
	b := qe_ev({"id": "sha256:r", "source": {"path": "more.json", "digest": {"sha256": "r"}, "format": "quality-event+json"}})
	d := gate.deny with input as qe_input([a, b])
	qe_msgs(d, "I5.duplicate-event") == ["event_id e1 appears in 2 files: events.ndjson:1, more.json:1"]

	# a repeated id is not a passing event, even when each file alone is clean
	r := gate.deny with input as qe_input([a, b]) with data.required_evidence as ["quality-event"]
	"I5.required" in qe_rules(r)
}

test_qe_distinct_event_ids_across_files_are_fine if {
	a := qe_ev({})
	b := qe_ev({"id": "sha256:r", "source": {"path": "more.json", "digest": {"sha256": "r"}, "format": "quality-event+json"}, "facts": object.union(qe_ev({}).facts, {"event_id": "e2"})})
	d := gate.deny with input as qe_input([a, b])
	count(qe_rules(d)) == 0
}

test_qe_sla_latency_met_admits if {
	ev := qe_ev({"facts": {"sla_latency": {"declared": "1 h", "max_seconds": 3600, "seconds": 60, "met": true}}})
	d := gate.deny with input as qe_input([ev]) with data.required_evidence as ["quality-event"]
	count(qe_rules(d)) == 0
}

test_qe_sla_latency_missed_denies_with_the_check_reason if {
	ev := qe_ev({
		"checks": [{"name": "sla.latency", "ok": false, "code": "binding_failed", "reason": "event e1: 7200s from its occurred_at 2026-06-01T00:00:00Z to the decision time 2026-06-01T02:00:00.000Z exceeds the contract's declared latency 1 h (3600s)"}],
		"facts": {"sla_latency": {"declared": "1 h", "max_seconds": 3600, "seconds": 7200, "met": false}},
	})
	d := gate.deny with input as qe_input([ev]) with data.required_evidence as ["quality-event"]
	qe_rules(d) == {"I5.required", "I5.sla-latency"}
	some m in qe_msgs(d, "I5.sla-latency")
	contains(m, "misses its contract's declared latency 1 h: event e1: 7200s")
}
