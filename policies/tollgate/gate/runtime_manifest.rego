# invarlock runtime provenance (runtime.manifest.json beside evaluation.report.json): strict assurance.
# Strict means: the manifest is bound to the report (sha256 of its raw bytes), the evaluation ran in a
# container (host-bypass is never strict), from a digest-pinned image equal to an expected digest the
# release supplies independently (data.expected_runtime_image_digest, never read from the manifest),
# remote code and third-party plugins off, network as the release policy allows, (v2) the config a file
# bound by sha256, the report a strict one (mode, profile, tier, guard chain, no synthesized fields, evidence
# from every guard) and passed (or, locally passed, awaiting exactly this verification).
# Every rule applies to each runtime manifest present; "runtime.required" covers the absent case.
#
# A declared non-assurance run (invarlock's `verify --runtime-provenance host --assurance off`): with
# data.runtime_assurance "off", a report whose assurance.mode is "off" is gated as what it says it is — bound
# to its manifest, verdict pass, every validation flag and guard passed, remote code, third-party plugins
# and network as above — without the strict-only rules (container, pinned/expected image, strict report
# claims). A report that claims strict is held to strict under either setting. Default: "strict".
#
# Messages use only %s (strings, null, booleans) and %d (integers): the WASM runtime formats with
# sprintf-js, which has no %q and throws on %v of null, so anything else would differ from `opa eval`.
package tollgate.gate

import data.tollgate.lib

rm_manifests := lib.evidence_of("runtime-manifest")

# Release policy for the runtime's network access (false unless data says otherwise).
default rm_allow_network := false

rm_allow_network := data.runtime_allow_network

rm_digest_pattern := `^sha256:[a-f0-9]{64}$`

# The expected digest, normalized the way invarlock's verifier does (trimmed, lower-case).
rm_expected_digest := lower(trim_space(data.expected_runtime_image_digest)) if is_string(data.expected_runtime_image_digest)

rm_expected_valid if regex.match(rm_digest_pattern, rm_expected_digest)

# The key is given (any value but null): a non-string is then an invalid digest, not a missing one.
rm_expected_given if data.expected_runtime_image_digest != null

default rm_assurance := "strict"

rm_assurance := data.runtime_assurance

rm_assurance_known if rm_assurance == "strict"

rm_assurance_known if rm_assurance == "off"

# Gated as a declared non-assurance run: the release accepts them and the report declares assurance off.
rm_non_assurance(ev) if {
	rm_assurance == "off"
	ev.facts.outcome.assurance_mode == "off"
}

rm_gated_strict(ev) if not rm_non_assurance(ev)

# A declared non-assurance run the gate can rely on as such.
rm_non_assurance_ok(ev) if {
	rm_non_assurance(ev)
	ev.integrity.status == "verified"
	ev.facts.report_bound == true
	ev.facts.allow_remote_code == false
	ev.facts.allow_third_party_plugins == false
	rm_network_ok(ev)
	ev.facts.outcome.verdict == "pass"
	count(ev.facts.outcome.validation_failed) == 0
	count(ev.facts.outcome.guards_blocking) == 0
}

deny contains lib.result_sev(
	"runtime.assurance",
	sprintf("data.runtime_assurance %s is not strict or off", [json.marshal(data.runtime_assurance)]),
	null, "high", "set runtime_assurance to strict (the default) or off in the gate's data",
) if not rm_assurance_known

rm_warn contains lib.result_sev(
	"runtime.non-assurance",
	sprintf("evaluation declares assurance off (execution_mode %s): gated as a non-assurance run, not as strict assurance", [ev.facts.execution_mode]),
	ev.source.path, "info", "release strict-assurance evidence (container run, pinned image) where the release needs it",
) if {
	some ev in rm_manifests
	rm_non_assurance(ev)
}

# A manifest the gate can rely on for strict assurance.
rm_strict(ev) if {
	ev.integrity.status == "verified"
	ev.facts.strict_eligible == true
	rm_expected_valid
	ev.facts.image_digest == rm_expected_digest
	rm_network_ok(ev)
	rm_verdict_ok(ev.facts.outcome)
	count(rm_report_problems(ev)) == 0
	count(ev.facts.outcome.validation_failed) == 0
	count(ev.facts.outcome.guards_blocking) == 0
}

# What invarlock's strict verification requires of the report itself (assurance.strict_report_policy_errors),
# beyond its verdict, validation flags and guard decisions: one message per problem. Absent fields count as
# wrong (object.get), so an older or hand-made report fails closed.
rm_strict_profiles := {"ci", "release"}

rm_strict_tiers := {"balanced", "conservative"}

