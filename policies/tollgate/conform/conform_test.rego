package tollgate.conform_test

import data.tollgate.conform

ctx(params) := {"time": "2026-06-01T00:00:00Z", "subject": {"digest": {"sha256": "aa"}}, "trust": {"keys": ["sha256:k"], "identities": []}, "params": {"conform": params}}

prov(over) := object.union(
	{
		"id": "p", "kind": "slsa-provenance", "source": {"path": "prov.json", "digest": {"sha256": "p"}, "format": "dsse"},
		"signature": {"status": "verified", "signers": [{"type": "key", "fingerprint": "sha256:k"}]},
		"transparency": {"status": "verified"}, "integrity": {"status": "verified"}, "checks": [],
		"statement": {"_type": "https://in-toto.io/Statement/v1", "predicateType": "https://slsa.dev/provenance/v1", "subject": [{"digest": {"sha256": "aa"}}]},
		"facts": {"custom_metadata": {"vendor_fields": [], "violations": []}},
	},
	over,
)

i1(evs) := r if {
	r := conform.result with input as {"context": ctx({"interface": "I1", "target": {"ref": "sha256:aa", "by_digest": true, "registry": false}}), "evidence": evs, "errors": []}
}

failed(r) := [m.id | some m in r.musts; not m.ok]

test_unknown_interface_fails if {
	r := conform.result with input as {"context": ctx({"interface": "I9"}), "evidence": [], "errors": []}
	r.pass == false
	r.interface == "unknown"
}

test_i1_logged_bound_provenance_passes if {
	r := i1([prov({})])
	r.pass
	count(r.musts) == 6
}

# The gate only warns on a missing transparency-log entry; the contract's MUST fails.
test_i1_unlogged_fails_only_that_must if {
	r := i1([prov({"transparency": {"status": "absent"}})])
	not r.pass
	failed(r) == ["I1.signed-transparency-logged"]
}

test_i1_nothing_fails_every_evidence_must if {
	r := i1([])
	failed(r) == ["I1.provenance-subject", "I1.signed-transparency-logged", "I1.custom-metadata", "I1.retrievable"]
}

test_i3_unused_id_token_fails if {
	wf := {"given": true, "path": "release.yml", "jobs": [{"id": "build", "id_token_write": true, "signing_steps": []}]}
	r := conform.result with input as {"context": ctx({"interface": "I3", "workflow": wf}), "evidence": [prov({})], "errors": []}
	failed(r) == ["I3.signing-used"]
	some m in r.musts
	m.id == "I3.signing-used"
	m.reason == "release.yml: job(s) build hold id-token: write but no step signs or attests"
}

test_i4_policy_that_admits_everything_fails if {
	g := {"policy": "p.tar.gz", "admits": true, "denies_without_evidence": false, "denies_other_signer": false, "denies_other_predicate": false, "revision": "r1", "signed": false}
	r := conform.result with input as {"context": ctx({"interface": "I4", "target": {"ref": "x", "by_digest": true}, "policy_gate": g}), "evidence": [], "errors": []}
	failed(r) == ["I4.deny-by-default", "I4.pins-type-and-signer", "I4.decision-signal"]
}
