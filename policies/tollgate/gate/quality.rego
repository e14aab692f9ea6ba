# I5 Quality-Event: a pipeline-completion event, checked against its versioned data contract (ODCS v3 or the
# Data Contract Specification), must satisfy that contract and report passed=true. Quality events are
# unsigned: the gate relies on the contract check (facts.contract_valid: the contract document valid
# against its standard's official schema AND the event valid against the contract), not on a signature.
#
# Which events are judged for passed / pass_rate: in a stream, the latest event of each pipeline and
# ordering key (highest ordering.sequence); earlier events of the same key are history it supersedes.
# Contract validity, duplicates and ordering are judged on every event.
#
# data.quality_pipeline (string, optional): the pipeline whose event must be present and pass; unset ⇒ every
#   pipeline present must pass.
# data.quality_min_pass_rate (number 0–1, optional): a judged event whose pass_rate is below it denies.
package tollgate.gate

import data.tollgate.lib

qe_events := lib.evidence_of("quality-event")

default qe_pipeline := null

qe_pipeline := data.quality_pipeline if is_string(data.quality_pipeline)

default qe_min_pass_rate := null

qe_min_pass_rate := data.quality_min_pass_rate if is_number(data.quality_min_pass_rate)

qe_where(ev) := sprintf("%s:%d", [ev.source.path, ev.facts.line])

# The latest event of its pipeline and ordering key.
qe_latest(ev) if {
	not qe_superseded(ev)
}

qe_superseded(ev) if {
	some other in qe_events
	other.facts.pipeline == ev.facts.pipeline
	other.facts.ordering.key == ev.facts.ordering.key
	other.facts.ordering.sequence > ev.facts.ordering.sequence
}

# Events whose passed/pass_rate the gate judges.
qe_judged contains ev if {
	some ev in qe_events
	qe_latest(ev)
	qe_pipeline == null
}

qe_judged contains ev if {
	some ev in qe_events
	qe_latest(ev)
	ev.facts.pipeline == qe_pipeline
}

qe_passing(ev) if {
	ev.facts.contract_valid == true
	qe_sla_met(ev)
	ev.facts.passed == true
	count(ev.facts.duplicates) == 0
	not qe_cross_file_duplicate(ev.facts.event_id)
}

# The contract's declared latency (ODCS slaProperties latency, DCS servicelevels.latency), when it declares one.
qe_sla_met(ev) if object.get(ev.facts, "sla_latency", null) == null

qe_sla_met(ev) if ev.facts.sla_latency.met == true

qe_deny contains lib.result_sev(
	"I5.sla-latency",
	sprintf("quality event %s (%s, pipeline %s) misses its contract's declared latency %s: %s", [
		ev.facts.event_id, qe_where(ev), ev.facts.pipeline, ev.facts.sla_latency.declared, qe_sla_reason(ev),
	]),
	ev.source.path, "high",
	"publish the event within the contract's declared latency, with its event time (occurred_at or the contract's source timestamp field)",
) if {
	some ev in qe_events
	not qe_sla_met(ev)
}

qe_sla_reason(ev) := c.reason if {
	some c in ev.checks
	c.name == "sla.latency"
	c.ok == false
} else := "latency not met"

# An event_id carried by events of more than one file (the kind sees one file at a time, so a repeat
# within a file is in facts.duplicates; a repeat across files is found here).
qe_files_of(id) := {ev.source.path | some ev in qe_events; ev.facts.event_id == id}

qe_cross_file_duplicate(id) if count(qe_files_of(id)) > 1

# Required: a contract-valid, passing event (for the configured pipeline, when one is configured).
deny contains lib.result_sev(
	"I5.required",
	sprintf("no contract-valid quality event with passed=true%s", [qe_for_pipeline]),
	null, "high",
	"supply the pipeline-completion event(s) with the data contract (ODCS/DCS) they conform to",
) if {
	"quality-event" in lib.required_kinds
	count([ev | some ev in qe_judged; qe_passing(ev)]) == 0
}

qe_for_pipeline := sprintf(" for pipeline %q", [qe_pipeline]) if {
	qe_pipeline != null
} else := ""

