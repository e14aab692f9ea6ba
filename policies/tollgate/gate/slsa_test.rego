package tollgate.gate_test

import data.tollgate.gate

sub := concat("", [x | some _ in numbers.range(1, 32); x := "ab"])

fp := "sha256:cdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcd"

prov := {
	"id": "p1", "kind": "slsa-provenance",
	"source": {"path": "prov.json", "digest": {"sha256": sub}, "format": "dsse"},
	"signature": {"status": "verified", "signers": [{"type": "key", "fingerprint": fp}]},
	"transparency": {"status": "absent"}, "integrity": {"status": "n/a"}, "checks": [],
	"statement": {
		"_type": "https://in-toto.io/Statement/v1",
		"predicateType": "https://slsa.dev/provenance/v1",
		"subject": [{"name": "app", "digest": {"sha256": sub}}],
	},
	"facts": {
		"builder_id": "https://builder.example/v1",
		"build_type": "https://actions.github.io/buildtypes/workflow/v1",
		"known_build_type": true,
		"custom_metadata": {"vendor_fields": [], "violations": []},
	},
}

ctx := {"time": "2026-01-01T00:00:00Z", "subject": {"digest": {"sha256": sub}}, "trust": {"keys": [fp], "identities": []}}

inp(evidence) := {"apiVersion": "tollgate/input/v1", "context": ctx, "evidence": evidence, "errors": []}

rules(set) := {r.rule | some r in set}

test_admits_trusted_bound_v1 if {
	d := gate.decision with input as inp([prov])
	d.allow
	rules(d.warn) == {"I1.builder-id", "I1.transparency-log"}
}

test_denies_by_default_with_no_evidence if {
	d := gate.decision with input as inp([])
	not d.allow
	rules(d.deny) == {"I1.provenance-required"}
}

test_denies_without_subject if {
	d := gate.decision with input as json.remove(inp([prov]), ["context/subject"])
	not d.allow
	"gate.subject" in rules(d.deny)
}

test_denies_v02_predicate if {
	v02 := object.union(prov, {"statement": object.union(prov.statement, {"predicateType": "https://slsa.dev/provenance/v0.2"})})
	d := gate.decision with input as inp([v02])
	rules(d.deny) == {"I1.provenance-required", "I1.provenance-predicate"}
}

test_denies_failed_signature_with_reason if {
	bad := object.union(prov, {"signature": {"status": "failed", "reason": "signature does not match payload", "signers": []}})
	d := gate.decision with input as inp([bad])
	some r in d.deny
	r.rule == "I1.provenance-signature"
	contains(r.msg, "signature does not match payload")
}

test_denies_unsigned if {
	d := gate.decision with input as inp([object.union(prov, {"signature": {"status": "unsigned", "signers": []}})])
	"I1.provenance-signature" in rules(d.deny)
}

test_denies_untrusted_signer_naming_it if {
	d := gate.decision with input as object.union(inp([prov]), {"context": object.union(ctx, {"trust": {"keys": [], "identities": []}})})
	some r in d.deny
	r.rule == "I4.signer-identity"
	contains(r.msg, fp)
}

test_trusts_keyless_identity_exactly if {
	kl := object.union(prov, {"signature": {"status": "verified", "signers": [{"type": "keyless", "issuer": "https://token.actions.githubusercontent.com", "identity": "https://github.com/o/r/.github/workflows/release.yml@refs/heads/main"}]}})
	ok := object.union(inp([kl]), {"context": object.union(ctx, {"trust": {"keys": [], "identities": [{"issuer": "https://token.actions.githubusercontent.com", "identity": "https://github.com/o/r/.github/workflows/release.yml@refs/heads/main"}]}})})
	d1 := gate.decision with input as ok
	d1.allow

	# a prefix of the identity is not the identity
	near := object.union(inp([kl]), {"context": object.union(ctx, {"trust": {"keys": [], "identities": [{"issuer": "https://token.actions.githubusercontent.com", "identity": "https://github.com/o/r/.github/workflows/release.yml"}]}})})
	d2 := gate.decision with input as near
	not d2.allow
}

