package tollgate.gate_test

import data.tollgate.gate

promo_subject := "7777777777777777777777777777777777777777777777777777777777777777"

promo_key := "sha256:8888888888888888888888888888888888888888888888888888888888888888"

promo_sbom := {"role": "sbom", "algo": "sha256", "digest": "aa", "format": "cyclonedx-json", "uri": "sbom.json", "verified": true}

promo_vex := {"role": "vex", "algo": "sha256", "digest": "bb", "format": "openvex", "uri": "vex.json", "verified": true}

promo_ev(patch) := object.union(
	{
		"id": "sha256:9", "kind": "promotion",
		"source": {"path": "promotion.dsse.json", "digest": {"sha256": "9"}, "format": "dsse"},
		"signature": {"status": "verified", "signers": [{"type": "key", "fingerprint": promo_key}]},
		"transparency": {"status": "absent"},
		"integrity": {"status": "verified"},
		"checks": [],
		"statement": {"_type": "https://in-toto.io/Statement/v1", "predicateType": "stella.ops/promotion@v1", "subject": [{"digest": {"sha256": promo_subject}}]},
		"facts": {
			"from": "staging", "to": "prod", "actor": "alice", "timestamp": "2026-06-01T00:00:00Z", "pipeline": "https://ci.example/run/1",
			"materials": [promo_sbom, promo_vex], "materials_by_role": {"sbom": [promo_sbom], "vex": [promo_vex]},
			"rekor": {"uuid": "ab", "log_index": 42, "tree_size": 43, "root_hash": "cd"}, "log_verified": true,
			"transparency": {"status": "verified", "logIndex": 42},
		},
	},
	patch,
)

promo_input(evs) := {
	"context": {"time": "2026-06-01T00:00:00Z", "subject": {"digest": {"sha256": promo_subject}}, "trust": {"keys": [promo_key], "identities": []}},
	"evidence": evs, "errors": [],
}

promo_rules(results) := {r.rule | some r in results; startswith(r.rule, "promotion.")}

test_promotion_verified_admits_when_required if {
	d := gate.decision with input as promo_input([promo_ev({})]) with data.provenance_required as false with data.required_evidence as ["promotion"]
	d.allow
}

test_promotion_missing_when_required_denies if {
	d := gate.decision with input as promo_input([]) with data.provenance_required as false with data.required_evidence as ["promotion"]
	not d.allow
	some r in d.deny
	r.rule == "gate.required-evidence"
}

test_promotion_bad_material_denies if {
	bad := object.union(promo_sbom, {"verified": false, "reason": "materials[0] (sbom sbom.json) has sha256 ff, the statement says aa"})
	ev := promo_ev({"integrity": {"status": "failed", "reason": "x"}, "facts": {"materials": [bad, promo_vex], "materials_by_role": {"sbom": [bad], "vex": [promo_vex]}}})
	d := gate.deny with input as promo_input([ev])
	promo_rules(d) == {"promotion.material"}
	some r in d
	contains(r.msg, "has sha256 ff")
}

test_promotion_unproven_log_denies if {
	ev := promo_ev({"facts": {"transparency": {"status": "failed", "reason": "the inclusion proof leads to 00, not to rootHash cd"}}})
	d := gate.deny with input as promo_input([ev])
	promo_rules(d) == {"promotion.transparency"}
	some r in d
	r.msg == "promotion Rekor entry ab is not proven in the log: the inclusion proof leads to 00, not to rootHash cd"
}

# The handler's verification raised an error (predicate.verify): no log result, and the deny names that error
# (the record's integrity reason), not a generic "not verified" that hides it.
test_promotion_verification_error_is_named if {
	ev := promo_ev({"integrity": {"status": "failed", "reason": "stella.ops/promotion@v1: verification error: the material reader broke"}})
	bare := object.union(object.remove(ev, ["facts"]), {"facts": object.remove(ev.facts, ["transparency"])})
	d := gate.deny with input as promo_input([bare])
	promo_rules(d) == {"promotion.transparency"}
	some r in d
	r.msg == "promotion Rekor entry ab is not proven in the log: stella.ops/promotion@v1: verification error: the material reader broke"
}

