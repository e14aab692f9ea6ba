package tollgate.gate_test

import data.tollgate.gate

rm_digest := "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"

rm_other_digest := "sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"

# A manifest as the runtime-manifest kind normalizes it: verified, strict-eligible, report passed.
rm_ev(over) := object.union(
	{
		"id": "sha256:1", "kind": "runtime-manifest",
		"source": {"path": "run/runtime.manifest.json", "digest": {"sha256": "1"}, "format": "invarlock-runtime-manifest-v1"},
		"signature": {"status": "unsigned", "signers": []},
		"transparency": {"status": "absent"},
		"integrity": {"status": "verified"},
		"checks": [],
		"facts": {
			"execution_mode": "container", "host_bypass": false,
			"image_ref": "ghcr.io/x/runtime", "image_digest": rm_digest, "image_digest_pinned": true,
			"container_execution": true, "allow_network": false, "allow_remote_code": false,
			"allow_third_party_plugins": false, "report_bound": true, "strict_eligible": true,
			"report": {"path": "run/evaluation.report.json", "bound": true},
			"outcome": {
				"verdict": "pass", "blocking_reasons": [], "validation_failed": [],
				"assurance_mode": "strict", "profile": "release", "tier": "balanced",
				"canonical_guard_chain_enforced": true, "fallback_fields_used": false, "guards_missing": [],
				"claim_set": "invarlock-weight-edit-regression-v1",
				"guard_chain_observed": ["invariants", "spectral", "rmt", "variance", "invariants"],
				"guard_chain_canonical": true, "report_build_events": [], "guard_evidence": [], "tiny_relax": false,
				"runtime_provenance_declared": "container", "runtime_provenance_verification_status": "pending",
				"guards": [{"name": "spectral", "decision": "allow", "status": "pass", "passed": true}],
				"guards_blocking": [], "passed": true,
			},
		},
	},
	over,
)

rm_input(evs) := {"context": {"time": "2026-06-01T00:00:00Z", "subject": {"digest": {"sha256": "00"}}}, "evidence": evs, "errors": []}

rm_rules(results) := {r.rule | some r in results; startswith(r.rule, "runtime.")}

rm_msgs(results, rule) := [r.msg | some r in results; r.rule == rule]

test_rm_strict_manifest_admits if {
	d := gate.deny with input as rm_input([rm_ev({})])
		with data.expected_runtime_image_digest as rm_digest
	count(rm_rules(d)) == 0
}

test_rm_expected_digest_normalized_like_invarlock if {
	d := gate.deny with input as rm_input([rm_ev({})])
		with data.expected_runtime_image_digest as "  SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA "
	count(rm_rules(d)) == 0
}

test_rm_missing_expected_digest_denies_and_says_why if {
	d := gate.deny with input as rm_input([rm_ev({})])
	rm_rules(d) == {"runtime.expected-digest"}
	some m in rm_msgs(d, "runtime.expected-digest")
	contains(m, "independently supplied expected runtime image digest")
}

test_rm_invalid_expected_digest_denies if {
	d := gate.deny with input as rm_input([rm_ev({})])
		with data.expected_runtime_image_digest as "sha256:abc"
	rm_rules(d) == {"runtime.expected-digest"}
	rm_msgs(d, "runtime.expected-digest") == [`data.expected_runtime_image_digest "sha256:abc" is not sha256:<64 lower-case hex>`]
}

# A digest given as a non-string is invalid, not "not set"; false and "" too (only null counts as unset).
test_rm_non_string_expected_digest_is_invalid_not_missing if {
	every v in [123, false, "", ["sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"]] {
		d := gate.deny with input as rm_input([rm_ev({})]) with data.expected_runtime_image_digest as v
		rm_rules(d) == {"runtime.expected-digest"}
		rm_msgs(d, "runtime.expected-digest") == [sprintf("data.expected_runtime_image_digest %s is not sha256:<64 lower-case hex>", [json.marshal(v)])]
	}
	d := gate.deny with input as rm_input([rm_ev({})]) with data.expected_runtime_image_digest as null
	some m in rm_msgs(d, "runtime.expected-digest")
	contains(m, "is not set")
}

test_rm_digest_mismatch_names_both if {
	d := gate.deny with input as rm_input([rm_ev({})])
		with data.expected_runtime_image_digest as rm_other_digest
	rm_rules(d) == {"runtime.image-digest"}
	some m in rm_msgs(d, "runtime.image-digest")
	contains(m, rm_digest)
	contains(m, rm_other_digest)
}

