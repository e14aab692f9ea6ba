package tollgate.gate_test

import data.tollgate.gate

otel_subject := "1111111111111111111111111111111111111111111111111111111111111111"

otel_other := "2222222222222222222222222222222222222222222222222222222222222222"

otel_commit := "0123456789abcdef0123456789abcdef01234567"

otel_full_attrs := {
	"service.name": "checkout", "service.version": "1.4.2",
	"deployment.environment": "prod", "service.instance.id": "pod-1",
}

# One Resource with `attrs` covering `n` records, facts as the otel-log kind computes them.
otel_resource(attrs, n, missing_req, missing_rec, images, revisions) := {
	"index": 0, "location": "resourceLogs[0]", "attributes": attrs, "schema_url": null,
	"record_count": n, "missing_required": missing_req, "missing_recommended": missing_rec,
	"environment_attribute": "deployment.environment", "service_name_is_sdk_default": false,
	"image_digests": images, "revisions": revisions,
}

otel_ev(res, missing_req, missing_rec) := {
	"id": "sha256:o", "kind": "otel-log",
	"source": {"path": "logs.json", "digest": {"sha256": "o"}, "format": "otlp-json"},
	"signature": {"status": "unsigned", "signers": []},
	"transparency": {"status": "absent"},
	"integrity": {"status": "n/a"},
	"checks": [],
	"facts": {
		"format": "otlp-json",
		"record_count": sum([r.record_count | some r in res]),
		"resource_count": count(res), "resources": res,
		"missing_required": missing_req, "missing_recommended": missing_rec,
		"image_digests": [d | some r in res; some d in r.image_digests],
		"revisions": [v | some r in res; some v in r.revisions],
		"time_range": {"first_unix_nano": null, "last_unix_nano": null}, "trace_ids": 0,
	},
}

otel_good := otel_ev([otel_resource(otel_full_attrs, 3, [], [], [], [])], {}, {})

otel_input(evs) := {
	"context": {"time": "2026-06-01T00:00:00Z", "subject": {"digest": {"sha256": otel_subject}}, "trust": {"keys": ["sha256:k"], "identities": []}},
	"evidence": evs, "errors": [],
}

otel_rules(results) := {r.rule | some r in results; startswith(r.rule, "I6.")}

otel_msgs(results, rule) := [r.msg | some r in results; r.rule == rule]

test_otel_complete_resource_admits if {
	d := gate.deny with input as otel_input([otel_good])
	count(otel_rules(d)) == 0
	w := gate.warn with input as otel_input([otel_good])
	count(otel_rules(w)) == 0
}

test_otel_missing_required_names_attribute_and_count if {
	attrs := {"service.name": "my.service"}
	ev := otel_ev(
		[otel_resource(attrs, 4, ["service.version", "deployment.environment"], ["service.instance.id"], [], [])],
		{"service.version": 4, "deployment.environment": 4}, {"service.instance.id": 4},
	)
	d := gate.deny with input as otel_input([ev])
	otel_rules(d) == {"I6.resource-attributes"}
	sort(otel_msgs(d, "I6.resource-attributes")) == [
		"logs.json: 4 of 4 log records have no Resource attribute deployment.environment (deployment.environment.name, its newer semantic-conventions name, is accepted too)",
		"logs.json: 4 of 4 log records have no Resource attribute service.version",
	]
	w := gate.warn with input as otel_input([ev])
	otel_msgs(w, "I6.service-instance-id") == ["logs.json: 4 of 4 log records have no Resource attribute service.instance.id"]
}

test_otel_partial_resource_counts_only_affected_records if {
	bad := object.union(otel_resource({"service.name": "a", "deployment.environment": "prod"}, 2, ["service.version"], [], [], []), {"index": 1, "location": "resourceLogs[1]"})
	ev := otel_ev([otel_resource(otel_full_attrs, 5, [], [], [], []), bad], {"service.version": 2}, {})
	d := gate.deny with input as otel_input([ev])
	otel_msgs(d, "I6.resource-attributes") == ["logs.json: 2 of 7 log records have no Resource attribute service.version"]
}

test_otel_image_digest_matching_subject_admits if {
	img := [{"attribute": "container.image.id", "value": sprintf("sha256:%s", [otel_subject]), "sha256": otel_subject, "resource": 0, "records": 3}]
	ev := otel_ev([otel_resource(otel_full_attrs, 3, [], [], img, [])], {}, {})
	d := gate.deny with input as otel_input([ev])
	count(otel_rules(d)) == 0
}

test_otel_image_digest_other_than_subject_denies if {
	img := [{"attribute": "oci.manifest.digest", "value": sprintf("sha256:%s", [otel_other]), "sha256": otel_other, "resource": 0, "records": 3}]
	ev := otel_ev([otel_resource(otel_full_attrs, 3, [], [], img, [])], {}, {})
	d := gate.deny with input as otel_input([ev])
	otel_rules(d) == {"I6.image-digest"}
	otel_msgs(d, "I6.image-digest") == [sprintf("logs.json resourceLogs[0]: oci.manifest.digest is sha256:%s but the subject is sha256:%s (3 records)", [otel_other, otel_subject])]
}

