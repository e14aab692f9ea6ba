# The gate's one entrypoint: tollgate/gate/decision → {allow, deny, warn}.
# deny and warn are partial sets filled by each area's file in this package. Deny-by-default lives in the
# areas' "required evidence" rules: with nothing verified and bound, something always denies.
package tollgate.gate

import data.tollgate.lib

# An unreadable or unrecognized file fails closed.
deny contains lib.result_sev(
	"input.error",
	sprintf("%s: %s (%s)", [e.source, e.message, e.code]),
	e.source, "high", "fix or remove the file; tollgate evaluates only evidence it can read",
) if some e in input.errors

# Kinds whose area file has its own "required" rule, because the evidence is unsigned by design (ledgers,
# runtime manifests, quality events, logs) or because presence means more than "signed and bound" (a DAST run
# must also have passed). Every other kind is covered by the generic rule below.
# (A function of string comparisons rather than a set: a constant set is built anew, hashing each member, in
# every WASM evaluation.)
own_presence_rule("slsa-provenance") := true

own_presence_rule("runmanifest") := true

own_presence_rule("runtime-manifest") := true

own_presence_rule("quality-event") := true

own_presence_rule("otel-log") := true

own_presence_rule("dast") := true

# Configured required kinds must be present, verified, trusted and bound to the subject.
deny contains lib.result_sev(
	"gate.required-evidence",
	sprintf("no verified %s evidence bound to the subject", [k]),
	null, "high", sprintf("supply signed %s evidence whose subject is the artifact's digest", [k]),
) if {
	some k in lib.required_kinds
	not own_presence_rule(k)
	count([ev | some ev in lib.evidence_of(k); lib.relied_on(ev)]) == 0
}

# No subject means nothing can be bound: say so once, plainly.
deny contains lib.result_sev(
	"gate.subject",
	"no subject digest given (use --artifact FILE or --subject sha256:HEX|sha384:HEX|sha512:HEX|sha512-BASE64); subject-bound rules cannot admit",
	null, "high", "name the artifact under evaluation",
) if not lib.subject_given

default allow := false

allow if count(deny) == 0

decision := {"allow": allow, "deny": deny, "warn": warn, "verified_levels": verified_levels}