test_rm_host_bypass_denies if {
	ev := rm_ev({"facts": object.union(rm_ev({}).facts, {"execution_mode": "host-bypass", "container_execution": false, "strict_eligible": false})})
	d := gate.deny with input as rm_input([ev])
		with data.expected_runtime_image_digest as rm_digest
	rm_rules(d) == {"runtime.host-bypass"}
}

test_rm_container_execution_false_denies if {
	ev := rm_ev({"facts": object.union(rm_ev({}).facts, {"container_execution": false, "strict_eligible": false})})
	d := gate.deny with input as rm_input([ev])
		with data.expected_runtime_image_digest as rm_digest
	rm_rules(d) == {"runtime.container-execution"}
}

test_rm_unpinned_image_denies if {
	ev := rm_ev({"facts": object.union(rm_ev({}).facts, {"image_digest": null, "image_digest_pinned": false, "strict_eligible": false})})
	d := gate.deny with input as rm_input([ev])
		with data.expected_runtime_image_digest as rm_digest
	rm_rules(d) == {"runtime.image-unpinned"}
	some m in rm_msgs(d, "runtime.image-unpinned")
	contains(m, "ghcr.io/x/runtime is not digest-pinned")
}

test_rm_remote_code_and_plugins_deny if {
	ev := rm_ev({"facts": object.union(rm_ev({}).facts, {"allow_remote_code": true, "allow_third_party_plugins": true, "strict_eligible": false})})
	d := gate.deny with input as rm_input([ev])
		with data.expected_runtime_image_digest as rm_digest
	rm_rules(d) == {"runtime.remote-code", "runtime.third-party-plugins"}
}

test_rm_network_denied_by_default if {
	ev := rm_ev({"facts": object.union(rm_ev({}).facts, {"allow_network": true})})
	d := gate.deny with input as rm_input([ev])
		with data.expected_runtime_image_digest as rm_digest
	rm_rules(d) == {"runtime.network"}
}

test_rm_network_allowed_by_release_policy if {
	ev := rm_ev({"facts": object.union(rm_ev({}).facts, {"allow_network": true})})
	d := gate.deny with input as rm_input([ev])
		with data.expected_runtime_image_digest as rm_digest
		with data.runtime_allow_network as true
	count(rm_rules(d)) == 0
}

test_rm_failed_binding_denies_with_reason if {
	ev := rm_ev({"integrity": {"status": "failed", "reason": "report run/evaluation.report.json hashes to sha256 11 (raw bytes) but the manifest records 22"}})
	d := gate.deny with input as rm_input([ev])
		with data.expected_runtime_image_digest as rm_digest
	rm_rules(d) == {"runtime.integrity"}
	some m in rm_msgs(d, "runtime.integrity")
	contains(m, "hashes to sha256 11")
}

test_rm_failed_without_reason_still_denies if {
	d := gate.deny with input as rm_input([rm_ev({"integrity": {"status": "failed"}})])
		with data.expected_runtime_image_digest as rm_digest
	rm_msgs(d, "runtime.integrity") == ["runtime manifest does not verify: no reason recorded"]
}

# invarlock's strict v2 verification: "strict runtime manifest requires a verifiable file config".
test_rm_v2_without_a_file_config_denies if {
	facts := object.union(rm_ev({}).facts, {"manifest_version": 2, "strict_eligible": false, "config": {"source": "inline", "path": null, "sha256": "99", "binding": "n/a"}})
	d := gate.deny with input as rm_input([rm_ev({"facts": facts})])
		with data.expected_runtime_image_digest as rm_digest
		with data.required_evidence as ["runtime-manifest"]
	rm_rules(d) == {"runtime.config-source", "runtime.required"}
	rm_msgs(d, "runtime.config-source") == ["runtime-manifest-v2 records config.source inline: strict verification needs the run's config as a file bound by sha256"]
}

test_rm_v1_without_a_file_config_is_fine if {
	facts := object.union(rm_ev({}).facts, {"manifest_version": 1, "config": {"source": "missing", "path": null, "sha256": null, "binding": "n/a"}})
	d := gate.deny with input as rm_input([rm_ev({"facts": facts})])
		with data.expected_runtime_image_digest as rm_digest
	count(rm_rules(d)) == 0
}

