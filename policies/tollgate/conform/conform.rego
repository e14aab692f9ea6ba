# Conformance probes for the interface contracts I1–I8 (seeds/003: "Conformance — a conforming … MUST").
# Entrypoint tollgate/conform/result: {interface, pass, musts: [{id, must, ok, reason}]}, one entry per MUST of
# the interface named by input.context.params.conform.interface — every MUST, none sampled. The probe verdict is
# PASS exactly when every MUST holds. What the evidence cannot say (a workflow's permissions, the previous contract
# version, a policy's behaviour) the probe measures and passes in params.conform; the judgement is made here.
#
# Messages use only %s and %d (the WASM runtime's sprintf has no %v of null).
package tollgate.conform

import data.tollgate.gate
import data.tollgate.lib

p := input.context.params.conform

slsa_v1 := "https://slsa.dev/provenance/v1"

slsa_v02 := "https://slsa.dev/provenance/v0.2"

iface := p.interface

default result := {"interface": "unknown", "pass": false, "musts": [{"id": "probe", "must": "name an interface I1-I8", "ok": false, "reason": "params.conform.interface is not one of I1-I8"}]}

result := {"interface": iface, "pass": every_ok(m), "musts": m} if m := musts[iface]

every_ok(ms) if {
	count(ms) > 0
	every x in ms { x.ok }
} else := false

must(id, text, ok, pass_reason, fail_reason) := {"id": id, "must": text, "ok": true, "reason": pass_reason} if ok

else := {"id": id, "must": text, "ok": false, "reason": fail_reason}

# A total boolean (false, never undefined): comparisons in term position are already false or true.
both(a, b) if {
	a == true
	b == true
} else := false

# ---- shared reads --------------------------------------------------------------------------------------------

target := object.get(p, "target", {})

default by_digest := false

by_digest := target.by_digest == true

default from_registry := false

from_registry := target.registry == true

target_text := object.get(target, "ref", "the target")

provenance := [ev | some ev in input.evidence; object.get(ev, ["statement", "predicateType"], "") == slsa_v1]

bound_provenance := [ev | some ev in provenance; lib.subject_bound(ev)]

signed_bound_provenance := [ev | some ev in bound_provenance; lib.signed_by_trusted(ev)]

where_found := "found as an OCI referrer of the image" if from_registry

else := "supplied with the artifact (local evidence stands in for its registry)"

paths(evs) := concat(", ", sort({ev.source.path | some ev in evs}))

digest_must(n) := must(
	n, "operate on the artifact's content digest, not a mutable tag", by_digest,
	sprintf("%s is identified by its digest", [target_text]),
	sprintf("%s is not a digest reference (sha256:…, FILE or HOST/REPO@sha256:…)", [target_text]),
)

# ---- I1 Attestation-Production ------------------------------------------------------------------------------

i1_violations := [sprintf("%s: %s", [ev.source.path, v.path]) | some ev in bound_provenance; some v in ev.facts.custom_metadata.violations]

i1_logged := [ev | some ev in signed_bound_provenance; ev.transparency.status == "verified"]

i1_v02 := [ev | some ev in input.evidence; object.get(ev, ["statement", "predicateType"], "") == slsa_v02]

