package tollgate.gate_test

import data.tollgate.gate

vsa_subject := "4444444444444444444444444444444444444444444444444444444444444444"

vsa_key := "sha256:5555555555555555555555555555555555555555555555555555555555555555"

vsa_verifier := "https://verifier.example/tollgate"

vsa_ev(facts) := {
	"id": "sha256:6", "kind": "vsa",
	"source": {"path": "vsa.json", "digest": {"sha256": "6"}, "format": "dsse"},
	"signature": {"status": "verified", "signers": [{"type": "key", "fingerprint": vsa_key}]},
	"transparency": {"status": "absent"},
	"integrity": {"status": "verified"},
	"checks": [],
	"statement": {"_type": "https://in-toto.io/Statement/v1", "predicateType": "https://slsa.dev/verification_summary/v1", "subject": [{"digest": {"sha256": vsa_subject, "gce_image_id": "8970095005306000053"}}]},
	"facts": object.union(
		{
			"verifier_id": vsa_verifier, "verifier_version": null, "time_verified": "2026-06-01T00:00:00Z",
			"resource_uri": "oci://registry.example/app", "policy": {"uri": "https://policy.example/p", "digest": {}},
			"input_attestations": [], "result": "PASSED", "passed": true,
			"verified_levels": ["SLSA_BUILD_LEVEL_3", "BCID_L1"], "track_levels": {"BUILD": 3}, "build_level": 3,
			"dependency_levels": {}, "slsa_version": "1.0",
		},
		facts,
	),
}

vsa_input(evs) := {
	"context": {"time": "2026-06-01T00:00:00Z", "subject": {"digest": {"sha256": vsa_subject}}, "trust": {"keys": [vsa_key], "identities": []}},
	"evidence": evs, "errors": [],
}

vsa_rules(results) := {r.rule | some r in results; startswith(r.rule, "vsa.")}

vsa_data := {"provenance_required": false, "required_evidence": ["vsa"]}

test_vsa_passed_admits_when_required if {
	d := gate.decision with input as vsa_input([vsa_ev({})]) with data.provenance_required as false with data.required_evidence as ["vsa"]
	d.allow
	d.verified_levels == ["SLSA_BUILD_LEVEL_3"]
}

test_vsa_failed_denies if {
	ev := vsa_ev({"result": "FAILED", "passed": false, "verified_levels": ["FAILED"], "track_levels": {}, "build_level": null})
	d := gate.decision with input as vsa_input([ev]) with data.provenance_required as false with data.required_evidence as ["vsa"]
	not d.allow
	vsa_rules(d.deny) == {"vsa.failed"}
	d.verified_levels == ["FAILED"]
	# and the generic presence rule: a FAILED VSA is relied on by nothing
}

test_vsa_untrusted_verifier_denies if {
	d := gate.deny with input as vsa_input([vsa_ev({})]) with data.trusted_vsa_verifiers as ["https://other.example/v"]
	vsa_rules(d) == {"vsa.verifier"}
}

test_vsa_trusted_verifier_clean if {
	d := gate.deny with input as vsa_input([vsa_ev({})]) with data.trusted_vsa_verifiers as [vsa_verifier]
	vsa_rules(d) == set()
}

test_vsa_levels_minimum_per_track if {
	ok := gate.deny with input as vsa_input([vsa_ev({})]) with data.vsa_required_levels as ["SLSA_BUILD_LEVEL_2", "BCID_L1"]
	vsa_rules(ok) == set()
	low := gate.deny with input as vsa_input([vsa_ev({})]) with data.vsa_required_levels as ["SLSA_BUILD_LEVEL_4"]
	vsa_rules(low) == {"vsa.levels"}
	other := gate.deny with input as vsa_input([vsa_ev({})]) with data.vsa_required_levels as ["SLSA_SOURCE_LEVEL_1", "BCID_L2"]
	[r.msg | some r in other; r.rule == "vsa.levels"] == ["VSA verified levels [SLSA_BUILD_LEVEL_3, BCID_L1] do not reach BCID_L2, SLSA_SOURCE_LEVEL_1"]
}

test_vsa_resource_uri if {
	d := gate.deny with input as vsa_input([vsa_ev({})]) with data.expected_vsa_resource_uri as "oci://registry.example/other"
	vsa_rules(d) == {"vsa.resource-uri"}
}

test_vsa_unsigned_and_untrusted_signer if {
	unsigned := json.patch(vsa_ev({}), [{"op": "replace", "path": "/signature", "value": {"status": "unsigned", "signers": []}}])
	vsa_rules(gate.deny) == {"vsa.signature"} with input as vsa_input([unsigned])
	other := json.patch(vsa_ev({}), [{"op": "replace", "path": "/signature/signers/0/fingerprint", "value": "sha256:7"}])
	vsa_rules(gate.deny) == {"vsa.signer"} with input as vsa_input([other])
}

test_vsa_other_subject_denies if {
	ev := json.patch(vsa_ev({}), [{"op": "replace", "path": "/statement/subject", "value": [{"digest": {"gce_image_id": "1"}}]}])
	vsa_rules(gate.deny) == {"vsa.subject"} with input as vsa_input([ev])
}

test_vsa_failed_vsa_not_admissible_so_required_denies if {
	ev := vsa_ev({"result": "FAILED", "passed": false})
	d := gate.deny with input as vsa_input([ev]) with data.vsa_required_levels as ["SLSA_BUILD_LEVEL_1"]
	"vsa.failed" in vsa_rules(d)
	not "vsa.levels" in vsa_rules(d)
}

test_verified_levels_from_provenance if {
	# no admissible evidence: denied, so FAILED
	d := gate.decision with input as vsa_input([])
	d.verified_levels == ["FAILED"]
}