test_trusts_signers_from_data if {
	d := gate.decision with input as object.union(inp([prov]), {"context": object.union(ctx, {"trust": {"keys": [], "identities": []}})})
		with data.trusted_signers as {"keys": [fp]}
	d.allow
}

test_denies_wrong_subject if {
	other := object.union(prov, {"statement": object.union(prov.statement, {"subject": [{"digest": {"sha256": "ee"}}]})})
	d := gate.decision with input as inp([other])
	some r in d.deny
	r.rule == "I1.subject-digest"
	contains(r.msg, "sha256:ee")
}

test_pinned_builders if {
	d1 := gate.decision with input as inp([prov]) with data.trusted_builders as ["https://builder.example/v1"]
	d1.allow
	d := gate.decision with input as inp([prov]) with data.trusted_builders as ["https://other/v1"]
	rules(d.deny) == {"I1.provenance-required", "I1.builder-id"}
}

test_custom_metadata_outside_external_parameters if {
	v := {"path": "buildDefinition.acme_mode", "reason": "custom field outside buildDefinition.externalParameters"}
	bad := object.union(prov, {"facts": object.union(prov.facts, {"custom_metadata": {"vendor_fields": [], "violations": [v]}})})
	d := gate.decision with input as inp([bad])
	some r in d.deny
	r.rule == "I1.custom-metadata"
	contains(r.msg, "buildDefinition.acme_mode")
}

test_input_errors_fail_closed if {
	d := gate.decision with input as object.union(inp([prov]), {"errors": [{"source": "x.json", "code": "malformed", "message": "not valid JSON"}]})
	not d.allow
	rules(d.deny) == {"input.error"}
}

test_transparency_failure_denies if {
	d := gate.decision with input as inp([object.union(prov, {"transparency": {"status": "failed", "reason": "inclusion proof invalid"}})])
	"I1.transparency-log" in rules(d.deny)
}

test_required_evidence_generic if {
	d := gate.decision with input as inp([prov]) with data.required_evidence as ["test-result"]
	some r in d.deny
	r.rule == "gate.required-evidence"
	contains(r.msg, "test-result")
}

test_unsigned_kinds_use_their_own_presence_rules if {
	ledger := {
		"id": "l1", "kind": "runmanifest", "source": {"path": "runmanifest.json", "digest": {"sha256": sub}, "format": "runmanifest"},
		"signature": {"status": "unsigned", "signers": []}, "transparency": {"status": "absent"},
		"integrity": {"status": "verified"}, "checks": [], "facts": {"mode": "compact"},
	}
	d := gate.decision with input as inp([prov, ledger]) with data.required_evidence as ["runmanifest"]
	not "gate.required-evidence" in rules(d.deny)
}

# As the attestation layer records it: integrity failed with the predicate.schema reason, facts empty.
test_denies_invalid_predicate_naming_it if {
	bad := json.patch(prov, [
		{"op": "replace", "path": "/integrity", "value": {"status": "failed", "reason": "https://slsa.dev/provenance/v1: SLSA provenance v1 predicate: /: must have required property 'buildDefinition'"}},
		{"op": "replace", "path": "/facts", "value": {}},
	])
	d := gate.decision with input as inp([bad])
	not d.allow
	rules(d.deny) == {"I1.provenance-required", "I1.provenance-integrity"}
	some r in d.deny
	r.rule == "I1.provenance-integrity"
	contains(r.msg, "must have required property 'buildDefinition'")
}

# A Kettle build's artifact mismatch is tee.kettle.artifacts's (tee_test.rego); its provenance stays admissible.
test_kettle_integrity_is_left_to_the_tee_rules if {
	k := object.union(prov, {"integrity": {"status": "failed", "reason": "artifacts/app: sha256 differs"}, "facts": {"kettle": {"platform": "sev-snp"}}})
	d := gate.decision with input as inp([k])
	not "I1.provenance-integrity" in rules(d.deny)
	not "I1.provenance-required" in rules(d.deny)
}

# ---- expectations like slsa-verifier's --source-uri / --source-tag / --builder-id -------------------------