musts["I1"] := [
	digest_must("I1.digest"),
	must(
		"I1.provenance-subject", "emit a https://slsa.dev/provenance/v1 attestation whose subject digest equals the artifact digest",
		count(bound_provenance) > 0, sprintf("provenance v1 bound to the artifact: %s", [paths(bound_provenance)]),
		sprintf("no provenance v1 whose subject digest is the artifact's (%d provenance v1 statement(s) present)", [count(provenance)]),
	),
	must(
		"I1.signed-transparency-logged", "sign the attestation through Sigstore (Fulcio + Rekor) or an equivalent transparency-logged signer",
		count(i1_logged) > 0, sprintf("signed by a trusted signer and logged: %s", [paths(i1_logged)]),
		i1_unlogged_reason,
	),
	must(
		"I1.custom-metadata", "carry custom build metadata only under externalParameters with <vendor>_<field> names",
		both(count(bound_provenance) > 0, count(i1_violations) == 0), "no custom metadata outside externalParameters",
		i1_metadata_reason,
	),
	must(
		"I1.no-v0.2", "NOT emit the superseded https://slsa.dev/provenance/v0.2 predicate for new builds",
		count(i1_v02) == 0, "no provenance v0.2 present", sprintf("provenance v0.2 present: %s", [paths(i1_v02)]),
	),
	must(
		"I1.retrievable", "make the attestation retrievable by the artifact's consumers (OCI referrer for images)",
		count(bound_provenance) > 0, sprintf("provenance %s", [where_found]), "no provenance could be retrieved for the artifact",
	),
]

i1_unlogged_reason := "no provenance bound to the artifact" if count(bound_provenance) == 0

else := sprintf("provenance bound to the artifact is not signed by a trusted signer (%s)", [paths(bound_provenance)]) if count(signed_bound_provenance) == 0

else := sprintf("the signed provenance has no verified transparency-log entry (transparency %s): the gate only warns, the contract requires it", [concat(", ", sort({ev.transparency.status | some ev in signed_bound_provenance}))])

i1_metadata_reason := "no provenance to judge" if count(bound_provenance) == 0

else := concat("; ", i1_violations)

# ---- I2 Promotion-Verification --------------------------------------------------------------------------------

owner := object.get(p, "owner", "")

predicate_type := object.get(p, "predicate_type", "")

owner_prefix := sprintf("https://github.com/%s/", [owner])

typed := [ev | some ev in input.evidence; object.get(ev, ["statement", "predicateType"], "") == predicate_type]

typed_bound := [ev | some ev in typed; lib.subject_bound(ev)]

# As `gh attestation verify --owner`: a GitHub Actions identity (issuer and workflow SAN) under the owner.
github_actions_issuer := "https://token.actions.githubusercontent.com"

owner_signed(ev) if {
	lib.signature_verified(ev)
	some s in ev.signature.signers
	s.type == "keyless"
	s.issuer == github_actions_issuer
	startswith(s.identity, owner_prefix)
}

i2_matching := [ev | some ev in typed_bound; owner_signed(ev)]

# The gate under the same trust, with no attestation for the digest: it must deny (fail closed).
default i2_denies_without := false

i2_denies_without if {
	not gate.decision.allow with input.evidence as []
}

decision_signals := [ev | some ev in lib.evidence_of("otel-log"); some d in object.get(ev.facts, "decisions", []); d.subject_digest == sprintf("sha256:%s", [lib.subject_sha256])]

musts["I2"] := [
	digest_must("I2.digest"),
	must(
		"I2.pinned-verification", "run a verification that pins predicate type AND signer identity",
		count(i2_matching) > 0, sprintf("%s attestation bound to the digest, signed by an identity of %s: %s", [predicate_type, owner, paths(i2_matching)]),
		i2_reason,
	),
	must(
		"I2.fail-closed", "reject (non-zero exit, no advance) when the attestation is absent or does not match",
		both(i2_denies_without, count(i2_matching) > 0), "the gate denies the digest without a matching attestation, and admits only the matching one",
		"no matching attestation: the promotion must be rejected",
	),
	must(
		"I2.referrers-carried", "for images, carry referrers across registry boundaries (referrer-aware copy)",
		count(i2_matching) > 0, sprintf("the signed attestation was %s", [where_found]), "the image's attestation did not arrive with it",
	),
	must(
		"I2.outcome-signal", "record the verification outcome as a signal (I6), not only as a workflow log line",
		count(decision_signals) > 0, sprintf("an OTel decision record for the digest: %s", [paths(decision_signals)]),
		"no OTel LogRecord of a decision for this digest was supplied (tollgate's decision log writes one: serve's decision_log, or any tollgate.decision record)",
	),
]

