# SLSA Verification Summary Attestations (https://slsa.dev/verification_summary/v1), read as slsa-verifier's
# verify-vsa reads them: signed by a trusted signer, bound to the subject, PASSED, from a trusted verifier
# (data.trusted_vsa_verifiers), for the expected resource (data.expected_vsa_resource_uri), with the required
# levels (data.vsa_required_levels: SLSA_<TRACK>_LEVEL_<n> is a minimum per track, any other value must be
# listed as is). A FAILED VSA denies whoever signed it. Presence, when required, is gate.required-evidence.
package tollgate.gate

import data.tollgate.lib

vsas := lib.evidence_of("vsa")

default trusted_vsa_verifiers := []

trusted_vsa_verifiers := data.trusted_vsa_verifiers

default vsa_required_levels := []

vsa_required_levels := data.vsa_required_levels

vsa_verifier_ok(_) if count(trusted_vsa_verifiers) == 0

vsa_verifier_ok(ev) if ev.facts.verifier_id in trusted_vsa_verifiers

default expected_vsa_resource_uri := null

expected_vsa_resource_uri := data.expected_vsa_resource_uri

vsa_resource_ok(_) if expected_vsa_resource_uri == null

vsa_resource_ok(ev) if ev.facts.resource_uri == expected_vsa_resource_uri

# The required levels this VSA does not reach.
vsa_missing_levels(ev) := {want |
	some want in vsa_required_levels
	not vsa_level_met(ev, want)
}

vsa_level_met(ev, want) if {
	not startswith(want, "SLSA_")
	want in ev.facts.verified_levels
}

vsa_level_met(ev, want) if {
	[track, n] := vsa_track_level(want)
	ev.facts.track_levels[track] >= n
}

vsa_track_level(s) := [parts[1], to_number(parts[3])] if {
	parts := split(s, "_")
	count(parts) == 4
	parts[0] == "SLSA"
	parts[2] == "LEVEL"
	regex.match(`^(0|[1-9][0-9]*)$`, parts[3])
}

# A VSA the gate relies on.
admissible_vsa contains ev if {
	some ev in vsas
	lib.relied_on(ev)
	ev.facts.passed
	vsa_verifier_ok(ev)
	vsa_resource_ok(ev)
	count(vsa_missing_levels(ev)) == 0
}

vsa_deny contains lib.result_sev(
	"vsa.failed",
	sprintf("verifier %s reports FAILED for %s (policy %s)", [ev.facts.verifier_id, ev.facts.resource_uri, object.get(ev.facts.policy, "uri", "?")]),
	ev.source.path, "critical", "the artifact failed its verifier's policy: fix what the verifier rejected and have it verify again",
) if {
	some ev in vsas
	ev.facts.result == "FAILED"
}

vsa_deny contains lib.result_sev(
	"vsa.signature",
	sprintf("VSA signature %s: %s", [ev.signature.status, object.get(ev.signature, "reason", "no signature")]),
	ev.source.path, "critical", "a VSA counts only when signed by its verifier: verify with the verifier's key (--key) or trusted identity",
) if {
	some ev in vsas
	ev.signature.status != "verified"
}

vsa_deny contains lib.result_sev(
	"vsa.signer",
	sprintf("VSA from %s is signed by a signer the gate does not trust", [ev.facts.verifier_id]),
	ev.source.path, "critical", "trust the verifier's key with --key or data.trusted_signers",
) if {
	some ev in vsas
	lib.signature_verified(ev)
	not lib.signed_by_trusted(ev)
}

vsa_deny contains lib.result_sev(
	"vsa.verifier",
	sprintf("VSA verifier %s is not a trusted verifier (%s)", [ev.facts.verifier_id, concat(", ", trusted_vsa_verifiers)]),
	ev.source.path, "critical", "accept VSAs only from the verifiers listed in data.trusted_vsa_verifiers",
) if {
	some ev in vsas
	not vsa_verifier_ok(ev)
}

vsa_deny contains lib.result_sev(
	"vsa.resource-uri",
	sprintf("VSA resourceUri %s is not the expected %s", [ev.facts.resource_uri, expected_vsa_resource_uri]),
	ev.source.path, "high", "use the VSA issued for this resource, or correct data.expected_vsa_resource_uri",
) if {
	some ev in vsas
	not vsa_resource_ok(ev)
}

vsa_deny contains lib.result_sev(
	"vsa.levels",
	sprintf("VSA verified levels [%s] do not reach %s", [concat(", ", ev.facts.verified_levels), concat(", ", sort(vsa_missing_levels(ev)))]),
	ev.source.path, "high", "the artifact must be verified at the levels in data.vsa_required_levels",
) if {
	some ev in vsas
	ev.facts.passed
	count(vsa_missing_levels(ev)) > 0
}

vsa_deny contains lib.result_sev(
	"vsa.subject",
	sprintf("VSA subjects (%s) do not name subject %s", [lib.subject_digests_text(ev), lib.subject_text]),
	ev.source.path, "critical", "use the VSA issued for this artifact's digest",
) if {
	some ev in vsas
	lib.subject_given
	not lib.subject_bound(ev)
}

# The levels this decision verifies, for the VSA tollgate emits (--emit-vsa): "FAILED" on deny (as the VSA
# spec says), else the highest SLSA Build level of what admitted: a Kettle build's own level; L2 for signed
# provenance from a pinned builder (data.trusted_builders: a hosted platform that signs its provenance), L1
# for other signed provenance; a trusted VSA's build level; L0 when nothing establishes more.
gate_build_levels contains 0

gate_build_levels contains ev.facts.kettle.slsa_build_level if {
	some ev in admissible_provenance
	ev.facts.kettle
}

gate_build_levels contains 2 if {
	some ev in admissible_provenance
	not ev.facts.kettle
	count(trusted_builders) > 0
}

gate_build_levels contains 1 if {
	some ev in admissible_provenance
	not ev.facts.kettle
}

gate_build_levels contains ev.facts.build_level if {
	some ev in admissible_vsa
	is_number(ev.facts.build_level)
}

verified_levels := ["FAILED"] if not allow

else := [gate_level_names[max(gate_build_levels)]] if gate_level_names[max(gate_build_levels)]

else := [sprintf("SLSA_BUILD_LEVEL_%d", [max(gate_build_levels)])]

# The usual levels' names spelled out: sprintf is a host call in the WASM target (its arguments and result
# cross as JSON), and on an admitting decision it was the one left; any other level still goes through sprintf.
gate_level_names := ["SLSA_BUILD_LEVEL_0", "SLSA_BUILD_LEVEL_1", "SLSA_BUILD_LEVEL_2", "SLSA_BUILD_LEVEL_3", "SLSA_BUILD_LEVEL_4"]

# The rules above fill vsa_deny, which join the gate's deny only when
# there is evidence for them to judge: every one of them needs some, and skipping them all at once keeps an
# evaluation from visiting each rule body (and, in the WASM target, keeps the deny function small).
deny contains r if {
	"vsa" in lib.kinds_present
	some r in vsa_deny
}
