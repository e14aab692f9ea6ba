# RunManifest decision ledgers (evidence kind "runmanifest"). A hash chain is tamper evidence, not a
# signature: a ledger counts when its integrity verified (schema, seq, prev_hash links, entry hashes,
# chain_root, entry_count, manifest digest). Any present ledger that failed is denied, naming the first
# bad seq and the check, whether or not ledgers are required.
package tollgate.gate

import data.tollgate.lib

runmanifest_ledgers := lib.evidence_of("runmanifest")

runmanifest_verified := [ev | some ev in runmanifest_ledgers; ev.integrity.status == "verified"; count(runmanifest_failed_bindings(ev)) == 0]

# inputs / config_hashes bound to files the user passed (facts.bindings; files not passed are not_supplied).
runmanifest_failed_bindings(ev) := [b | some b in object.get(ev.facts, "bindings", []); b.status == "failed"]

runmanifest_deny contains lib.result_sev(
	"runmanifest.binding",
	sprintf("RunManifest %s does not match the file supplied: %s", [b.field, b.reason]),
	ev.source.path, "critical",
	"pass the exact target and config files the run used, or regenerate the RunManifest from this run",
) if {
	some ev in runmanifest_ledgers
	some b in runmanifest_failed_bindings(ev)
}

# Optional: the mode a release must have recorded ("compact" or "expanded").
default runmanifest_required_mode := null

runmanifest_required_mode := data.runmanifest_required_mode

# Optional: decision reason codes whose presence in a ledger blocks the release.
default runmanifest_denied_reason_codes := []

runmanifest_denied_reason_codes := data.runmanifest_denied_reason_codes

# Entry-level reasons already start "seq N: "; the message names the seq once.
runmanifest_failure_msg(ev) := sprintf("decision ledger failed %s at seq %d: %s", [ff.check, ff.seq, trim_prefix(ff.reason, sprintf("seq %d: ", [ff.seq]))]) if {
	ff := ev.facts.first_failure
	is_number(ff.seq)
} else := sprintf("decision ledger failed %s: %s", [ff.check, ff.reason]) if {
	ff := ev.facts.first_failure
	is_string(ff.check)
} else := sprintf("decision ledger integrity is %s: %s", [ev.integrity.status, object.get(ev.integrity, "reason", "no reason recorded")])

runmanifest_deny contains lib.result_sev(
	"runmanifest.integrity",
	runmanifest_failure_msg(ev),
	ev.source.path, "critical",
	"treat this ledger as non-authoritative: regenerate the RunManifest from the run, or find out who changed it (`tollgate ledger verify FILE` lists every check)",
) if {
	some ev in runmanifest_ledgers
	ev.integrity.status != "verified"
}

# Required (data.required_evidence contains "runmanifest"): at least one ledger that verified.
deny contains lib.result_sev(
	"runmanifest.required",
	sprintf("no verified RunManifest decision ledger (%d present, %d verified)", [count(runmanifest_ledgers), count(runmanifest_verified)]),
	null, "high",
	"supply the run's runmanifest.json (emitted with --output-runmanifest) with an intact hash chain",
) if {
	"runmanifest" in lib.required_kinds
	count(runmanifest_verified) == 0
}

runmanifest_deny contains lib.result_sev(
	"runmanifest.mode",
	sprintf("decision ledger was recorded in %s mode; policy requires %s", [ev.facts.mode, runmanifest_required_mode]),
	ev.source.path, "medium",
	sprintf("re-run with --runmanifest-mode %s", [runmanifest_required_mode]),
) if {
	runmanifest_required_mode != null
	some ev in runmanifest_verified
	ev.facts.mode != runmanifest_required_mode
}

runmanifest_deny contains lib.result_sev(
	"runmanifest.reason-code",
	sprintf("decision ledger records reason code %s, which policy does not admit", [code]),
	ev.source.path, "high",
	"resolve the decision recorded under this reason code, or change data.runmanifest_denied_reason_codes",
) if {
	some ev in runmanifest_verified
	some code in ev.facts.reason_codes
	code in runmanifest_denied_reason_codes
}

# The reason-code list is bounded; when it was cut short a denied code may hide past the cut: fail closed.
runmanifest_deny contains lib.result_sev(
	"runmanifest.reason-code",
	sprintf("decision ledger has more distinct reason codes than tollgate lists (%d shown); denied codes cannot be ruled out", [count(ev.facts.reason_codes)]),
	ev.source.path, "high",
	"split the run, or drop data.runmanifest_denied_reason_codes for ledgers this varied",
) if {
	count(runmanifest_denied_reason_codes) > 0
	some ev in runmanifest_verified
	ev.facts.reason_codes_truncated == true
}

# The rules above fill runmanifest_deny, which join the gate's deny only when
# there is evidence for them to judge: every one of them needs some, and skipping them all at once keeps an
# evaluation from visiting each rule body (and, in the WASM target, keeps the deny function small).
deny contains r if {
	"runmanifest" in lib.kinds_present
	some r in runmanifest_deny
}