i2_reason := sprintf("no %s attestation is bound to the digest (%d of that type present)", [predicate_type, count(typed)]) if count(typed_bound) == 0

else := sprintf("the %s attestation bound to the digest is not signed by a verified GitHub Actions identity under %s (signers: %s)", [predicate_type, owner_prefix, concat(", ", i2_signers)])

i2_signers := [n | some ev in typed_bound; some s in ev.signature.signers; n := object.get(s, "identity", object.get(s, "fingerprint", s.type))]

# ---- I3 Release-Attestation ---------------------------------------------------------------------------------

# Provenance by artifact class: SLSA v1 (OCI, blobs), PyPI publish (PEP 740), npm provenance/publish.
release_types := {slsa_v1, "https://docs.pypi.org/attestations/publish/v1", "https://github.com/npm/attestation/tree/main/specs/publish/v0.1"}

release_attestations := [ev | some ev in input.evidence; object.get(ev, ["statement", "predicateType"], "") in release_types]

release_bound := [ev | some ev in release_attestations; lib.subject_bound(ev); lib.signed_by_trusted(ev)]

workflow := object.union({"given": false, "path": "", "jobs": []}, object.get(p, "workflow", {}))

unused_jobs := [j.id | some j in object.get(workflow, "jobs", []); j.id_token_write; count(j.signing_steps) == 0]

musts["I3"] := [
	must(
		"I3.provenance", "produce a provenance attestation for each released artifact, by its class mechanism",
		count(release_bound) > 0, sprintf("%s", [concat(", ", sort({sprintf("%s (%s)", [ev.source.path, ev.statement.predicateType]) | some ev in release_bound}))]),
		sprintf("no signed provenance for the artifact by a trusted signer (%d release attestation(s) present)", [count(release_attestations)]),
	),
	must(
		"I3.bound", "bind the attestation to the artifact's content hash/digest",
		count([ev | some ev in release_attestations; lib.subject_bound(ev)]) > 0, "its subject digest is the artifact's",
		"no release attestation names the artifact's digest",
	),
	must(
		"I3.published", "publish the attestation alongside the artifact so a consumer can fetch and verify it",
		count(release_bound) > 0, sprintf("the attestation was %s", [where_found]), "no attestation published with the artifact",
	),
	must(
		"I3.signing-used", "NOT ship a release with id-token/signing capability present but unused",
		both(workflow.given == true, count(unused_jobs) == 0), i3_signing_pass,
		i3_signing_reason,
	),
]

i3_signing_pass := sprintf("%s: every job granted id-token: write signs (%s)", [workflow.path, concat("; ", [sprintf("%s: %s", [j.id, concat(", ", j.signing_steps)]) | some j in workflow.jobs; j.id_token_write])]) if {
	count([j | some j in workflow.jobs; j.id_token_write]) > 0
} else := sprintf("%s: no job is granted id-token: write", [object.get(workflow, "path", "")])

i3_signing_reason := "no release workflow given (--workflow FILE): granted-but-unused signing capability cannot be ruled out" if workflow.given != true

else := sprintf("%s: job(s) %s hold id-token: write but no step signs or attests", [workflow.path, concat(", ", unused_jobs)])

# ---- I4 Policy-Gate -----------------------------------------------------------------------------------------

g := object.union({"denies_without_evidence": false, "denies_other_signer": false, "denies_other_predicate": false, "revision": "", "signed": false, "admits": false, "deny": [], "policy": "the policy"}, object.get(p, "policy_gate", {}))

