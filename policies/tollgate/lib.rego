# Helpers shared by every gate rule: which evidence counts as verified, trusted and bound to the subject.
package tollgate.lib

# The subject under evaluation (hex sha256), when the caller named one.
subject_sha256 := input.context.subject.digest.sha256

# Evidence of one kind.
evidence_of(kind) := [ev | some ev in input.evidence; ev.kind == kind]

# Signature verified cryptographically (says nothing about whether the signer is trusted).
signature_verified(ev) if ev.signature.status == "verified"

# Some subject of the statement carries the artifact's sha256.
subject_bound(ev) if {
	some s in ev.statement.subject
	s.digest.sha256 == subject_sha256
}

# Trusted signers: from the invocation (--key, --certificate-identity/--certificate-oidc-issuer) and from data.
trusted_key_fingerprints contains fp if some fp in input.context.trust.keys

trusted_key_fingerprints contains fp if some fp in data.trusted_signers.keys

trusted_identities contains {"issuer": i.issuer, "identity": i.identity} if some i in input.context.trust.identities

trusted_identities contains {"issuer": i.issuer, "identity": i.identity} if some i in data.trusted_signers.identities

trusted_signer(s) if {
	s.type == "key"
	s.fingerprint in trusted_key_fingerprints
}

trusted_signer(s) if {
	s.type == "keyless"
	{"issuer": s.issuer, "identity": s.identity} in trusted_identities
}

# Hardware-rooted signers are trusted when their hardware evidence verified (TEE rules pin the rest).
trusted_signer(s) if s.type == "hardware"

signed_by_trusted(ev) if {
	signature_verified(ev)
	some s in ev.signature.signers
	trusted_signer(s)
}

# Verified, trusted and bound: the evidence a gate may rely on.
relied_on(ev) if {
	signed_by_trusted(ev)
	subject_bound(ev)
}

# A hardware report has no statement subject: its binding is its report data, checked by the TEE rules.
relied_on(ev) if {
	ev.kind == "tee-report"
	ev.hardware.status == "verified"
	signed_by_trusted(ev)
}

required_kinds contains k if some k in data.required_evidence

result(rule, msg, path) := {"rule": rule, "msg": msg, "evidence": path}

result_sev(rule, msg, path, severity, remediation) := {
	"rule": rule, "msg": msg, "evidence": path,
	"severity": severity, "remediation": remediation,
}