# The record's own transparency (the envelope's, e.g. a Sigstore bundle's log entry) does not stand in for the
# predicate's Rekor proof.
test_promotion_envelope_log_does_not_mask_the_predicates if {
	ev := promo_ev({"transparency": {"status": "verified", "logIndex": 7}, "facts": {"transparency": {"status": "failed", "reason": "x"}}})
	d := gate.deny with input as promo_input([ev])
	promo_rules(d) == {"promotion.transparency"}
}

test_promotion_log_result_missing_denies if {
	ev := promo_ev({})
	bare := object.union(object.remove(ev, ["facts"]), {"facts": object.remove(ev.facts, ["transparency"])})
	d := gate.deny with input as promo_input([bare])
	promo_rules(d) == {"promotion.transparency"}
}

promo_unbound := promo_ev({"facts": {"log_verified": false, "transparency": {"status": "unbound", "logIndex": 42, "reason": "the Rekor entry's body is not given"}}})

test_promotion_unbound_rekor_denies if {
	d := gate.decision with input as promo_input([promo_unbound]) with data.provenance_required as false with data.required_evidence as ["promotion"]
	not d.allow
	promo_rules(d.deny) == {"promotion.rekor-unbound"}
	some r in d.deny
	r.msg == "promotion Rekor entry ab is not bound to this statement: the Rekor entry's body is not given"
	r.severity == "critical"
}

test_promotion_unbound_rekor_warned_on_request if {
	d := gate.decision with input as promo_input([promo_unbound]) with data.provenance_required as false with data.required_evidence as ["promotion"] with data.promotion_allow_unbound_rekor as true
	d.allow
	promo_rules(d.warn) == {"promotion.rekor-unbound"}
}

test_promotion_unsigned_denies if {
	ev := promo_ev({"signature": {"status": "failed", "signers": [], "reason": "altered"}})
	d := gate.deny with input as promo_input([ev])
	promo_rules(d) == {"promotion.signature"}
}

test_promotion_untrusted_signer_denies if {
	ev := promo_ev({"signature": {"status": "verified", "signers": [{"type": "key", "fingerprint": "sha256:00"}]}})
	d := gate.deny with input as promo_input([ev])
	"promotion.signer" in promo_rules(d)
}

test_promotion_malformed_denies if {
	base := object.remove(promo_ev({"integrity": {"status": "failed", "reason": "predicate.schema: rekor.uuid must be ..."}}), ["facts"])
	ev := object.union(base, {"facts": {}})
	d := gate.deny with input as promo_input([ev])
	promo_rules(d) == {"promotion.schema"}
}

test_promotion_path_knob if {
	d1 := gate.deny with input as promo_input([promo_ev({})]) with data.promotion_allowed_paths as [{"from": "dev", "to": "staging"}]
	promo_rules(d1) == {"promotion.path"}
	d2 := gate.deny with input as promo_input([promo_ev({})]) with data.promotion_allowed_paths as [{"from": "staging", "to": "prod"}]
	promo_rules(d2) == set()
}

test_promotion_required_materials_knob if {
	ev := promo_ev({"facts": {"materials": [promo_sbom], "materials_by_role": {"sbom": [promo_sbom], "vex": []}}})
	d := gate.deny with input as promo_input([ev]) with data.promotion_required_materials as ["sbom", "vex"]
	promo_rules(d) == {"promotion.materials-missing"}
}

test_promotion_other_subject_denies if {
	ev := promo_ev({"statement": {"_type": "https://in-toto.io/Statement/v1", "predicateType": "stella.ops/promotion@v1", "subject": [{"digest": {"sha256": "1111111111111111111111111111111111111111111111111111111111111111"}}]}})
	d := gate.deny with input as promo_input([ev])
	promo_rules(d) == {"promotion.subject"}
}

promo_sharded := promo_ev({"facts": object.union(promo_ev({}).facts, {"rekor": {"uuid": "ab", "log_index": 1042, "proof_log_index": 42, "log_index_proven": false, "tree_size": 43, "root_hash": "cd"}})})

