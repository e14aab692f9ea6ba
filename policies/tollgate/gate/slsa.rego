# I1 / I3 / I4 / I7: SLSA provenance v1, signed by a trusted signer, bound to the artifact's digest.
# Admission needs at least one such attestation (deny-by-default); each thing wrong with provenance that
# is present is denied under its own rule id so the report says exactly what to fix.
package tollgate.gate

import data.tollgate.lib

slsa_v1 := "https://slsa.dev/provenance/v1"

slsa_v02 := "https://slsa.dev/provenance/v0.2"

default trusted_builders := []

trusted_builders := data.trusted_builders

provenance_v1 := [ev | some ev in input.evidence; ev.statement.predicateType == slsa_v1]

# Provenance the gate can rely on: v1, verified for a trusted signer, bound, no custom metadata misuse,
# built by a pinned builder from the expected source, build type and dependencies (when data names them).
# An array, not a set: rules iterate it several times per decision, and iterating a set of records in the
# WASM target hashes every whole record at each step (the biggest cost of a warm decision).
admissible_provenance := [ev |
	some ev in provenance_v1
	lib.relied_on(ev)
	count(ev.facts.custom_metadata.violations) == 0
	builder_ok(ev)
	kettle_level_ok(ev)
	count(provenance_expectation_failures(ev)) == 0
]

# Expectations, like slsa-verifier's --source-uri / --source-tag / --builder-id (trusted_builders):
#   expected_source_uri: "github.com/acme/app"      (git+https://… and .git are normalized away)
#   expected_source_ref: "refs/tags/v1.4.2"         (the ref the source was built at)
#   expected_build_type: "https://actions.github.io/buildtypes/workflow/v1"
#   required_resolved_dependencies: [{uri: "git+https://github.com/acme/app@refs/tags/v1.4.2", digest: {gitCommit: "…"}}]
#     each must be among resolvedDependencies: the uri equal (when given) and every digest given equal.
normalize_source_uri(u) := trim_right(trim_suffix(strip_scheme(trim_prefix(u, "git+")), ".git"), "/")

strip_scheme(u) := substring(u, indexof(u, "://") + 3, -1) if indexof(u, "://") >= 0

else := u

provenance_source_repository(ev) := ev.facts.source.repository if ev.facts.source.repository != null

else := "none"

provenance_source_ref(ev) := ev.facts.source.ref if ev.facts.source.ref != null

else := "none"

default required_resolved_dependencies := []

required_resolved_dependencies := data.required_resolved_dependencies

provenance_expectation_failures(ev) := {f.msg | some f in provenance_expectation; f.id == ev.id}

provenance_expectation contains {"id": ev.id, "rule": "I1.expected-source-uri", "msg": msg} if {
	is_string(data.expected_source_uri)
	some ev in provenance_v1
	provenance_source_repository(ev) != normalize_source_uri(data.expected_source_uri)
	msg := sprintf("provenance source repository %s is not the expected %s", [provenance_source_repository(ev), normalize_source_uri(data.expected_source_uri)])
}

provenance_expectation contains {"id": ev.id, "rule": "I1.expected-source-ref", "msg": msg} if {
	is_string(data.expected_source_ref)
	some ev in provenance_v1
	provenance_source_ref(ev) != data.expected_source_ref
	msg := sprintf("provenance source ref %s is not the expected %s", [provenance_source_ref(ev), data.expected_source_ref])
}

provenance_expectation contains {"id": ev.id, "rule": "I1.expected-build-type", "msg": msg} if {
	is_string(data.expected_build_type)
	some ev in provenance_v1
	ev.facts.build_type != data.expected_build_type
	msg := sprintf("provenance build type %s is not the expected %s", [ev.facts.build_type, data.expected_build_type])
}

provenance_expectation contains {"id": ev.id, "rule": "I1.resolved-dependency", "msg": msg} if {
	some ev in provenance_v1
	some want in required_resolved_dependencies
	not dependency_resolved(ev, want)
	msg := sprintf("provenance resolvedDependencies has no %s", [describe_dependency(want)])
}

dependency_resolved(ev, want) if {
	some dep in ev.facts.resolved_dependencies
	object.get(want, "uri", dep.uri) == dep.uri
	every alg, value in object.get(want, "digest", {}) {
		lower(object.get(dep.digest, alg, "")) == lower(value)
	}
}