test_rm_failed_report_denies_verdict_validation_and_guard if {
	outcome := {
		"verdict": "fail", "blocking_reasons": ["spectral did not pass."], "validation_failed": ["spectral_stable"],
		"guards": [
			{"name": "invariants", "decision": "allow", "status": "pass", "passed": true},
			{"name": "spectral", "decision": "block", "status": "fail", "passed": false},
		],
		"guards_blocking": ["spectral"], "passed": false,
	}
	ev := rm_ev({"facts": object.union(rm_ev({}).facts, {"outcome": outcome})})
	d := gate.deny with input as rm_input([ev])
		with data.expected_runtime_image_digest as rm_digest
	rm_rules(d) == {"runtime.report-verdict", "runtime.report-validation", "runtime.report-guard"}
	rm_msgs(d, "runtime.report-verdict") == ["evaluation report verdict is fail: spectral did not pass."]
	rm_msgs(d, "runtime.report-validation") == ["evaluation report validation spectral_stable is false"]
	rm_msgs(d, "runtime.report-guard") == ["evaluation guard spectral blocked (decision block, status fail)"]
}

# invarlock's strict report policy: mode, profile, tier, canonical guard chain, no synthesized fields,
# evidence from every guard. One message per problem; strict assurance then fails too.
test_rm_non_strict_report_denies_each_problem if {
	facts := object.union(rm_ev({}).facts, {"outcome": {
		"assurance_mode": "off", "profile": "dev", "tier": "aggressive",
		"canonical_guard_chain_enforced": false, "fallback_fields_used": true, "guards_missing": ["rmt", "variance"],
	}})
	d := gate.deny with input as rm_input([rm_ev({"facts": facts})])
		with data.expected_runtime_image_digest as rm_digest
		with data.required_evidence as ["runtime-manifest"]
	rm_rules(d) == {"runtime.report-assurance", "runtime.required"}
	{m | some m in rm_msgs(d, "runtime.report-assurance")} == {
		"evaluation report is not strict assurance evidence: assurance mode is off, not strict",
		"evaluation report is not strict assurance evidence: profile is dev, not ci or release",
		"evaluation report is not strict assurance evidence: tier is aggressive, not balanced or conservative",
		"evaluation report is not strict assurance evidence: canonical_guard_chain_enforced is not true",
		"evaluation report is not strict assurance evidence: the report used synthesized or repaired fields (fallback_fields_used)",
		"evaluation report is not strict assurance evidence: rmt guard evidence is missing",
		"evaluation report is not strict assurance evidence: variance guard evidence is missing",
	}
}

# An outcome without the assurance fields (older facts, a hand-made record) fails closed.
test_rm_outcome_without_assurance_fields_fails_closed if {
	ev := rm_ev({})
	outcome := object.remove(ev.facts.outcome, ["assurance_mode", "profile", "tier", "canonical_guard_chain_enforced", "fallback_fields_used", "guards_missing"])
	facts := object.union(object.remove(ev.facts, ["outcome"]), {"outcome": outcome})
	d := gate.deny with input as rm_input([object.union(object.remove(ev, ["facts"]), {"facts": facts})])
		with data.expected_runtime_image_digest as rm_digest
	rm_rules(d) == {"runtime.report-assurance"}
	count(rm_msgs(d, "runtime.report-assurance")) == 4
}

test_rm_admitting_verdict_with_blocking_reasons_denies if {
	facts := object.union(rm_ev({}).facts, {"outcome": {"blocking_reasons": ["rmt did not pass."]}})
	d := gate.deny with input as rm_input([rm_ev({"facts": facts})])
		with data.expected_runtime_image_digest as rm_digest
	rm_msgs(d, "runtime.report-assurance") == ["evaluation report is not strict assurance evidence: verdict pass but blocking reason rmt did not pass."]
}

test_rm_conservative_ci_report_is_strict if {
	facts := object.union(rm_ev({}).facts, {"outcome": {"profile": "ci", "tier": "conservative"}})
	d := gate.deny with input as rm_input([rm_ev({"facts": facts})])
		with data.expected_runtime_image_digest as rm_digest
		with data.required_evidence as ["runtime-manifest"]
	count(rm_rules(d)) == 0
}

# invarlock's passing strict report before verification: verdict pending_verifier, local verdict pass.
rm_pending(local) := rm_ev({"facts": object.union(rm_ev({}).facts, {"outcome": {
	"verdict": "pending_verifier", "report_local_verdict": local, "verified_assurance_verdict": "pending",
	"blocking_reasons": [], "validation_failed": [], "guards": [], "guards_blocking": [], "passed": local == "pass",
}})})

test_rm_pending_verifier_with_local_pass_is_strict if {
	d := gate.deny with input as rm_input([rm_pending("pass")])
		with data.required_evidence as ["runtime-manifest"]
		with data.expected_runtime_image_digest as rm_digest
	count(rm_rules(d)) == 0
}

