# Helpers shared by every gate rule: which evidence counts as verified, trusted and bound to the subject.
package tollgate.lib

# The subject under evaluation: its in-toto DigestSet (sha256, sha384, sha512), when the caller named one.
subject_digest := input.context.subject.digest

# The algorithms that verify and bind. Any other DigestSet entry (gitCommit, gce_image_id, …) is an opaque fact.
strong_algorithms := ["sha256", "sha384", "sha512"]

# A subject was named by at least one strong digest.
subject_given if {
	some alg in strong_algorithms
	subject_digest[alg]
}

# The subject's sha256 (OCI image digests are sha256 by definition), when known.
subject_sha256 := subject_digest.sha256

# "sha256:… sha512:…": the subject's digests for messages; never undefined.
subject_text := digest_text(subject_digest) if subject_given

else := "(no subject given)"

# `alg := …[_]` rather than `some alg in …` inside the comprehension: regorus 0.14 rejects the latter
# ("var alg used before definition"), and bench/cold.sh times regorus on these very files.
digest_text(d) := concat(" ", [sprintf("%s:%s", [alg, d[alg]]) | alg := strong_algorithms[_]; d[alg]]) if {
	some alg in strong_algorithms
	d[alg]
}

else := concat(" ", [sprintf("%s:%s", [k, v]) | some k, v in d])

# What the evidence is about: its statement's subjects, or (a message signature) its own subject list.
evidence_subjects(ev) := ev.statement.subject

evidence_subjects(ev) := ev.subject if not ev.statement

# The strong algorithms the subject has a value for (subject_named_algorithms: any value, as `==` sees it;
# subject_truthy_algorithms: a value other than false, as a bare `subject_digest[alg]` sees it). Found once per
# decision, so the binding rules below walk the one or two algorithms a subject names, not all three for every
# subject entry of every piece of evidence.
subject_named_algorithms := [alg | some alg in strong_algorithms; _ = subject_digest[alg]]

subject_truthy_algorithms := [alg | some alg in strong_algorithms; subject_digest[alg]]

# A digest set agrees with the subject on some strong algorithm…
digest_agrees(d) if {
	some alg in subject_named_algorithms
	d[alg] == subject_digest[alg]
}

# …and disagrees on some strong algorithm both name.
digest_disagrees(d) if {
	some alg in subject_truthy_algorithms
	d[alg]
	d[alg] != subject_digest[alg]
}

# A subject entry names the artifact: one verified strong algorithm matches and none contradicts.
digest_matches(d) if {
	digest_agrees(d)
	not digest_disagrees(d)
}

# An entry claiming the artifact by one algorithm and something else by another: never binds, and taints
# the whole piece of evidence (a sha256 match with a contradicting sha512 is a deny, not a match).
subject_contradicted(ev) if {
	some s in evidence_subjects(ev)
	digest_agrees(s.digest)
	digest_disagrees(s.digest)
}

# Some subject of the evidence names the artifact, and none contradicts it: some entry agrees, and no entry
# that agrees also disagrees (the same as "some entry digest_matches and not subject_contradicted", in one walk).
subject_bound(ev) if {
	agreeing := [s | some s in evidence_subjects(ev); digest_agrees(s.digest)]
	count(agreeing) > 0
	every s in agreeing {
		not digest_disagrees(s.digest)
	}
}

# Every subject digest of the evidence, for messages ("sha256:… | sha512:…").
subject_digests_text(ev) := concat(", ", [digest_text(s.digest) | some s in evidence_subjects(ev)])

# Evidence of one kind.
evidence_of(kind) := [ev | some ev in input.evidence; ev.kind == kind]

# The kinds present, found in one walk: each area's rules are skipped as a whole when its kind is absent.
kinds_present := {ev.kind | some ev in input.evidence}

# Signature verified cryptographically (says nothing about whether the signer is trusted).
signature_verified(ev) if ev.signature.status == "verified"

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