describe_dependency(want) := sprintf("%s with %s", [object.get(want, "uri", "dependency"), concat(", ", [sprintf("%s:%s", [alg, v]) | some alg, v in object.get(want, "digest", {})])])

slsa_deny contains lib.result_sev(
	f.rule, f.msg, ev.source.path, "critical",
	"release from the expected source, ref and build type, or correct the expectation in the gate's data",
) if {
	some ev in provenance_v1
	some f in provenance_expectation
	f.id == ev.id
}

# kettle_min_build_level: the SLSA Build level (1-3) a Kettle build must reach (facts.kettle.slsa_build_level).
default kettle_min_build_level := 0

kettle_min_build_level := data.kettle_min_build_level

kettle_level_ok(ev) if not ev.facts.kettle

kettle_level_ok(_) if kettle_min_build_level == 0

kettle_level_ok(ev) if ev.facts.kettle.slsa_build_level >= kettle_min_build_level

slsa_deny contains lib.result_sev(
	"I1.slsa-build-level",
	sprintf("Kettle build reaches SLSA Build L%d, below the required L%d: %s", [ev.facts.kettle.slsa_build_level, kettle_min_build_level, ev.facts.kettle.slsa_build_level_reason]),
	ev.source.path, "high", "build on a confidential VM with debugging off, whose hardware evidence verifies and binds the provenance",
) if {
	some ev in provenance_v1
	not kettle_level_ok(ev)
}

# SLSA provenance is required unless the gate's data waives it in favour of other required evidence (a PyPI
# gate that admits on publish attestations sets provenance_required: false, required_evidence: [pypi-publish]);
# with nothing else required the waiver does not apply, so the gate stays deny-by-default.
provenance_waived if {
	data.provenance_required == false
	count(lib.required_kinds) > 0
}

builder_ok(_) if count(trusted_builders) == 0

builder_ok(ev) if ev.facts.builder_id in trusted_builders

deny contains lib.result_sev(
	"I1.provenance-required",
	sprintf("no %s attestation verified for a trusted signer and bound to subject %s", [slsa_v1, lib.subject_text]),
	null, "critical",
	"attach signed SLSA provenance v1 whose subject digest is the artifact's, signed by a key or identity the gate trusts",
) if {
	lib.subject_given
	not provenance_waived
	count(admissible_provenance) == 0
}

deny contains lib.result_sev(
	"I1.provenance-predicate",
	sprintf("superseded predicate type %s; new builds must emit %s", [slsa_v02, slsa_v1]),
	ev.source.path, "high", "regenerate provenance with a SLSA v1 generator",
) if {
	some ev in input.evidence
	ev.statement.predicateType == slsa_v02
}

slsa_deny contains lib.result_sev(
	"I1.provenance-signature",
	sprintf("provenance signature did not verify: %s", [ev.signature.reason]),
	ev.source.path, "critical", signature_remediation(ev),
) if {
	some ev in provenance_v1
	ev.signature.status == "failed"
}

# A Kettle build's provenance is "signed" by the hardware that bound it: there is no key to re-sign with.
signature_remediation(ev) := "ship the provenance the TEE bound, with the hardware evidence and artifacts of the same build" if ev.facts.kettle

else := "re-sign the attestation, or supply the key/trusted root that signed it"

# A v1 statement whose predicate failed its schema has no facts, so it is not admissible: say why, not only
# "no provenance". A Kettle build's failed integrity (artifacts vs subjects) is tee.kettle.artifacts's.
slsa_deny contains lib.result_sev(
	"I1.provenance-integrity",
	sprintf("provenance does not verify: %s", [object.get(ev.integrity, "reason", "no reason recorded")]),
	ev.source.path, "critical", "emit a statement whose predicate validates as SLSA provenance v1",
) if {
	some ev in provenance_v1
	ev.integrity.status == "failed"
	not ev.facts.kettle
}

slsa_deny contains lib.result_sev(
	"I1.provenance-signature",
	"provenance is unsigned",
	ev.source.path, "critical", "sign the attestation (DSSE or a Sigstore bundle)",
) if {
	some ev in provenance_v1
	ev.signature.status == "unsigned"
}