test_otel_repo_digests_one_entry_must_match if {
	match := [
		{"attribute": "container.image.repo_digests", "value": sprintf("a.io/x@sha256:%s", [otel_other]), "sha256": otel_other, "resource": 0, "records": 3},
		{"attribute": "container.image.repo_digests", "value": sprintf("b.io/x@sha256:%s", [otel_subject]), "sha256": otel_subject, "resource": 0, "records": 3},
	]
	ok := gate.deny with input as otel_input([otel_ev([otel_resource(otel_full_attrs, 3, [], [], match, [])], {}, {})])
	count(otel_rules(ok)) == 0

	nomatch := [match[0]]
	d := gate.deny with input as otel_input([otel_ev([otel_resource(otel_full_attrs, 3, [], [], nomatch, [])], {}, {})])
	otel_rules(d) == {"I6.image-digest"}
	some m in otel_msgs(d, "I6.image-digest")
	contains(m, "no container.image.repo_digests entry is the subject")
}

test_otel_unparseable_image_digest_denies if {
	img := [{"attribute": "container.image.id", "value": "docker://abc", "sha256": null, "resource": 0, "records": 3}]
	d := gate.deny with input as otel_input([otel_ev([otel_resource(otel_full_attrs, 3, [], [], img, [])], {}, {})])
	otel_msgs(d, "I6.image-digest") == [`logs.json resourceLogs[0]: container.image.id "docker://abc" names no sha256 digest to compare with the subject`]
}

# Signed, trusted, subject-bound provenance naming its source commit.
otel_provenance(commit) := {
	"id": "sha256:p", "kind": "slsa-provenance",
	"source": {"path": "prov.json", "digest": {"sha256": "p"}, "format": "dsse"},
	"signature": {"status": "verified", "signers": [{"type": "key", "fingerprint": "sha256:k"}]},
	"transparency": {"status": "absent"}, "integrity": {"status": "verified"}, "checks": [],
	"statement": {"_type": "https://in-toto.io/Statement/v1", "predicateType": "https://slsa.dev/provenance/v1", "subject": [{"digest": {"sha256": otel_subject}}]},
	"facts": {"source": {"uri": "git+https://github.com/x/y", "commit": commit}, "resolved_dependencies": [{"uri": "git+https://github.com/x/y", "digest": {"gitCommit": commit}}]},
}

test_otel_revision_matching_provenance_admits if {
	rev := [{"attribute": "org.opencontainers.image.revision", "value": otel_commit, "resource": 0, "records": 3}]
	ev := otel_ev([otel_resource(otel_full_attrs, 3, [], [], [], rev)], {}, {})
	d := gate.deny with input as otel_input([ev, otel_provenance(otel_commit)])
	count(otel_rules(d)) == 0
	w := gate.warn with input as otel_input([ev, otel_provenance(otel_commit)])
	count(otel_rules(w)) == 0
}

test_otel_revision_other_than_provenance_denies if {
	rev := [{"attribute": "org.opencontainers.image.revision", "value": "ffffffffffffffffffffffffffffffffffffffff", "resource": 0, "records": 3}]
	ev := otel_ev([otel_resource(otel_full_attrs, 3, [], [], [], rev)], {}, {})
	d := gate.deny with input as otel_input([ev, otel_provenance(otel_commit)])
	otel_rules(d) == {"I6.revision"}
	otel_msgs(d, "I6.revision") == [sprintf("logs.json resourceLogs[0]: org.opencontainers.image.revision ffffffffffffffffffffffffffffffffffffffff is not the commit the provenance was built from (%s)", [otel_commit])]
}

test_otel_revision_without_provenance_warns if {
	rev := [{"attribute": "org.opencontainers.image.revision", "value": otel_commit, "resource": 0, "records": 3}]
	ev := otel_ev([otel_resource(otel_full_attrs, 3, [], [], [], rev)], {}, {})
	d := gate.deny with input as otel_input([ev])
	count(otel_rules(d)) == 0
	w := gate.warn with input as otel_input([ev])
	otel_rules(w) == {"I6.revision-unverified"}
}

test_otel_untrusted_provenance_is_not_relied_on if {
	rev := [{"attribute": "org.opencontainers.image.revision", "value": "ffffffffffffffffffffffffffffffffffffffff", "resource": 0, "records": 3}]
	ev := otel_ev([otel_resource(otel_full_attrs, 3, [], [], [], rev)], {}, {})
	untrusted := object.union(otel_provenance(otel_commit), {"signature": {"status": "failed", "signers": []}})
	w := gate.warn with input as otel_input([ev, untrusted])
	otel_rules(w) == {"I6.revision-unverified"}
}

test_otel_required_absent_denies if {
	d := gate.deny with input as otel_input([]) with data.required_evidence as ["otel-log"]
	"I6.required" in otel_rules(d)
}

test_otel_empty_export_warns if {
	ev := otel_ev([], {}, {})
	w := gate.warn with input as otel_input([ev])
	otel_rules(w) == {"I6.no-records"}
}
