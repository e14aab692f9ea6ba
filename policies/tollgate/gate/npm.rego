# npm: the registry's publish attestation (https://github.com/npm/attestation/tree/main/specs/publish/v0.1),
# bare, in a Sigstore bundle or in the registry's attestations response. Its subject is the tarball
# (pkg:npm/<name>@<version>, sha512 only); npm provenance beside it is SLSA provenance v1 and gated by slsa.rego.
# A publish attestation that is present must verify, come from a trusted signer (npm's registry key, --key),
# name the package its predicate names, and be about the artifact; "npm-publish" in data.required_evidence
# makes one required.
package tollgate.gate

import data.tollgate.lib

npm_publish := lib.evidence_of("npm-publish")

npm_deny contains lib.result_sev(
	"npm.publish-signature",
	sprintf("npm publish attestation did not verify: %s", [object.get(ev.signature, "reason", "no signature verified")]),
	ev.source.path, "critical", "use the attestation exactly as the registry serves it (GET /-/npm/v1/attestations/<name>@<version>)",
) if {
	some ev in npm_publish
	not lib.signature_verified(ev)
}

npm_deny contains lib.result_sev(
	"npm.publish-signer",
	sprintf("npm publish attestation signed by %s, which is not a trusted signer", [concat(", ", signer_names(ev))]),
	ev.source.path, "critical", "trust the npm registry's signing key (https://registry.npmjs.org/-/npm/v1/keys) with --key or data.trusted_signers.keys",
) if {
	some ev in npm_publish
	lib.signature_verified(ev)
	not lib.signed_by_trusted(ev)
}

npm_deny contains lib.result_sev(
	"npm.publish-subject",
	sprintf("npm publish attestation subject digests [%s] do not include the artifact's %s", [lib.subject_digests_text(ev), lib.subject_text]),
	ev.source.path, "critical", "gate the tarball the registry published (npm pack <name>@<version>), or its dist.integrity with --subject",
) if {
	some ev in npm_publish
	lib.subject_given
	not lib.subject_bound(ev)
}

npm_deny contains lib.result_sev(
	"npm.publish-package",
	sprintf("npm publish attestation is for %s but its subject is named %s", [ev.facts.purl, concat(", ", ev.facts.subject_names)]),
	ev.source.path, "critical", "a publish attestation must name the package it was published for",
) if {
	some ev in npm_publish
	ev.facts.purl_matches == false
}

# The rules above fill npm_deny, which join the gate's deny only when
# there is evidence for them to judge: every one of them needs some, and skipping them all at once keeps an
# evaluation from visiting each rule body (and, in the WASM target, keeps the deny function small).
deny contains r if {
	"npm-publish" in lib.kinds_present
	some r in npm_deny
}