slsa_deny contains lib.result_sev(
	"I4.signer-identity",
	sprintf("provenance signed by %s, which is not a trusted signer", [concat(", ", signer_names(ev))]),
	ev.source.path, "critical",
	"trust this signer with --key, --certificate-identity and --certificate-oidc-issuer, or data.trusted_signers",
) if {
	some ev in provenance_v1
	lib.signature_verified(ev)
	not lib.signed_by_trusted(ev)
}

signer_names(ev) := [name |
	some s in ev.signature.signers
	name := signer_name(s)
]

signer_name(s) := sprintf("key %s", [s.fingerprint]) if s.type == "key"

signer_name(s) := sprintf("%s (issuer %s)", [s.identity, s.issuer]) if s.type == "keyless"

signer_name(s) := sprintf("%s hardware (%s)", [s.platform, s.root]) if s.type == "hardware"

slsa_deny contains lib.result_sev(
	"I1.subject-digest",
	sprintf("provenance subject digests [%s] do not include the artifact's %s%s", [lib.subject_digests_text(ev), lib.subject_text, subject_mismatch_note(ev)]),
	ev.source.path, "critical", "attest the artifact actually being released (by its sha256, sha384 or sha512)",
) if {
	some ev in provenance_v1
	lib.subject_given
	not lib.subject_bound(ev)
}

# Why a subject did not bind, when it is not simply another artifact.
subject_mismatch_note(ev) := " (a subject matches one digest and contradicts another)" if {
	lib.subject_contradicted(ev)
} else := " (no algorithm in common: give --artifact FILE so each algorithm the evidence names is computed)" if {
	not shares_algorithm(ev)
} else := ""

shares_algorithm(ev) if {
	some s in lib.evidence_subjects(ev)
	some alg in lib.strong_algorithms
	s.digest[alg]
	lib.subject_digest[alg]
}

slsa_deny contains lib.result_sev(
	"I1.custom-metadata",
	sprintf("%s: %s", [v.path, v.reason]),
	ev.source.path, "medium",
	"carry custom build metadata only in buildDefinition.externalParameters, named <vendor>_<field>",
) if {
	some ev in provenance_v1
	some v in ev.facts.custom_metadata.violations
}

slsa_deny contains lib.result_sev(
	"I1.builder-id",
	sprintf("builder %s is not one of the pinned builders [%s]", [ev.facts.builder_id, concat(", ", trusted_builders)]),
	ev.source.path, "critical", "build on a pinned builder, or pin this one in data.trusted_builders",
) if {
	count(trusted_builders) > 0
	some ev in provenance_v1
	not ev.facts.builder_id in trusted_builders
}

slsa_warn contains lib.result_sev(
	"I1.builder-id",
	sprintf("builder ids are not pinned; accepted %s", [ev.facts.builder_id]),
	ev.source.path, "low", "pin expected builders in data.trusted_builders",
) if {
	count(trusted_builders) == 0
	some ev in admissible_provenance
}

slsa_deny contains lib.result_sev(
	"I1.transparency-log",
	sprintf("transparency log entry did not verify: %s", [ev.transparency.reason]),
	ev.source.path, "high", "re-submit the signature to the transparency log, or supply the right trusted root",
) if {
	some ev in provenance_v1
	ev.transparency.status == "failed"
}

slsa_warn contains lib.result_sev(
	"I1.transparency-log",
	"provenance signature is not recorded in a transparency log",
	ev.source.path, "low", "sign through Sigstore (Fulcio + Rekor) or another transparency-logged signer",
) if {
	some ev in admissible_provenance
	ev.transparency.status == "absent"
	not hardware_signed(ev)
}

hardware_signed(ev) if {
	some s in ev.signature.signers
	s.type == "hardware"
}

slsa_warn contains lib.result_sev(
	"I1.build-type",
	sprintf("build type %s is not one tollgate knows; custom metadata in externalParameters cannot be told from defined fields", [ev.facts.build_type]),
	ev.source.path, "info", "use a well-known build type, or name custom fields <vendor>_<field>",
) if {
	some ev in admissible_provenance
	ev.facts.known_build_type == false
}

# The rules above fill slsa_deny and slsa_warn, which join the gate's deny and warn only when
# there is evidence for them to judge: every one of them needs some, and skipping them all at once keeps an
# evaluation from visiting each rule body (and, in the WASM target, keeps the deny function small).
deny contains r if {
	count(provenance_v1) > 0
	some r in slsa_deny
}

warn contains r if {
	count(provenance_v1) > 0
	some r in slsa_warn
}