prov_src := object.union(prov, {"facts": {
	"source": {"uri": "git+https://github.com/acme/app@refs/tags/v1.4.2", "repository": "github.com/acme/app", "ref": "refs/tags/v1.4.2", "commit": "a1b2"},
	"resolved_dependencies": [{"uri": "git+https://github.com/acme/app@refs/tags/v1.4.2", "digest": {"gitCommit": "a1b2"}}],
}})

test_expected_source_uri_and_ref_admit_when_equal if {
	d := gate.decision with input as inp([prov_src])
		with data.expected_source_uri as "git+https://github.com/acme/app.git"
		with data.expected_source_ref as "refs/tags/v1.4.2"
		with data.expected_build_type as "https://actions.github.io/buildtypes/workflow/v1"
		with data.required_resolved_dependencies as [{"uri": "git+https://github.com/acme/app@refs/tags/v1.4.2", "digest": {"gitCommit": "A1B2"}}]
	d.allow
}

test_expected_source_uri_mismatch_denies if {
	d := gate.decision with input as inp([prov_src]) with data.expected_source_uri as "github.com/acme/other"
	rules(d.deny) == {"I1.provenance-required", "I1.expected-source-uri"}
	[r.msg | some r in d.deny; r.rule == "I1.expected-source-uri"] == ["provenance source repository github.com/acme/app is not the expected github.com/acme/other"]
}

test_expected_source_ref_mismatch_denies if {
	d := gate.decision with input as inp([prov_src]) with data.expected_source_ref as "refs/tags/v1.4.3"
	rules(d.deny) == {"I1.provenance-required", "I1.expected-source-ref"}
	[r.msg | some r in d.deny; r.rule == "I1.expected-source-ref"] == ["provenance source ref refs/tags/v1.4.2 is not the expected refs/tags/v1.4.3"]
}

test_expected_source_without_source_in_provenance_denies if {
	d := gate.decision with input as inp([prov]) with data.expected_source_uri as "github.com/acme/app"
	[r.msg | some r in d.deny; r.rule == "I1.expected-source-uri"] == ["provenance source repository none is not the expected github.com/acme/app"]
}

test_expected_build_type_mismatch_denies if {
	d := gate.decision with input as inp([prov_src]) with data.expected_build_type as "https://slsa-framework.github.io/github-actions-buildtypes/workflow/v1"
	rules(d.deny) == {"I1.provenance-required", "I1.expected-build-type"}
}

test_required_resolved_dependency_missing_or_other_digest_denies if {
	d := gate.decision with input as inp([prov_src])
		with data.required_resolved_dependencies as [{"uri": "git+https://github.com/acme/app@refs/tags/v1.4.2", "digest": {"gitCommit": "ffff"}}]
	rules(d.deny) == {"I1.provenance-required", "I1.resolved-dependency"}
	[r.msg | some r in d.deny; r.rule == "I1.resolved-dependency"] == ["provenance resolvedDependencies has no git+https://github.com/acme/app@refs/tags/v1.4.2 with gitCommit:ffff"]
	d2 := gate.decision with input as inp([prov_src])
		with data.required_resolved_dependencies as [{"digest": {"sha256": "00"}}]
	[r.msg | some r in d2.deny; r.rule == "I1.resolved-dependency"] == ["provenance resolvedDependencies has no dependency with sha256:00"]
}

test_internal_parameters_custom_field_denies if {
	bad := object.union(prov, {"facts": {"custom_metadata": {"vendor_fields": [], "violations": [{"path": "buildDefinition.internalParameters.acme_ai_mode", "reason": "custom metadata in internalParameters: only externalParameters may carry <vendor>_<field> fields"}]}}})
	d := gate.decision with input as inp([bad])
	rules(d.deny) == {"I1.provenance-required", "I1.custom-metadata"}
}

test_kettle_min_build_level_without_a_level_fact_denies if {
	k := object.union(prov, {"facts": {"kettle": {"platform": "snp"}}})
	d := gate.decision with input as inp([k]) with data.kettle_min_build_level as 2
	"I1.provenance-required" in rules(d.deny)
}
