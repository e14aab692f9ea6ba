package tollgate.gate_test

import data.tollgate.gate

ledger_head := "sha256:3eb4b34f3b14bb1cab0acbf571160061f0308a2c3af0090ee336ae22775e62ac"

# A ledger as the runmanifest kind normalizes it: unsigned by nature, integrity verified.
ledger_ev(over) := object.union(
	{
		"id": "sha256:2", "kind": "runmanifest",
		"source": {"path": "run/runmanifest.json", "digest": {"sha256": "2"}, "format": "runmanifest-json"},
		"signature": {"status": "unsigned", "signers": []},
		"transparency": {"status": "absent"},
		"integrity": {"status": "verified"},
		"checks": [],
		"facts": {
			"mode": "compact", "manifest_version": "1.0", "chain_version": "1.0",
			"entry_count": 6, "claimed_entry_count": 6, "head": ledger_head,
			"reason_codes": ["SCORING_SUMMARY_COMPUTED", "TOPN_RANKING_COMPLETED"],
			"reason_codes_truncated": false, "first_failure": null,
		},
	},
	over,
)

ledger_failed(ff) := ledger_ev({
	"integrity": {"status": "failed", "reason": sprintf("%s: %s", [ff.check, ff.reason])},
	"facts": object.union(ledger_ev({}).facts, {"first_failure": ff}),
})

ledger_input(evs) := {"context": {"time": "2026-06-01T00:00:00Z", "subject": {"digest": {"sha256": "00"}}}, "evidence": evs, "errors": []}

ledger_rules(results) := {r.rule | some r in results; startswith(r.rule, "runmanifest.")}

ledger_msgs(results, rule) := [r.msg | some r in results; r.rule == rule]

test_ledger_verified_not_required_no_ledger_rule if {
	d := gate.deny with input as ledger_input([ledger_ev({})])
	count(ledger_rules(d)) == 0
}

test_ledger_verified_and_required_satisfies_presence if {
	d := gate.deny with input as ledger_input([ledger_ev({})])
		with data.required_evidence as ["runmanifest"]
	count(ledger_rules(d)) == 0
}

test_ledger_required_but_absent_denies if {
	d := gate.deny with input as ledger_input([])
		with data.required_evidence as ["runmanifest"]
	ledger_rules(d) == {"runmanifest.required"}
	ledger_msgs(d, "runmanifest.required") == ["no verified RunManifest decision ledger (0 present, 0 verified)"]
}

test_ledger_not_required_and_absent_is_silent if {
	d := gate.deny with input as ledger_input([])
	count(ledger_rules(d)) == 0
}

test_ledger_failed_integrity_denies_naming_seq_and_check if {
	ff := {"seq": 4, "check": "integrity.entry_hash", "reason": "seq 4: entry_hash sha256:aa does not match the recomputed hash of the entry's fields (sha256:bb)"}
	d := gate.deny with input as ledger_input([ledger_failed(ff)])
	ledger_rules(d) == {"runmanifest.integrity"}
	ledger_msgs(d, "runmanifest.integrity") == [
		"decision ledger failed integrity.entry_hash at seq 4: entry_hash sha256:aa does not match the recomputed hash of the entry's fields (sha256:bb)",
	]
	some r in d
	r.rule == "runmanifest.integrity"
	r.evidence == "run/runmanifest.json"
	r.severity == "critical"
}

test_ledger_failed_document_level_check_has_no_seq if {
	ff := {"seq": null, "check": "integrity.manifest_digest", "reason": "verification.manifest_digest sha256:aa does not match"}
	d := gate.deny with input as ledger_input([ledger_failed(ff)])
	ledger_msgs(d, "runmanifest.integrity") == ["decision ledger failed integrity.manifest_digest: verification.manifest_digest sha256:aa does not match"]
}

test_ledger_failed_without_first_failure_still_denies if {
	ev := ledger_ev({"integrity": {"status": "failed", "reason": "broken"}})
	d := gate.deny with input as ledger_input([ev])
	ledger_msgs(d, "runmanifest.integrity") == ["decision ledger integrity is failed: broken"]
}

