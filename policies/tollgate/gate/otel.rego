# I6 Log-Contract: every log record's Resource carries the build-identity attributes that tie runtime output
# to the attested artifact — service.name, service.version, deployment.environment (semconv ≥ 1.27 names it
# deployment.environment.name; either is accepted) — and service.instance.id (recommended: warn). Where a
# Resource names its image by digest (container.image.id, oci.manifest.digest, container.image.repo_digests)
# the digest must be the subject's; where it names the source revision (org.opencontainers.image.revision)
# the revision must be the commit the verified provenance was built from.
package tollgate.gate

import data.tollgate.lib

otel_logs := lib.evidence_of("otel-log")

otel_attr_note(attr) := " (deployment.environment.name, its newer semantic-conventions name, is accepted too)" if {
	attr == "deployment.environment"
} else := " (the SDK default unknown_service is not a name)" if {
	attr == "service.name"
} else := ""

deny contains lib.result_sev(
	"I6.required",
	"no OpenTelemetry log export given",
	null, "high", "supply the service's OTLP/JSON log export (or a LogRecord sample) from the deployed build",
) if {
	"otel-log" in lib.required_kinds
	count(otel_logs) == 0
}

# Missing required Resource attribute: name it and count the records it leaves unattributed.
otel_deny contains lib.result_sev(
	"I6.resource-attributes",
	sprintf("%s: %d of %d log records have no Resource attribute %s%s", [
		ev.source.path, n, ev.facts.record_count, attr, otel_attr_note(attr),
	]),
	ev.source.path, "high",
	sprintf("set %s on the service's OpenTelemetry Resource (OTEL_RESOURCE_ATTRIBUTES or the SDK resource)", [attr]),
) if {
	some ev in otel_logs
	some attr, n in ev.facts.missing_required
	n > 0
}

otel_warn contains lib.result_sev(
	"I6.service-instance-id",
	sprintf("%s: %d of %d log records have no Resource attribute %s", [ev.source.path, n, ev.facts.record_count, attr]),
	ev.source.path, "low",
	"set service.instance.id (e.g. the pod UID) so records can be told apart per instance",
) if {
	some ev in otel_logs
	some attr, n in ev.facts.missing_recommended
	n > 0
}

otel_warn contains lib.result_sev(
	"I6.no-records",
	sprintf("%s: the log export holds no log records; nothing shows the service's identity", [ev.source.path]),
	ev.source.path, "medium", "export logs from the running service",
) if {
	some ev in otel_logs
	ev.facts.record_count == 0
}

otel_resource_where(ev, i) := ev.facts.resources[i].location

otel_records(n) := "1 record" if n == 1

else := sprintf("%d records", [n])

# An image digest attribute that names no sha256 digest cannot be matched: fail closed.
otel_deny contains lib.result_sev(
	"I6.image-digest",
	sprintf("%s %s: %s %q names no sha256 digest to compare with the subject", [
		ev.source.path, otel_resource_where(ev, d.resource), d.attribute, d.value,
	]),
	ev.source.path, "high", "record the image digest as sha256:<64 hex> (or repo@sha256:<64 hex>)",
) if {
	some ev in otel_logs
	some d in ev.facts.image_digests
	d.sha256 == null
}

# container.image.id / oci.manifest.digest: must be the subject.
otel_deny contains lib.result_sev(
	"I6.image-digest",
	sprintf("%s %s: %s is sha256:%s but the subject is sha256:%s (%s)", [
		ev.source.path, otel_resource_where(ev, d.resource), d.attribute, d.sha256, lib.subject_sha256, otel_records(d.records),
	]),
	ev.source.path, "critical", "these logs come from a different image than the artifact under evaluation",
) if {
	some ev in otel_logs
	some d in ev.facts.image_digests
	d.attribute != "container.image.repo_digests"
	d.sha256 != null
	lib.subject_sha256
	d.sha256 != lib.subject_sha256
}

# Image digests are sha256; a subject named by sha384/sha512 only cannot be compared with them: fail closed.
otel_deny contains lib.result_sev(
	"I6.image-digest",
	sprintf("%s %s: %s is sha256:%s but the subject has no sha256 digest to compare it with (subject %s)", [
		ev.source.path, otel_resource_where(ev, d.resource), d.attribute, d.sha256, lib.subject_text,
	]),
	ev.source.path, "high", "give --artifact FILE (or --subject sha256:HEX) so the image digest can be compared",
) if {
	some ev in otel_logs
	some d in ev.facts.image_digests
	d.sha256 != null
	lib.subject_given
	not lib.subject_sha256
}

# container.image.repo_digests: one image pushed to several registries has several entries; one must be the subject.
otel_deny contains lib.result_sev(
	"I6.image-digest",
	sprintf("%s %s: no container.image.repo_digests entry is the subject sha256:%s (has: %s)", [
		ev.source.path, otel_resource_where(ev, i), lib.subject_sha256,
		concat(", ", [d.value | some d in ev.facts.image_digests; d.resource == i; d.attribute == "container.image.repo_digests"]),
	]),
	ev.source.path, "critical", "these logs come from a different image than the artifact under evaluation",
) if {
	some ev in otel_logs
	lib.subject_sha256
	some i
	ev.facts.resources[i]
	repo := [d | some d in ev.facts.image_digests; d.resource == i; d.attribute == "container.image.repo_digests"; d.sha256 != null]
	count(repo) > 0
	count([d | some d in repo; d.sha256 == lib.subject_sha256]) == 0
}

# The source commits the relied-on provenance names (its source, then any git resolved dependency).
otel_provenance_commits contains lower(ev.facts.source.commit) if {
	some ev in lib.evidence_of("slsa-provenance")
	lib.relied_on(ev)
	is_string(ev.facts.source.commit)
}

otel_provenance_commits contains lower(c) if {
	some ev in lib.evidence_of("slsa-provenance")
	lib.relied_on(ev)
	some dep in ev.facts.resolved_dependencies
	some alg in ["gitCommit", "sha1"]
	c := dep.digest[alg]
	is_string(c)
}

otel_deny contains lib.result_sev(
	"I6.revision",
	sprintf("%s %s: org.opencontainers.image.revision %s is not the commit the provenance was built from (%s)", [
		ev.source.path, otel_resource_where(ev, r.resource), r.value, concat(", ", sort(otel_provenance_commits)),
	]),
	ev.source.path, "critical", "these logs come from a build of another revision than the attested artifact",
) if {
	some ev in otel_logs
	some r in ev.facts.revisions
	count(otel_provenance_commits) > 0
	not r.value in otel_provenance_commits
}

otel_warn contains lib.result_sev(
	"I6.revision-unverified",
	sprintf("%s %s: org.opencontainers.image.revision %s cannot be checked: no verified provenance names a source commit", [
		ev.source.path, otel_resource_where(ev, r.resource), r.value,
	]),
	ev.source.path, "medium", "evaluate the logs together with the artifact's signed SLSA provenance",
) if {
	some ev in otel_logs
	some r in ev.facts.revisions
	count(otel_provenance_commits) == 0
}

# The rules above fill otel_deny and otel_warn, which join the gate's deny and warn only when
# there is evidence for them to judge: every one of them needs some, and skipping them all at once keeps an
# evaluation from visiting each rule body (and, in the WASM target, keeps the deny function small).
deny contains r if {
	"otel-log" in lib.kinds_present
	some r in otel_deny
}

warn contains r if {
	"otel-log" in lib.kinds_present
	some r in otel_warn
}