musts["I4"] := [
	must(
		"I4.deny-by-default", "deny by default when no matching attestation is present (fail closed)",
		g.denies_without_evidence == true, "the policy denies the digest with no evidence",
		sprintf("the policy admits the digest with no evidence at all (%s)", [g.policy]),
	),
	must(
		"I4.pins-type-and-signer", "pin predicate type AND signer identity in the policy, not merely that an attestation exists",
		both(g.denies_other_signer == true, g.denies_other_predicate == true), "the policy denies the conformant evidence re-signed by an untrusted signer and with another predicate type",
		i4_pin_reason,
	),
	must(
		"I4.policy-as-code", "express the policy as version-controlled policy-as-code",
		g.revision != "", sprintf("%s is a bundle at revision %s%s", [g.policy, g.revision, i4_signed]),
		sprintf("%s carries no revision (.manifest revision)", [g.policy]),
	),
	digest_must("I4.digest"),
	must(
		"I4.admits-conformant", "admit the artifact when a matching, verifiable attestation is present",
		g.admits == true, "the policy admits the conformant digest", sprintf("the policy denies the given evidence: %s", [concat("; ", object.get(g, "deny", []))]),
	),
	must(
		"I4.decision-signal", "emit an admit/deny decision signal (see I6)",
		count(decision_signals) > 0, sprintf("the gate's OTel decision record for the digest: %s", [paths(decision_signals)]),
		"no OTel LogRecord of the gate's decision for this digest was supplied (--evidence the gate's decision log: tollgate serve's decision_log, or any tollgate.decision record)",
	),
]

i4_signed := " (signed)" if g.signed == true

else := " (unsigned)"

i4_pin_reason := "the policy admits the evidence re-signed by an untrusted signer: it does not pin the signer" if g.denies_other_signer != true

else := "the policy admits the evidence with another predicate type: it does not pin the predicate type"

# ---- I5 Quality-Event ---------------------------------------------------------------------------------------

events := lib.evidence_of("quality-event")

q := object.union({"contract_valid": false, "contract_version": null, "contract_path": "the contract", "contract_standard": null, "event_problem": null, "previous_given": false, "breaking": []}, object.get(p, "quality", {}))

bad_events := [ev | some ev in events; ev.facts.contract_valid != true]

late_events := [ev | some ev in events; object.get(ev.facts, "sla_latency", null) != null; ev.facts.sla_latency.met != true]

no_sla := [ev | some ev in events; object.get(ev.facts, "sla_latency", null) == null]

musts["I5"] := [
	must(
		"I5.contract", "declare the event schema as a versioned, machine-readable data-contract document (Data Contract Specification or ODCS)",
		both(q.contract_valid == true, q.contract_version != null), sprintf("%s: %s version %s, valid against its standard's schema", [q.contract_path, q.contract_standard, q.contract_version]),
		sprintf("%s: %s", [q.contract_path, object.get(q, "contract_problem", "the contract declares no version")]),
	),
	must(
		"I5.fields", "emit the required pipeline-completion fields (pipeline, passed, pass_rate, duration_seconds) + envelope",
		both(q.event_problem == null, both(count(events) > 0, count(bad_events) == 0)), "every event carries the fields and envelope and satisfies its contract",
		i5_fields_reason,
	),
	must(
		"I5.compatibility", "gate schema changes with a backward-compatibility check that fails the build on a breaking change",
		both(q.previous_given == true, count(object.get(q, "breaking", [])) == 0), sprintf("no breaking change from %s", [object.get(q, "previous_path", "")]),
		i5_compat_reason,
	),
	must(
		"I5.sla", "publish to the declared transport within the declared SLA",
		both(count(events) > 0, both(count(no_sla) == 0, count(late_events) == 0)), "every event met the contract's declared latency",
		i5_sla_reason,
	),
]

i5_fields_reason := q.event_problem if q.event_problem != null

else := "no event" if count(events) == 0

else := concat("; ", [e | some ev in bad_events; some e in array.slice(ev.facts.contract_errors, 0, 3)])

i5_compat_reason := "no previous contract version given (previous_contract / --previous-contract FILE): a breaking change cannot be ruled out" if q.previous_given != true