test_promotion_unproven_global_index_warns if {
	d := gate.decision with input as promo_input([promo_sharded]) with data.provenance_required as false with data.required_evidence as ["promotion"]
	d.allow
	promo_rules(d.warn) == {"promotion.log-index"}
	some w in d.warn
	w.msg == "promotion Rekor entry ab: the proof is at tree-local index 42; the stated log index 1042 is not proven offline"
}

test_promotion_unproven_global_index_denied_on_request if {
	d := gate.decision with input as promo_input([promo_sharded]) with data.provenance_required as false with data.required_evidence as ["promotion"] with data.promotion_require_proven_log_index as true
	not d.allow
	promo_rules(d.deny) == {"promotion.log-index"}
}

test_promotion_unproven_global_index_of_an_admitted_unbound_entry if {
	ev := object.union(promo_sharded, {"facts": {"log_verified": false, "transparency": {"status": "unbound", "logIndex": 1042, "reason": "the Rekor entry's body is not given"}}})
	d := gate.decision with input as promo_input([ev]) with data.provenance_required as false with data.required_evidence as ["promotion"] with data.promotion_allow_unbound_rekor as true
	d.allow
	promo_rules(d.warn) == {"promotion.rekor-unbound", "promotion.log-index"}
	d2 := gate.decision with input as promo_input([ev]) with data.provenance_required as false with data.required_evidence as ["promotion"] with data.promotion_allow_unbound_rekor as true with data.promotion_require_proven_log_index as true
	not d2.allow
	promo_rules(d2.deny) == {"promotion.log-index"}
}

promo_logged_by(signers) := promo_ev({"facts": object.union(promo_ev({}).facts, {"rekor": object.union(promo_ev({}).facts.rekor, {"logged_by": signers})})})

test_promotion_rekor_signer_not_required_by_default if {
	d := gate.decision with input as promo_input([promo_logged_by([{"type": "key", "fingerprint": "sha256:00"}])]) with data.provenance_required as false with data.required_evidence as ["promotion"]
	d.allow
	promo_rules(d.warn) == set()
}

test_promotion_rekor_signer_required_trusted_key_admits if {
	d := gate.decision with input as promo_input([promo_logged_by([{"type": "certificate", "fingerprint": "sha256:01"}, {"type": "key", "fingerprint": promo_key}])]) with data.provenance_required as false with data.required_evidence as ["promotion"] with data.promotion_require_trusted_rekor_signer as true
	d.allow
}

test_promotion_rekor_signer_required_untrusted_or_keyless_denies if {
	d := gate.decision with input as promo_input([promo_logged_by([{"type": "key", "fingerprint": "sha256:00"}])]) with data.provenance_required as false with data.required_evidence as ["promotion"] with data.promotion_require_trusted_rekor_signer as true
	not d.allow
	promo_rules(d.deny) == {"promotion.rekor-signer"}
	some r in d.deny
	r.msg == "promotion Rekor entry ab was logged by key sha256:00, not by a trusted key"

	# A certificate carrying the trusted key's fingerprint is still not a key the gate trusts: its identity is unverified.
	d2 := gate.deny with input as promo_input([promo_logged_by([{"type": "certificate", "fingerprint": promo_key}])]) with data.promotion_require_trusted_rekor_signer as true
	promo_rules(d2) == {"promotion.rekor-signer"}
	d3 := gate.deny with input as promo_input([promo_logged_by([])]) with data.promotion_require_trusted_rekor_signer as true
	some r3 in d3
	r3.msg == "promotion Rekor entry ab was logged by no key the body names, not by a trusted key"
	d4 := gate.deny with input as promo_input([promo_unbound]) with data.promotion_require_trusted_rekor_signer as true
	some r4 in d4
	r4.msg == "promotion Rekor entry ab was logged by a signer nobody can name (the entry's body is not given), not by a trusted key"
}

test_promotion_proven_index_no_warning if {
	ev := promo_ev({"facts": object.union(promo_ev({}).facts, {"rekor": {"uuid": "ab", "log_index": 42, "proof_log_index": 42, "log_index_proven": true, "tree_size": 43, "root_hash": "cd"}})})
	d := gate.decision with input as promo_input([ev]) with data.provenance_required as false with data.required_evidence as ["promotion"] with data.promotion_require_proven_log_index as true
	d.allow
	promo_rules(d.warn) == set()
}