test_rm_pending_verifier_still_needs_the_gate_provenance_checks if {
	d := gate.deny with input as rm_input([rm_pending("pass")])
		with data.required_evidence as ["runtime-manifest"]
		with data.expected_runtime_image_digest as rm_other_digest
	rm_rules(d) == {"runtime.required", "runtime.image-digest"}
}

test_rm_pending_verifier_with_local_fail_denies if {
	d := gate.deny with input as rm_input([rm_pending("fail")])
		with data.required_evidence as ["runtime-manifest"]
		with data.expected_runtime_image_digest as rm_digest
	rm_rules(d) == {"runtime.required", "runtime.report-verdict"}
	rm_msgs(d, "runtime.report-verdict") == ["evaluation report verdict is pending_verifier (report_local_verdict fail)"]
}

test_rm_report_without_verdict_fails_closed if {
	ev := rm_ev({"facts": object.union(rm_ev({}).facts, {"outcome": {"verdict": null, "blocking_reasons": [], "validation_failed": [], "guards": [], "guards_blocking": [], "passed": false}})})
	d := gate.deny with input as rm_input([ev])
		with data.expected_runtime_image_digest as rm_digest
	rm_rules(d) == {"runtime.report-verdict"}
}

test_rm_required_and_absent_denies if {
	d := gate.deny with input as rm_input([])
		with data.required_evidence as ["runtime-manifest"]
		with data.expected_runtime_image_digest as rm_digest
	"runtime.required" in rm_rules(d)
}

test_rm_required_and_strict_present if {
	d := gate.deny with input as rm_input([rm_ev({})])
		with data.required_evidence as ["runtime-manifest"]
		with data.expected_runtime_image_digest as rm_digest
	count(rm_rules(d)) == 0
}

test_rm_required_but_only_a_failing_manifest if {
	ev := rm_ev({"facts": object.union(rm_ev({}).facts, {"allow_network": true})})
	d := gate.deny with input as rm_input([ev])
		with data.required_evidence as ["runtime-manifest"]
		with data.expected_runtime_image_digest as rm_digest
	rm_rules(d) == {"runtime.required", "runtime.network"}
}

test_rm_not_required_and_absent_is_silent if {
	d := gate.deny with input as rm_input([])
	count(rm_rules(d)) == 0
}

# ---- every strict claim invarlock's strict_report_policy_errors names ------------------------------------

rm_with_outcome(o) := rm_ev({"facts": object.union(rm_ev({}).facts, {"outcome": o})})

rm_strict_denied_with(o, msg) if {
	d := gate.deny with input as rm_input([rm_with_outcome(o)])
		with data.expected_runtime_image_digest as rm_digest
		with data.required_evidence as ["runtime-manifest"]
	rm_rules(d) == {"runtime.required", "runtime.report-assurance"}
	rm_msgs(d, "runtime.report-assurance") == [sprintf("evaluation report is not strict assurance evidence: %s", [msg])]
}

test_rm_unknown_claim_set_denies if {
	rm_strict_denied_with({"claim_set": "invarlock-weight-edit-regression-v9"}, "claim_set is invarlock-weight-edit-regression-v9, not invarlock-weight-edit-regression-v1")
	rm_strict_denied_with({"claim_set": null}, "claim_set is null, not invarlock-weight-edit-regression-v1")
}

test_rm_observed_chain_not_canonical_denies_even_when_flag_says_enforced if {
	rm_strict_denied_with(
		{"guard_chain_observed": ["invariants", "spectral", "invariants"], "guard_chain_canonical": false, "canonical_guard_chain_enforced": true},
		"observed guard chain [invariants, spectral, invariants] is not the canonical chain [invariants, spectral, rmt, variance, invariants]",
	)
}

test_rm_report_build_events_deny if {
	rm_strict_denied_with(
		{"report_build_events": ["synthesized_fields: primary_metric.ci (bootstrap_missing)"]},
		"report_build records synthesized_fields: primary_metric.ci (bootstrap_missing): strict assurance forbids synthesized or repaired fields",
	)
}

rm_guard(over) := object.union({"name": "rmt", "present": true, "decision": "allow", "passed": true, "status": "pass", "supported": true, "assurance_blocking": null, "reason": null}, over)

test_rm_unsupported_assurance_blocking_guard_denies if {
	rm_strict_denied_with(
		{"guard_evidence": [rm_guard({"supported": false, "assurance_blocking": true, "reason": "no activations"})]},
		"rmt guard is unsupported for strict assurance (supported false, assurance_blocking true): no activations",
	)
	rm_strict_denied_with(
		{"guard_evidence": [rm_guard({"supported": false, "assurance_blocking": true})]},
		"rmt guard is unsupported for strict assurance (supported false, assurance_blocking true): unsupported",
	)
}

