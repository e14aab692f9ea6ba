# Artifact signatures (kind artifact-signature): a signature over the artifact itself — cosign sign-blob's
# message-signature bundle or its bare --output-signature — rather than over an in-toto statement. Its
# `subject` is the digest that was signed. One that is present must verify, come from a trusted signer and be
# about the artifact; "artifact-signature" in data.required_evidence makes one required.
package tollgate.gate

import data.tollgate.lib

artifact_signatures := lib.evidence_of("artifact-signature")

artifact_signature_deny contains lib.result_sev(
	"artifact-signature.signature",
	sprintf("artifact signature did not verify: %s", [object.get(ev.signature, "reason", "no signature verified")]),
	ev.source.path, "critical", "give the artifact the signature was made over and the key (--key) or identity that made it",
) if {
	some ev in artifact_signatures
	not lib.signature_verified(ev)
}

artifact_signature_deny contains lib.result_sev(
	"artifact-signature.signer",
	sprintf("artifact signed by %s, which is not a trusted signer", [concat(", ", signer_names(ev))]),
	ev.source.path, "critical", "trust this signer with --key, --certificate-identity and --certificate-oidc-issuer, or data.trusted_signers",
) if {
	some ev in artifact_signatures
	lib.signature_verified(ev)
	not lib.signed_by_trusted(ev)
}

artifact_signature_deny contains lib.result_sev(
	"artifact-signature.subject",
	sprintf("the signature is over %s, not the artifact's %s", [lib.subject_digests_text(ev), lib.subject_text]),
	ev.source.path, "critical", "sign the artifact being released (cosign sign-blob)",
) if {
	some ev in artifact_signatures
	lib.signature_verified(ev)
	lib.subject_given
	not lib.subject_bound(ev)
}

# The rules above fill artifact_signature_deny, which join the gate's deny only when
# there is evidence for them to judge: every one of them needs some, and skipping them all at once keeps an
# evaluation from visiting each rule body (and, in the WASM target, keeps the deny function small).
deny contains r if {
	"artifact-signature" in lib.kinds_present
	some r in artifact_signature_deny
}
