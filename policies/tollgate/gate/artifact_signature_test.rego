package tollgate.gate_test

import data.tollgate.gate

asig := {
	"id": "s1", "kind": "artifact-signature",
	"source": {"path": "art.bundle.json", "digest": {"sha256": sub}, "format": "sigstore-bundle-v0.3/message-signature"},
	"signature": {"status": "verified", "signers": [{"type": "key", "fingerprint": fp}]},
	"transparency": {"status": "absent"}, "integrity": {"status": "n/a"}, "checks": [],
	"subject": [{"digest": {"sha256": sub}}],
	"facts": {"signed_digest": {"sha256": sub}, "form": "bundle"},
}

asig_rules(d) := {r.rule | some r in d.deny; startswith(r.rule, "artifact-signature.")}

test_artifact_signature_beside_provenance_admits if {
	d := gate.decision with input as inp([prov, asig])
	d.allow
}

test_artifact_signature_required if {
	d := gate.decision with input as inp([prov, asig]) with data.required_evidence as ["artifact-signature"]
	d.allow
	d2 := gate.decision with input as inp([prov]) with data.required_evidence as ["artifact-signature"]
	"gate.required-evidence" in rules(d2.deny)
}

test_artifact_signature_over_another_digest_denies if {
	other := object.union(asig, {"subject": [{"digest": {"sha256": "ee"}}]})
	d := gate.decision with input as inp([prov, other])
	asig_rules(d) == {"artifact-signature.subject"}
}

test_artifact_signature_untrusted_or_failed_denies if {
	d := gate.decision with input as object.union(inp([asig]), {"context": object.union(ctx, {"trust": {"keys": [], "identities": []}})})
	"artifact-signature.signer" in asig_rules(d)
	bad := object.union(asig, {"signature": {"status": "failed", "reason": "the signature does not verify", "signers": []}, "subject": []})
	d2 := gate.decision with input as inp([prov, bad])
	asig_rules(d2) == {"artifact-signature.signature"}
}