# Unsupported but not assurance-blocking is invarlock's advisory case: not a strict problem.
test_rm_unsupported_but_not_blocking_guard_is_strict if {
	d := gate.deny with input as rm_input([rm_with_outcome({"guard_evidence": [rm_guard({"supported": false, "assurance_blocking": false})]})])
		with data.expected_runtime_image_digest as rm_digest
		with data.required_evidence as ["runtime-manifest"]
	count(rm_rules(d)) == 0
}

test_rm_degraded_or_monitor_only_guard_denies if {
	rm_strict_denied_with({"guard_evidence": [rm_guard({"status": "degraded"})]}, "rmt guard status degraded is not strict-assurance passing")
	rm_strict_denied_with({"guard_evidence": [rm_guard({"status": "Monitor-Only"})]}, "rmt guard status Monitor-Only is not strict-assurance passing")
}

test_rm_guard_without_pass_evidence_denies if {
	rm_strict_denied_with(
		{"guard_evidence": [rm_guard({"decision": "", "passed": null, "status": null, "supported": null})]},
		"rmt guard has no pass evidence (no decision, passed or passing status)",
	)
}

test_rm_tiny_relax_denies if {
	rm_strict_denied_with({"tiny_relax": true}, "the report declares the development-only tiny_relax policy")
}

test_rm_host_declared_or_unverifiable_provenance_denies if {
	rm_strict_denied_with({"runtime_provenance_declared": "host"}, "the report declares runtime provenance host, not container")
	rm_strict_denied_with({"runtime_provenance_verification_status": "skipped"}, "runtime_provenance_verification_status is skipped, not pending or verified")
}

# ---- a declared non-assurance run --------------------------------------------------------------------------

rm_host_off := rm_ev({"facts": object.union(rm_ev({}).facts, {
	"execution_mode": "host-bypass", "host_bypass": true, "container_execution": false,
	"image_digest": null, "image_digest_pinned": false, "strict_eligible": false,
	"outcome": {"assurance_mode": "off", "profile": "dev", "claim_set": null},
})})

test_rm_declared_off_is_strict_by_default if {
	d := gate.deny with input as rm_input([rm_host_off]) with data.required_evidence as ["runtime-manifest"]
	rm_rules(d) == {"runtime.required", "runtime.host-bypass", "runtime.image-unpinned", "runtime.expected-digest", "runtime.report-assurance"}
}

test_rm_declared_off_gated_as_non_assurance_when_data_says_off if {
	d := gate.deny with input as rm_input([rm_host_off])
		with data.required_evidence as ["runtime-manifest"]
		with data.runtime_assurance as "off"
	count(rm_rules(d)) == 0
	w := gate.warn with input as rm_input([rm_host_off]) with data.runtime_assurance as "off"
	rm_msgs(w, "runtime.non-assurance") == ["evaluation declares assurance off (execution_mode host-bypass): gated as a non-assurance run, not as strict assurance"]
}

test_rm_non_assurance_still_needs_a_passing_bound_report if {
	failing := rm_ev({"facts": object.union(rm_host_off.facts, {"outcome": {"verdict": "fail", "validation_failed": ["spectral_stable"], "blocking_reasons": []}})})
	d := gate.deny with input as rm_input([failing])
		with data.required_evidence as ["runtime-manifest"]
		with data.runtime_assurance as "off"
	rm_rules(d) == {"runtime.required", "runtime.report-verdict", "runtime.report-validation"}
	remote := rm_ev({"facts": object.union(rm_host_off.facts, {"allow_remote_code": true})})
	d2 := gate.deny with input as rm_input([remote])
		with data.required_evidence as ["runtime-manifest"]
		with data.runtime_assurance as "off"
	rm_rules(d2) == {"runtime.required", "runtime.remote-code"}
}

# A report that claims strict is held to strict even when non-assurance runs are accepted.
test_rm_strict_claim_still_strict_under_off if {
	d := gate.deny with input as rm_input([rm_ev({})])
		with data.required_evidence as ["runtime-manifest"]
		with data.runtime_assurance as "off"
	rm_rules(d) == {"runtime.required", "runtime.expected-digest"}
}

test_rm_invalid_assurance_setting_denies if {
	d := gate.deny with input as rm_input([]) with data.runtime_assurance as "lenient"
	rm_msgs(d, "runtime.assurance") == [`data.runtime_assurance "lenient" is not strict or off`]
}