test_ledger_failed_and_required_denies_both if {
	ff := {"seq": 2, "check": "integrity.seq", "reason": "entry at position 2 has seq 3"}
	d := gate.deny with input as ledger_input([ledger_failed(ff)])
		with data.required_evidence as ["runmanifest"]
	ledger_rules(d) == {"runmanifest.integrity", "runmanifest.required"}
	ledger_msgs(d, "runmanifest.required") == ["no verified RunManifest decision ledger (1 present, 0 verified)"]
}

test_ledger_one_good_one_bad_still_denies_the_bad_one if {
	ff := {"seq": 1, "check": "integrity.prev_hash", "reason": "seq 1: prev_hash x"}
	bad := object.union(ledger_failed(ff), {"source": {"path": "old/runmanifest.json", "digest": {"sha256": "3"}, "format": "runmanifest-json"}})
	d := gate.deny with input as ledger_input([ledger_ev({}), bad])
		with data.required_evidence as ["runmanifest"]
	ledger_rules(d) == {"runmanifest.integrity"}
	some r in d
	r.rule == "runmanifest.integrity"
	r.evidence == "old/runmanifest.json"
}

test_ledger_required_mode if {
	d := gate.deny with input as ledger_input([ledger_ev({})])
		with data.runmanifest_required_mode as "expanded"
	ledger_msgs(d, "runmanifest.mode") == ["decision ledger was recorded in compact mode; policy requires expanded"]
	d2 := gate.deny with input as ledger_input([ledger_ev({})])
		with data.runmanifest_required_mode as "compact"
	count(ledger_rules(d2)) == 0
}

test_ledger_denied_reason_code if {
	d := gate.deny with input as ledger_input([ledger_ev({})])
		with data.runmanifest_denied_reason_codes as ["TOPN_RANKING_COMPLETED", "OTHER"]
	ledger_msgs(d, "runmanifest.reason-code") == ["decision ledger records reason code TOPN_RANKING_COMPLETED, which policy does not admit"]
}

test_ledger_truncated_reason_codes_fail_closed_only_when_codes_are_denied if {
	ev := ledger_ev({"facts": object.union(ledger_ev({}).facts, {"reason_codes_truncated": true})})
	d := gate.deny with input as ledger_input([ev])
		with data.runmanifest_denied_reason_codes as ["NOT_LISTED"]
	ledger_rules(d) == {"runmanifest.reason-code"}
	d2 := gate.deny with input as ledger_input([ev])
	count(ledger_rules(d2)) == 0
}

test_ledger_other_kinds_ignored if {
	ev := object.union(ledger_ev({"integrity": {"status": "failed", "reason": "x"}}), {"kind": "runtime-manifest"})
	d := gate.deny with input as ledger_input([ev])
	count(ledger_rules(d)) == 0
}

test_runmanifest_failed_binding_denies_and_is_not_verified if {
	ev := {
		"id": "sha256:r", "kind": "runmanifest", "source": {"path": "runmanifest.json", "digest": {"sha256": "r"}, "format": "runmanifest-json"},
		"signature": {"status": "unsigned", "signers": []}, "transparency": {"status": "absent"}, "integrity": {"status": "verified"}, "checks": [],
		"facts": {"mode": "compact", "reason_codes": [], "reason_codes_truncated": false, "first_failure": null, "bindings": [
			{"field": "config_hashes.config_yaml_sha256", "name": "config.yaml", "status": "failed", "reason": "config.yaml hashes to sha256:aa (raw bytes) but the manifest's config_hashes.config_yaml_sha256 is sha256:bb"},
			{"field": "inputs.target_sha256", "name": "scan.xml", "status": "not_supplied"},
		]},
	}
	d := gate.deny with input as {"context": {"time": "2026-06-01T00:00:00Z", "subject": {"digest": {"sha256": "00"}}}, "evidence": [ev], "errors": []}
		with data.required_evidence as ["runmanifest"]
	rules := {r.rule | some r in d; startswith(r.rule, "runmanifest.")}
	rules == {"runmanifest.binding", "runmanifest.required"}
	[r.msg | some r in d; r.rule == "runmanifest.binding"] == ["RunManifest config_hashes.config_yaml_sha256 does not match the file supplied: config.yaml hashes to sha256:aa (raw bytes) but the manifest's config_hashes.config_yaml_sha256 is sha256:bb"]
}