rm_strict_claim_set := "invarlock-weight-edit-regression-v1"

rm_canonical_chain := ["invariants", "spectral", "rmt", "variance", "invariants"]

rm_degraded_statuses := {"degraded", "monitor-only", "monitor_only"}

rm_pass_statuses := {"ok", "pass", "passed"}

rm_strict_claim_set := "invarlock-weight-edit-regression-v1"

rm_canonical_chain := ["invariants", "spectral", "rmt", "variance", "invariants"]

rm_degraded_statuses := {"degraded", "monitor-only", "monitor_only"}

rm_pass_statuses := {"ok", "pass", "passed"}

# Problems per manifest (by evidence id), one rule each, read from the bound report's outcome.
rm_report_problems(ev) := {p.msg | some p in rm_problem; p.id == ev.id}

rm_outcomes contains [ev.id, ev.facts.outcome] if {
	some ev in rm_manifests
	ev.facts.outcome != null
}

rm_problem contains {"id": id, "msg": sprintf("assurance mode is %s, not strict", [object.get(o, "assurance_mode", null)])} if {
	some [id, o] in rm_outcomes
	object.get(o, "assurance_mode", null) != "strict"
}

rm_problem contains {"id": id, "msg": sprintf("claim_set is %s, not %s", [object.get(o, "claim_set", null), rm_strict_claim_set])} if {
	some [id, o] in rm_outcomes
	object.get(o, "claim_set", null) != rm_strict_claim_set
}

rm_problem contains {"id": id, "msg": sprintf("profile is %s, not ci or release", [object.get(o, "profile", null)])} if {
	some [id, o] in rm_outcomes
	not object.get(o, "profile", null) in rm_strict_profiles
}

rm_problem contains {"id": id, "msg": sprintf("tier is %s, not balanced or conservative", [object.get(o, "tier", null)])} if {
	some [id, o] in rm_outcomes
	not object.get(o, "tier", null) in rm_strict_tiers
}

rm_problem contains {"id": id, "msg": "the report declares the development-only tiny_relax policy"} if {
	some [id, o] in rm_outcomes
	object.get(o, "tiny_relax", null) == true
}

# The flag is a claim; the observed chain is what ran (invarlock checks both).
rm_problem contains {"id": id, "msg": "canonical_guard_chain_enforced is not true"} if {
	some [id, o] in rm_outcomes
	object.get(o, "canonical_guard_chain_enforced", null) != true
}

rm_problem contains {"id": id, "msg": msg} if {
	some [id, o] in rm_outcomes
	object.get(o, "guard_chain_canonical", null) != true
	msg := sprintf("observed guard chain [%s] is not the canonical chain [%s]", [concat(", ", object.get(o, "guard_chain_observed", [])), concat(", ", rm_canonical_chain)])
}

rm_problem contains {"id": id, "msg": "the report used synthesized or repaired fields (fallback_fields_used)"} if {
	some [id, o] in rm_outcomes
	object.get(o, "fallback_fields_used", null) == true
}

rm_problem contains {"id": id, "msg": sprintf("report_build records %s: strict assurance forbids synthesized or repaired fields", [e])} if {
	some [id, o] in rm_outcomes
	some e in object.get(o, "report_build_events", [])
}

rm_problem contains {"id": id, "msg": sprintf("%s guard evidence is missing", [g])} if {
	some [id, o] in rm_outcomes
	some g in object.get(o, "guards_missing", [])
}

# Each strict guard as invarlock's GuardEvidence.strict_blocking_reasons reads it ("did not pass" is
# runtime.report-guard's).
rm_problem contains {"id": id, "msg": msg} if {
	some [id, o] in rm_outcomes
	some g in object.get(o, "guard_evidence", [])
	g.supported == false
	g.assurance_blocking == true
	msg := sprintf("%s guard is unsupported for strict assurance (supported false, assurance_blocking true): %s", [g.name, rm_or(g.reason, "unsupported")])
}

rm_problem contains {"id": id, "msg": sprintf("%s guard status %s is not strict-assurance passing", [g.name, g.status])} if {
	some [id, o] in rm_outcomes
	some g in object.get(o, "guard_evidence", [])
	lower(trim_space(rm_or(g.status, ""))) in rm_degraded_statuses
}

rm_problem contains {"id": id, "msg": sprintf("%s guard has no pass evidence (no decision, passed or passing status)", [g.name])} if {
	some [id, o] in rm_outcomes
	some g in object.get(o, "guard_evidence", [])
	g.present == true
	g.decision == ""
	g.passed == null
	g.supported == null
	not lower(trim_space(rm_or(g.status, ""))) in rm_pass_statuses
}