else := sprintf("breaking change(s) from %s: %s", [q.previous_path, concat("; ", q.breaking)])

i5_sla_reason := "no event" if count(events) == 0

else := "the contract declares no latency SLA (ODCS slaProperties latency, DCS servicelevels.latency)" if count(no_sla) > 0

else := concat("; ", [c.reason | some ev in late_events; some c in ev.checks; c.name == "sla.latency"; not c.ok])

# ---- I6 Log-Contract ----------------------------------------------------------------------------------------

logs := lib.evidence_of("otel-log")

log_records := sum([ev.facts.record_count | some ev in logs])

missing_identity := {sprintf("%s (%d records)", [k, n]) | some ev in logs; some k, n in ev.facts.missing_required; k != "service.instance.id"}

no_build_link := [r.location | some ev in logs; some r in ev.facts.resources; r.record_count > 0; count(r.image_digests) == 0; count(r.revisions) == 0]

musts["I6"] := [
	must(
		"I6.log-record", "emit records matching the OTel LogRecord data model",
		both(count(logs) > 0, both(log_records > 0, count(input.errors) == 0)), sprintf("%d LogRecord(s) read", [log_records]),
		i6_shape_reason,
	),
	must(
		"I6.identity", "populate service.name, service.version and deployment.environment on every record's Resource",
		both(log_records > 0, count(missing_identity) == 0), "every record's Resource carries them",
		sprintf("missing: %s", [concat(", ", sort(missing_identity))]),
	),
	must(
		"I6.build-link", "carry the artifact image digest / revision where the runtime exposes it",
		both(log_records > 0, count(no_build_link) == 0), "every Resource names an image digest or org.opencontainers.image.revision",
		sprintf("no image digest or revision on %s", [concat(", ", no_build_link)]),
	),
	must(
		"I6.schema-in-ci", "validate the log schema in CI so a breaking change fails the build",
		count(log_contract_steps) > 0, sprintf("%s runs the log-contract check: %s", [workflow.path, concat(", ", log_contract_steps)]),
		i6_ci_reason,
	),
]

log_contract_steps := [sprintf("%s: %s", [j.id, st]) | some j in workflow.jobs; some st in object.get(j, "log_contract_steps", [])]

i6_ci_reason := "no CI workflow given (--workflow FILE): whether CI validates the log schema cannot be told" if workflow.given != true

else := sprintf("%s has no step running the log-contract check (tollgate conform I6, or verify-log-contract.sh)", [workflow.path])

i6_shape_reason := concat("; ", [sprintf("%s: %s", [e.source, e.message]) | some e in input.errors]) if count(input.errors) > 0

else := "no OTel log record found"

# ---- I7 Polyglot-Attestation --------------------------------------------------------------------------------

class := object.get(p, "class", "")

# Ecosystem-native signatures tollgate verifies: PEP 740 (Python), npm registry publish attestations, cosign
# image signatures (OCI/Helm). Other classes (.NET, JAR, Terraform, Go) sign the bytes with cosign sign-blob.
native_kinds := {
	"python": {"https://docs.pypi.org/attestations/publish/v1"},
	"npm": {"https://github.com/npm/attestation/tree/main/specs/publish/v0.1"},
}

signed_for_artifact := [ev | some ev in input.evidence; lib.signed_by_trusted(ev); i7_bound(ev)]

i7_bound(ev) if lib.subject_bound(ev)

i7_bound(ev) if {
	ev.kind == "image-signature"
	ev.facts.manifestDigest == sprintf("sha256:%s", [lib.subject_sha256])
}

native_signed := [] if not class in known_classes

else := [ev | some ev in signed_for_artifact; object.get(ev, ["statement", "predicateType"], "") in object.get(native_kinds, class, {})] if class in object.keys(native_kinds)

else := signed_for_artifact