# The configured pipeline must have reported at all (when quality events are given, or required).
qe_deny contains lib.result_sev(
	"I5.pipeline",
	sprintf("no quality event for pipeline %q (events present: %s)", [qe_pipeline, qe_pipelines_present]),
	null, "high",
	sprintf("supply the pipeline-completion event of %q, or correct data.quality_pipeline", [qe_pipeline]),
) if {
	qe_pipeline != null
	count(qe_events) > 0
	count([ev | some ev in qe_events; ev.facts.pipeline == qe_pipeline]) == 0
}

qe_pipelines_present := concat(", ", sort({p | some ev in qe_events; p := ev.facts.pipeline}))

# Every event must satisfy its data contract.
qe_deny contains lib.result_sev(
	"I5.contract",
	sprintf("quality event %s (%s, pipeline %s) does not satisfy its data contract%s: %s", [
		ev.facts.event_id, qe_where(ev), ev.facts.pipeline, qe_contract_name(ev),
		concat("; ", array.slice(ev.facts.contract_errors, 0, 3)),
	]),
	ev.source.path, "high",
	"emit events that match the contract's schema (or publish a compatible contract version) and pass the contract beside the events",
) if {
	some ev in qe_events
	ev.facts.contract_valid != true
}

qe_contract_name(ev) := sprintf(" %v version %v (%s)", [ev.facts.contract.id, ev.facts.contract.version, ev.facts.contract.path]) if {
	ev.facts.contract != null
} else := ""

# The judged event of each pipeline must report passed=true.
qe_deny contains lib.result_sev(
	"I5.passed",
	sprintf("pipeline %s reported passed=false (event %s, %s, pass_rate %v)", [
		ev.facts.pipeline, ev.facts.event_id, qe_where(ev), ev.facts.pass_rate,
	]),
	ev.source.path, "high",
	"fix the data-quality failures and re-run the pipeline; the gate admits only a passing run",
) if {
	some ev in qe_judged
	ev.facts.passed != true
}

qe_deny contains lib.result_sev(
	"I5.pass-rate",
	sprintf("pipeline %s pass_rate %v is below the required minimum %v (event %s, %s)", [
		ev.facts.pipeline, ev.facts.pass_rate, qe_min_pass_rate, ev.facts.event_id, qe_where(ev),
	]),
	ev.source.path, "high",
	"raise the pipeline's pass rate, or change data.quality_min_pass_rate through review",
) if {
	qe_min_pass_rate != null
	some ev in qe_judged
	ev.facts.pass_rate < qe_min_pass_rate
}

# An event_id seen twice: the stream is not idempotent-safe (two lines claim to be the same event).
qe_deny contains lib.result_sev(
	"I5.duplicate-event",
	sprintf("event_id %s appears on lines %s of %s", [d.event_id, qe_list_lines(d.lines), ev.source.path]),
	ev.source.path, "medium",
	"emit each event once with a unique event_id (retries must reuse the id only for the identical event, and the consumer drops them)",
) if {
	some ev in qe_events
	some d in ev.facts.duplicates
}

qe_deny contains lib.result_sev(
	"I5.duplicate-event",
	sprintf("event_id %s appears in %d files: %s", [id, count(qe_files_of(id)), concat(", ", sort(qe_places))]),
	null, "medium",
	"emit each event once with a unique event_id (retries must reuse the id only for the identical event, and the consumer drops them)",
) if {
	some id in {ev.facts.event_id | some ev in qe_events}
	qe_cross_file_duplicate(id)
	qe_places := {qe_where(ev) | some ev in qe_events; ev.facts.event_id == id}
}

qe_deny contains lib.result_sev(
	"I5.ordering",
	sprintf("%s: %s", [ev.source.path, c.reason]),
	ev.source.path, "medium",
	"assign ordering.sequence strictly increasing per ordering.key in emission order",
) if {
	some ev in qe_events
	some c in ev.checks
	c.name == "integrity.ordering"
	c.ok == false
}

# `1 and 3`, `1, 3 and 5`
qe_list_lines(ls) := concat(" and ", [sprintf("%d", [l]) | some l in ls]) if {
	count(ls) <= 2
} else := sprintf("%s and %d", [
	concat(", ", [sprintf("%d", [l]) | some i, l in ls; i < count(ls) - 1]),
	ls[count(ls) - 1],
])

# The rules above fill qe_deny, which join the gate's deny only when
# there is evidence for them to judge: every one of them needs some, and skipping them all at once keeps an
# evaluation from visiting each rule body (and, in the WASM target, keeps the deny function small).
deny contains r if {
	"quality-event" in lib.kinds_present
	some r in qe_deny
}