# Host execution and unverified provenance force a report out of strict assurance.
rm_problem contains {"id": id, "msg": sprintf("the report declares runtime provenance %s, not container", [o.runtime_provenance_declared])} if {
	some [id, o] in rm_outcomes
	object.get(o, "runtime_provenance_declared", null) != null
	o.runtime_provenance_declared != "container"
}

rm_problem contains {"id": id, "msg": sprintf("runtime_provenance_verification_status is %s, not pending or verified", [o.runtime_provenance_verification_status])} if {
	some [id, o] in rm_outcomes
	object.get(o, "runtime_provenance_verification_status", null) != null
	not o.runtime_provenance_verification_status in {"pending", "verified"}
}

# a failing verdict already lists its blocking reasons; an admitting one must have none
rm_problem contains {"id": id, "msg": sprintf("verdict %s but blocking reason %s", [o.verdict, r])} if {
	some [id, o] in rm_outcomes
	rm_verdict_ok(o)
	some r in object.get(o, "blocking_reasons", [])
}

rm_or(v, d) := v if v != null

else := d

rm_network_ok(ev) if ev.facts.allow_network == false

rm_network_ok(_) if rm_allow_network == true

deny contains lib.result_sev(
	"runtime.required",
	"no runtime manifest bound to its evaluation report meets strict assurance",
	null, "high",
	"evaluate the directory holding runtime.manifest.json and evaluation.report.json from a container run with a pinned image",
) if {
	"runtime-manifest" in lib.required_kinds
	count([ev | some ev in rm_manifests; rm_strict(ev)]) == 0
	count([ev | some ev in rm_manifests; rm_non_assurance_ok(ev)]) == 0
}

rm_deny contains lib.result_sev(
	"runtime.integrity",
	sprintf("runtime manifest does not verify: %s", [object.get(ev.integrity, "reason", "no reason recorded")]),
	ev.source.path, "critical",
	"supply the evaluation.report.json (and files) the manifest was written for, unmodified, beside it",
) if {
	some ev in rm_manifests
	ev.integrity.status != "verified"
}

rm_deny contains lib.result_sev(
	"runtime.host-bypass",
	"evaluation ran with execution_mode host-bypass: host execution forfeits strict assurance",
	ev.source.path, "critical",
	"re-run the evaluation in container mode (invarlock evaluate --execution-mode container)",
) if {
	some ev in rm_manifests
	rm_gated_strict(ev)
	ev.facts.execution_mode == "host-bypass"
}

rm_deny contains lib.result_sev(
	"runtime.container-execution",
	"runtime.container_execution is false: the evaluation did not run inside the runtime container",
	ev.source.path, "critical", "re-run the evaluation inside the pinned runtime container",
) if {
	some ev in rm_manifests
	rm_gated_strict(ev)
	ev.facts.execution_mode != "host-bypass" # host-bypass already says it
	ev.facts.container_execution == false
}

rm_deny contains lib.result_sev(
	"runtime.image-unpinned",
	sprintf("runtime image %s is not digest-pinned (image_digest is %s)", [ev.facts.image_ref, ev.facts.image_digest]),
	ev.source.path, "critical", "run the evaluation from an image referenced by sha256 digest",
) if {
	some ev in rm_manifests
	rm_gated_strict(ev)
	ev.facts.image_digest_pinned != true
}

rm_deny contains lib.result_sev(
	"runtime.expected-digest",
	"strict assurance needs an independently supplied expected runtime image digest: data.expected_runtime_image_digest is not set (the manifest's own digest is never trusted as the expectation)",
	ev.source.path, "high",
	"set expected_runtime_image_digest (sha256:<64 hex>) in the gate's data, from the release's own record of the runtime image",
) if {
	some ev in rm_manifests
	rm_gated_strict(ev)
	not rm_expected_given
}

rm_deny contains lib.result_sev(
	"runtime.expected-digest",
	sprintf("data.expected_runtime_image_digest %s is not sha256:<64 lower-case hex>", [json.marshal(data.expected_runtime_image_digest)]),
	ev.source.path, "high", "fix expected_runtime_image_digest in the gate's data",
) if {
	some ev in rm_manifests
	rm_gated_strict(ev)
	rm_expected_given
	not rm_expected_valid
}

rm_deny contains lib.result_sev(
	"runtime.image-digest",
	sprintf("runtime image digest %s differs from the expected %s", [ev.facts.image_digest, rm_expected_digest]),
	ev.source.path, "critical", "re-run the evaluation with the expected runtime image, or correct the expected digest",
) if {
	some ev in rm_manifests
	rm_gated_strict(ev)
	rm_expected_valid
	ev.facts.image_digest_pinned == true
	ev.facts.image_digest != rm_expected_digest
}

