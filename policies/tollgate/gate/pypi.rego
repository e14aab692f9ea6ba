# PyPI (PEP 740): attestations and provenance objects, verified as pypi-attestations does. A publish
# attestation (kind pypi-publish) is relied on like any Sigstore evidence: signed by a trusted identity
# (--certificate-identity/--certificate-oidc-issuer or data.trusted_signers) and bound to the artifact by sha256
# and by its distribution filename. Require it with data.required_evidence: ["pypi-publish"]; pin Trusted
# Publishers with data.pypi_publishers: [{kind, repository, workflow, environment?}]. SLSA provenance stays
# required unless data.provenance_required is false (see slsa.rego).
package tollgate.gate

import data.tollgate.lib

default pypi_publishers := []

pypi_publishers := data.pypi_publishers

pypi_evidence := [ev | some ev in input.evidence; ev.facts.pypi]

pypi_deny contains lib.result_sev(
	"pypi.verified",
	sprintf("PyPI attestation (%s) does not verify: %s: %s", [ev.facts.pypi.location, c.name, object.get(c, "reason", "failed")]),
	ev.source.path, "critical", "ship the attestation PyPI serves for this distribution, and the trusted root it was logged under",
) if {
	some ev in pypi_evidence
	some c in ev.checks
	not c.ok
}

pypi_deny contains lib.result_sev(
	"pypi.signer-identity",
	sprintf("PyPI attestation signed by %s, which is not a trusted signer", [concat(", ", signer_names(ev))]),
	ev.source.path, "critical",
	"trust the publisher's identity with --certificate-identity and --certificate-oidc-issuer, or data.trusted_signers",
) if {
	some ev in pypi_evidence
	lib.signature_verified(ev)
	not lib.signed_by_trusted(ev)
}

pypi_deny contains lib.result_sev(
	"pypi.subject-digest",
	sprintf("PyPI attestation subject %s (%s) is not the artifact %s", [s.name, lib.digest_text(s.digest), lib.subject_text]),
	ev.source.path, "critical", "verify the distribution the attestation was made for (by its sha256)",
) if {
	some ev in pypi_evidence
	lib.subject_given
	not lib.subject_bound(ev)
	some s in ev.statement.subject
}

pypi_deny contains lib.result_sev(
	"pypi.distribution",
	sprintf("PyPI attestation is for %s, the artifact is %s", [ev.facts.pypi.distribution, input.context.subject.name]),
	ev.source.path, "critical", "name the artifact by the distribution filename PyPI serves (the attestation's subject)",
) if {
	some ev in pypi_evidence
	input.context.subject.name
	ev.facts.pypi.distribution != null
	ev.facts.pypi.distribution != input.context.subject.name
}

pypi_deny contains lib.result_sev(
	"pypi.publisher",
	sprintf("PyPI attestation publisher %s is not one of the pinned Trusted Publishers", [publisher_name(ev.facts.pypi.publisher)]),
	ev.source.path, "critical", "publish through a pinned Trusted Publisher, or pin this one in data.pypi_publishers",
) if {
	count(pypi_publishers) > 0
	some ev in pypi_evidence
	not pinned_publisher(ev.facts.pypi.publisher)
}

publisher_name(null) := "none (a bare attestation records no publisher; use PyPI's provenance object)"

publisher_name(p) := sprintf("%s %s %s (environment %v)", [p.kind, p.repository, p.workflow, p.environment]) if p != null

pinned_publisher(p) if {
	p != null
	some pin in pypi_publishers
	pin.kind == p.kind
	pin.repository == p.repository
	pin.workflow == p.workflow
	object.get(pin, "environment", p.environment) == p.environment
}

# The rules above fill pypi_deny, which join the gate's deny only when
# there is evidence for them to judge: every one of them needs some, and skipping them all at once keeps an
# evaluation from visiting each rule body (and, in the WASM target, keeps the deny function small).
deny contains r if {
	count(pypi_evidence) > 0
	some r in pypi_deny
}
