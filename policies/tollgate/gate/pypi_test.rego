package tollgate.gate_test

import data.tollgate.gate

whl := "rfc8785-0.1.2-py3-none-any.whl"

whl_sha := "c4e92e9ecc828bef2aa7dba1de8ac983511f7532a0df11c770d39099a25cf201"

who := {"issuer": "https://github.com/login/oauth", "identity": "william@yossarian.net"}

pub := {
	"id": "sha256:aa", "kind": "pypi-publish",
	"source": {"path": "x.publish.attestation", "digest": {"sha256": whl_sha}, "format": "pep740-attestation"},
	"signature": {"status": "verified", "signers": [object.union({"type": "keyless"}, who)]},
	"transparency": {"status": "verified", "logIndex": 1, "integratedTime": "2024-06-06T18:39:05Z"},
	"integrity": {"status": "verified"},
	"checks": [{"name": "signature.sigstore", "ok": true}, {"name": "pypi.subject", "ok": true}],
	"statement": {
		"_type": "https://in-toto.io/Statement/v1",
		"predicateType": "https://docs.pypi.org/attestations/publish/v1",
		"subject": [{"name": whl, "digest": {"sha256": whl_sha}}],
	},
	"facts": {"pypi": {
		"predicate_type": "https://docs.pypi.org/attestations/publish/v1", "distribution": whl,
		"publisher": {"kind": "GitHub", "repository": "trail-of-forks/rfc8785.py", "workflow": "release.yml", "environment": null},
		"signer": who, "location": "attestation",
	}},
}

pypi_inp(evs, ids) := {
	"apiVersion": "tollgate/input/v1",
	"context": {"time": "2026-01-01T00:00:00Z", "subject": {"name": whl, "digest": {"sha256": whl_sha}}, "trust": {"keys": [], "identities": ids}},
	"evidence": evs, "errors": [],
}

test_pypi_admits_trusted_bound_publish_attestation if {
	d := gate.decision with input as pypi_inp([pub], [who]) with data.provenance_required as false with data.required_evidence as ["pypi-publish"]
	d.allow
}

test_pypi_provenance_still_required_by_default if {
	d := gate.decision with input as pypi_inp([pub], [who])
	rules(d.deny) == {"I1.provenance-required"}
}

test_pypi_waiver_needs_other_required_evidence if {
	d := gate.decision with input as pypi_inp([], [who]) with data.provenance_required as false
	rules(d.deny) == {"I1.provenance-required"}
}

test_pypi_nothing_relied_on_denies if {
	d := gate.decision with input as pypi_inp([], [who]) with data.provenance_required as false with data.required_evidence as ["pypi-publish"]
	rules(d.deny) == {"gate.required-evidence"}
}

test_pypi_wrong_identity_denied if {
	other := {"issuer": "https://github.com/login/oauth", "identity": "someone@example.com"}
	d := gate.decision with input as pypi_inp([pub], [other]) with data.provenance_required as false with data.required_evidence as ["pypi-publish"]
	rules(d.deny) == {"pypi.signer-identity", "gate.required-evidence"}
	some r in d.deny
	r.rule == "pypi.signer-identity"
	r.msg == "PyPI attestation signed by william@yossarian.net (issuer https://github.com/login/oauth), which is not a trusted signer"
}

test_pypi_other_artifact_denied if {
	inp := json.patch(pypi_inp([pub], [who]), [{"op": "replace", "path": "/context/subject/digest/sha256", "value": concat("", ["00", substring(whl_sha, 2, -1)])}])
	d := gate.decision with input as inp with data.provenance_required as false with data.required_evidence as ["pypi-publish"]
	rules(d.deny) == {"pypi.subject-digest", "gate.required-evidence"}
}

test_pypi_other_distribution_name_denied if {
	inp := json.patch(pypi_inp([pub], [who]), [{"op": "replace", "path": "/context/subject/name", "value": "rfc8785-0.1.3-py3-none-any.whl"}])
	d := gate.decision with input as inp with data.provenance_required as false with data.required_evidence as ["pypi-publish"]
	rules(d.deny) == {"pypi.distribution"}
}

test_pypi_failed_check_denied_with_reason if {
	bad := json.patch(pub, [{"op": "replace", "path": "/checks/1", "value": {"name": "pypi.subject", "ok": false, "code": "schema_invalid", "reason": "2 subjects"}}])
	d := gate.decision with input as pypi_inp([bad], [who]) with data.provenance_required as false with data.required_evidence as ["pypi-publish"]
	some r in d.deny
	r.rule == "pypi.verified"
	r.msg == "PyPI attestation (attestation) does not verify: pypi.subject: 2 subjects"
}

test_pypi_publisher_pins if {
	pin := [{"kind": "GitHub", "repository": "trail-of-forks/rfc8785.py", "workflow": "release.yml"}]
	ok := gate.decision with input as pypi_inp([pub], [who]) with data.provenance_required as false with data.required_evidence as ["pypi-publish"] with data.pypi_publishers as pin
	ok.allow
	env_pin := [object.union(pin[0], {"environment": "pypi"})]
	d := gate.decision with input as pypi_inp([pub], [who]) with data.provenance_required as false with data.required_evidence as ["pypi-publish"] with data.pypi_publishers as env_pin
	rules(d.deny) == {"pypi.publisher"}
	bare := json.patch(pub, [{"op": "replace", "path": "/facts/pypi/publisher", "value": null}])
	d2 := gate.decision with input as pypi_inp([bare], [who]) with data.provenance_required as false with data.required_evidence as ["pypi-publish"] with data.pypi_publishers as pin
	some r in d2.deny
	r.rule == "pypi.publisher"
	contains(r.msg, "a bare attestation records no publisher")
}
