package tollgate.gate_test

import data.tollgate.gate

npm_sha512 := concat("", [x | some _ in numbers.range(1, 64); x := "7b"])

npm_key := "sha256:1e908a55459fe6ddac1ccbc137ea8631ee837032fec2a2ccc528b38d81f17108"

npm_pub := {
	"id": "n1", "kind": "npm-publish",
	"source": {"path": "att.json", "digest": {"sha256": sub}, "format": "npm-attestations/sigstore-bundle-v0.2"},
	"signature": {"status": "verified", "signers": [{"type": "key", "fingerprint": npm_key}]},
	"transparency": {"status": "verified"}, "integrity": {"status": "verified"}, "checks": [],
	"statement": {
		"_type": "https://in-toto.io/Statement/v0.1",
		"predicateType": "https://github.com/npm/attestation/tree/main/specs/publish/v0.1",
		"subject": [{"name": "pkg:npm/sigstore@1.0.0", "digest": {"sha512": npm_sha512}}],
	},
	"facts": {"name": "sigstore", "version": "1.0.0", "purl": "pkg:npm/sigstore@1.0.0", "subject_names": ["pkg:npm/sigstore@1.0.0"], "purl_matches": true},
}

npm_inp(evidence, keys) := {
	"apiVersion": "tollgate/input/v1",
	"context": {"time": "2026-01-01T00:00:00Z", "subject": {"digest": {"sha256": sub, "sha512": npm_sha512}}, "trust": {"keys": keys, "identities": []}},
	"evidence": evidence, "errors": [],
}

npm_rules(d) := {r.rule | some r in d.deny; startswith(r.rule, "npm.")}

test_npm_publish_bound_and_trusted_raises_nothing if {
	d := gate.decision with input as npm_inp([npm_pub], [npm_key])
	npm_rules(d) == set()
}

test_npm_publish_required_is_satisfied if {
	d := gate.decision with input as npm_inp([npm_pub], [npm_key]) with data.required_evidence as ["npm-publish"]
	not "gate.required-evidence" in rules(d.deny)
	d2 := gate.decision with input as npm_inp([], [npm_key]) with data.required_evidence as ["npm-publish"]
	"gate.required-evidence" in rules(d2.deny)
}

test_npm_publish_untrusted_key_denies if {
	d := gate.decision with input as npm_inp([npm_pub], [])
	npm_rules(d) == {"npm.publish-signer"}
}

test_npm_publish_other_tarball_denies if {
	other := object.union(npm_pub, {"statement": object.union(npm_pub.statement, {"subject": [{"name": "pkg:npm/sigstore@1.0.0", "digest": {"sha512": s512_other}}]})})
	d := gate.decision with input as npm_inp([other], [npm_key])
	npm_rules(d) == {"npm.publish-subject"}
}

test_npm_publish_failed_signature_denies if {
	bad := object.union(npm_pub, {"signature": {"status": "failed", "reason": "the signature does not verify with any --key", "signers": []}})
	d := gate.decision with input as npm_inp([bad], [npm_key])
	some r in d.deny
	r.rule == "npm.publish-signature"
	contains(r.msg, "does not verify")
}

test_npm_publish_wrong_package_name_denies if {
	wrong := object.union(npm_pub, {"facts": object.union(npm_pub.facts, {"purl": "pkg:npm/evil@1.0.0", "purl_matches": false})})
	d := gate.decision with input as npm_inp([wrong], [npm_key])
	"npm.publish-package" in npm_rules(d)
}