rm_deny contains lib.result_sev(
	"runtime.remote-code",
	"runtime allowed remote code (allow_remote_code is true)",
	ev.source.path, "critical", "re-run with remote code disabled",
) if {
	some ev in rm_manifests
	ev.facts.allow_remote_code == true
}

rm_deny contains lib.result_sev(
	"runtime.third-party-plugins",
	"runtime allowed third-party plugins (allow_third_party_plugins is true)",
	ev.source.path, "critical", "re-run with third-party plugins disabled",
) if {
	some ev in rm_manifests
	ev.facts.allow_third_party_plugins == true
}

rm_deny contains lib.result_sev(
	"runtime.config-source",
	sprintf("runtime-manifest-v2 records config.source %s: strict verification needs the run's config as a file bound by sha256", [ev.facts.config.source]),
	ev.source.path, "high", "run the evaluation from a config file (invarlock evaluate --config FILE) and keep it beside the manifest",
) if {
	some ev in rm_manifests
	rm_gated_strict(ev)
	ev.facts.manifest_version == 2
	ev.facts.config.source != "file"
}

rm_deny contains lib.result_sev(
	"runtime.network",
	"runtime allowed network access but the release policy does not (data.runtime_allow_network is false)",
	ev.source.path, "high", "re-run with network disabled, or set runtime_allow_network: true if the release allows it",
) if {
	some ev in rm_manifests
	not rm_network_ok(ev)
}

# The report's verdict admits: "pass", or "pending_verifier" with report_local_verdict "pass" — invarlock's
# strict report that passed every local check and awaits the runtime-provenance verification (binding plus
# the independently supplied image digest) the rules above perform; `invarlock verify --assurance strict`
# accepts exactly these two.
rm_verdict_ok(o) if o.verdict == "pass"

rm_verdict_ok(o) if {
	o.verdict == "pending_verifier"
	o.report_local_verdict == "pass"
}

rm_local(o) := sprintf(" (report_local_verdict %s)", [o.report_local_verdict]) if {
	o.verdict == "pending_verifier"
} else := ""

rm_deny contains lib.result_sev(
	"runtime.report-verdict",
	sprintf("evaluation report verdict is %s%s%s", [ev.facts.outcome.verdict, rm_local(ev.facts.outcome), rm_reasons(ev)]),
	ev.facts.report.path, "critical", "fix the regression the report names and re-run the evaluation",
) if {
	some ev in rm_manifests
	ev.facts.outcome != null
	not rm_verdict_ok(ev.facts.outcome)
}

rm_deny contains lib.result_sev(
	"runtime.report-assurance",
	sprintf("evaluation report is not strict assurance evidence: %s", [problem]),
	ev.facts.report.path, "high", "run the evaluation with strict assurance (profile ci or release, tier balanced or conservative, the canonical guard chain)",
) if {
	some ev in rm_manifests
	rm_gated_strict(ev)
	ev.facts.outcome != null
	some problem in rm_report_problems(ev)
}

rm_deny contains lib.result_sev(
	"runtime.report-validation",
	sprintf("evaluation report validation %s is false", [name]),
	ev.facts.report.path, "high", "fix the regression the report names and re-run the evaluation",
) if {
	some ev in rm_manifests
	ev.facts.outcome != null
	some name in ev.facts.outcome.validation_failed
}

rm_deny contains lib.result_sev(
	"runtime.report-guard",
	sprintf("evaluation guard %s blocked (decision %s, status %s)", [g.name, g.decision, g.status]),
	ev.facts.report.path, "high", "fix the regression the guard caught and re-run the evaluation",
) if {
	some ev in rm_manifests
	ev.facts.outcome != null
	some g in ev.facts.outcome.guards
	g.name in ev.facts.outcome.guards_blocking
}

rm_reasons(ev) := sprintf(": %s", [concat("; ", ev.facts.outcome.blocking_reasons)]) if {
	count(ev.facts.outcome.blocking_reasons) > 0
} else := ""

# The rules above fill rm_deny and rm_warn, which join the gate's deny and warn only when
# there is evidence for them to judge: every one of them needs some, and skipping them all at once keeps an
# evaluation from visiting each rule body (and, in the WASM target, keeps the deny function small).
deny contains r if {
	"runtime-manifest" in lib.kinds_present
	some r in rm_deny
}

warn contains r if {
	"runtime-manifest" in lib.kinds_present
	some r in rm_warn
}