i7_provenance_types := {slsa_v1, "https://docs.pypi.org/attestations/publish/v1", "https://github.com/npm/attestation/tree/main/specs/publish/v0.1"}

i7_provenance := [ev | some ev in signed_for_artifact; object.get(ev, ["statement", "predicateType"], "") in i7_provenance_types]

non_literal_slsa := [sprintf("%s (%s)", [ev.source.path, t]) | some ev in input.evidence; t := object.get(ev, ["statement", "predicateType"], ""); startswith(t, "https://slsa.dev/provenance/"); t != slsa_v1]

known_classes := {"python", "npm", "oci", "container", "helm", "go", "dotnet", "nuget", "java", "jar", "terraform", "blob"}

musts["I7"] := [
	must(
		"I7.signature", "produce a signature for the artifact using its ecosystem-native mechanism where one exists",
		both(class in known_classes, count(native_signed) > 0), sprintf("%s: signed for the artifact by a trusted signer: %s", [class, paths(native_signed)]),
		i7_sig_reason,
	),
	must(
		"I7.provenance", "produce a provenance attestation (PEP 740 / npm provenance / cosign / SLSA generator) bound to the artifact hash",
		count(i7_provenance) > 0, sprintf("%s", [concat(", ", sort({sprintf("%s (%s)", [ev.source.path, ev.statement.predicateType]) | some ev in i7_provenance}))]),
		"no signed provenance attestation bound to the artifact's hash",
	),
	must(
		"I7.published", "publish both so a consumer can verify provenance without the build system",
		both(count(native_signed) > 0, count(i7_provenance) > 0), sprintf("signature and provenance %s", [where_found]),
		"signature and provenance are not both available to the consumer",
	),
	must(
		"I7.literal-v1", "use the literal SLSA provenance/v1 predicate type where SLSA provenance is emitted",
		count(non_literal_slsa) == 0, "no other spelling of the SLSA provenance predicate type", sprintf("not the literal %s: %s", [slsa_v1, concat(", ", non_literal_slsa)]),
	),
]

i7_sig_reason := sprintf("class %s is not one of %s", [class, concat(", ", sort(known_classes))]) if not class in known_classes

else := sprintf("no %s-native signature verified for the artifact", [class])

# ---- I8 DAST-Evidence ---------------------------------------------------------------------------------------

dast_typed := [ev | some ev in input.evidence; object.get(ev, ["statement", "predicateType"], "") == predicate_type; lib.subject_bound(ev)]

dast_signed := [ev | some ev in dast_typed; lib.signed_by_trusted(ev)]

i8_gate_denies := {d.msg | some d in gate.deny; startswith(d.rule, "I8.")}

default i8_denies_without := false

i8_denies_without if {
	not gate.decision.allow with input.evidence as [] with data.required_evidence as ["dast"]
}

musts["I8"] := [
	must(
		"I8.result-bound", "export the scan result in a machine-readable format bound to the artifact digest",
		count(dast_typed) > 0, sprintf("%s result bound to the digest: %s", [predicate_type, paths(dast_typed)]),
		sprintf("no %s statement whose subject is the digest", [predicate_type]),
	),
	must(
		"I8.signed", "sign it as an in-toto attestation with a declared predicate type",
		count(dast_signed) > 0, sprintf("signed by a trusted signer: %s", [paths(dast_signed)]),
		sprintf("the %s attestation is not signed by a trusted signer", [predicate_type]),
	),
	must(
		"I8.gate-fails-closed", "have the release gate verify the attestation and fail closed when it is absent or failing",
		both(i8_denies_without, both(count(dast_signed) > 0, count(i8_gate_denies) == 0)), "the gate admits this passing DAST attestation and denies the digest without one",
		i8_gate_reason,
	),
]

i8_gate_reason := concat("; ", sort(i8_gate_denies)) if count(i8_gate_denies) > 0

else := "no passing, signed DAST attestation for the digest"
